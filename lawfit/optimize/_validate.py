"""Closed loop: are the law's schedule rankings true when the schedules are actually trained?

:func:`validate_schedules` runs, on the proxy trainer (:mod:`lawfit.proxy`), every seed together
in vmapped programs:

1. **fit runs**: the ``fit_schedules`` (default constant, linear-to-0 and WSD with a 20 % linear
   decay) for every seed; the law (default the Multi-Power Law) is fitted to their ``val_loss``.
2. **law schedules** from that fit: the free-form optimum of :func:`optimize_schedule` (its
   default, a staircase), its ``smooth=True`` optimum and the best WSD of :func:`search_family`;
   plus fixed schedules (cosine to 10 %, UBA) and the refined schedule (Defazio et al.) from the
   seed-mean gradient norms of the linear fit runs.
3. **held-out runs**: those schedules for every seed, then
   :func:`summarize_validation`: predicted versus achieved final ``val_loss``, seed spread,
   Kendall tau of the ranking, and whether each law schedule trains no worse than the best of
   cosine and WSD.

Every schedule shares the warmup ``np.linspace(0, peak, W)`` (the ``"linspace"`` convention of
:func:`optimize_schedule`), the peak LR and the budget, so only the post-warmup shape differs.

Example:
    >>> from lawfit import proxy
    >>> from lawfit.optimize import validate_schedules
    >>> base = proxy.RunConfig("v", steps=1, schedule=None, batch_size=8, eval_every=60,
    ...     model=proxy.ModelConfig(width=32, depth=1, heads=2, context=32))

    ``validate_schedules(120, peak_lr=1e-2, warmup_steps=12, seeds=(0, 1, 2), base=base,
    out_dir="validate")`` trains every schedule with three seeds and returns the comparison (not run
    here: it trains; ``notebooks/06_validate_schedules.py`` runs it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lawfit.optimize._validate_result import ValidationResult, summarize_validation

__all__ = ["validate_schedules", "default_fit_schedules", "fixed_schedules", "law_schedules"]


def default_fit_schedules(total_steps: int, peak_lr: float, warmup_steps: int) -> dict[str, Any]:
    """The schedules the law is fitted on: constant, linear to 0, WSD with a 20 % linear decay."""
    from lawfit import schedules as sch

    kw = {"warmup_steps": warmup_steps, "warmup_convention": "linspace"}
    return {
        "constant": sch.constant(peak_lr, **kw),
        "linear": sch.linear(peak_lr, total_steps, **kw),
        "wsd": sch.wsd(peak_lr, total_steps, decay_fraction=0.2, **kw),
    }


def fixed_schedules(total_steps: int, peak_lr: float, warmup_steps: int,
                    uba_phi: float = 0.5) -> dict[str, Any]:
    """Held-out literature schedules: cosine to 10 % of the peak and UBA (experimental)."""
    from lawfit import schedules as sch

    kw = {"warmup_steps": warmup_steps, "warmup_convention": "linspace"}
    return {
        "cosine": sch.cosine(peak_lr, total_steps, end_ratio=0.1, **kw),
        "uba": sch.uba(peak_lr, total_steps, phi=uba_phi, **kw),
    }


def law_schedules(fit: Any, total_steps: int, peak_lr: float, warmup_steps: int) -> dict[str, np.ndarray]:
    """Per-step LR of the law's free-form optimum (the default of :func:`optimize_schedule`), its
    smooth optimum and the best WSD of :func:`search_family`."""
    from lawfit.optimize._family import search_family
    from lawfit.optimize._schedule_opt import optimize_schedule

    kw = {"warmup_steps": warmup_steps, "peak_lr": peak_lr}
    n = total_steps - warmup_steps
    smooth_kw = {} if n > 64 else {"levels": (max(2, n // 4),)}  # the default blocks need n > 64
    return {
        "optimum": np.asarray(optimize_schedule(fit, total_steps, smooth=False, **kw).lr),
        "smooth_optimum": np.asarray(optimize_schedule(fit, total_steps, smooth=True, **kw,
                                                       **smooth_kw).lr),
        "best_wsd": np.asarray(search_family(fit, total_steps, families=("wsd",), **kw).lr("wsd")),
    }


def _train(schedules: Mapping[str, Any], seeds: Sequence[int], base: Any, out_dir: Path,
           progress: Callable[[int, int], None] | None):
    """Train every schedule for every seed in one vmapped batch; ``{name: [run per seed]}``."""
    from lawfit import proxy

    cfgs = [base.replace(run_id=f"{name}-s{s}", schedule=sched, seed=int(s))
            for name, sched in schedules.items() for s in seeds]
    proxy.train_many(cfgs, out_dir, progress=progress)
    return {name: [proxy.read_run_dir(out_dir / f"{name}-s{s}") for s in seeds]
            for name in schedules}


def _final(run: Any, metric: str = "val_loss") -> float:
    obs = run.observed(metric)
    return float(obs.values[np.argmax(obs.steps)])


def _mean_grad_norms(runs: Sequence[Any], warmup_steps: int) -> np.ndarray:
    """Seed-mean per-step gradient norm of the post-warmup steps."""
    g = []
    for r in runs:
        obs = r.observed("grad_norm")
        g.append(obs.values[np.argsort(obs.steps)][warmup_steps:])
    return np.mean(g, axis=0)


def validate_schedules(
    total_steps: int,
    *,
    peak_lr: float,
    warmup_steps: int,
    out_dir: Any,
    seeds: Sequence[int] = (0, 1, 2),
    base: Any = None,
    law: Any = None,
    fit_schedules: Mapping[str, Any] | None = None,
    extra_schedules: Mapping[str, Any] | None = None,
    refine_from: str | None = "linear",
    uba_phi: float = 0.5,
    baselines: Sequence[str] = ("cosine", "wsd"),
    candidates: Sequence[str] = ("optimum", "smooth_optimum", "best_wsd"),
    progress: Callable[[int, int], None] | None = None,
) -> ValidationResult:
    """Train law-optimal and literature schedules on the proxy, several seeds, and check the law.

    Args:
        total_steps, peak_lr, warmup_steps: the budget, peak LR and warmup every schedule shares.
        out_dir: directory for the proxy runs (``<name>-s<seed>/``) and ``validation.json``.
        seeds: training seeds (>= 3 for a seed spread worth the name).
        base: a :class:`lawfit.proxy.RunConfig` template (model, optimizer, batch size,
            eval_every, data); its run id, steps, schedule and seed are replaced. Default: the
            default proxy size with ``eval_every = total_steps // 10``.
        law: the law to fit (default ``MultiPowerLaw(convention="repo")``); it must be a law
            :func:`optimize_schedule` accepts (the Multi-Power Law).
        fit_schedules: ``{name: schedule}`` the law is fitted on (default
            :func:`default_fit_schedules`); they are ranked too (``in_fit``).
        extra_schedules: more held-out ``{name: schedule}`` (default :func:`fixed_schedules`).
        refine_from: name of a fit schedule whose seed-mean gradient norms build the ``refined``
            schedule (None: no refined schedule).
        baselines, candidates: the verdict compares each candidate with the best baseline.
    """
    from lawfit import proxy
    from lawfit import schedules as sch
    from lawfit.fitting import fit as fit_law
    from lawfit.laws import MultiPowerLaw
    from lawfit.optimize._compare import compare
    from lawfit.runs import RunSet

    T, W, peak = int(total_steps), int(warmup_steps), float(peak_lr)
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be >= 2 distinct integers (3 or more recommended), got {seeds}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if base is None:
        base = proxy.RunConfig("validate", steps=T, schedule=None, eval_every=max(1, T // 10))
    base = base.replace(steps=T)
    law = law or MultiPowerLaw(convention="repo")
    fit_scheds = dict(fit_schedules or default_fit_schedules(T, peak, W))
    held = dict(fixed_schedules(T, peak, W, uba_phi) if extra_schedules is None else extra_schedules)
    if refine_from is not None and refine_from not in fit_scheds:
        raise ValueError(f"refine_from={refine_from!r} is not a fit schedule {list(fit_scheds)}")
    clash = sorted(set(fit_scheds) & set(held))
    if clash:
        raise ValueError(f"schedule names {clash} are both fit and held-out schedules; rename one")

    fit_runs = _train(fit_scheds, seeds, base, out, progress)
    fit = fit_law(law, RunSet([r for rs in fit_runs.values() for r in rs]), metric="val_loss")
    held.update(law_schedules(fit, T, peak, W))
    if refine_from is not None:
        g = _mean_grad_norms(fit_runs[refine_from], W)
        held["refined"] = sch.refined(g.tolist(), peak, warmup_steps=W, warmup_convention="linspace")
    held_runs = _train(held, seeds, base, out, progress)

    runs = {**fit_runs, **held_runs}
    lrs = {n: np.asarray(rs[0].lr, dtype=np.float64) for n, rs in runs.items()}
    table = compare(fit, lrs, T)
    predicted = {row["name"]: float(row["final_loss"]) for row in table.rows}
    achieved = {n: [_final(r) for r in rs] for n, rs in runs.items()}
    cfg = {"model": base.model.to_dict(), "optimizer": base.optimizer.to_dict(),
           "batch_size": base.batch_size, "eval_every": base.eval_every,
           "domains": list(base.domain_names), "data_seed": base.data_seed}
    result = summarize_validation(
        {n: predicted[n] for n in runs}, achieved,
        baselines=[b for b in baselines if b in runs], candidates=[c for c in candidates if c in runs],
        in_fit=tuple(fit_scheds), seeds=seeds,
        config={"total_steps": T, "peak_lr": peak, "warmup_steps": W, "run": cfg,
                "law": type(law).__name__},
        fit={"params": {k: float(v) for k, v in fit.params.items()},
             "stats": {k: float(v) for k, v in (fit.stats or {}).items()
                       if isinstance(v, (int, float))}},
        lr={n: a.tolist() for n, a in lrs.items()},
    )
    result.to_json(out / "validation.json")
    return result
