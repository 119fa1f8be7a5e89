"""The real-run suite: fit a law on some runs of a group, predict the others, score the final loss.

Tasks per :class:`~lawfit.evaluation.RealGroup` (``docs/accuracy.md``):

* ``"cooldown"`` -- fit the constant run + its longest cooldown (one WSD run), predict every other
  cooldown of the group (other horizons; same peak LR);
* ``"cosine"`` -- the same fit, predict the group's cosine runs (trained at 2x the WSD peak LR:
  a cross-peak-LR transfer).

The target is the **last logged validation loss** of each held-out run (``final_val_loss`` of the
source is a fuller validation pass, about 1 % higher, on a different batch set: not what the
fitted curve measures). The score of a prediction ``p`` of an observed ``y``::

    error    = (p - y) / y                      signed; > 0 means predicted too high
    prede_cd = mean |p_j - y_j| / y_j           over the held-out run's points after the branch

Example:
    >>> import lawfit
    >>> from lawfit.evaluation import schaipp_groups, evaluate_group
    >>> from lawfit.laws import MomentumLaw
    >>> g = schaipp_groups("../shared/data/schaipp")["slimpajama/llama_norm/33M"]  # doctest: +SKIP
    >>> fit = lambda runs: lawfit.fit(MomentumLaw(), runs, metric="val_loss")
    >>> rows = evaluate_group(fit, g, task="cooldown")  # doctest: +SKIP
    >>> rows[0].run_id, round(100 * rows[0].error, 2)  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lawfit.runs import Run, RunSet

__all__ = ["Prediction", "TASKS", "task_runs", "evaluate_group", "summarize"]

TASKS = ("cooldown", "cosine")


@dataclass(frozen=True)
class Prediction:
    """One held-out run's final-loss prediction.

    ``lower``/``upper`` are the band at the final point (NaN without one); ``fit_seconds`` is the
    wall time of the fit that produced it (shared by the group's predictions)."""

    group: str
    task: str
    run_id: str
    step: int
    observed: float
    predicted: float
    prede_cooldown: float
    fit_seconds: float
    lower: float = float("nan")
    upper: float = float("nan")

    @property
    def error(self) -> float:
        return (self.predicted - self.observed) / self.observed

    @property
    def covered(self) -> bool:
        return bool(self.lower <= self.observed <= self.upper)


def task_runs(group: Any, task: str) -> tuple[RunSet, tuple[Run, ...]]:
    """``(fit_runs, held_out)`` of ``task`` for a group (see the module docstring)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    fit_runs = RunSet([group.constant, group.cooldowns[-1]])
    held = group.cooldowns[:-1] if task == "cooldown" else group.cosine
    return fit_runs, tuple(held)


def evaluate_group(
    fit: Callable[[RunSet], Any],
    group: Any,
    *,
    task: str = "cooldown",
    metric: str = "val_loss",
    band: Callable[[Any, RunSet, Run], tuple[float, float]] | None = None,
    fitted: Any = None,
) -> list[Prediction]:
    """Fit ``fit(fit_runs)`` (a function returning a FitResult) once and predict the held-out runs
    of ``task``; ``band(result, fit_runs, run)`` optionally gives ``(lower, upper)`` at the final
    point. ``fitted=(result, seconds)`` reuses a fit (the two tasks share it)."""
    fit_runs, held = task_runs(group, task)
    if fitted is None:
        t0 = time.perf_counter()
        result = fit(fit_runs)
        seconds = time.perf_counter() - t0
    else:
        result, seconds = fitted
    rows = []
    for run in held:
        obs = run.observed(metric)
        keep = obs.steps >= (run.warmup_steps or 0)  # laws are not defined inside the warmup
        obs = type(obs)(obs.steps[keep], obs.values[keep])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = np.asarray(result.predict(run, steps=obs.steps, metric=metric))
        start = int(run.meta.get("cooldown_start", 0))
        after = obs.steps >= start
        prede = float(np.mean(np.abs(pred[after] - obs.values[after]) / obs.values[after]))
        lo = hi = float("nan")
        if band is not None:
            lo, hi = band(result, fit_runs, run)
        rows.append(Prediction(group.name, task, run.run_id, int(obs.steps[-1]), float(obs.values[-1]),
                               float(pred[-1]), prede, seconds, float(lo), float(hi)))
    return rows


def summarize(rows: Sequence[Prediction]) -> dict[str, float]:
    """Mean / max |error|, signed mean error, mean PredE over the cooldown (all as fractions),
    band coverage (NaN without bands) and the number of predictions."""
    if not rows:
        return {"n": 0}
    err = np.array([r.error for r in rows])
    has_band = [r for r in rows if np.isfinite(r.lower)]
    return {
        "n": len(rows),
        "mean_abs": float(np.mean(np.abs(err))),
        "max_abs": float(np.max(np.abs(err))),
        "bias": float(np.mean(err)),
        "prede_cooldown": float(np.mean([r.prede_cooldown for r in rows])),
        "coverage": float(np.mean([r.covered for r in has_band])) if has_band else float("nan"),
    }
