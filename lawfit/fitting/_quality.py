"""Fit quality: is a converged fit usable? (the rules of docs/fitting.md, "Fit quality").

After every fit the engine checks the result on the data it was fitted to and records named
issues. Each issue has a code, a severity and a message; the worst severity sets
``FitResult.status``:

=====================  ===========  =============================================================
code                   severity     rule
=====================  ===========  =============================================================
``not_converged``      not conv.    the best start did not converge (or every objective is NaN)
``nonfinite_params``   unusable     a fitted parameter is NaN/inf, or ``|value| >= 1e100``
``nonfinite_predict``  unusable     the fitted law predicts NaN/inf at a fitted point
``poor_fit``           unusable     R² on the fitted points < ``R2_UNUSABLE`` (0.5)
``not_identified``     unusable     a free parameter's stderr is infinite/NaN or >= ``|value|``
                                    (one pinned at a bound with a finite stderr: ``at_bound``)
``no_dof``             unusable     as many free parameters as fitted points (nothing left over)
``weak_fit``           doubtful     R² on the fitted points < ``R2_DOUBTFUL`` (0.9)
``at_bound``           doubtful     a free parameter sits at a finite bound
``starts_disagree``    doubtful     converged starts reach the best objective (rel. 1e-6) with
                                    parameters more than 5 % apart: the optimum is not unique
``few_points``         doubtful     fewer than ``MIN_POINTS_PER_PARAM`` (3) points per free
                                    parameter
``law_diagnostics``    doubtful     the law's own checks (e.g. the D-CPT trend requirements)
=====================  ===========  =============================================================

R² is ``1 - Σ(y - ŷ)² / Σ(y - ȳ)²`` over the fitted (positive-weight) points, on the metric's
own scale (sklearn ``r2_score``); for constant data (``Σ(y - ȳ)² = 0``) the relative RMSE
``sqrt(mean((y - ŷ)²)) / mean|y|`` stands in (``poor_fit`` above 10 %, ``weak_fit`` above 1 %).

Example:
    >>> from lawfit.fitting._quality import status_of
    >>> status_of(converged=True, issues=[("at_bound", "doubtful", "B at its bound")])
    'doubtful'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["STATUSES", "assess", "status_of", "R2_UNUSABLE", "R2_DOUBTFUL", "MIN_POINTS_PER_PARAM"]

STATUSES = ("ok", "doubtful", "unusable", "not_converged")
R2_UNUSABLE, R2_DOUBTFUL = 0.5, 0.9
REL_RMSE_UNUSABLE, REL_RMSE_DOUBTFUL = 0.1, 0.01  # constant data only
MIN_POINTS_PER_PARAM = 3
HUGE = 1e100
SAME_OBJECTIVE_RTOL, PARAM_SPREAD_RTOL = 1e-6, 0.05

Issue = tuple[str, str, str]  # (code, severity, message)


def status_of(*, converged: bool, issues: Sequence[Issue]) -> str:
    """The status from the optimizer outcome and the issues' severities."""
    if not converged:
        return "not_converged"
    severities = {sev for _, sev, _ in issues}
    if "unusable" in severities:
        return "unusable"
    return "doubtful" if severities else "ok"


def goodness(y: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
    """``{"r2", "rel_rmse", "max_rel_error"}`` of predictions ``yhat`` of observations ``y``."""
    y, yhat = np.asarray(y, np.float64), np.asarray(yhat, np.float64)
    if y.size == 0:
        return {"r2": math.nan, "rel_rmse": math.nan, "max_rel_error": math.nan}
    err = y - yhat
    ss_res, ss_tot = float(np.sum(err**2)), float(np.sum((y - y.mean()) ** 2))
    scale = float(np.mean(np.abs(y))) or 1.0
    with np.errstate(all="ignore"):
        r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
        rel = np.abs(err) / np.where(y != 0, np.abs(y), scale)
    return {
        "r2": float(r2),
        "rel_rmse": float(math.sqrt(ss_res / y.size) / scale),
        "max_rel_error": float(np.max(rel)),
    }


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def assess(
    *,
    converged: bool,
    params: Mapping[str, float],
    free: Sequence[str],
    bounds: Mapping[str, tuple[float, float]],
    at_bounds: Sequence[str],
    stderr: Mapping[str, float] | None,
    nonidentifiable: Sequence[str],
    y: np.ndarray,
    yhat: np.ndarray,
    starts: Any,
    diagnostics: Sequence[str],
) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """``(status, quality, warnings)`` of a fit (see the module docstring for the rules).

    ``y``/``yhat``: observed and predicted values at the fitted points; ``starts``: the
    :class:`~lawfit.fitting.StartOutcomes` (or None). ``quality`` is JSON-able:
    ``{"r2", "rel_rmse", "max_rel_error", "points_per_parameter", "issues": [{"code",
    "severity", "message"}, ...]}``; ``warnings`` are the messages, each prefixed with
    ``[code]``.
    """
    issues: list[Issue] = []
    n, F = int(np.size(y)), len(free)
    g = goodness(y, yhat) if n else goodness(np.zeros(0), np.zeros(0))
    bad_params = [k for k in free if not math.isfinite(params[k]) or abs(params[k]) >= HUGE]
    if converged and bad_params:
        shown = ", ".join(f"{k} = {params[k]!r}" for k in bad_params)
        issues.append(("nonfinite_params", "unusable",
                       f"fitted parameter(s) {shown} are not finite or absurdly large; bound them "
                       "(bounds=...) or fix them (fixed=...)"))
    if converged and n and not np.all(np.isfinite(yhat)):
        k = int(np.sum(~np.isfinite(yhat)))
        issues.append(("nonfinite_predict", "unusable",
                       f"the fitted law predicts NaN/inf at {k} of the {n} fitted points"))
    elif converged and n:
        r2 = g["r2"]
        if math.isfinite(r2):
            if r2 < R2_UNUSABLE:
                issues.append(("poor_fit", "unusable",
                               f"R² on the fitted data is {_fmt(r2)} (< {R2_UNUSABLE}): the law does "
                               "not describe these data; check the law, the metric and the runs"))
            elif r2 < R2_DOUBTFUL:
                issues.append(("weak_fit", "doubtful",
                               f"R² on the fitted data is {_fmt(r2)} (< {R2_DOUBTFUL})"))
        else:
            rr = g["rel_rmse"]
            if rr > REL_RMSE_UNUSABLE:
                issues.append(("poor_fit", "unusable",
                               f"relative RMSE on the (constant) fitted data is {_fmt(rr)}"))
            elif rr > REL_RMSE_DOUBTFUL:
                issues.append(("weak_fit", "doubtful",
                               f"relative RMSE on the (constant) fitted data is {_fmt(rr)}"))
    if converged and stderr is not None:
        weak = []
        for k in free:
            se, v = stderr.get(k, math.nan), params[k]
            if k in at_bounds and math.isfinite(se) and k not in nonidentifiable:
                continue  # pinned at a bound (e.g. L0 = 0): |value| means nothing; at_bound says it
            if k in nonidentifiable or not math.isfinite(se) or se >= abs(v):
                weak.append(f"{k} = {_fmt(v)} +/- {_fmt(se)}")
        if weak:
            issues.append(("not_identified", "unusable",
                           f"not identified by these data: {'; '.join(weak)} (stderr >= |value| or "
                           "infinite); add runs that separate them (e.g. other schedules) or fix "
                           "them with fixed={...}"))
    if converged and F and n <= F:
        issues.append(("no_dof", "unusable",
                       f"{n} fitted points for {F} free parameters: the fit interpolates, nothing "
                       "checks it; add points or fix parameters"))
    elif converged and F and n < MIN_POINTS_PER_PARAM * F:
        issues.append(("few_points", "doubtful",
                       f"only {n / F:.1f} fitted points per free parameter (< "
                       f"{MIN_POINTS_PER_PARAM}); add points or fix parameters"))
    if converged and at_bounds:
        shown = ", ".join(f"{k} = {_fmt(params[k])} in [{_fmt(bounds[k][0])}, {_fmt(bounds[k][1])}]"
                          for k in at_bounds)
        issues.append(("at_bound", "doubtful",
                       f"parameter(s) at a bound: {shown}; the optimum may lie outside, widen the "
                       "bounds or fix the parameter"))
    spread = _disagreeing(starts) if converged else ()
    if spread:
        issues.append(("starts_disagree", "doubtful",
                       "converged starts reach the same objective with different parameters ("
                       + ", ".join(spread) + "): the optimum is not unique"))
    issues.extend(("law_diagnostics", "doubtful", str(m)) for m in diagnostics)
    status = status_of(converged=converged, issues=issues)
    quality = {
        **g,
        "points_per_parameter": (n / F) if F else math.nan,
        "issues": [{"code": c, "severity": s, "message": m} for c, s, m in issues],
    }
    return status, quality, tuple(f"[{c}] {m}" for c, _, m in issues)


def _disagreeing(starts: Any) -> tuple[str, ...]:
    """Free parameters that differ by more than 5 % between converged starts at the best
    objective (relative tolerance 1e-6)."""
    if starts is None or len(starts.names) == 0:
        return ()
    f = np.asarray(starts.objective, np.float64)
    ok = (np.asarray(starts.status) == 0) & np.isfinite(f)
    if ok.sum() < 2:
        return ()
    best = float(np.min(f[ok]))
    same = ok & (f - best <= SAME_OBJECTIVE_RTOL * max(abs(best), 1e-300) + 1e-15)
    if same.sum() < 2:
        return ()
    vals = np.asarray(starts.final, np.float64)[same]
    ref = vals[np.argmin(f[same])]
    with np.errstate(all="ignore"):
        rel = np.max(np.abs(vals - ref), axis=0) / np.maximum(np.abs(ref), 1e-12)
    return tuple(n for n, r in zip(starts.names, rel, strict=True) if r > PARAM_SPREAD_RTOL)
