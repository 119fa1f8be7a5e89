"""Inverse square root decay after a warmup (SCHEDULES.md section 9).

With ``tau = timescale`` (default ``W``)::

    eta(t) = max(end, peak / sqrt(max(t - W + tau, tau) / tau))      t >= W

With the default ``tau = W`` this is lawfit's (and OLMo's) ``peak * sqrt(W / max(W, t))``;
Hugging Face ``get_inverse_sqrt_schedule(W, timescale)`` is the same formula. ``end_value`` is an
optional floor (Megatron's ``min_lr``).

Example:
    >>> from lawfit.schedules import inverse_sqrt
    >>> float(inverse_sqrt(1.0, warmup_steps=4)(16))
    0.5
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["inverse_sqrt"]


@family("inverse_sqrt", example={"peak_value": 3e-4, "warmup_steps": 100})
def inverse_sqrt(
    peak_value: float,
    warmup_steps: int = 0,
    *,
    timescale: float | None = None,
    end_value: float | None = None,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Inverse square root decay ``peak * sqrt(tau / (t - W + tau))`` after the warmup."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    if timescale is None:
        if w.steps == 0:
            raise ValueError(
                "inverse_sqrt needs warmup_steps > 0 or a timescale > 0 (got warmup_steps=0, "
                "timescale=None)"
            )
        tau = float(w.steps)
    else:
        tau = C.real("timescale", timescale, low=0.0, low_open=True)
    end = C.end(peak, end_value, None)
    W = w.steps

    def fn(t: Any) -> Any:
        v = peak / jnp.sqrt(jnp.maximum(t - W + tau, tau) / tau)
        return _warmup.apply(w, t, jnp.maximum(v, end))

    return fn
