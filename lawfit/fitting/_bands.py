"""Widening a prediction band by a relative model error (used by :meth:`FitResult.predict` and
:mod:`lawfit.fitting._calibration`, whose module docstring has the formula).

Example:
    >>> import numpy as np
    >>> lo, hi = widen(np.array([3.0]), np.array([3.0]), np.array([3.0]), (0.05, 0.95), 0.01)
    >>> round(float(hi[0]) - 3.0, 4), round(3.0 - float(lo[0]), 4)
    (0.0498, 0.0489)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

__all__ = ["widen"]


def widen(center: Any, lo: Any, hi: Any, q: tuple[float, float], scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The band ``(lo, hi)`` around ``center`` widened by a relative model error ``scale`` at the
    quantiles ``q`` (module docstring)."""
    c = np.asarray(center, np.float64)
    z_lo, z_hi = norm.ppf(q[0]), norm.ppf(q[1])
    m_hi = c * (np.exp(z_hi * scale) - 1.0)
    m_lo = c * (1.0 - np.exp(z_lo * scale))
    up = np.maximum(np.asarray(hi, np.float64) - c, 0.0)
    down = np.maximum(c - np.asarray(lo, np.float64), 0.0)
    return c - np.sqrt(down**2 + m_lo**2), c + np.sqrt(up**2 + m_hi**2)
