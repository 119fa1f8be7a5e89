"""``lawfit.fit``: the one fitting engine for every law."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from lawfit._x64 import x64
from lawfit.fitting._inputs import coerce_runs, is_runs, prepare_inputs
from lawfit.fitting._layout import fit_plan
from lawfit.fitting._options import check_fit_options
from lawfit.fitting._quality import assess
from lawfit.fitting._result import FitResult, StartOutcomes
from lawfit.fitting._setup import check_observations, setup_problem
from lawfit.fitting._solve import (
    CONVERGED,
    NONFINITE,
    STATUS_NAMES,
    Config,
    compiler_options_key,
    program,
    resolve_vectorize,
)
from lawfit.fitting._transforms import to_natural_np
from lawfit.runs import FIT_POINTS

__all__ = ["fit", "FitError", "resolve_law", "prepare_inputs", "coerce_runs"]

GTOL, FTOL, MAX_ITER = 1e-9, 1e-12, 1000


class FitError(RuntimeError):
    """Raised by ``fit(..., throw=True)`` when the fit is not usable (``status`` is
    ``"not_converged"`` or ``"unusable"``)."""


def resolve_law(law: Any) -> Any:
    from lawfit.laws import get
    from lawfit.laws._base import Law

    if isinstance(law, str):
        return get(law)
    if not isinstance(law, Law):
        raise ValueError(f"law must be a lawfit law or a registry name, got {type(law).__name__}")
    return law


@x64
def fit(
    law: Any,
    runs: Any,
    *,
    metric: str = "loss",
    init: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float] | None = None,
    loss: str = "huber_log",
    delta: float = 1e-3,
    num_starts: int | None = None,
    key: Any = None,
    steps: Any = None,
    exclude_warmup: bool | None = None,
    weights: Any = None,
    throw: bool = False,
    max_iter: int = MAX_ITER,
    gtol: float = GTOL,
    ftol: float = FTOL,
    stderr: bool = True,
    keep: int | None = 64,
    screen_iter: int = 25,
    compiler_options: Mapping[str, Any] | None = None,
    vectorize: bool | None = None,
) -> FitResult:
    """Fit ``law`` to ``runs`` by multi-start L-BFGS on the summed Huber loss of log residuals.

    ``objective(θ) = Σ_runs Σ_points w · Huber_δ(log L̂_θ - log L)`` (LAWS.md section 1), all
    starts of the law's init grid solved at once in one compiled ``optax.lbfgs`` program (vmapped
    on accelerators, see ``vectorize``)
    in the unconstrained space of each parameter's transform (bounds are enforced by the
    transform). The best start (lowest objective) is reported.

    Args:
        law: a law object (``lawfit.laws.MomentumLaw(...)``) or registry name. A law with several
            candidates (``law.candidates()``, e.g. ``MomentumLaw(lam="grid")``) is fitted once per
            candidate and the lowest training objective wins (recorded in ``result.selection``).
        runs: a RunSet / Run / list of runs, or prepared ``LawInputs`` (e.g. ``Chinchilla.table``).
        metric: the observed metric to fit.
        init: ``{name: value or values}``; values replace that parameter's column of the init
            grid (all parameters given: their Cartesian product). Must lie strictly inside bounds.
        bounds: ``{name: (lower, upper)}`` overriding the law's bounds.
        fixed: ``{name: value}`` parameters held fixed.
        loss: ``"huber_log"`` (default), ``"mse_log"``, ``"huber"`` or ``"mse"``.
        delta: Huber threshold (1e-3).
        num_starts: use a random subset of the grid (fewer) or add jittered starts (more).
        key: seed (int or ``jax.random`` key) for ``num_starts``.
        steps: point selection passed to ``law.prepare`` (array of steps, ``range`` / ``slice``, or
            ``{run_id: steps}``).
        exclude_warmup: drop points inside the warmup (law default when None).
        weights: per-run ``{run_id: w}`` or per-point ``[P]`` weights, multiplied into the law's.
        throw: raise :class:`FitError` when the fit is not usable (``result.success`` is False:
            status ``"not_converged"`` or ``"unusable"``); otherwise the result says so.
        max_iter, gtol, ftol: L-BFGS iteration budget and stopping tolerances
            (``max|∇f| <= gtol`` in unconstrained space, or relative decrease ``<= ftol`` for 5
            iterations).
        stderr: compute the Gauss-Newton covariance (and the residual statistics in ``stats``).
        keep, screen_iter: with more than ``keep`` starts, all starts run ``screen_iter``
            iterations and only the ``keep`` best continue to convergence (one compiled program);
            ``keep=None`` solves every start fully.
        compiler_options: XLA options for the compiled solver program (``jax.jit``
            ``compiler_options``). ``None`` (default): the engine default, on CPU
            ``{"xla_cpu_use_fusion_emitters": False}`` (compiles ~0.5 s faster, same results;
            ``lawfit.fitting._solve.CPU_COMPILER_OPTIONS``), XLA's defaults on other backends.
            ``{}``: XLA's defaults everywhere. Changes compilation only, never the maths.
        vectorize: ``True``: the starts are ``jax.vmap``-ed lanes of the compiled program;
            ``False``: ``jax.lax.map`` runs them one after another inside it (smaller program,
            no lane waits for the slowest). ``None`` (default): ``False`` on CPU (about 1 s less
            compilation and 2x faster for the momentum law), ``True`` on GPU/TPU. Same maths
            either way (results agree to rounding).

    Returns:
        A frozen :class:`FitResult`.

    Example:
        >>> import lawfit
        >>> from lawfit.datasets import mpl_runs, MPL_TRAIN, MPL_TEST
        >>> from lawfit.laws import MomentumLaw
        >>> runs = mpl_runs("400M")
        >>> res = lawfit.fit(MomentumLaw(lam=0.99, warmup="mpl"), runs.select(MPL_TRAIN))
        >>> res.success
        True
    """
    check_fit_options(
        metric=metric, init=init, bounds=bounds, fixed=fixed, loss=loss, delta=delta,
        num_starts=num_starts, key=key, exclude_warmup=exclude_warmup, max_iter=max_iter,
        gtol=gtol, ftol=ftol, stderr=stderr, keep=keep, screen_iter=screen_iter,
        vectorize=vectorize, throw=throw, compiler_options=compiler_options,
    )
    law = resolve_law(law)
    runs = coerce_runs(runs)
    cands = tuple(law.candidates()) if hasattr(law, "candidates") else (law,)
    kwargs = dict(
        metric=metric, init=init, bounds=bounds, fixed=fixed, loss=loss, delta=delta,
        num_starts=num_starts, key=key, steps=steps, exclude_warmup=exclude_warmup,
        weights=weights, max_iter=max_iter, gtol=gtol, ftol=ftol, stderr=stderr,
        keep=keep, screen_iter=screen_iter, compiler_options=compiler_options_key(compiler_options),
        vectorize=resolve_vectorize(vectorize) if vectorize is not None else None,
    )
    if len(cands) == 1:
        result = _fit_one(cands[0], runs, **kwargs)
    else:
        results = [_fit_one(c, runs, **kwargs) for c in cands]
        objs = [r.objective if math.isfinite(r.objective) else math.inf for r in results]
        best = int(np.argmin(objs))
        selection = {
            "options": [c.options() for c in cands],
            "objective": [float(o) for o in objs],
            "chosen": best,
            "criterion": "training objective",
        }
        result = results[best].replace(selection=selection)
    if throw and not result.success:
        raise FitError(f"fit status {result.status!r}:\n{result.report()}")
    return result


def _fit_one(law, runs, *, metric, init, bounds, fixed, loss, delta, num_starts, key, steps,
             exclude_warmup, weights, max_iter, gtol, ftol, stderr, keep, screen_iter,
             compiler_options, vectorize, max_points=FIT_POINTS) -> FitResult:
    plan = fit_plan(law, runs, metric=metric, steps=steps, weights=weights, max_points=max_points)
    prob = cfg = z = f = None
    tried = []
    level, first = 0, True
    while True:
        layout_law = plan.layouts[level]
        inputs = plan.inputs(layout_law, runs, metric=metric, exclude_warmup=exclude_warmup, weights=weights)
        if prob is None:
            n_points = check_observations(inputs, metric, loss)
            prob = setup_problem(
                layout_law, inputs, init=init, bounds=bounds, fixed=fixed, loss=loss,
                num_starts=num_starts, key=key, n_points=n_points,
            )
            cfg = Config(prob.names, prob.free, prob.kinds, loss, int(max_iter),
                         screen_iter=int(screen_iter), keep=None if keep is None else int(keep),
                         compiler_options=compiler_options, vectorize=vectorize)
            z0 = prob.z0
        else:  # warm restart of the best start on the finer layout
            best = int(np.nanargmin(np.where(np.isfinite(f), f, np.inf)))
            z0 = z[best : best + 1]
        y = np.where(np.asarray(inputs.weight) > 0, np.asarray(inputs.y, np.float64), 1.0)
        out = jax.device_get(
            program(layout_law, cfg)(z0, prob.fixed_vals, prob.lo, prob.hi, inputs.x, y,
                                     np.asarray(inputs.weight, np.float64), delta, gtol, ftol)
        )
        if first:
            z, f, gmax, iters, status = (np.array(a) for a in out)
            first = False
        else:  # the refined start replaces the best one; the other starts keep their outcome
            for arr, new in zip((z, f, gmax, iters, status), out, strict=True):
                arr[best] = new[0] if arr is not iters else arr[best] + new[0]
        if len(plan.layouts) == 1:
            break
        bound = plan.relative_bound(layout_law, prob, z, f, inputs)
        tried.append({"law": layout_law.options(), "error_bound": bound})
        if bound <= plan.tolerance or level == len(plan.layouts) - 1:
            break
        level = _next_layout(plan, level, prob, z, f, tried, runs, metric=metric,
                             exclude_warmup=exclude_warmup, weights=weights)
    result = finish(layout_law, inputs, prob, cfg, z, f, gmax, iters, status, metric=metric,
                    loss=loss, delta=delta, exclude_warmup=exclude_warmup, stderr=stderr,
                    from_runs=is_runs(runs), n_effective=plan.effective_points(inputs))
    result = result.replace(law=law, layout=plan.record(tried))
    if is_runs(runs):  # the extrapolation guard's LR range (lawfit.fitting._guard)
        from lawfit.fitting._guard import fitted_lr_range

        result = result.replace(fitted_lr=fitted_lr_range([runs] if hasattr(runs, "run_id") else runs))
    return result



def _next_layout(plan, level, prob, z, f, tried, runs, **prepare) -> int:
    """The next layout to fit after ``level`` failed its bound: the first finer one whose bound
    already holds at the current best parameters (each skipped one is recorded in ``tried`` with
    its bound and ``"skipped": True``), else the last (the exact law). Evaluating a bound costs
    far less than a fit, so a data set that needs a fine layout is fitted twice, not once per
    rung."""
    last = len(plan.layouts) - 1
    for j in range(level + 1, last):
        candidate = plan.layouts[j]
        bound = plan.relative_bound(candidate, prob, z, f, plan.inputs(candidate, runs, **prepare))
        if bound <= plan.tolerance:
            return j
        tried.append({"law": candidate.options(), "error_bound": bound, "skipped": True})
    return last


def finish(law, inputs, prob, cfg, z, f, gmax, iters, status, *, metric, loss, delta,
           exclude_warmup, stderr, from_runs=True, n_effective=None) -> FitResult:
    """Assemble a FitResult from solver outputs of one data set (numpy arrays)."""
    from lawfit import __version__
    from lawfit.fitting._uncertainty import gauss_newton

    f = np.where(status == NONFINITE, np.nan, np.asarray(f, np.float64))
    final = np.asarray(to_natural_np(z, np.asarray(prob.kinds)[None, :], prob.lo[None, :], prob.hi[None, :]))
    starts = StartOutcomes(prob.free, prob.init, final, f, np.asarray(status), np.asarray(iters),
                           np.asarray(gmax, np.float64))
    n_conv = int(np.sum(status == CONVERGED))
    params = {}
    if np.all(np.isnan(f)):
        best = None
        message = "every start produced a non-finite objective"
        success = False
        for n in prob.names:
            params[n] = prob.fixed.get(n, math.nan)
        objective = math.nan
    else:
        best = int(np.nanargmin(f))
        objective = float(f[best])
        success = bool(status[best] == CONVERGED)
        message = (
            f"best start {best} {STATUS_NAMES[int(status[best])]} after {int(iters[best])} iterations"
        )
        if not success:
            message += " (no converged start reached a lower objective)" if n_conv else (
                "; NO START CONVERGED: raise max_iter or check the data/bounds"
            )
        fi = 0
        for n in prob.names:
            if n in prob.fixed:
                params[n] = prob.fixed[n]
            else:
                params[n] = float(final[best, fi])
                fi += 1
    at_bounds = []
    for n in prob.free:
        lo, hi = prob.bounds[n]
        v = params[n]
        for b in (lo, hi):
            if math.isfinite(b) and math.isfinite(v) and abs(v - b) <= 1e-6 * max(1.0, abs(b)):
                at_bounds.append(n)
                break
    cov = se = None
    nonid: tuple[str, ...] = ()
    stats: dict[str, float] = {"objective": objective}
    if best is not None and stderr:  # stderr=False (e.g. fit_many of many curves) skips it
        gn = gauss_newton(law, inputs, params, prob.free, loss=loss, delta=delta, n_effective=n_effective)
        stats.update(gn["stats"])
        cov = gn["covariance"]
        nonid = gn["nonidentifiable"]
        with np.errstate(invalid="ignore"):
            sd = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
        se = dict(zip(prob.free, sd.tolist(), strict=True))
    diagnostics = law_diagnostics(law, params, inputs) if best is not None else ()
    horizon = fitted_horizon(inputs) if from_runs else None
    import jax as _jax

    used = np.asarray(inputs.weight) > 0
    yhat = fitted_predictions(law, params, inputs)[used] if best is not None else np.zeros(0)
    status, quality, warnings = assess(
        converged=success, params=params, free=prob.free, bounds=prob.bounds,
        at_bounds=at_bounds, stderr=se, nonidentifiable=nonid,
        y=np.asarray(inputs.y, np.float64)[used], yhat=yhat, starts=starts, diagnostics=diagnostics,
    )
    if status == "unusable":
        message += "; UNUSABLE: " + ", ".join(dict.fromkeys(
            i["code"] for i in quality["issues"] if i["severity"] == "unusable"))
    return FitResult(
        law=law, params=params, fixed=dict(prob.fixed), bounds=dict(prob.bounds), stderr=se,
        covariance=cov, covariance_names=prob.free, objective=objective,
        success=status in ("ok", "doubtful"), status=status, quality=quality,
        message=message, starts=starts, n_converged=n_conv, at_bounds=tuple(at_bounds),
        metric=metric, loss=loss, delta=float(delta), exclude_warmup=exclude_warmup,
        n_points=int(np.sum(np.asarray(inputs.weight) > 0)), run_ids=tuple(inputs.run_ids),
        stats=stats, versions={"lawfit": __version__, "jax": _jax.__version__},
        nonidentifiable=nonid, warnings=warnings, fitted_horizon=horizon,
    )


def fitted_predictions(law, params, inputs) -> np.ndarray:
    """The law's predictions at every point of ``inputs`` (the compiled predict program)."""
    from lawfit.fitting._predict import predict_program

    values = {k: np.float64(params[k]) for k in law.param_names}
    with np.errstate(all="ignore"):
        return np.asarray(predict_program(law)(values, inputs.x), np.float64)


def law_diagnostics(law, params, inputs) -> tuple[str, ...]:
    """The law's own checks of a fitted parameter set (``law.diagnostics(params, inputs)``,
    e.g. the D-CPT trend requirements, LAWS.md 7.1), as a tuple of messages (empty if none)."""
    fn = getattr(law, "diagnostics", None)
    if fn is None:
        return ()
    try:
        out = fn(dict(params), inputs)
    except Exception as e:  # a failing check is itself reported, never swallowed silently
        return (f"{type(law).__name__}.diagnostics failed: {type(e).__name__}: {e}",)
    return tuple(str(m) for m in (out or ()))


def fitted_horizon(inputs) -> dict | None:
    """Per-run and overall ``(min, max)`` global step of the fitted (positive-weight) points.

    Only recorded for fits of runs; ``None`` for tables (``LawInputs`` such as
    ``Chinchilla.table``, mixture tables), whose ``steps`` are row numbers."""
    steps = np.asarray(inputs.steps)
    used = np.asarray(inputs.weight) > 0
    if steps.size == 0 or not used.any():
        return None
    ri = np.asarray(inputs.run_index)
    per_run = {}
    for i, rid in enumerate(inputs.run_ids):
        sel = used & (ri == i)
        if sel.any():
            per_run[str(rid)] = (int(steps[sel].min()), int(steps[sel].max()))
    return {"steps": (int(steps[used].min()), int(steps[used].max())), "runs": per_run}
