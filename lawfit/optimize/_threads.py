"""Run scipy's small-matrix solvers with one BLAS thread.

scipy >= 1.15's L-BFGS-B (and ``least_squares``) make many LAPACK/BLAS calls on tiny matrices;
with a multi-threaded OpenBLAS each call pays a thread hand-off, which on a busy 2-core machine
made ``optimize_schedule`` spend 4 of its 7 seconds inside ``setulb`` (scipy issue 22438; the fix
scipy's maintainers recommend is this limit). Measured here: 303 ``setulb`` calls 3.5 s -> 0.04 s.

Example:
    >>> @one_blas_thread
    ... def solve():
    ...     return 1
    >>> solve()
    1
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__: list[str] = []

P = ParamSpec("P")
R = TypeVar("R")


def one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with BLAS limited to one thread (restored afterwards)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
