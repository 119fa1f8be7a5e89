"""Evaluation metrics of LAWS.md section 10 (the MPL repository's ``src/evaluation.py``).

Per curve, on raw loss, over its points (y observed, ŷ predicted, n points)::

    R²     = 1 - Σ (y - ŷ)² / Σ (y - mean y)²      (sklearn r2_score(y_true=y, y_pred=ŷ))
    MAE    = mean |y - ŷ|
    RMSE   = sqrt(mean (y - ŷ)²)
    PredE  = mean |y - ŷ| / y
    WorstE = max  |y - ŷ| / y

Split-level numbers are the **unweighted mean over curves**. Also reported per curve: the summed
Huber(δ=1e-3) of log residuals and the MSE.

Example:
    >>> import numpy as np
    >>> from lawfit.fitting._metrics import curve_metrics
    >>> m = curve_metrics(np.array([3.0, 2.0, 1.0]), np.array([3.0, 2.0, 1.5]))
    >>> round(m["r2"], 6), round(m["worste"], 6)
    (0.875, 0.5)
"""

from __future__ import annotations

import numpy as np

__all__ = ["METRICS", "curve_metrics"]

METRICS = ("r2", "mae", "rmse", "prede", "worste", "mse", "huber")


def curve_metrics(y: np.ndarray, yhat: np.ndarray, delta: float = 1e-3) -> dict[str, float]:
    """The metrics of one curve (see module docstring)."""
    y, yhat = np.asarray(y, np.float64), np.asarray(yhat, np.float64)
    err = y - yhat
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:  # sklearn: 1.0 for a perfect fit of a constant curve, 0.0 otherwise
        r2 = 1.0 if ss_res == 0 else 0.0
    rel = np.abs(err) / y
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.log(yhat) - np.log(y)
    a = np.abs(r)
    hub = np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    return {
        "n": int(y.size),
        "r2": r2,
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "prede": float(np.mean(rel)),
        "worste": float(np.max(rel)),
        "mse": float(np.mean(err**2)),
        "huber": float(np.sum(hub)),
    }
