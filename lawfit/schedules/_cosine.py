"""Cosine decay with a floor after an optional warmup (SCHEDULES.md section 3).

With ``p = (min(t, T) - W) / (T - W)`` (no ``min`` when ``clamp=False``)::

    eta(t) = end + (peak - end) * (0.5 * (1 + cos(pi * p))) ** exponent      t >= W

``total_steps`` T includes the warmup (optax's ``warmup_cosine_decay_schedule`` calls it
``decay_steps``). The floor is ``end_value`` or ``end_ratio * peak_value`` (default 0). lawfit
clamps after T (optax, OLMo); Hugging Face and PyTorch do not: replay them with ``clamp=False``.

Example:
    >>> from lawfit.schedules import cosine, to_array
    >>> to_array(cosine(1.0, total_steps=4, end_ratio=0.1), 5).round(12).tolist()
    [1.0, 0.868198051534, 0.55, 0.231801948466, 0.1]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family
from lawfit.schedules._linear import check_total

__all__ = ["cosine"]


@family(
    "cosine",
    example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100, "end_ratio": 0.1},
    aliases=("cosine_with_min_lr", "cosine_decay"),
)
def cosine(
    peak_value: float,
    total_steps: int,
    *,
    end_value: float | None = None,
    end_ratio: float | None = None,
    exponent: float = 1.0,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """Cosine decay from ``peak_value`` at step W to a floor at ``total_steps`` (clamped after)."""
    k = C.real("exponent", exponent, low=0.0, low_open=True)
    return cosine_fn(peak_value, total_steps, end_value, end_ratio, warmup_steps, init_value,
                     warmup_convention, warmup_shape, clamp, None if k == 1.0 else (lambda g: g**k))


def cosine_fn(peak_value, total_steps, end_value, end_ratio, warmup_steps, init_value,
              warmup_convention, warmup_shape, clamp, reshape=None):
    """Validated pure function ``end + (peak - end) * reshape(g)`` with the cosine
    ``g = 0.5 * (1 + cos(pi * p))`` after the warmup (shared by ``cosine`` and ``uba``)."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = check_total(total_steps, w.steps)
    end = C.end(peak, end_value, end_ratio)
    if not isinstance(clamp, bool):
        raise ValueError(f"clamp must be True or False, got {clamp!r}")
    W = w.steps

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, T) if clamp else t
        g = jnp.maximum(0.5 * (1.0 + jnp.cos(jnp.pi * (tc - W) / (T - W))), 0.0)
        if reshape is not None:
            g = reshape(g)
        v = jnp.where(tc <= W, peak, end + (peak - end) * g)  # exactly the peak at W
        return _warmup.apply(w, t, v)

    return fn
