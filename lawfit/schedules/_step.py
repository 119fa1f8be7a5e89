"""Step, multi-step and DeepSeek 8-1-1 schedules (SCHEDULES.md section 7).

* ``step``: ``eta(t) = peak * gamma ** floor((t - W) / step_size)`` for ``t >= W`` (PyTorch
  ``StepLR`` when W = 0).
* ``multistep``: ``peak`` until the first milestone, then a new level **from** each milestone
  (inclusive, global steps, as PyTorch ``MultiStepLR`` and optax ``piecewise_constant_schedule``).
  The levels are ``peak * gamma^i`` (``gamma``), ``peak * factors[i]`` (``factors``) or
  ``values[i]`` (absolute ``values``); give exactly one. Levels never rise.
* ``deepseek_811``: warmup, ``peak`` until ``0.8 T``, ``peak * 10^-0.5`` until ``0.9 T``, then
  ``peak * 0.1`` (DeepSeek LLM, arXiv 2401.02954). The milestones are ``ceil(fraction * T)``.

Example:
    >>> from lawfit.schedules import multistep, to_array
    >>> to_array(multistep(1.0, milestones=[2, 3], gamma=0.5), 4).tolist()
    [1.0, 1.0, 0.5, 0.25]
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["deepseek_811", "multistep", "step"]


@family("step", example={"peak_value": 3e-4, "step_size": 300, "gamma": 0.5, "warmup_steps": 100})
def step(
    peak_value: float,
    step_size: int,
    *,
    gamma: float = 0.1,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Step decay ``peak * gamma^floor((t - W) / step_size)`` after the warmup."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    size = C.int_at_least("step_size", step_size, 1)
    g = C.real("gamma", gamma, low=0.0, high=1.0)
    W = w.steps

    def fn(t: Any) -> Any:
        n = C.floor_div(jnp.maximum(t - W, 0.0), float(size))
        return _warmup.apply(w, t, peak * g**n)

    return fn


def _levels(peak: float, n: int, gamma: Any, factors: Any, values: Any) -> list[float]:
    given = [k for k, v in (("gamma", gamma), ("factors", factors), ("values", values))
             if v is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of gamma, factors or values (got {given or 'none'})"
        )
    if gamma is not None:
        g = C.real("gamma", gamma, low=0.0, high=1.0)
        levels = [peak * g ** (i + 1) for i in range(n)]
    elif factors is not None:
        f = C.real_list("factors", factors, low=0.0, high=1.0)
        if len(f) != n:
            raise ValueError(f"factors={factors!r} needs one entry per milestone ({n})")
        levels = [peak * x for x in f]
    else:
        levels = C.real_list("values", values, low=0.0, high=peak)
        if len(levels) != n:
            raise ValueError(f"values={values!r} needs one entry per milestone ({n})")
    name = given[0]
    if any(b > a for a, b in zip([peak, *levels], levels, strict=False)):
        raise ValueError(f"{name}={locals()[name]!r} must give non-increasing levels")
    return levels


def _piecewise(w, peak: float, milestones: list[int], levels: list[float]):
    def fn(t: Any) -> Any:
        ms = jnp.asarray(milestones, dtype=t.dtype)
        lv = jnp.asarray([peak, *levels], dtype=t.dtype)
        i = jnp.searchsorted(ms, t, side="right")
        return _warmup.apply(w, t, lv[i])

    return fn


@family("multistep",
        example={"peak_value": 3e-4, "milestones": [600, 800], "gamma": 0.1, "warmup_steps": 100},
        aliases=("multi_step", "piecewise_constant"))
def multistep(
    peak_value: float,
    milestones: list[int],
    *,
    gamma: float | None = None,
    factors: list[float] | None = None,
    values: list[float] | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Piecewise-constant drops at global-step ``milestones`` after the warmup (MultiStepLR)."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    ms = C.int_list("milestones", milestones, 0)
    if ms[0] < w.steps:
        raise ValueError(
            f"milestones={milestones!r} starts inside the warmup (warmup_steps={w.steps}); "
            "milestones must be >= warmup_steps"
        )
    return _piecewise(w, peak, ms, _levels(peak, len(ms), gamma, factors, values))


@family("deepseek_811", example={"peak_value": 3e-4, "total_steps": 10000, "warmup_steps": 200})
def deepseek_811(
    peak_value: float,
    total_steps: int,
    *,
    warmup_steps: int = 2000,
    fractions: list[float] = (0.8, 0.9),
    factors: list[float] = (10**-0.5, 0.1),
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """DeepSeek LLM multi-step: peak until 0.8 T, then 10^-0.5 of it, then 0.1 of it from 0.9 T."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = C.int_at_least("total_steps", total_steps, 1)
    fr = C.real_list("fractions", fractions, low=0.0, high=1.0)
    ms = [math.ceil(round(f * T, 9)) for f in fr]
    if any(b <= a for a, b in zip(ms, ms[1:], strict=False)):
        raise ValueError(f"fractions={fractions!r} must give strictly increasing milestones, "
                         f"got {ms} for total_steps={T}")
    if ms and ms[0] < w.steps:
        raise ValueError(
            f"warmup_steps={w.steps} is longer than the first stage (ends at step {ms[0]} of "
            f"total_steps={T}); shorten the warmup"
        )
    return _piecewise(w, peak, ms, _levels(peak, len(ms), None, factors, None))
