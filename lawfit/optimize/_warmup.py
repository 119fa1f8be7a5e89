"""The fixed warmup ``lr[0..W-1]`` that the schedule searches keep as given.

Example:
    >>> from lawfit.optimize import warmup_array
    >>> warmup_array("linear", 4, 1e-3).tolist()
    [0.0, 0.00025, 0.0005, 0.00075]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["warmup_array"]


def warmup_array(warmup: Any, warmup_steps: int, peak_lr: float) -> np.ndarray:
    """The fixed warmup ``lr[0..W-1]``: ``"linspace"`` (``linspace(0, peak, W)``, the MPL data),
    ``"linear"`` (``peak * t / W``), ``"constant"`` (``peak``) or an explicit array of length W."""
    w = int(warmup_steps)
    if isinstance(warmup, str):
        if warmup == "linspace":
            return np.linspace(0.0, peak_lr, w)
        if warmup == "linear":
            return peak_lr * np.arange(w, dtype=np.float64) / max(w, 1)
        if warmup == "constant":
            return np.full(w, float(peak_lr))
        raise ValueError(
            f"warmup must be 'linspace', 'linear', 'constant' or an array, got {warmup!r}"
        )
    arr = np.asarray(warmup, dtype=np.float64)
    if arr.shape != (w,):
        raise ValueError(f"warmup array must have shape ({w},) (warmup_steps), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > peak_lr * (1 + 1e-12):
        raise ValueError(f"warmup array values must lie in [0, peak_lr={peak_lr}]")
    return arr
