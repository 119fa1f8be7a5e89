"""WSD (warmup-stable-decay) and WSDSC (SCHEDULES.md sections 4 and 15).

With T = ``total_steps``, D = ``decay_steps`` (or ``floor(decay_fraction * T)``, as Hägele et
al.'s code) and ``p = (min(t, T) - (T - D)) / D``::

    warmup:  see lawfit.schedules._warmup                          0 <= t < W
    stable:  eta(t) = peak                                         W <= t < T - D
    decay:   eta(t) = shape(p)   (end + (peak - end) * g(p))       T - D <= t <= T
    after T: eta(T)  (clamp=True, default; clamp=False keeps following the formula)

``decay_type`` is one of :data:`DECAY_TYPES` (see :mod:`lawfit.schedules._shapes`); a bare
"exponential" is refused in favour of ``half_life``, ``geometric``, ``megatron_exponential`` or
``exponential_rate``. With init 0 and the default ``t/W`` warmup this matches Hugging Face,
OLMo-core and Megatron exactly (the boundary table of section 4.4).

``wsdsc`` is the Multi-Power-Law paper's closed form: ``g(p) = (1 - p)^1.5`` with end 0.

Example:
    >>> from lawfit.schedules import wsd, to_array
    >>> s = wsd(1.0, total_steps=100, warmup_steps=10, decay_steps=20)
    >>> lr = to_array(s, 101)
    >>> [round(float(lr[t]), 12) for t in (0, 9, 10, 80, 81, 99, 100)]
    [0.0, 0.9, 1.0, 1.0, 0.95, 0.05, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _shapes, _warmup
from lawfit.schedules._core import family

__all__ = ["wsd", "wsdsc"]


def decay_length(total: int, warmup: int, decay_steps: Any, decay_fraction: Any,
                 total_name: str = "total_steps") -> int:
    """D from ``decay_steps`` or ``decay_fraction`` (exactly one), with ``W + D <= T``."""
    if (decay_steps is None) == (decay_fraction is None):
        raise ValueError(
            f"give exactly one of decay_steps or decay_fraction (got decay_steps={decay_steps!r}, "
            f"decay_fraction={decay_fraction!r})"
        )
    if decay_steps is not None:
        D = C.int_at_least("decay_steps", decay_steps, 1)
        name, given = "decay_steps", decay_steps
    else:
        f = C.real("decay_fraction", decay_fraction, low=0.0, high=1.0, low_open=True)
        D = math.floor(f * total)
        name, given = "decay_fraction", decay_fraction
        if D < 1:
            raise ValueError(f"decay_fraction={decay_fraction!r} gives 0 decay steps of "
                             f"{total_name}={total}; increase it")
    if warmup + D > total:
        raise ValueError(
            f"{name}={given!r} ({D} decay steps) plus warmup_steps={warmup} is longer than the run "
            f"({total_name}={total}); shorten the decay or the warmup"
        )
    return D


def wsd_fn(w: _warmup.Warmup, T: int, D: int, end: float, kind: str, params: dict, clamp: bool):
    """The pure WSD function of float steps (shared by wsd, wsdsc and wsd_s)."""
    peak = w.peak
    start = T - D

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, T) if clamp else t
        p, q = (tc - start) / D, (T - tc) / D
        if clamp:
            p, q = jnp.minimum(p, 1.0), jnp.maximum(q, 0.0)
        dec = _shapes.value(kind, p, q, tc - start, peak, end, params)
        main = jnp.where(tc <= start, peak, dec)  # exactly the peak where the decay starts
        return _warmup.apply(w, t, main)

    return fn


@family(
    "wsd",
    example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100, "decay_fraction": 0.2,
             "decay_type": "1-sqrt"},
    aliases=("warmup_stable_decay", "trapezoid"),
)
def wsd(
    peak_value: float,
    total_steps: int,
    *,
    decay_steps: int | None = None,
    decay_fraction: float | None = None,
    decay_type: str = "linear",
    end_value: float | None = None,
    end_ratio: float | None = None,
    power: float | None = None,
    half_life: float | None = None,
    decay_rate: float | None = None,
    transition_steps: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """Warmup-stable-decay: peak until T - D, then a decay of ``decay_type`` to the end value."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = C.int_at_least("total_steps", total_steps, 1)
    D = decay_length(T, w.steps, decay_steps, decay_fraction)
    kind = _shapes.check_decay_type(decay_type)
    end = C.end(peak, end_value, end_ratio)
    params = _shapes.check_params(kind, peak, end, power, half_life, decay_rate, transition_steps)
    if not isinstance(clamp, bool):
        raise ValueError(f"clamp must be True or False, got {clamp!r}")
    return wsd_fn(w, T, D, end, kind, params, clamp)


@family("wsdsc", example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100,
                          "decay_fraction": 0.12})
def wsdsc(
    peak_value: float,
    total_steps: int,
    *,
    decay_steps: int | None = None,
    decay_fraction: float | None = None,
    power: float = 1.5,
    end_value: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """WSDSC (Multi-Power Law): peak until T - D, then ``peak * ((T - t) / D)^1.5`` to 0."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = C.int_at_least("total_steps", total_steps, 1)
    D = decay_length(T, w.steps, decay_steps, decay_fraction)
    end = C.end(peak, end_value, None)
    k = C.real("power", power, low=0.0, low_open=True)
    return wsd_fn(w, T, D, end, "power", {"power": k}, True)
