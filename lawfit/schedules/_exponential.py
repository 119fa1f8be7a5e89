"""Exponential (rate) decay after an optional warmup (SCHEDULES.md section 8).

With ``s = t - W - transition_begin`` the steps since the decay began::

    eta(t) = peak * decay_rate ** (s / transition_steps)     s > 0   (floor(...) if staircase)
    eta(t) = peak                                            otherwise
    eta(t) = max(eta(t), end_value)                          when end_value is given

This is optax's ``warmup_exponential_decay_schedule`` (and ``exponential_decay`` without warmup,
with ``peak_value`` as optax's ``init_value``) and PyTorch ``ExponentialLR`` (``transition_steps=1``).
lawfit only decays: ``0 < decay_rate <= 1``.

Example:
    >>> from lawfit.schedules import exponential, to_array
    >>> to_array(exponential(1.0, transition_steps=1, decay_rate=0.5), 4).tolist()
    [1.0, 0.5, 0.25, 0.125]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["exponential"]


@family("exponential",
        example={"peak_value": 3e-4, "transition_steps": 100, "decay_rate": 0.9,
                 "warmup_steps": 100})
def exponential(
    peak_value: float,
    transition_steps: float,
    decay_rate: float,
    *,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Exponential decay ``peak * decay_rate^((t - W - begin) / transition_steps)``, optional floor."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    tau = C.real("transition_steps", transition_steps, low=0.0, low_open=True)
    rate = C.real("decay_rate", decay_rate, low=0.0, high=1.0, low_open=True)
    begin = C.int_at_least("transition_begin", transition_begin, 0)
    if not isinstance(staircase, bool):
        raise ValueError(f"staircase must be True or False, got {staircase!r}")
    end = None if end_value is None else C.end(peak, end_value, None)
    start = w.steps + begin

    def fn(t: Any) -> Any:
        s = t - start
        e = C.floor_div(s, tau) if staircase else s / tau
        v = jnp.where(s <= 0, peak, peak * rate ** jnp.maximum(e, 0.0))
        if end is not None:
            v = jnp.maximum(v, end)
        return _warmup.apply(w, t, v)

    return fn
