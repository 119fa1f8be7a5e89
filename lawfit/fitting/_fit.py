"""``lawfit.fit``: the one fitting engine for every law."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from lawfit._x64 import x64
from lawfit.fitting._result import FitResult, StartOutcomes
from lawfit.fitting._setup import apply_weights, check_observations, setup_problem
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

__all__ = ["fit", "FitError", "resolve_law", "prepare_inputs"]

GTOL, FTOL, MAX_ITER = 1e-9, 1e-12, 1000


class FitError(RuntimeError):
    """Raised by ``fit(..., throw=True)`` when no start converged."""


def resolve_law(law: Any) -> Any:
    from lawfit.laws import get
    from lawfit.laws._base import Law

    if isinstance(law, str):
        return get(law)
    if not isinstance(law, Law):
        raise ValueError(f"law must be a lawfit law or a registry name, got {type(law).__name__}")
    return law


def prepare_inputs(law: Any, runs: Any, *, metric: str, steps: Any, exclude_warmup: Any) -> Any:
    from lawfit.laws._base import LawInputs

    if isinstance(runs, LawInputs):
        if steps is not None:
            raise ValueError("steps= cannot be used with prepared LawInputs; select points in prepare()")
        return runs
    from lawfit.runs import Run, RunSet

    if isinstance(runs, Run):
        runs = RunSet([runs])
    elif isinstance(runs, (list, tuple)) and runs and all(isinstance(r, Run) for r in runs):
        runs = RunSet(runs)
    return law.prepare(runs, metric=metric, steps=steps, exclude_warmup=exclude_warmup)


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
        throw: raise :class:`FitError` when no start converged (otherwise the result says so).
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
    law = resolve_law(law)
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
        raise FitError(result.report())
    return result


def _fit_one(law, runs, *, metric, init, bounds, fixed, loss, delta, num_starts, key, steps,
             exclude_warmup, weights, max_iter, gtol, ftol, stderr, keep, screen_iter,
             compiler_options, vectorize) -> FitResult:
    inputs = prepare_inputs(law, runs, metric=metric, steps=steps, exclude_warmup=exclude_warmup)
    inputs = apply_weights(inputs, weights)
    n_points = check_observations(inputs, metric, loss)
    prob = setup_problem(
        law, inputs, init=init, bounds=bounds, fixed=fixed, loss=loss,
        num_starts=num_starts, key=key, n_points=n_points,
    )
    cfg = Config(prob.names, prob.free, prob.kinds, loss, int(max_iter),
                 screen_iter=int(screen_iter), keep=None if keep is None else int(keep),
                 compiler_options=compiler_options, vectorize=vectorize)
    solve = program(law, cfg)
    y = np.where(np.asarray(inputs.weight) > 0, np.asarray(inputs.y, np.float64), 1.0)
    z, f, gmax, iters, status = jax.device_get(
        solve(prob.z0, prob.fixed_vals, prob.lo, prob.hi, inputs.x, y,
              np.asarray(inputs.weight, np.float64), delta, gtol, ftol)
    )
    result = finish(law, inputs, prob, cfg, z, f, gmax, iters, status, metric=metric, loss=loss,
                    delta=delta, exclude_warmup=exclude_warmup, stderr=stderr,
                    from_runs=is_runs(runs))
    if is_runs(runs):  # the extrapolation guard's LR range (lawfit.fitting._guard)
        from lawfit.fitting._guard import fitted_lr_range

        result = result.replace(fitted_lr=fitted_lr_range([runs] if hasattr(runs, "run_id") else runs))
    return result


def is_runs(runs) -> bool:
    """True for a Run, RunSet or list of runs (their points are indexed by training step)."""
    from lawfit.runs import Run, RunSet

    if isinstance(runs, (Run, RunSet)):
        return True
    return isinstance(runs, (list, tuple)) and bool(runs) and all(isinstance(r, Run) for r in runs)


def finish(law, inputs, prob, cfg, z, f, gmax, iters, status, *, metric, loss, delta,
           exclude_warmup, stderr, from_runs=True) -> FitResult:
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
        gn = gauss_newton(law, inputs, params, prob.free, loss=loss, delta=delta)
        stats.update(gn["stats"])
        cov = gn["covariance"]
        nonid = gn["nonidentifiable"]
        with np.errstate(invalid="ignore"):
            sd = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
        se = dict(zip(prob.free, sd.tolist(), strict=True))
    warnings = law_diagnostics(law, params, inputs) if best is not None else ()
    horizon = fitted_horizon(inputs) if from_runs else None
    import jax as _jax

    return FitResult(
        law=law, params=params, fixed=dict(prob.fixed), bounds=dict(prob.bounds), stderr=se,
        covariance=cov, covariance_names=prob.free, objective=objective, success=success,
        message=message, starts=starts, n_converged=n_conv, at_bounds=tuple(at_bounds),
        metric=metric, loss=loss, delta=float(delta), exclude_warmup=exclude_warmup,
        n_points=int(np.sum(np.asarray(inputs.weight) > 0)), run_ids=tuple(inputs.run_ids),
        stats=stats, versions={"lawfit": __version__, "jax": _jax.__version__},
        nonidentifiable=nonid, warnings=warnings, fitted_horizon=horizon,
    )


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
