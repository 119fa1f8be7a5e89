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

from lawfit.schedules import _checks as C
from lawfit.schedules._core import family
from lawfit.schedules._cosine import cosine_fn

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
    f = C.real("phi", phi, low=0.0, low_open=True)
    # with the cosine g = c / 2: 2c / (2 phi + (2 - phi) c) = 2g / (phi + (2 - phi) g)
    return cosine_fn(peak_value, total_steps, end_value, end_ratio, warmup_steps, init_value,
                     warmup_convention, warmup_shape, clamp,
                     lambda g: 2.0 * g / (f + (2.0 - f) * g))
