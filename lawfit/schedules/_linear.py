"""Linear and polynomial decay after an optional warmup (SCHEDULES.md sections 2 and 9).

With ``p = (min(t, T) - W) / (T - W)`` (no ``min`` when ``clamp=False``)::

    eta(t) = end + (peak - end) * (1 - p) ** power          t >= W

``linear`` is ``power = 1``. ``total_steps`` T is the whole run **including** the warmup; after T
the value holds ``end`` (``clamp=True``, the default, as optax and Hugging Face).
Hugging Face ``linear`` is ``linear(peak, T, warmup_steps=W)``; ``polynomial`` with ``lr_end`` is
``polynomial(peak, T, end_value=lr_end, power=power, warmup_steps=W)``.

Example:
    >>> from lawfit.schedules import linear, to_array
    >>> to_array(linear(1.0, total_steps=5, end_value=0.2), 6).round(12).tolist()
    [1.0, 0.84, 0.68, 0.52, 0.36, 0.2]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["linear", "polynomial"]


def check_total(total_steps: Any, warmup_steps: int, name: str = "total_steps") -> int:
    """``total_steps`` must leave at least one step after the warmup."""
    T = C.int_at_least(name, total_steps, 1)
    if warmup_steps >= T:
        raise ValueError(
            f"warmup_steps={warmup_steps} is not shorter than the run ({name}={T}); "
            "the warmup must end before the last step"
        )
    return T


def _poly(peak_value, total_steps, end_value, end_ratio, power, warmup_steps, init_value,
          warmup_convention, warmup_shape, clamp):
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = check_total(total_steps, w.steps)
    end = C.end(peak, end_value, end_ratio)
    k = C.real("power", power, low=0.0, low_open=True)
    if not isinstance(clamp, bool):
        raise ValueError(f"clamp must be True or False, got {clamp!r}")
    W = w.steps

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, T) if clamp else t
        q = jnp.minimum((T - tc) / (T - W), 1.0)  # 1 - p, exactly 0 at T
        if clamp:
            q = jnp.maximum(q, 0.0)
        g = q if k == 1.0 else jnp.maximum(q, 0.0) ** k
        v = jnp.where(tc <= W, peak, end + (peak - end) * g)  # exactly the peak at W
        return _warmup.apply(w, t, v)

    return fn


@family("linear", example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100})
def linear(
    peak_value: float,
    total_steps: int,
    *,
    end_value: float | None = None,
    end_ratio: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """Linear decay from ``peak_value`` at step W to ``end_value`` (default 0) at ``total_steps``."""
    return _poly(peak_value, total_steps, end_value, end_ratio, 1.0, warmup_steps, init_value,
                 warmup_convention, warmup_shape, clamp)


@family("polynomial",
        example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100, "power": 2.0})
def polynomial(
    peak_value: float,
    total_steps: int,
    *,
    power: float = 1.0,
    end_value: float | None = None,
    end_ratio: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """Polynomial decay ``end + (peak - end) * (1 - p)^power`` after the warmup (HF ``polynomial``)."""
    return _poly(peak_value, total_steps, end_value, end_ratio, power, warmup_steps, init_value,
                 warmup_convention, warmup_shape, clamp)
