"""UBA, the Unified Budget-Aware schedule (SCHEDULES.md section 13) -- **experimental**.

Tang, Dong, Zeng, Zhou, Lin, "Stepsize anything: A unified learning rate schedule for
budgeted-iteration training", NeurIPS 2025, arXiv 2505.24452. With ``p = (min(t, T) - W) / (T - W)``
and ``c = 1 + cos(pi * p)``::

    eta(t) = end + (peak - end) * 2 c / (2 phi + (2 - phi) c)          t >= W

**The formula is unverified**: the paper's text could not be checked; this is the form of a
third-party implementation (SCHEDULES.md 13). It is self-consistent: 1 at p = 0, 0 at p = 1,
non-increasing for every ``phi > 0``, ``phi = 2`` is plain cosine, small ``phi`` stays near the peak
and drops late (``phi -> 0``: constant then a cliff), large ``phi`` decays early.

Example:
    >>> from lawfit.schedules import uba, cosine, to_array
    >>> import numpy as np
    >>> bool(np.allclose(to_array(uba(1.0, 100, phi=2.0), 101), to_array(cosine(1.0, 100), 101)))
    True
    >>> round(float(uba(1.0, 100, phi=0.5)(50)), 12)  # mid-run: 2 / (1 + 1.5) = 0.8
    0.8
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family
from lawfit.schedules._linear import check_total

__all__ = ["uba"]


@family("uba", example={"peak_value": 3e-4, "total_steps": 1000, "phi": 0.5, "warmup_steps": 100})
def uba(
    peak_value: float,
    total_steps: int,
    *,
    phi: float,
    end_value: float | None = None,
    end_ratio: float | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
    clamp: bool = True,
):
    """UBA (experimental, formula unverified): ``2c / (2 phi + (2 - phi) c)``, ``c = 1 + cos(pi p)``."""
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    T = check_total(total_steps, w.steps)
    end = C.end(peak, end_value, end_ratio)
    f = C.real("phi", phi, low=0.0, low_open=True)
    if not isinstance(clamp, bool):
        raise ValueError(f"clamp must be True or False, got {clamp!r}")
    W = w.steps

    def fn(t: Any) -> Any:
        tc = jnp.minimum(t, T) if clamp else t
        c = jnp.maximum(1.0 + jnp.cos(jnp.pi * (tc - W) / (T - W)), 0.0)
        g = 2.0 * c / (2.0 * f + (2.0 - f) * c)
        v = jnp.where(tc <= W, peak, end + (peak - end) * g)  # exactly the peak at W
        return _warmup.apply(w, t, v)

    return fn
