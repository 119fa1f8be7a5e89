"""Extrapolation guard: is a prediction target outside what the fit saw?

Two checks, each a message (``FitResult.extrapolation``) and an :class:`ExtrapolationWarning`
(``FitResult.predict``):

* **horizon** -- a predicted step beyond the largest fitted step;
* **peak LR** -- a target whose peak LR lies outside ``[lo / tol, hi * tol]`` of the fitted runs'
  peak LRs (``tol = LR_TOLERANCE = 1.1``). On real runs a law fitted at one peak LR misses runs
  at 2x that LR by 5-10 % (``docs/accuracy.md``, task b), 50x its in-range error.

The peak LR of a run is ``meta["peak_lr"]`` when given, else ``max(lr)``.

Example:
    >>> import numpy as np
    >>> from lawfit.runs import Run
    >>> fitted = fitted_lr_range([Run("a", lr=np.full(10, 1e-3))])
    >>> fitted
    (0.001, 0.001)
    >>> lr_messages(fitted, [("b", np.full(10, 2e-3))])
    ['run b: peak LR 0.002 is outside the fitted peak-LR range 0.001..0.001 (extrapolation in LR; errors of 5-10 % are typical on real runs)']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["LR_TOLERANCE", "fitted_lr_range", "peak_lr", "lr_messages", "target_lrs"]

LR_TOLERANCE = 1.1


def peak_lr(run: Any) -> float | None:
    """``meta["peak_lr"]`` or the maximum of the run's LR array (None without an LR)."""
    meta = getattr(run, "meta", {}) or {}
    if meta.get("peak_lr"):
        return float(meta["peak_lr"])
    lr = getattr(run, "lr", None)
    return None if lr is None or np.size(lr) == 0 else float(np.max(lr))


def fitted_lr_range(runs: Iterable[Any]) -> tuple[float, float] | None:
    """``(min, max)`` peak LR over the fitted runs (None if no run has an LR)."""
    peaks = [p for p in (peak_lr(r) for r in runs) if p is not None and p > 0]
    return (min(peaks), max(peaks)) if peaks else None


def target_lrs(target: Any) -> list[tuple[str, np.ndarray | float]]:
    """``(name, lr array or peak)`` for a prediction target (Run, RunSet, LR array); empty for
    targets without an LR (tables)."""
    from lawfit.runs import Run, RunSet

    if isinstance(target, Run):
        target = [target]
    if isinstance(target, (RunSet, list, tuple)) and all(isinstance(r, Run) for r in target):
        return [(r.run_id, p) for r in target if (p := peak_lr(r)) is not None]
    if isinstance(target, np.ndarray) and target.ndim == 1 and target.size:
        return [("prediction", target)]
    return []


def lr_messages(fitted: tuple[float, float] | None, targets: list[tuple[str, Any]],
                tol: float = LR_TOLERANCE) -> list[str]:
    """A message per target whose peak LR lies outside the fitted range (times ``tol``)."""
    if not fitted:
        return []
    lo, hi = fitted
    out = []
    for name, lr in targets:
        p = float(np.max(lr))
        if p > hi * tol or p < lo / tol:
            out.append(
                f"run {name}: peak LR {p:.3g} is outside the fitted peak-LR range {lo:.3g}..{hi:.3g} "
                "(extrapolation in LR; errors of 5-10 % are typical on real runs)"
            )
    return out
