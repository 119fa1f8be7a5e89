"""``lawfit.cross_validate``: choose modelling options by held-out runs, for any law.

Each candidate is a set of :func:`lawfit.fit` keyword options (and/or a ``law``). For every fold
(default: leave one run out) each candidate is fitted on the other runs and scored on the held-out
runs with a metric of :func:`lawfit.evaluate` (LAWS.md section 10)::

    score(c, k) = mean_{r in held-out(k)} metric(fit_c(runs \\ held-out(k)), r)
    CV(c)       = mean_k score(c, k)

The candidate with the best ``CV(c)`` (highest for ``"r2"``, lowest otherwise; ties go to the
first listed) is selected and refitted on all runs. Only the runs passed in are ever used: pass
the training runs, never the test runs, so the choice stays honest.

Example:
    >>> import jax, numpy as np, lawfit
    >>> from lawfit.laws import MomentumLaw
    >>> from lawfit.runs import Run, RunSet
    >>> law = MomentumLaw(lam=0.99, warmup="mpl")
    >>> truth = dict(L0=2.5, A=0.65, alpha=0.42, C=5.4)
    >>> lr = np.full(4000, 3e-4); lr[:200] = np.linspace(0, 3e-4, 200)
    >>> runs = []
    >>> for i, end in enumerate((3e-4, 1e-4, 3e-5)):
    ...     lr_i = lr.copy(); lr_i[2000:] = np.linspace(3e-4, end, 2000)
    ...     base = Run(f"run{i}", lr=lr_i, metrics={"loss": (np.arange(200, 4000, 50), np.ones(76))},
    ...                meta={"warmup_steps": 200, "peak_lr": 3e-4})
    ...     with jax.enable_x64(True):
    ...         y = np.asarray(law.predict(truth, law.prepare(base).x))
    ...     runs.append(base.replace(metrics={"loss": (np.arange(200, 4000, 50), y)}))
    >>> cv = lawfit.cross_validate(
    ...     {"lam=0.99": {"law": law}, "lam=0.9": {"law": MomentumLaw(lam=0.9, warmup="mpl")}},
    ...     RunSet(runs), score="prede", stderr=False)
    >>> cv.selected, cv.scores.shape  # [candidates, folds]
    ('lam=0.99', (2, 3))
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lawfit._validate import check_bool, check_choice
from lawfit.fitting._metrics import METRICS
from lawfit.fitting._options import check_metric

__all__ = ["cross_validate", "CVResult", "SCORES"]

SCORES = METRICS  # every per-run metric of lawfit.evaluate
_HIGHER_IS_BETTER = ("r2",)


@dataclass(frozen=True)
class CVResult:
    """The result of :func:`cross_validate`.

    Attributes:
        candidates: candidate names, in the order given (rows of ``scores``).
        folds: the held-out run ids of each fold (columns of ``scores``).
        scores: ``[C, K]`` held-out score of each candidate in each fold (mean over the fold's
            held-out runs; NaN when the fold's fit produced no parameters).
        mean: ``{candidate: mean over folds}`` (NaN if any fold is NaN).
        score: the metric used (``"r2"``, ``"prede"``, ``"huber"``, ...).
        higher_is_better: ``True`` for ``"r2"``.
        selected: the chosen candidate's name.
        options: the chosen candidate's options (as given).
        fit: the chosen candidate refitted on all runs (``None`` with ``refit=False``).
        converged: ``[C, K]`` whether each fold's fit converged (a non-converged fold is still
            scored: its best parameters are used).
    """

    candidates: tuple[str, ...]
    folds: tuple[tuple[str, ...], ...]
    scores: np.ndarray
    mean: dict[str, float]
    score: str
    higher_is_better: bool
    selected: str
    options: dict[str, Any]
    fit: Any
    converged: np.ndarray

    def report(self) -> str:
        """A table of per-fold and mean held-out scores, the selection marked with ``*``."""
        head = [f"cross-validation: {len(self.folds)} folds, score {self.score!r} "
                f"({'higher' if self.higher_is_better else 'lower'} is better)"]
        width = max(len(c) for c in self.candidates)
        cols = " ".join(f"{'+'.join(f):>14.14s}" for f in self.folds)
        head.append(f"  {'candidate':{width}s} {cols} {'mean':>12s}")
        for i, c in enumerate(self.candidates):
            mark = "*" if c == self.selected else " "
            vals = " ".join(f"{v:14.6g}" for v in self.scores[i])
            head.append(f"{mark} {c:{width}s} {vals} {self.mean[c]:12.6g}")
        return "\n".join(head)

    def __str__(self) -> str:
        return self.report()


def _fit_options() -> tuple[str, ...]:
    from lawfit.fitting._fit import fit

    params = inspect.signature(fit).parameters
    return tuple(n for n in params if n not in ("law", "runs"))


def _check_folds(folds: Any, ids: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    if folds is None:
        return tuple((r,) for r in ids)
    if isinstance(folds, (str, bytes)) or not isinstance(folds, Sequence) or not folds:
        raise ValueError(
            "folds must be a non-empty list of held-out run-id lists, e.g. [['a'], ['b', 'c']], "
            f"or None for leave-one-run-out; got {folds!r}"
        )
    out = []
    for k, fold in enumerate(folds):
        held = (fold,) if isinstance(fold, str) else tuple(fold)
        unknown = [r for r in held if r not in ids]
        if unknown:
            raise ValueError(f"folds[{k}]: unknown run ids {unknown}; the runs are {list(ids)}")
        if not held:
            raise ValueError(f"folds[{k}] holds out no run; give at least one run id")
        if set(held) >= set(ids):
            raise ValueError(f"folds[{k}] holds out every run, leaving none to fit; hold out fewer")
        out.append(tuple(dict.fromkeys(held)))
    return tuple(out)


def _check_candidates(candidates: Any, law: Any, common: Mapping[str, Any]) -> dict[str, dict]:
    allowed = _fit_options()
    unknown = [k for k in common if k not in allowed]
    if unknown:
        raise ValueError(
            f"cross_validate: unknown lawfit.fit option(s) {unknown}; the options are {list(allowed)}"
        )
    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError(
            "candidates must be a non-empty mapping {name: {fit option: value, ..., 'law': law}}, "
            f"got {candidates!r}"
        )
    out = {}
    for name, opts in candidates.items():
        if not isinstance(name, str):
            raise ValueError(f"candidate names must be strings, got {name!r}")
        if not isinstance(opts, Mapping):
            raise ValueError(
                f"candidate {name!r}: options must be a mapping of lawfit.fit options (and 'law'), "
                f"got {type(opts).__name__}"
            )
        bad = [k for k in opts if k != "law" and k not in allowed]
        if bad:
            raise ValueError(
                f"candidate {name!r}: unknown option(s) {bad}; use 'law' or lawfit.fit options "
                f"{list(allowed)}"
            )
        if "law" not in opts and law is None:
            raise ValueError(
                f"candidate {name!r} has no 'law' and no default law= was given; pass law=... or "
                "add 'law' to the candidate"
            )
        out[name] = dict(opts)
    return out


def _check_candidate_options(cands: dict, law: Any, common: Mapping[str, Any], metric: str) -> None:
    """Every candidate's law and merged fit options checked before the first (slow) fit."""
    from lawfit.fitting._fit import fit, resolve_law
    from lawfit.fitting._options import check_fit_options

    params = inspect.signature(fit).parameters
    defaults = {n: p.default for n, p in params.items() if n not in ("law", "runs")}
    checked = set(inspect.signature(check_fit_options).parameters)
    for name, opts in cands.items():
        try:
            resolve_law(opts.get("law", law))
            merged = {**defaults, **common, **{k: v for k, v in opts.items() if k != "law"}}
            merged["metric"] = metric
            check_fit_options(**{k: v for k, v in merged.items() if k in checked})
        except ValueError as e:
            raise ValueError(f"candidate {name!r}: {e}") from None


def _restrict(options: dict, ids: tuple[str, ...]) -> dict:
    """Per-run ``weights`` restricted to the runs of a fold."""
    w = options.get("weights")
    if isinstance(w, Mapping):
        options = {**options, "weights": {k: v for k, v in w.items() if k in ids}}
    return options


def cross_validate(
    candidates: Mapping[str, Mapping[str, Any]],
    runs: Any,
    *,
    law: Any = None,
    folds: Sequence[Sequence[str]] | None = None,
    score: str = "prede",
    metric: str = "loss",
    evaluate_as: Callable[[Any], Any] | None = None,
    refit: bool = True,
    **fit_options: Any,
) -> CVResult:
    """Select a candidate set of fit options by cross-validation over runs (see module docstring).

    Args:
        candidates: ``{name: {option: value}}``: ``lawfit.fit`` keyword options and/or ``"law"``
            (a law or registry name). Options override ``fit_options``; per-run ``weights``
            (``{run_id: w}``) are restricted to each fold's runs.
        runs: the runs to cross-validate on (at least 2): the training runs only.
        law: the law of candidates without their own ``"law"``.
        folds: held-out run ids per fold (``[["a"], ["b", "c"]]``); ``None``: leave one run out.
        score: an :func:`lawfit.evaluate` metric: ``"prede"`` (default), ``"r2"``, ``"huber"``
            (summed Huber of log residuals per run), ``"rmse"``, ``"mae"``, ``"worste"``,
            ``"mse"``. Higher is better for ``"r2"``, lower for the others.
        metric: the observed metric fitted and scored.
        evaluate_as: maps a fitted law to the law the held-out runs are scored with (e.g.
            ``lambda law: law.with_mode("exact")`` for an MPL fitted in block mode).
        refit: refit the selected candidate on all runs (``CVResult.fit``).
        **fit_options: ``lawfit.fit`` options shared by all candidates (e.g. ``stderr=False``).

    Returns:
        A frozen :class:`CVResult`.
    """
    from lawfit.fitting._fit import fit
    from lawfit.fitting._result import evaluate
    from lawfit.runs import as_runset

    check_choice("score", score, SCORES)
    check_metric(metric)
    check_bool("refit", refit)
    if evaluate_as is not None and not callable(evaluate_as):
        raise ValueError(f"evaluate_as must be a function law -> law or None, got {evaluate_as!r}")
    if "metric" in fit_options:
        raise ValueError("pass metric= as cross_validate's own argument, not among the fit options")
    runs = as_runset(runs)
    ids = tuple(runs.ids)
    if len(ids) < 2:
        raise ValueError(
            f"cross_validate needs at least 2 runs to hold one out, got {len(ids)} ({list(ids)})"
        )
    cands = _check_candidates(candidates, law, fit_options)
    _check_candidate_options(cands, law, fit_options, metric)
    folds_t = _check_folds(folds, ids)
    higher = score in _HIGHER_IS_BETTER
    names = tuple(cands)
    scores = np.full((len(names), len(folds_t)), np.nan)
    converged = np.zeros((len(names), len(folds_t)), dtype=bool)

    def run_fit(opts: dict, fit_ids: tuple[str, ...]):
        opts = _restrict({**fit_options, **opts}, fit_ids)
        the_law = opts.pop("law", law)
        return fit(the_law, runs.select(list(fit_ids)), metric=metric, **opts)

    for i, name in enumerate(names):
        for k, held in enumerate(folds_t):
            fit_ids = tuple(r for r in ids if r not in held)
            res = run_fit(cands[name], fit_ids)
            converged[i, k] = res.status != "not_converged"
            if not all(math.isfinite(v) for v in res.params.values()):
                continue
            if evaluate_as is not None:
                res = res.replace(law=evaluate_as(res.law))
            scores[i, k] = evaluate(res, runs.select(list(held)), metric=metric)["mean"][score]
    mean = {n: float(np.mean(scores[i])) for i, n in enumerate(names)}
    key = np.array([mean[n] if math.isfinite(mean[n]) else (-np.inf if higher else np.inf) for n in names])
    if not np.isfinite(key).any():
        raise ValueError(
            "cross_validate: no candidate produced finite scores in every fold; check the fits "
            "(e.g. raise max_iter) or the data"
        )
    best = int(np.argmax(key) if higher else np.argmin(key))
    selected = names[best]
    final = run_fit(cands[selected], ids) if refit else None
    return CVResult(
        candidates=names, folds=folds_t, scores=scores, mean=mean, score=score,
        higher_is_better=higher, selected=selected, options=dict(candidates[selected]),
        fit=final, converged=converged,
    )
