"""``FitResult``: an honest, immutable record of a fit (scipy ``curve_fit`` + lmfit report).

Everything needed to predict again is stored: the law spec (name + options, i.e. convention,
lambda, ...), the natural parameters as float64, the fit settings, the per-start outcomes, the
local (Gauss-Newton) uncertainty and optional bootstrap draws. ``to_dict`` is JSON-able and
``load_fit`` (:mod:`lawfit.fitting._load`) rebuilds a result whose predictions are bit-identical.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lawfit._x64 import x64
from lawfit.fitting._metrics import METRICS, curve_metrics

__all__ = ["ExtrapolationWarning", "FitResult", "StartOutcomes", "FORMAT", "UndefinedPredictionWarning",
           "evaluate"]

FORMAT = "lawfit.FitResult/1"  # the artifact version written by to_dict (lawfit.fitting._load reads it)


class ExtrapolationWarning(UserWarning):
    """:meth:`FitResult.predict` was asked for steps beyond the fitted horizon (the largest
    step among the fitted points) or for a run whose peak LR lies outside the fitted runs' peak
    LRs. The prediction is still returned; filter the warning with
    ``warnings.simplefilter("ignore", lawfit.fitting.ExtrapolationWarning)`` when intended."""


class UndefinedPredictionWarning(UserWarning):
    """:meth:`FitResult.predict` was asked for steps where the law gives no value (e.g. inside
    the warmup for the MPL ``"paper"`` convention): those entries are NaN, never dropped."""


@dataclass(frozen=True)
class StartOutcomes:
    """Per-start outcomes of the multi-start solve (rows in start order).

    Attributes:
        names: free parameter names (columns).
        init: ``[K, F]`` natural starting values.
        final: ``[K, F]`` natural final values.
        objective: ``[K]`` final objective (NaN for non-finite starts).
        status: ``[K]`` codes: 0 converged, 1 max iterations, 2 non-finite.
        iterations: ``[K]`` L-BFGS iterations used.
        grad_max: ``[K]`` final max |gradient| in unconstrained space.
    """

    names: tuple[str, ...]
    init: np.ndarray
    final: np.ndarray
    objective: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    grad_max: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "init": _floats(self.init),
            "final": _floats(self.final),
            "objective": _floats(self.objective),
            "status": np.asarray(self.status).astype(int).tolist(),
            "iterations": np.asarray(self.iterations).astype(int).tolist(),
            "grad_max": _floats(self.grad_max),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StartOutcomes:
        f = lambda k: np.asarray(_unfloats(d[k]), dtype=np.float64)  # noqa: E731
        return cls(
            tuple(d["names"]),
            f("init").reshape(-1, len(d["names"])),
            f("final").reshape(-1, len(d["names"])),
            f("objective"),
            np.asarray(d["status"], dtype=np.int64),
            np.asarray(d["iterations"], dtype=np.int64),
            f("grad_max"),
        )


def _floats(a: Any) -> Any:
    """float64 array -> nested lists of Python floats (NaN/inf as strings for strict JSON)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        v = float(a)
        return v if math.isfinite(v) else repr(v)
    return [_floats(v) for v in a]


def _jsonable(obj: Any) -> Any:
    """``obj`` (dicts, lists, numbers, strings) with non-finite floats as strings."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return _floats(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _unfloats(a: Any) -> Any:
    if isinstance(a, list):
        return [_unfloats(v) for v in a]
    if isinstance(a, str):
        return float(a)
    return a


@dataclass(frozen=True)
class FitResult:
    """The result of :func:`lawfit.fit`.

    Attributes:
        law: the fitted law (its options hold the convention, lambda, ...).
        params: ``{name: float}`` best parameters (natural units), fixed ones included.
        fixed: ``{name: float}`` parameters held fixed.
        bounds: ``{name: (lower, upper)}`` bounds used.
        stderr: ``{name: float}`` local standard errors (Gauss-Newton, see ``covariance``);
            NaN where not identifiable; ``None`` if not computed.
        covariance: ``[F, F]`` Gauss-Newton covariance of the free parameters
            ``s² (JᵀWJ)⁻¹`` at the optimum, ``s² = Σ w r² / (n - F)`` (a local, quadratic
            approximation: it ignores bounds, Huber down-weighting and multi-modality; use
            :func:`lawfit.bootstrap` for a global picture).
        covariance_names: free parameter names, the order of ``covariance``.
        objective: best objective (sum of ``w ρ(r)``).
        success: True when the fit is usable: ``status`` is ``"ok"`` or ``"doubtful"`` (the best
            start converged and no quality rule marks it unusable).
        status: ``"ok"`` (converged, no quality issue), ``"doubtful"`` (usable, with warnings),
            ``"unusable"`` (converged, but e.g. not identified or a poor fit of the fitted data)
            or ``"not_converged"``. The rules: docs/fitting.md, "Fit quality"
            (:mod:`lawfit.fitting._quality`).
        quality: ``{"r2", "rel_rmse", "max_rel_error", "points_per_parameter", "issues":
            [{"code", "severity", "message"}]}`` on the fitted data (``None`` for results not
            made by the engine).
        message: human-readable status.
        starts: per-start outcomes.
        n_converged: number of converged starts.
        at_bounds: free parameters within 1e-6 (relative) of a finite bound.
        metric, loss, delta, exclude_warmup: fit settings.
        n_points: points with positive weight.
        run_ids: runs the fit used.
        stats: fit statistics (``objective``, ``rmse_log``, ``max_abs_log_residual``, ...).
        selection: for laws with several candidates (e.g. ``MomentumLaw(lam="grid")``):
            ``{"options": [...], "objective": [...], "chosen": i}``.
        draws: ``{name: [n] array}`` bootstrap draws, or None.
        bootstrap_info: how the draws were made.
        versions: lawfit and JAX versions that produced the fit.
        nonidentifiable: free parameters the data do not identify (Gauss-Newton: a scaled
            singular direction, see :mod:`lawfit.fitting._uncertainty`); their ``stderr`` is
            ``inf``, never a misleadingly small number.
        warnings: one message per quality issue, prefixed with its code (``"[at_bound] ..."``,
            ``"[not_identified] ..."``), including the law's own checks at the fitted parameters
            (``"[law_diagnostics] ..."``, e.g. violated D-CPT trend requirements).
        fitted_horizon: ``{"steps": (min, max), "runs": {run_id: (min, max)}}``: the global steps
            of the points the fit saw (``None`` for inputs not indexed by step, e.g. tables).
            :meth:`predict` beyond ``max`` emits an :class:`ExtrapolationWarning`.
        layout: how the fit was computed, chosen automatically (``None`` for tables): the fitting
            ``points`` (``{"max_per_run", "runs": {run_id: [observed, used]}}``, plus ``"steps"``
            ``{run_id: [...]}`` when a run was thinned) and, for laws with an approximate fitting
            layout (``MultiPowerLaw(mode="auto")``), the ``"law"`` options used, its rigorous
            ``"error_bound"`` (max relative, at the fitted parameters), the ``"noise"`` estimate
            of the data (log units), the ``"tolerance"`` and the layouts ``"tried"``.
            Predictions, :meth:`evaluate` and reports always use the exact law.
        fitted_lr: ``(min, max)`` peak LR of the fitted runs (None when unknown). :meth:`predict`
            for a run whose peak LR lies outside it (by more than 10 %) emits an
            :class:`ExtrapolationWarning` (:mod:`lawfit.fitting._guard`).
        model_error: ``{"scale": σ, ...}``: a relative (log-scale) model-error term added to
            prediction bands (:mod:`lawfit.fitting._calibration`), or None.
    """

    law: Any
    params: dict[str, float]
    fixed: dict[str, float] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    stderr: dict[str, float] | None = None
    covariance: np.ndarray | None = None
    covariance_names: tuple[str, ...] = ()
    objective: float = math.nan
    success: bool = False
    message: str = ""
    starts: StartOutcomes | None = None
    n_converged: int = 0
    at_bounds: tuple[str, ...] = ()
    metric: str = "loss"
    loss: str = "huber_log"
    delta: float = 1e-3
    exclude_warmup: bool | None = None
    n_points: int = 0
    run_ids: tuple[str, ...] = ()
    stats: dict[str, float] = field(default_factory=dict)
    selection: dict[str, Any] | None = None
    draws: dict[str, np.ndarray] | None = None
    bootstrap_info: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    nonidentifiable: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fitted_horizon: dict[str, Any] | None = None
    layout: dict[str, Any] | None = None
    fitted_lr: tuple[float, float] | None = None
    model_error: dict[str, Any] | None = None
    status: str = ""
    quality: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        from lawfit.fitting._quality import STATUSES

        if not self.status:  # a hand-made result: its status follows ``success``
            object.__setattr__(self, "status", "ok" if self.success else "not_converged")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {list(STATUSES)}, got {self.status!r}")
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))

    @property
    def fitted_steps(self) -> tuple[int, int] | None:
        """``(min, max)`` global step of the fitted points over all runs (None if unknown)."""
        return None if self.fitted_horizon is None else tuple(self.fitted_horizon["steps"])

    # -- prediction ----------------------------------------------------------------------------
    @property
    def convention(self) -> Any:
        """The law's convention option (``None`` for laws without one)."""
        opts = self.law.options()
        return opts.get("convention", opts.get("warmup"))

    @x64
    def predict_inputs(self, inputs: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Predictions for prepared ``LawInputs`` (the engine's compiled predict)."""
        from lawfit.fitting._predict import predict_program

        p = self.params if params is None else params
        fn = predict_program(self.law)
        values = {k: np.float64(p[k]) for k in self.law.param_names}
        return np.asarray(fn(values, inputs.x))

    @x64
    def predict(self, target: Any, steps: Any = None, *, band: Any = None, metric: str | None = None):
        """Predicted values for a run, a RunSet, a per-step LR array, a schedule or LawInputs.

        Args:
            target: a :class:`lawfit.Run` / :class:`lawfit.RunSet`, a 1-D per-step LR array
                (from step 0), a schedule (callable of the step, or a spec dict; needs ``steps``),
                the law's own table (a ``MixtureTable`` for D-CPT/CMR, ``{"N": [...], "D": [...]}``
                for Chinchilla, ``{"N", "D", "r"}`` for D-CPT) or ``LawInputs`` (e.g.
                ``Chinchilla.table(N, D)``).
            steps: global steps to predict at (default: the points the law takes from the run,
                i.e. its observed steps outside any region where the law is undefined; every step
                of an LR array). Explicit steps are returned exactly, in the order given: NaN
                (with an :class:`UndefinedPredictionWarning`) where the law is undefined.
            band: ``None``, a coverage in (0, 1) such as ``0.9``, or a ``(lower_q, upper_q)``
                pair. Needs bootstrap draws (:func:`lawfit.bootstrap`).

        Steps beyond the fitted horizon (``fitted_steps[1]``) are predicted but emit an
        :class:`ExtrapolationWarning` (prepared ``LawInputs`` targets are not checked).

        Returns:
            For a single run / array / schedule / inputs: a ``[P]`` float64 array, or
            ``(prediction, lower, upper)`` with ``band``. For a RunSet: ``{run_id: that}``.
        """
        from lawfit.fitting._predict import align, prepare_target

        if metric is not None and (not isinstance(metric, str) or not metric):
            raise ValueError(f"metric must be a metric name such as 'loss' or None, got {metric!r}")
        inputs, split, wanted = prepare_target(self, target, steps, metric=metric)
        self._check_horizon(target, inputs)
        pred = self.predict_inputs(inputs)
        if band is not None:
            lo, hi = self._band(inputs, band)
        run_index = np.asarray(inputs.run_index)
        if wanted is not None:  # exactly the requested steps, NaN where the law gives no value
            if band is not None:
                lo, hi = align(inputs, lo, wanted)[0], align(inputs, hi, wanted)[0]
            pred, run_index = align(inputs, pred, wanted)
        undefined = ~np.isfinite(pred)
        if undefined.any():  # never an inf that looks like a number: NaN, and say so
            pred = np.where(undefined, np.nan, pred)
            warnings.warn(
                f"{int(undefined.sum())} of the {pred.size} requested points have no prediction "
                f"(NaN): the law {self.law!r} is undefined there (e.g. inside the warmup for the "
                "MPL 'paper' convention, or at step 0 where the LR area is 0)",
                UndefinedPredictionWarning,
                stacklevel=3,
            )
        if split is None:
            return pred if band is None else (pred, lo, hi)
        out = {}
        for i, rid in enumerate(split):
            sel = run_index == i
            out[rid] = pred[sel] if band is None else (pred[sel], lo[sel], hi[sel])
        return out

    def _check_horizon(self, target: Any, inputs: Any) -> None:
        for msg in self._extrapolation(target, inputs):
            warnings.warn(msg, ExtrapolationWarning, stacklevel=4)

    def extrapolation(self, target: Any, steps: Any = None) -> list[str]:
        """Why predicting ``target`` (as in :meth:`predict`) extrapolates: messages for steps
        beyond the fitted horizon and for peak LRs outside the fitted range; ``[]`` if neither.
        For apps that show the warning next to a prediction."""
        from lawfit.fitting._predict import prepare_target

        inputs = prepare_target(self, target, steps)[0]
        return self._extrapolation(target, inputs)

    def _extrapolation(self, target: Any, inputs: Any) -> list[str]:
        from lawfit.fitting._guard import lr_messages, target_lrs
        from lawfit.laws._base import LawInputs

        if isinstance(target, LawInputs):
            return []
        out = lr_messages(self.fitted_lr, target_lrs(target))
        if self.fitted_horizon is None or np.size(inputs.steps) == 0:
            return out
        hi = int(self.fitted_horizon["steps"][1])
        top = int(np.max(inputs.steps))
        if top > hi:
            out.insert(0,
                f"predicting up to step {top}, beyond the fitted horizon (the fit saw steps "
                f"{self.fitted_horizon['steps'][0]}..{hi}): this is an extrapolation"
            )
        return out

    def _band(self, inputs: Any, band: Any) -> tuple[np.ndarray, np.ndarray]:
        if not self.draws and not self.model_error:
            raise ValueError(
                "band= needs bootstrap draws or a model-error term; run result = "
                "lawfit.bootstrap(result, runs, n=200) and/or lawfit.calibrate(result, ...) first"
            )
        if isinstance(band, (int, float)):
            if not 0 < band < 1:
                raise ValueError(f"band must be a coverage in (0, 1), got {band!r}")
            q = ((1 - band) / 2, (1 + band) / 2)
        else:
            q = tuple(float(v) for v in band)
            if len(q) != 2 or not 0 <= q[0] < q[1] <= 1:
                raise ValueError(f"band must be (lower_q, upper_q) with 0 <= lower < upper <= 1, got {band!r}")
        from lawfit.fitting._bands import widen
        from lawfit.fitting._predict import predict_draws

        center = self.predict_inputs(inputs)
        lo = hi = center
        if self.draws:
            preds = predict_draws(self, inputs)
            ok = np.all(np.isfinite(preds), axis=1)
            lo, hi = np.quantile(preds[ok], q, axis=0)
        if self.model_error:
            lo, hi = widen(center, lo, hi, q, float(self.model_error["scale"]))
        return lo, hi

    def evaluate(self, runs: Any, **kwargs: Any) -> dict[str, Any]:
        """Metrics on ``runs`` (see :func:`lawfit.evaluate`)."""
        return evaluate(self, runs, **kwargs)

    # -- text ----------------------------------------------------------------------------------
    def report(self) -> str:
        """An lmfit-like text report."""
        lines = [f"[[Fit]] {self.law!r}"]
        lines.append(f"    status             = {self.status}: {self.message}")
        if self.quality is not None:
            codes = ", ".join(dict.fromkeys(i["code"] for i in self.quality.get("issues", ()))) or "none"
            lines.append(
                f"    fit quality        = R² {self.quality.get('r2', math.nan):.6g} on the fitted "
                f"data; issues: {codes}"
            )
        if self.starts is not None:
            k = len(self.starts.status)
            lines.append(f"    starts converged   = {self.n_converged} / {k}")
            if self.n_converged == 0:
                lines.append("    !! NO START CONVERGED: the parameters below are not a converged fit")
        lines.append(f"    # data points      = {self.n_points} in {len(self.run_ids)} run(s), metric {self.metric!r}")
        lines.append(f"    # free parameters  = {len(self.covariance_names)}")
        if self.fitted_horizon is not None:
            a, b = self.fitted_horizon["steps"]
            lines.append(f"    fitted steps       = {a}..{b} (predictions beyond {b} extrapolate)")
        lines.extend(_layout_lines(self.layout))
        if self.fitted_lr is not None:
            lines.append(f"    fitted peak LRs    = {self.fitted_lr[0]:.3g}..{self.fitted_lr[1]:.3g}")
        if self.model_error:
            lines.append(f"    model error (band) = {100 * float(self.model_error['scale']):.3g} % (relative, 1 sigma)")
        lines.append(f"    objective ({self.loss}, delta={self.delta:g}) = {self.objective:.10g}")
        for k, v in self.stats.items():
            if k != "objective":
                lines.append(f"    {k:<18} = {v:.6g}")
        if self.selection:
            lines.append("[[Candidate selection]] (by training objective)")
            for i, (o, f) in enumerate(zip(self.selection["options"], self.selection["objective"], strict=True)):
                mark = "  <- chosen" if i == self.selection["chosen"] else ""
                lines.append(f"    {o}: {f:.10g}{mark}")
        lines.append("[[Variables]]")
        for n in self.law.param_names:
            v = self.params[n]
            if n in self.fixed:
                lines.append(f"    {n:<8} = {v:.8g} (fixed)")
                continue
            se = (self.stderr or {}).get(n, math.nan)
            rel = f" ({100 * se / abs(v):.2f}%)" if math.isfinite(se) and v != 0 else ""
            lo, hi = self.bounds.get(n, (-math.inf, math.inf))
            extra = " [AT BOUND]" if n in self.at_bounds else ""
            lines.append(f"    {n:<8} = {v:.8g} +/- {se:.3g}{rel}  bounds [{lo:g}, {hi:g}]{extra}")
            if self.draws and n in self.draws:
                d = np.asarray(self.draws[n])
                d = d[np.isfinite(d)]
                if d.size:
                    q = np.quantile(d, [0.025, 0.975])
                    lines.append(f"             bootstrap 95% [{q[0]:.6g}, {q[1]:.6g}] (n={d.size})")
        if self.nonidentifiable:
            lines.append("[[Notes]]")
            lines.append(
                f"    not identifiable from these data: {', '.join(self.nonidentifiable)} (a "
                "near-singular direction of the column-scaled Gauss-Newton matrix); their stderr "
                "is reported as inf. Fix some of them (fixed=...) or add data that separate them"
            )
        if self.warnings:
            lines.append("[[Warnings]] (fit quality and law diagnostics; docs/fitting.md)")
            lines.extend(f"    ! {m}" for m in self.warnings)
        if self.fitted_horizon is not None and len(self.fitted_horizon["runs"]) > 1:
            lines.append("[[Fitted horizon]] (steps per run)")
            for rid, (a, b) in self.fitted_horizon["runs"].items():
                lines.append(f"    {rid}: {a}..{b}")
        if self.covariance is not None and len(self.covariance_names) > 1:
            sd = np.sqrt(np.abs(np.diag(self.covariance)))
            with np.errstate(all="ignore"):
                corr = self.covariance / np.outer(sd, sd)
            pairs = []
            names = self.covariance_names
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    if np.isfinite(corr[i, j]) and abs(corr[i, j]) > 0.5:
                        pairs.append((abs(corr[i, j]), names[i], names[j], corr[i, j]))
            if pairs:
                lines.append("[[Correlations]] (|C| > 0.5)")
                for _, a, b, c in sorted(pairs, reverse=True):
                    lines.append(f"    C({a}, {b}) = {c:+.4f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (floats kept exactly; NaN/inf as strings)."""
        return {
            "format": FORMAT,
            "versions": dict(self.versions),
            "law": self.law.to_spec(),
            "params": {k: _floats(v) for k, v in self.params.items()},
            "fixed": {k: _floats(v) for k, v in self.fixed.items()},
            "bounds": {k: [_floats(a), _floats(b)] for k, (a, b) in self.bounds.items()},
            "stderr": None if self.stderr is None else {k: _floats(v) for k, v in self.stderr.items()},
            "covariance": None if self.covariance is None else _floats(self.covariance),
            "covariance_names": list(self.covariance_names),
            "objective": _floats(self.objective),
            "success": bool(self.success),
            "status": self.status,
            "quality": None if self.quality is None else _jsonable(self.quality),
            "message": self.message,
            "starts": None if self.starts is None else self.starts.to_dict(),
            "n_converged": int(self.n_converged),
            "at_bounds": list(self.at_bounds),
            "metric": self.metric,
            "loss": self.loss,
            "delta": float(self.delta),
            "exclude_warmup": self.exclude_warmup,
            "n_points": int(self.n_points),
            "run_ids": list(self.run_ids),
            "stats": {k: _floats(v) for k, v in self.stats.items()},
            "selection": self.selection,
            "draws": None if self.draws is None else {k: _floats(v) for k, v in self.draws.items()},
            "bootstrap_info": self.bootstrap_info,
            "nonidentifiable": list(self.nonidentifiable),
            "warnings": list(self.warnings),
            "fitted_horizon": None if self.fitted_horizon is None else {
                "steps": [int(v) for v in self.fitted_horizon["steps"]],
                "runs": {k: [int(a), int(b)] for k, (a, b) in self.fitted_horizon["runs"].items()},
            },
            "layout": self.layout,
            "fitted_lr": None if self.fitted_lr is None else [float(v) for v in self.fitted_lr],
            "model_error": self.model_error,
        }

    def to_json(self, path: str | Path | None = None, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), **kwargs)
        if path is not None:
            Path(path).write_text(text)
        return text

    def replace(self, **changes: Any) -> FitResult:
        return replace(self, **changes)


def _layout_lines(layout: Mapping[str, Any] | None) -> list[str]:
    """Report lines of :attr:`FitResult.layout` (fitting points and approximate layout)."""
    if not layout:
        return []
    out = []
    pts = layout.get("points")
    if pts:
        obs = sum(int(a) for a, _ in pts["runs"].values())
        used = sum(int(b) for _, b in pts["runs"].values())
        how = (f"{used} of {obs} observed (at most {pts['max_per_run']} per run, weighted so each run "
               "counts fully)" if used < obs else f"all {obs} observed")
        out.append(f"    fitting points     = {how}")
    if layout.get("law") is not None:
        opts = layout["law"]
        desc = "exact per-step sum" if opts.get("mode") == "exact" else (
            f"blocks of {opts['block_size']} ({opts['block_anchor']}), x{opts['far_factor']} beyond "
            f"{opts['far_steps']} steps" + (", geometric near each point" if opts.get("near_exact") else ""))
        out.append(f"    fitting layout     = {desc}; rigorous error bound {layout['error_bound']:.2g} "
                   f"<= {layout['tolerance']:.2g} ({layout['noise_fraction']:g} x noise "
                   f"{layout['noise']:.2g}, log units)" if layout["error_bound"] <= layout["tolerance"]
                   else f"    fitting layout     = {desc}; error bound {layout['error_bound']:.2g} "
                   f"ABOVE tolerance {layout['tolerance']:.2g}")
        fitted = [t for t in layout.get("tried", ()) if not t.get("skipped")]
        if len(fitted) > 1:
            skipped = len(layout["tried"]) - len(fitted)
            out.append(f"    layout refinements = {len(fitted) - 1} (warm restarts on finer layouts"
                       + (f"; {skipped} skipped: bound already too large)" if skipped else ")"))
    return out


def evaluate(result: Any, runs: Any, *, metric: str | None = None) -> dict[str, Any]:
    """Per-run and mean metrics of a fit on ``runs`` (LAWS.md section 10).

    Points are those ``law.prepare`` selects with the fit's ``metric`` and ``exclude_warmup``
    (points with zero weight are skipped). Returns ``{"runs": [{"run_id", "n", "r2", "mae",
    "rmse", "prede", "worste", "mse", "huber"}, ...], "mean": {...}}``; the mean is unweighted
    over runs.

    Example:
        >>> import lawfit
        >>> from lawfit.laws import MomentumLaw
        >>> from lawfit.runs import Run
        >>> lr = [1e-3] * 400
        >>> run = Run("r", lr=lr, metrics={"loss": (range(10, 400, 10), [3.0 + 2.0 * (s * 1e-3) ** -0.3 for s in range(10, 400, 10)])})
        >>> res = lawfit.fit(MomentumLaw(lam=0.999), run, fixed={"C": 0.0})
        >>> round(lawfit.evaluate(res, run)["mean"]["r2"], 3)
        1.0
    """
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
