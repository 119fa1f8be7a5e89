"""SGDR: cosine annealing with warm restarts (Loshchilov & Hutter, arXiv 1608.03983; section 11).

After an optional warmup, with ``u = t - W``, cycle ``i`` has length ``T_i = cycle_steps *
cycle_mult^i`` and starts at ``u_i = sum_{j<i} T_j``; with ``T_cur = u - u_i``::

    eta(t) = end + 0.5 * (peak * cycle_decay^i - end) * (1 + cos(pi * T_cur / T_i))

PyTorch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` is ``sgdr(peak, T_0,
cycle_mult=T_mult, end_value=eta_min)``; ``cycle_decay`` is timm's. optax's ``sgdr_schedule``
(per-cycle warmups) is a :func:`join` of :func:`cosine` schedules.

Example:
    >>> from lawfit.schedules import sgdr, to_array
    >>> to_array(sgdr(1.0, cycle_steps=2), 4).round(12).tolist()
    [1.0, 0.5, 1.0, 0.5]
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["sgdr"]


@family("sgdr", example={"peak_value": 3e-4, "cycle_steps": 200, "cycle_mult": 2,
                         "end_ratio": 0.1},
        aliases=("cosine_with_restarts", "cosine_warm_restarts"))
def sgdr(
    peak_value: float,
    cycle_steps: float,
    *,
    cycle_mult: int = 1,
    cycle_decay: float = 1.0,
    end_value: float | None = None,
    end_ratio: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Cosine annealing with warm restarts every ``cycle_steps * cycle_mult^i`` steps."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T0 = C.real("cycle_steps", cycle_steps, low=0.0, low_open=True)
    mult = C.int_at_least("cycle_mult", cycle_mult, 1)
    decay = C.real("cycle_decay", cycle_decay, low=0.0, high=1.0, low_open=True)
    end = C.end(peak, end_value, end_ratio)
    if decay < 1.0 and end > 0:
        raise ValueError(
            f"cycle_decay={cycle_decay!r} lowers later peaks towards 0, below the floor "
            f"end={end}; use cycle_decay=1 with a floor, or no floor"
        )
    W = w.steps

    def fn(t: Any) -> Any:
        u = jnp.maximum(t - W, 0.0)
        if mult == 1:
            i = C.floor_div(u, T0)
            start = i * T0
            Ti = jnp.full_like(u, T0)
        else:
            i = jnp.floor(jnp.log(u / T0 * (mult - 1) + 1.0) / math.log(mult))
            for _ in range(2):  # correct float rounding of the log at cycle starts
                start = T0 * (mult**i - 1.0) / (mult - 1)
                i = jnp.where(u < start, i - 1, i)
                nxt = T0 * (mult ** (i + 1) - 1.0) / (mult - 1)
                i = jnp.where(u >= nxt, i + 1, i)
            start = T0 * (mult**i - 1.0) / (mult - 1)
            Ti = T0 * mult**i
        top = peak * decay**i if decay != 1.0 else peak
        v = end + 0.5 * (top - end) * (1.0 + jnp.cos(jnp.pi * (u - start) / Ti))
        return _warmup.apply(w, t, v)

    return fn
