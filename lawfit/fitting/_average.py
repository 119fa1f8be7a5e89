"""Law averaging: the equal-weight mean of several fits' predictions.

Misspecified laws err in different directions (on the real-run suite, ``docs/accuracy.md``, the
momentum law with λ chosen by training objective predicts cooldowns 0.12 % too low on average,
the MPL 0.20 % too high); their mean cancels much of both biases::

    L̂_avg(s) = (1 / K) Σ_k L̂_k(s)

Example:
    >>> import numpy as np, lawfit
    >>> from lawfit.laws import MomentumLaw
    >>> from lawfit.runs import Run
    >>> lr = np.full(3000, 1e-3); lr[2000:] = np.linspace(1e-3, 0, 1000)
    >>> steps = np.arange(100, 3000, 100)
    >>> run = Run("wsd", lr=lr, metrics={"loss": (steps, 3.0 + 0.5 * (steps / 3000.0) ** -0.3)})
    >>> fits = [lawfit.fit(MomentumLaw(lam=v, warmup="mpl"), run, stderr=False) for v in (0.99, 0.995)]
    >>> avg = predict_average(fits, run, steps=[2900])
    >>> bool(abs(avg[0] - 0.5 * (fits[0].predict(run, [2900])[0] + fits[1].predict(run, [2900])[0])) < 1e-12)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["predict_average"]


def predict_average(results: Sequence[Any], target: Any, steps: Any = None, *, metric: str | None = None) -> Any:
    """The mean of ``result.predict(target, steps, metric=metric)`` over ``results`` (an array,
    or ``{run_id: array}`` for a RunSet; extrapolation warnings are those of each fit)."""
    if not results:
        raise ValueError("predict_average: pass at least one FitResult")
    preds = [r.predict(target, steps, metric=metric) for r in results]
    if isinstance(preds[0], dict):
        return {k: np.mean([np.asarray(p[k]) for p in preds], axis=0) for k in preds[0]}
    return np.mean([np.asarray(p) for p in preds], axis=0)
