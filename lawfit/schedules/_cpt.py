"""Continual pre-training schedules: re-warming and "infinite" schedules (SCHEDULES.md 12).

``rewarm`` (Gupta et al. 2023, arXiv 2308.04014): one stage per dataset; stage i lasts
``stage_steps[i]`` steps, warms up linearly over ``warmup_steps`` (from ``init_value`` in the first
stage, from the end value in later ones) to its peak (``peak_value``, a number or one per stage)
and decays with a cosine to the end value at the end of the stage.

``infinite`` (Ibrahim et al. 2024, arXiv 2403.08763), with phase lengths
``N_w = warmup_steps``, ``N_c - N_w = cooldown_steps``, ``N_d - N_c = constant_steps``,
``N_a = anneal_steps``::

    warmup:    init + (peak - init) * t / N_w                                   t < N_w
    cooldown:  const + 0.5 (peak - const) (1 + cos(pi (t - N_w) / (N_c - N_w)))  t < N_c
    constant:  const                                                          t < N_d
    anneal:    const * (end / const)^((t - N_d) / N_a)     ("geometric", default)
               end + (const - end) * exp(-(t - N_d) / anneal_tau)   ("relaxation")
    after:     the value at N_d + N_a

``anneal_steps=0`` keeps the constant phase forever (no anneal).

Example:
    >>> from lawfit.schedules import infinite, to_array
    >>> s = infinite(1.0, 0.5, 0.125, warmup_steps=0, cooldown_steps=2, constant_steps=1,
    ...              anneal_steps=2)
    >>> to_array(s, 7).round(12).tolist()
    [1.0, 0.75, 0.5, 0.5, 0.25, 0.125, 0.125]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["infinite", "rewarm"]


@family("rewarm", example={"peak_value": 3e-4, "stage_steps": [500, 500], "warmup_steps": 50,
                           "end_ratio": 0.1})
def rewarm(
    peak_value: float | list[float],
    stage_steps: list[int],
    *,
    warmup_steps: int | list[int] = 0,
    end_value: float | None = None,
    end_ratio: float | None = None,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
):
    """Re-warming for continual pre-training: per stage a warmup to the peak, then a cosine."""
    lengths = C.int_list("stage_steps", stage_steps, 1, increasing=False)
    n = len(lengths)
    if isinstance(peak_value, (list, tuple)):
        peaks = C.real_list("peak_value", peak_value, low=0.0)
        if len(peaks) != n:
            raise ValueError(f"peak_value={peak_value!r} needs one entry per stage ({n})")
    else:
        peaks = [C.peak(peak_value)] * n
    if isinstance(warmup_steps, (list, tuple)):
        ws = C.int_list("warmup_steps", warmup_steps, 0, increasing=False)
        if len(ws) != n:
            raise ValueError(f"warmup_steps={warmup_steps!r} needs one entry per stage ({n})")
    else:
        ws = [C.int_at_least("warmup_steps", warmup_steps, 0)] * n
    lowest = min(peaks)
    end = C.end(lowest, end_value, end_ratio)  # a ratio is of the lowest stage peak
    fns = []
    for i, (L, W, pk) in enumerate(zip(lengths, ws, peaks, strict=True)):
        if W >= L:
            raise ValueError(f"warmup_steps={W} is not shorter than stage_steps[{i}]={L}")
        start = init_value if i == 0 else end
        w = _warmup.check(W, start, pk, warmup_convention)

        def stage(t: Any, w=w, L=L, W=W, pk=pk) -> Any:
            tc = jnp.minimum(t, L)
            main = end + 0.5 * (pk - end) * (1.0 + jnp.cos(jnp.pi * (tc - W) / (L - W)))
            return _warmup.apply(w, t, main)

        fns.append(stage)
    bounds = [sum(lengths[: i + 1]) for i in range(n - 1)]

    def fn(t: Any) -> Any:
        out = fns[0](t)
        for b, f in zip(bounds, fns[1:], strict=True):
            out = jnp.where(t < b, out, f(t - b))
        return out

    return fn


@family("infinite", example={"peak_value": 3e-4, "const_value": 1.65e-4, "end_value": 3e-5,
                             "warmup_steps": 100, "cooldown_steps": 300, "constant_steps": 400,
                             "anneal_steps": 200})
def infinite(
    peak_value: float,
    const_value: float,
    end_value: float,
    *,
    warmup_steps: int,
    cooldown_steps: int,
    constant_steps: int,
    anneal_steps: int = 0,
    anneal: str = "geometric",
    anneal_tau: float | None = None,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
):
    """Infinite schedule: warmup, cosine cooldown to a constant, constant, optional anneal."""
    peak = C.peak(peak_value)
    const = C.real("const_value", const_value, low=0.0, high=peak)
    end = C.real("end_value", end_value, low=0.0, high=const)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention)
    Nc_len = C.int_at_least("cooldown_steps", cooldown_steps, 1)
    K = C.int_at_least("constant_steps", constant_steps, 0)
    A = C.int_at_least("anneal_steps", anneal_steps, 0)
    kind = C.choice("anneal", anneal, ("geometric", "relaxation"))
    if kind == "geometric" and A > 0 and not end > 0:
        raise ValueError("anneal='geometric' needs end_value > 0 (got 0); use anneal='relaxation'")
    if kind == "relaxation":
        tau = C.real("anneal_tau", anneal_tau, low=0.0, low_open=True) if anneal_tau is not None \
            else None
        if tau is None:
            raise ValueError("anneal='relaxation' needs anneal_tau > 0 (got None)")
    elif anneal_tau is not None:
        raise ValueError(f"anneal_tau={anneal_tau!r} is only used with anneal='relaxation'")
    Nw = w.steps
    Nc = Nw + Nc_len
    Nd = Nc + K
    stop = Nd + A

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, stop) if A > 0 else t
        cool = const + 0.5 * (peak - const) * (1.0 + jnp.cos(jnp.pi * (tc - Nw) / Nc_len))
        v = jnp.where(tc < Nc, cool, const)
        if A > 0:
            s = jnp.maximum(tc - Nd, 0.0)
            if kind == "geometric":
                ann = const * (end / const) ** (s / A)
            else:
                ann = end + (const - end) * jnp.exp(-s / tau)
            v = jnp.where(tc < Nd, v, ann)
        return _warmup.apply(w, t, v)

    return fn
