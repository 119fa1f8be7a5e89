"""Cyclic (CLR) and one-cycle schedules (SCHEDULES.md section 10).

``cyclic`` is PyTorch ``CyclicLR`` (``init_value`` = ``base_lr``, ``peak_value`` = ``max_lr``)::

    L = up + down;  cycle = floor(1 + t / L);  x = 1 + t / L - cycle
    ramp = x / (up / L)  if x <= up / L  else  (x - 1) / (up / L - 1)
    eta  = base + (max - base) * ramp * scale

with ``scale`` 1 (``triangular``), ``1 / 2^(cycle - 1)`` (``triangular2``) or ``gamma^t``
(``exp_range``).

``one_cycle`` starts at ``peak / div_factor``, rises to ``peak`` and anneals (``anneal="cos"``
or ``"linear"``) to ``peak / (div_factor * final_div_factor)``. Phase ends follow
``convention``: ``"pytorch"`` (``OneCycleLR``: ``pct_start * T - 1`` and ``T - 1``; three-phase
adds the symmetric ``2 * pct_start * T - 2``) or ``"optax"`` (``cosine_onecycle_schedule`` /
``linear_onecycle_schedule``: ``int(pct_start * T)``, ``int(pct_final * T)`` and ``T``).
Between phase ends the value interpolates; after the last it holds the final value.

Example:
    >>> from lawfit.schedules import cyclic, to_array
    >>> to_array(cyclic(0.0, 1.0, step_size_up=2), 5).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules._core import family

__all__ = ["cyclic", "one_cycle"]


@family("cyclic", example={"init_value": 3e-5, "peak_value": 3e-4, "step_size_up": 200})
def cyclic(
    init_value: float,
    peak_value: float,
    step_size_up: int = 2000,
    *,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
):
    """Triangular cyclic LR between ``init_value`` (base) and ``peak_value`` (max), as CyclicLR."""
    peak = C.peak(peak_value)
    base = C.init(init_value, peak)
    up = C.int_at_least("step_size_up", step_size_up, 1)
    down = up if step_size_down is None else C.int_at_least("step_size_down", step_size_down, 1)
    mode = C.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    g = C.real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    L = float(up + down)

    def fn(t: Any) -> Any:
        k = C.floor_div(t, L)  # completed cycles; PyTorch's cycle = k + 1
        r = t - k * L  # position in the cycle, exact: x = r / L
        cycle = k + 1.0
        ramp = jnp.where(r <= up, r / up, (L - r) / down)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1.0 / 2.0 ** (cycle - 1.0)
        else:
            scale = g**t
        return base + (peak - base) * ramp * scale

    return fn


@family("one_cycle", example={"peak_value": 3e-4, "total_steps": 1000})
def one_cycle(
    peak_value: float,
    total_steps: int,
    *,
    pct_start: float = 0.3,
    anneal: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    pct_final: float | None = None,
    convention: str = "pytorch",
):
    """One-cycle: rise from ``peak / div_factor`` to ``peak``, anneal to ``init / final_div_factor``."""
    peak = C.peak(peak_value)
    T = C.int_at_least("total_steps", total_steps, 2)
    pct = C.real("pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
    anneal = C.choice("anneal", anneal, ("cos", "linear"), {"cosine": "cos"})
    div = C.real("div_factor", div_factor, low=1.0)
    final_div = C.real("final_div_factor", final_div_factor, low=1.0)
    convention = C.choice("convention", convention, ("pytorch", "optax"))
    if not isinstance(three_phase, bool):
        raise ValueError(f"three_phase must be True or False, got {three_phase!r}")
    init = peak / div
    low = init / final_div
    if convention == "pytorch":
        if pct_final is not None:
            raise ValueError(
                f"pct_final={pct_final!r} is only used with convention='optax'; PyTorch's three "
                "phases are symmetric"
            )
        if three_phase:
            points = [0.0, pct * T - 1, 2 * pct * T - 2, T - 1.0]
            vals = [init, peak, init, low]
        else:
            points, vals = [0.0, pct * T - 1, T - 1.0], [init, peak, low]
    else:
        if three_phase:
            pf = 0.85 if pct_final is None else C.real("pct_final", pct_final, low=0.0, high=1.0)
            points = [0.0, float(int(pct * T)), float(int(pf * T)), float(T)]
            vals = [init, peak, init, low]
        else:
            if pct_final is not None:
                raise ValueError(f"pct_final={pct_final!r} is only used with three_phase=True")
            points, vals = [0.0, float(int(pct * T)), float(T)], [init, peak, low]
    if any(b <= a for a, b in zip(points, points[1:], strict=False)):
        raise ValueError(
            f"pct_start={pct_start!r} (and pct_final={pct_final!r}) give empty phases for "
            f"total_steps={T}: phase ends {points}"
        )

    def interp(a: float, b: float, q: Any) -> Any:
        if anneal == "cos":
            return b + (a - b) / 2.0 * (jnp.cos(jnp.pi * q) + 1.0)
        return (b - a) * q + a

    def fn(t: Any) -> Any:
        out = jnp.full_like(t, vals[-1])
        for i in reversed(range(len(points) - 1)):
            q = jnp.clip((t - points[i]) / (points[i + 1] - points[i]), 0.0, 1.0)
            out = jnp.where(t <= points[i + 1], interp(vals[i], vals[i + 1], q), out)
        return out

    return fn
