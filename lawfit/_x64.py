"""float64 policy.

lawfit never flips ``jax_enable_x64`` globally when it is imported. Instead every public numerical
entry point (``fit``, ``predict``, ``to_array``, optimizers, ...) runs inside
``jax.enable_x64(True)``, so results are float64 whatever the caller's global setting, and the
caller's own JAX code is left alone. Users who want float64 everywhere can still set
``jax.config.update("jax_enable_x64", True)`` themselves; lawfit then behaves the same.

Example:
    >>> from lawfit._x64 import x64
    >>> @x64
    ... def f():
    ...     import jax.numpy as jnp
    ...     return jnp.zeros(()).dtype
    >>> str(f())
    'float64'
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def x64(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with 64-bit JAX types enabled (restores the previous setting afterwards)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import jax

        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper
