"""Checks of the solver options shared by ``fit``, ``fit_many``, ``bootstrap`` and ``cross_validate``.

Run before any data is prepared or anything is compiled, so a bad option fails at once with a
``ValueError`` that names it (``delta=-1`` never "succeeds" with ``A = 1e308``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawfit._validate import check_bool, check_choice, check_int, check_optional_int, check_real
from lawfit.fitting._objective import LOSSES

__all__ = ["check_fit_options", "check_solver", "check_key", "check_metric"]


def check_metric(metric: Any) -> str:
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"metric must be a non-empty metric name such as 'loss', got {metric!r}")
    return metric


def check_key(key: Any) -> Any:
    """``None``, a non-negative int seed or a ``jax.random`` key."""
    if key is None:
        return key
    if isinstance(key, bool):
        raise ValueError(f"key must be an int seed or a jax.random key, got {key!r}")
    import numpy as np

    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f"key must be a non-negative int seed or a jax.random key, got {key!r}")
        return key
    if hasattr(key, "dtype") and hasattr(key, "shape"):
        return key
    raise ValueError(f"key must be an int seed or a jax.random key, got {type(key).__name__}")


def check_solver(*, max_iter: Any, gtol: Any, ftol: Any, vectorize: Any = None) -> None:
    """The L-BFGS budget and tolerances (``max_iter >= 1``, ``gtol, ftol >= 0``)."""
    check_int("max_iter", max_iter, minimum=1)
    check_real("gtol", gtol, at_least=0)
    check_real("ftol", ftol, at_least=0)
    if vectorize is not None:
        check_bool("vectorize", vectorize)


def _mapping_or_none(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise ValueError(
            f"{name} must be a mapping {{parameter name: value}} or None, got {type(value).__name__}"
        )


def check_fit_options(
    *,
    metric: Any,
    init: Any,
    bounds: Any,
    fixed: Any,
    loss: Any,
    delta: Any,
    num_starts: Any,
    key: Any,
    exclude_warmup: Any,
    max_iter: Any,
    gtol: Any,
    ftol: Any,
    stderr: Any,
    keep: Any,
    screen_iter: Any,
    vectorize: Any,
    throw: Any = False,
    compiler_options: Any = None,
) -> None:
    """Raise a ``ValueError`` naming the first bad option of :func:`lawfit.fit`."""
    check_metric(metric)
    for name, value in (("init", init), ("bounds", bounds), ("fixed", fixed),
                        ("compiler_options", compiler_options)):
        _mapping_or_none(name, value)
    check_choice("loss", loss, LOSSES)
    check_real("delta", delta, above=0)
    check_optional_int("num_starts", num_starts, minimum=1)
    check_key(key)
    if exclude_warmup is not None:
        check_bool("exclude_warmup", exclude_warmup)
    check_solver(max_iter=max_iter, gtol=gtol, ftol=ftol, vectorize=vectorize)
    check_bool("stderr", stderr)
    check_bool("throw", throw)
    check_optional_int("keep", keep, minimum=1)
    check_int("screen_iter", screen_iter, minimum=1)
