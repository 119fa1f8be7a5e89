"""REX (Chen, Wolfe & Kyrillidis, MLSys 2022, arXiv 2107.04197; SCHEDULES.md section 6).

With ``z = (min(t, T) - W) / (T - W)`` and the profile's ``b``::

    m(z)   = (1 - z) / (1 - z * (1 - b))
    eta(t) = end + (peak - end) * m(z)                         t >= W

``profile="paper"`` (b = 0.5, ``(1 - z) / (1 - z/2)``; kozistr ``REXScheduler``) or
``profile="code"`` (b = 0.1, ``(1 - z) / (1 - 0.9 z)``; IvanVassi/REX_LR). ``"rex_paper"`` and
``"rex_code"`` are accepted as spellings.

Example:
    >>> from lawfit.schedules import rex, to_array
    >>> to_array(rex(1.0, total_steps=4), 3).round(12).tolist()
    [1.0, 0.857142857143, 0.666666666667]
    >>> to_array(rex(1.0, total_steps=4, profile="code"), 3).round(12).tolist()
    [1.0, 0.967741935484, 0.909090909091]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family
from lawfit.schedules._linear import check_total

__all__ = ["REX_PROFILES", "rex"]

REX_PROFILES = {"paper": 0.5, "code": 0.1}


@family("rex", example={"peak_value": 3e-4, "total_steps": 1000, "warmup_steps": 100})
def rex(
    peak_value: float,
    total_steps: int,
    *,
    profile: str = "paper",
    end_value: float | None = None,
    end_ratio: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """REX decay ``(1 - z) / (1 - z (1 - b))`` with the paper (b = 0.5) or code (b = 0.1) profile."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = check_total(total_steps, w.steps)
    prof = C.choice("profile", profile, tuple(REX_PROFILES),
                    {"rex_paper": "paper", "rex_code": "code"})
    b = REX_PROFILES[prof]
    end = C.end(peak, end_value, end_ratio)
    if not isinstance(clamp, bool):
        raise ValueError(f"clamp must be True or False, got {clamp!r}")
    W = w.steps

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, T) if clamp else t
        z = (tc - W) / (T - W)
        q = (T - tc) / (T - W)  # 1 - z, exactly 0 at T
        if clamp:
            z, q = jnp.minimum(z, 1.0), jnp.maximum(q, 0.0)
        m = q / (1.0 - z * (1.0 - b))
        v = jnp.where(tc <= W, peak, end + (peak - end) * m)  # exactly the peak at W
        return _warmup.apply(w, t, v)

    return fn
