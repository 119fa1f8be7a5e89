"""Constant schedule with an optional warmup (SCHEDULES.md section 1).

``eta(t) = warmup(t)`` for ``t < W`` (see :mod:`lawfit.schedules._warmup`), then ``peak_value``.
optax: ``warmup_constant_schedule``; Hugging Face: ``constant``, ``constant_with_warmup``.

Example:
    >>> from lawfit.schedules import constant, to_array
    >>> to_array(constant(2.0, warmup_steps=2), 4).tolist()
    [0.0, 1.0, 2.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["constant"]


@family("constant", example={"peak_value": 3e-4, "warmup_steps": 100},
        aliases=("constant_with_warmup",))
def constant(
    peak_value: float,
    *,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Constant ``peak_value`` after an optional warmup from ``init_value`` over ``warmup_steps``."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)

    def fn(t: Any) -> Any:
        return _warmup.apply(w, t, jnp.full_like(t, peak))

    return fn
