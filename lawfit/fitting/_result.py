"""``FitResult``: an honest, immutable record of a fit (scipy ``curve_fit`` + lmfit report).

Everything needed to predict again is stored: the law spec (name + options, i.e. convention,
lambda, ...), the natural parameters as float64, the fit settings, the per-start outcomes, the
local (Gauss-Newton) uncertainty and optional bootstrap draws. ``to_dict`` is JSON-able and
``load_fit`` rebuilds a result whose predictions are bit-identical.
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

__all__ = ["ExtrapolationWarning", "FitResult", "StartOutcomes", "load_fit"]


class ExtrapolationWarning(UserWarning):
    """:meth:`FitResult.predict` was asked for steps beyond the fitted horizon (the largest
    step among the fitted points). The prediction is still returned; filter the warning with
    ``warnings.simplefilter("ignore", lawfit.fitting.ExtrapolationWarning)`` when intended."""


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
        success: True when the best start converged.
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
        warnings: messages of the law's own checks at the fitted parameters
            (``law.diagnostics(params, inputs)``, e.g. violated D-CPT trend requirements).
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
                or ``LawInputs`` (e.g. ``Chinchilla.table(N, D)``).
            steps: global steps to predict at (default: the run's observed steps, or every step
                of an LR array).
            band: ``None``, a coverage in (0, 1) such as ``0.9``, or a ``(lower_q, upper_q)``
                pair. Needs bootstrap draws (:func:`lawfit.bootstrap`).

        Steps beyond the fitted horizon (``fitted_steps[1]``) are predicted but emit an
        :class:`ExtrapolationWarning` (prepared ``LawInputs`` targets are not checked).

        Returns:
            For a single run / array / schedule / inputs: a ``[P]`` float64 array, or
            ``(prediction, lower, upper)`` with ``band``. For a RunSet: ``{run_id: that}``.
        """
        from lawfit.fitting._predict import prepare_target

        inputs, split = prepare_target(self, target, steps, metric=metric)
        self._check_horizon(target, inputs)
        pred = self.predict_inputs(inputs)
        if band is not None:
            lo, hi = self._band(inputs, band)
        if split is None:
            return pred if band is None else (pred, lo, hi)
        out = {}
        for i, rid in enumerate(split):
            sel = np.asarray(inputs.run_index) == i
            out[rid] = pred[sel] if band is None else (pred[sel], lo[sel], hi[sel])
        return out

    def _check_horizon(self, target: Any, inputs: Any) -> None:
        from lawfit.laws._base import LawInputs

        if self.fitted_horizon is None or isinstance(target, LawInputs) or np.size(inputs.steps) == 0:
            return
        hi = int(self.fitted_horizon["steps"][1])
        top = int(np.max(inputs.steps))
        if top > hi:
            warnings.warn(
                f"predicting up to step {top}, beyond the fitted horizon (the fit saw steps "
                f"{self.fitted_horizon['steps'][0]}..{hi}): this is an extrapolation",
                ExtrapolationWarning,
                stacklevel=4,
            )

    def _band(self, inputs: Any, band: Any) -> tuple[np.ndarray, np.ndarray]:
        if not self.draws:
            raise ValueError(
                "band= needs bootstrap draws; run result = lawfit.bootstrap(result, runs, n=200) "
                "first"
            )
        if isinstance(band, (int, float)):
            if not 0 < band < 1:
                raise ValueError(f"band must be a coverage in (0, 1), got {band!r}")
            q = ((1 - band) / 2, (1 + band) / 2)
        else:
            q = tuple(float(v) for v in band)
            if len(q) != 2 or not 0 <= q[0] < q[1] <= 1:
                raise ValueError(f"band must be (lower_q, upper_q) with 0 <= lower < upper <= 1, got {band!r}")
        from lawfit.fitting._predict import predict_draws

        preds = predict_draws(self, inputs)
        ok = np.all(np.isfinite(preds), axis=1)
        lo, hi = np.quantile(preds[ok], q, axis=0)
        return lo, hi

    def evaluate(self, runs: Any, **kwargs: Any) -> dict[str, Any]:
        """Metrics on ``runs`` (see :func:`lawfit.evaluate`)."""
        from lawfit.fitting._metrics import evaluate

        return evaluate(self, runs, **kwargs)

    # -- text ----------------------------------------------------------------------------------
    def report(self) -> str:
        """An lmfit-like text report."""
        lines = [f"[[Fit]] {self.law!r}"]
        status = "success" if self.success else "FAILED"
        lines.append(f"    status             = {status}: {self.message}")
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
            lines.append("[[Warnings]] (law diagnostics at the fitted parameters)")
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
            "format": "lawfit.FitResult/1",
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
        }

    def to_json(self, path: str | Path | None = None, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), **kwargs)
        if path is not None:
            Path(path).write_text(text)
        return text

    def replace(self, **changes: Any) -> FitResult:
        return replace(self, **changes)


def load_fit(source: Mapping[str, Any] | str | Path) -> FitResult:
    """Rebuild a :class:`FitResult` from :meth:`FitResult.to_dict` output or a JSON file path.

    Example:
        >>> # res2 = lawfit.load_fit(res.to_dict()); res2.predict(run) == res.predict(run)
    """
    from lawfit.laws import from_spec

    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise ValueError(f"load_fit: no file {str(p)!r}")
        try:
            d = json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"load_fit: {str(p)!r} is not valid JSON ({e})") from None
    else:
        d = dict(source)
    if not str(d.get("format", "")).startswith("lawfit.FitResult/"):
        raise ValueError(
            f"load_fit: not a lawfit fit (format={d.get('format')!r}); pass FitResult.to_dict() output"
        )
    law = from_spec(d["law"])
    fl = lambda v: float(_unfloats(v))  # noqa: E731
    cov = d.get("covariance")
    draws = d.get("draws")
    return FitResult(
        law=law,
        params={k: fl(v) for k, v in d["params"].items()},
        fixed={k: fl(v) for k, v in d.get("fixed", {}).items()},
        bounds={k: (fl(a), fl(b)) for k, (a, b) in d.get("bounds", {}).items()},
        stderr=None if d.get("stderr") is None else {k: fl(v) for k, v in d["stderr"].items()},
        covariance=None if cov is None else np.asarray(_unfloats(cov), dtype=np.float64),
        covariance_names=tuple(d.get("covariance_names", ())),
        objective=fl(d.get("objective", "nan")),
        success=bool(d.get("success", False)),
        message=d.get("message", ""),
        starts=None if d.get("starts") is None else StartOutcomes.from_dict(d["starts"]),
        n_converged=int(d.get("n_converged", 0)),
        at_bounds=tuple(d.get("at_bounds", ())),
        metric=d.get("metric", "loss"),
        loss=d.get("loss", "huber_log"),
        delta=float(d.get("delta", 1e-3)),
        exclude_warmup=d.get("exclude_warmup"),
        n_points=int(d.get("n_points", 0)),
        run_ids=tuple(d.get("run_ids", ())),
        stats={k: fl(v) for k, v in d.get("stats", {}).items()},
        selection=d.get("selection"),
        draws=None if draws is None else {k: np.asarray(_unfloats(v), dtype=np.float64) for k, v in draws.items()},
        bootstrap_info=d.get("bootstrap_info"),
        versions=dict(d.get("versions", {})),
        # fields added later: absent in older JSON
        nonidentifiable=tuple(d.get("nonidentifiable") or ()),
        warnings=tuple(d.get("warnings") or ()),
        fitted_horizon=_horizon(d.get("fitted_horizon")),
        layout=d.get("layout"),
    )


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
        if len(layout.get("tried", ())) > 1:
            out.append(f"    layout refinements = {len(layout['tried']) - 1} (warm restarts on finer layouts)")
    return out


def _horizon(h: Any) -> dict[str, Any] | None:
    if not h:
        return None
    return {
        "steps": (int(h["steps"][0]), int(h["steps"][1])),
        "runs": {str(k): (int(a), int(b)) for k, (a, b) in (h.get("runs") or {}).items()},
    }
