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

from typing import Any

import numpy as np

__all__ = ["METRICS", "curve_metrics", "evaluate"]

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


def evaluate(result: Any, runs: Any, *, metric: str | None = None) -> dict[str, Any]:
    """Per-run and mean metrics of a fit on ``runs`` (LAWS.md section 10).

    Points are those ``law.prepare`` selects with the fit's ``metric`` and ``exclude_warmup``
    (points with zero weight are skipped). Returns ``{"runs": [{"run_id", "n", "r2", "mae",
    "rmse", "prede", "worste", "mse", "huber"}, ...], "mean": {...}}``; the mean is unweighted
    over runs.

    Example:
        >>> # lawfit.evaluate(result, mpl_runs("400M").select(MPL_TEST))["mean"]["r2"]
    """
    from lawfit.fitting._result import FitResult
    from lawfit.laws._base import LawInputs

    if not isinstance(result, FitResult):
        raise ValueError(f"result must be a lawfit FitResult (from lawfit.fit), got {type(result).__name__}")
    law = result.law
    if isinstance(runs, LawInputs):
        inputs = runs
    else:
        inputs = law.prepare(
            runs, metric=metric or result.metric, exclude_warmup=result.exclude_warmup
        )
    pred = np.asarray(result.predict_inputs(inputs))
    y = np.asarray(inputs.y)
    w = np.asarray(inputs.weight)
    ri = np.asarray(inputs.run_index)
    per_run = []
    for i, rid in enumerate(inputs.run_ids):
        sel = (ri == i) & (w > 0) & np.isfinite(y)
        if not sel.any():
            continue
        m = curve_metrics(y[sel], pred[sel], delta=result.delta)
        per_run.append({"run_id": rid, **m})
    if not per_run:
        raise ValueError("evaluate: no observed points to evaluate in the given runs")
    mean = {k: float(np.mean([r[k] for r in per_run])) for k in METRICS}
    mean["n_runs"] = len(per_run)
    return {"runs": per_run, "mean": mean}
