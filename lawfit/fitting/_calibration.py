"""Calibrated prediction bands: a model-error term learned from held-out predictions.

A bootstrap band reflects only the noise of the fitted points. On real runs the law's own
misspecification dominates: on the real-run suite (``docs/accuracy.md``) 90 % bootstrap bands
cover about 10 % of held-out final losses. :func:`calibrate` attaches a relative model error
``σ`` (log scale), estimated from held-out errors ``e_i = log(L̂_i / L_i)``::

    σ = sqrt( mean_i e_i² )                                   (model_error_scale)

and :meth:`FitResult.predict` (``band=``) then widens each side of the band (the bootstrap
quantiles ``lo, hi`` around the prediction ``L̂``, or ``L̂`` itself without draws)::

    hi' = L̂ + sqrt( (hi - L̂)² + (L̂ (exp(z_q σ) - 1))² )     z_q the normal quantile
    lo' = L̂ - sqrt( (L̂ - lo)² + (L̂ (1 - exp(-z_q σ)))² )

Where do held-out errors come from? From predictions the fit did not see, made the way the
user's prediction will be: :func:`leave_one_run_out_errors` (refit without each run, predict its
last point; needs >= 3 runs), or, as in the suite, errors of the same law on other groups of
runs (leave one group out: ``calibrate(result, errors=...)``).

Example:
    >>> import numpy as np
    >>> model_error_scale(np.array([3.0, 2.0]), np.array([3.03, 1.98]))  # doctest: +ELLIPSIS
    0.0100...
    >>> lo, hi = widen(np.array([3.0]), np.array([3.0]), np.array([3.0]), (0.05, 0.95), 0.01)
    >>> round(float(hi[0]) - 3.0, 4), round(3.0 - float(lo[0]), 4)
    (0.0498, 0.0489)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lawfit.fitting._bands import widen

__all__ = ["calibrate", "leave_one_run_out_errors", "model_error_scale", "widen"]


def model_error_scale(predicted: Any, observed: Any) -> float:
    """Root mean square of the log errors ``log(predicted / observed)``."""
    p, y = np.asarray(predicted, np.float64), np.asarray(observed, np.float64)
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f"model_error_scale: need equal, non-empty shapes, got {p.shape} and {y.shape}")
    if np.any(p <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(p)) and np.all(np.isfinite(y))):
        raise ValueError("model_error_scale: predicted and observed values must be finite and > 0")
    return float(np.sqrt(np.mean(np.log(p / y) ** 2)))



def calibrate(result: Any, *, errors: Any = None, scale: float | None = None, source: str = "") -> Any:
    """``result`` with a model-error term for its prediction bands.

    Give either ``errors`` (held-out log errors ``log(L̂/L)``, e.g. from
    :func:`leave_one_run_out_errors` or from other groups of runs) or ``scale`` directly.
    ``source`` says where they came from (stored with the fit)."""
    if (errors is None) == (scale is None):
        raise ValueError("calibrate: pass exactly one of errors=... or scale=...")
    n = None
    if errors is not None:
        e = np.asarray(errors, np.float64).ravel()
        e = e[np.isfinite(e)]
        if e.size == 0:
            raise ValueError("calibrate: no finite held-out errors given")
        scale, n = float(np.sqrt(np.mean(e**2))), int(e.size)
    if not (math.isfinite(scale) and scale >= 0):
        raise ValueError(f"calibrate: the model-error scale must be a finite number >= 0, got {scale!r}")
    return result.replace(model_error={"scale": float(scale), "n_errors": n, "source": source})


def leave_one_run_out_errors(result: Any, runs: Any, **fit_options: Any) -> np.ndarray:
    """Held-out log errors at each run's last observed point: refit ``result.law`` (same metric,
    bounds and fixed parameters, plus ``fit_options``) without the run, predict its last point.
    Needs at least 3 runs (with 2, one run alone rarely identifies the law)."""
    import warnings

    from lawfit.fitting._fit import fit

    ids = tuple(runs.ids)
    if len(ids) < 3:
        raise ValueError(
            f"leave_one_run_out_errors needs at least 3 runs, got {len(ids)}; pass held-out errors "
            "from other runs (calibrate(result, errors=...)) instead"
        )
    opts = {"metric": result.metric, "bounds": result.bounds, "fixed": result.fixed or None,
            "stderr": False, **fit_options}
    out = []
    for rid in ids:
        sub = fit(result.law, runs.drop([rid]), **opts)
        obs = runs[rid].observed(result.metric)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(np.asarray(sub.predict(runs[rid], steps=obs.steps[-1:]))[0])
        out.append(math.log(p / float(obs.values[-1])))
    return np.asarray(out)
