"""How a fit is computed, chosen from the data: fitting points and the law's fitting layout.

* **Points.** A run logged at every step (50k-200k points) costs as much as its points, but says
  little more than ~1k well-placed ones: :func:`point_plan` keeps at most
  :data:`lawfit.runs.FIT_POINTS` points per run (:func:`lawfit.runs.fitting_points`: denser where
  the LR changes, weighted so each run counts as much as with all its points). ``steps=`` given
  by the user overrides it.
* **Layout.** A law may offer cheaper approximate layouts for fitting (``law.fitting_layouts()``,
  cheapest first, e.g. :class:`~lawfit.laws.MultiPowerLaw` in ``mode="auto"``) with a rigorous
  per-point error bound (``law.error_bound``). The fit uses the cheapest; at the fitted
  parameters its bound (relative, i.e. in log units like the residuals) must be at most
  ``NOISE_FRACTION`` x the noise of the data (:func:`log_noise_scale`), otherwise the fit is
  warm-restarted on the next layout. The choice is recorded in ``FitResult.layout``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

__all__ = ["NOISE_FRACTION", "MIN_TOLERANCE", "FitPlan", "fit_plan", "log_noise_scale", "point_plan",
           "point_weights", "refit_inputs"]

NOISE_FRACTION = 0.1  # a layout's error bound must stay below this fraction of the data's noise
MIN_TOLERANCE = 1e-6  # (log units) the tolerance for noise-free data


def log_noise_scale(runs: Any, metric: str) -> float:
    """Robust observation noise of ``metric`` in log units (the scale of the log residuals).

    Per run, ``1.4826 * MAD(Δ² log y) / √6`` over consecutive observed points (second differences
    cancel a smooth trend; each carries ``√6 σ`` of independent noise); the median over runs.
    0.0 when no run has 4 points.

    Example:
        >>> import numpy as np
        >>> from lawfit.runs import Run
        >>> rng = np.random.default_rng(0)
        >>> y = np.exp(0.01 * rng.standard_normal(20_000)) * np.linspace(4, 3, 20_000)
        >>> run = Run("r", metrics={"loss": (np.arange(20_000), y)})
        >>> round(log_noise_scale([run], "loss"), 3)
        0.01
    """
    scales = []
    for run in runs:
        obs = run.metrics.get(metric)
        if obs is None or obs.values.size < 4 or np.any(obs.values <= 0):
            continue
        d2 = np.diff(np.log(obs.values), 2)
        scales.append(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))
    return float(np.median(scales)) if scales else 0.0


def point_plan(runs: Any, metric: str, max_points: int) -> tuple[dict | None, dict, dict]:
    """``(steps, weights, record)`` for fitting ``runs``: ``steps`` a ``{run_id: steps}`` selection
    for ``law.prepare`` (None when every point is kept), ``weights`` ``{run_id: (steps, w)}`` and
    the ``record`` stored in ``FitResult.layout["points"]``."""
    from lawfit.runs import fitting_points

    steps, weights, counts = {}, {}, {}
    for run in runs:
        obs = run.metrics.get(metric)
        if obs is None:
            continue  # prepare names the run and its metrics
        start = int(run.warmup_steps or 0) if run.lr is not None else 0
        idx, w = fitting_points(obs.steps, run.lr, max_points=max_points, start=start)
        steps[run.run_id] = obs.steps[idx]
        weights[run.run_id] = (obs.steps[idx], w)
        counts[run.run_id] = [int(obs.steps.size), int(idx.size)]
    record: dict[str, Any] = {"max_per_run": int(max_points), "runs": counts}
    thinned = [r for r, (n, m) in counts.items() if m < n]
    if not thinned:
        return None, {}, record
    record["steps"] = {r: steps[r].tolist() for r in thinned}
    return steps, weights, record


def point_weights(inputs: Any, weights: dict) -> np.ndarray | None:
    """Per-point weights of prepared ``inputs`` from ``{run_id: (steps, w)}`` (None: all 1)."""
    if not weights:
        return None
    out = np.ones(np.asarray(inputs.steps).shape)
    ri, st = np.asarray(inputs.run_index), np.asarray(inputs.steps)
    for i, rid in enumerate(inputs.run_ids):
        if rid not in weights:
            continue
        sel = ri == i
        s, w = weights[rid]
        out[sel] = w[np.searchsorted(s, st[sel])]
    return out


@dataclass(frozen=True)
class FitPlan:
    """Points and candidate layouts of one fit (see the module docstring)."""

    layouts: tuple  # laws to fit with, cheapest first (one: no choice to make)
    steps: Any  # the steps= selection passed to prepare
    weights: dict  # {run_id: (steps, w)} point weights of thinned runs
    points: dict | None  # record of the point selection (None for tables)
    noise: float = 0.0
    tolerance: float = 0.0

    def inputs(self, law: Any, runs: Any, *, metric: str, exclude_warmup: Any, weights: Any) -> Any:
        """Prepared, weighted inputs of ``runs`` for ``law`` (one of :attr:`layouts`)."""
        from lawfit.fitting._inputs import prepare_inputs
        from lawfit.fitting._setup import apply_weights

        inputs = prepare_inputs(law, runs, metric=metric, steps=self.steps, exclude_warmup=exclude_warmup)
        inputs = apply_weights(apply_weights(inputs, point_weights(inputs, self.weights)), weights)
        pad = getattr(law, "pad_inputs", None)  # shape buckets: similar data sets share programs
        return pad(inputs) if pad is not None else inputs

    def effective_points(self, inputs: Any) -> float | None:
        """Observed points the weighted fitting points stand for (None: no thinning)."""
        w = point_weights(inputs, self.weights)
        return None if w is None else float(np.sum(w[np.asarray(inputs.weight) > 0]))

    def relative_bound(self, law: Any, prob: Any, z: np.ndarray, f: np.ndarray, inputs: Any) -> float:
        """Max over the weighted points of ``law.error_bound / law.predict`` at the best start."""
        from lawfit.fitting._transforms import to_natural_np

        best = int(np.nanargmin(np.where(np.isfinite(f), f, np.inf)))
        nat = np.asarray(to_natural_np(z[best], np.asarray(prob.kinds), prob.lo, prob.hi))
        params, fi = {}, 0
        for n in prob.names:
            if n in prob.fixed:
                params[n] = np.float64(prob.fixed[n])
            else:
                params[n] = np.float64(nat[fi])
                fi += 1
        bound, pred = jax.device_get(_bound_program(law)(params, inputs.x))
        used = np.asarray(inputs.weight) > 0
        with np.errstate(all="ignore"):
            rel = np.abs(np.asarray(bound)[used] / np.asarray(pred)[used])
        return float(np.max(rel)) if rel.size and np.all(np.isfinite(rel)) else float("inf")

    def record(self, tried: list) -> dict | None:
        """What ``FitResult.layout`` stores."""
        if self.points is None and len(self.layouts) == 1:
            return None
        out: dict[str, Any] = {"points": self.points}
        if tried:
            out.update(law=tried[-1]["law"], error_bound=tried[-1]["error_bound"], noise=self.noise,
                       tolerance=self.tolerance, noise_fraction=NOISE_FRACTION, tried=tried)
        return out


@functools.lru_cache(maxsize=16)
def _bound_program(law: Any):
    return jax.jit(lambda p, x: (law.error_bound(p, x), law.predict(p, x)))


def fit_plan(law: Any, runs: Any, *, metric: str, steps: Any, weights: Any = None,
             max_points: int) -> FitPlan:
    """The :class:`FitPlan` of fitting ``law`` to ``runs`` (runs or prepared ``LawInputs``)."""
    from lawfit.fitting._inputs import is_runs
    from lawfit.runs import Run, RunSet

    if not is_runs(runs):
        return FitPlan((law,), steps, {}, None)
    runs = RunSet([runs]) if isinstance(runs, Run) else runs
    layouts = tuple(law.fitting_layouts()) if hasattr(law, "fitting_layouts") else (law,)
    if steps is None and (weights is None or isinstance(weights, Mapping)):
        sel, wts, rec = point_plan(runs, metric, max_points)
    else:  # the user chose the points (steps=) or weighs each prepared point: keep them all
        sel, wts, rec = steps, {}, None
    if len(layouts) == 1:
        return FitPlan(layouts, sel, wts, rec)
    noise = log_noise_scale(runs, metric)
    return FitPlan(layouts, sel, wts, rec, noise, max(NOISE_FRACTION * noise, MIN_TOLERANCE))


def refit_inputs(result: Any, runs: Any) -> tuple[Any, Any]:
    """``(law, inputs)`` to refit ``result`` on ``runs`` (e.g. bootstrap resamples) exactly as it
    was fitted: the recorded fitting layout (``result.layout["law"]``) and point selection."""
    from lawfit.fitting._inputs import is_runs
    from lawfit.laws import from_spec
    from lawfit.runs import Run, RunSet

    law, layout = result.law, result.layout or {}
    if layout.get("law") is not None:
        law = from_spec({"name": law.name, "options": layout["law"]})
    pts = layout.get("points")
    if pts and is_runs(runs):
        runs = RunSet([runs]) if isinstance(runs, Run) else runs
        steps, weights, _ = point_plan(runs, result.metric, int(pts["max_per_run"]))
    else:
        steps, weights = None, {}
    plan = FitPlan((law,), steps, weights, None)
    return law, plan.inputs(law, runs, metric=result.metric, exclude_warmup=result.exclude_warmup,
                            weights=None)
