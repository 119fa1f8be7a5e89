"""WSD-S: repeated stable -> decay periods on one trajectory (Wen et al., arXiv 2410.05192;
SCHEDULES.md section 5).

Periods of ``period_steps`` = ``[L_1, ..., L_n]`` steps follow each other (boundaries
``b_i = L_1 + ... + L_i``). Period i is a :func:`wsd` of length ``L_i`` on its own step count:
the first period warms up (``warmup_steps`` from ``init_value``), later ones jump back to the
peak, or re-warm linearly from the end value over ``rewarm_steps`` (levanter's ``rewarmup``).
Each period decays over its last ``decay_steps`` (or ``floor(decay_fraction * L_i)``) steps with
``decay_type`` (default ``"linear"``, as OLMo-core ``WSDS``; the paper's implementations use
``"inverse_proportional"``). After the last period the value holds the end value.

Example:
    >>> from lawfit.schedules import wsd_s, to_array
    >>> to_array(wsd_s(1.0, [4, 4], decay_steps=2, end_value=0.0), 9).tolist()
    [1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _shapes, _warmup
from lawfit.schedules._core import family
from lawfit.schedules._wsd import decay_length, wsd_fn

__all__ = ["wsd_s"]


@family("wsd_s", example={"peak_value": 3e-4, "period_steps": [400, 300, 300],
                          "warmup_steps": 50, "decay_fraction": 0.2, "end_ratio": 0.1})
def wsd_s(
    peak_value: float,
    period_steps: list[int],
    *,
    decay_steps: int | list[int] | None = None,
    decay_fraction: float | None = None,
    decay_type: str = "linear",
    end_value: float | None = None,
    end_ratio: float | None = None,
    power: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    rewarm_steps: int = 0,
):
    """WSD-S: several stable->decay periods on one trajectory, jumping back to the peak."""
    peak = C.peak(peak_value)
    w0 = _warmup.check(warmup_steps, init_value, peak, warmup_convention)
    lengths = C.int_list("period_steps", period_steps, 1, increasing=False)
    kind = _shapes.check_decay_type(decay_type)
    end = C.end(peak, end_value, end_ratio)
    params = _shapes.check_params(kind, peak, end, power, None, None, None)
    R = C.int_at_least("rewarm_steps", rewarm_steps, 0)
    if isinstance(decay_steps, (list, tuple)):
        ds = C.int_list("decay_steps", decay_steps, 1, increasing=False)
        if len(ds) != len(lengths):
            raise ValueError(f"decay_steps={decay_steps!r} needs one entry per period "
                             f"({len(lengths)})")
    else:
        ds = [decay_steps] * len(lengths)
    fns = []
    for i, (L, d) in enumerate(zip(lengths, ds, strict=True)):
        w = w0 if i == 0 else _warmup.Warmup(R, end, peak, "t/W", "linear")
        D = decay_length(L, w.steps, d, decay_fraction, total_name=f"period_steps[{i}]")
        fns.append(wsd_fn(w, L, D, end, kind, params, True))
    bounds = [sum(lengths[: i + 1]) for i in range(len(lengths) - 1)]

    def fn(t: Any) -> Any:
        out = fns[0](t)
        for b, f in zip(bounds, fns[1:], strict=True):
            out = jnp.where(t < b, out, f(t - b))
        return out

    return fn
