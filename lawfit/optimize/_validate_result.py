"""The outcome of :func:`lawfit.optimize.validate_schedules`: predicted versus trained final loss.

Statistics (``summarize``), per schedule ``i`` with achieved final losses ``a_i,s`` over seeds
``s``: ``mean_i``, ``std_i`` (sample std, ``ddof=1``); the ranking agreement is Kendall's tau
(``scipy.stats.kendalltau``, tau-b) between the predicted losses and ``mean_i``. A schedule
``r`` is *no worse* than the baseline ``b`` (the best of the baselines by mean) when
``mean_r - mean_b <= sqrt((std_r^2 + std_b^2) / 2)`` (one pooled seed std); the paired
difference ``a_r,s - a_b,s`` (same seed: same initialisation and batch order) is reported too.

Example:
    >>> from lawfit.optimize import summarize_validation
    >>> rows = summarize_validation({"a": 3.0, "b": 3.1, "c": 3.2},
    ...                             {"a": [3.01, 3.02, 3.0], "b": [3.1, 3.12, 3.11],
    ...                              "c": [3.3, 3.31, 3.29]}, baselines=("b",), candidates=("a",))
    >>> rows.kendall_tau, rows.verdicts["a"]["no_worse"]
    (1.0, True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ValidationResult", "summarize_validation"]


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """Predicted versus achieved final loss of several schedules trained over several seeds.

    Attributes:
        rows: one dict per schedule, best achieved first: ``name``, ``predicted``, ``achieved``
            (per seed), ``mean``, ``std``, ``error`` (predicted - mean), ``rank_predicted``,
            ``rank_achieved``, ``in_fit`` (its runs were used to fit the law).
        kendall_tau, kendall_p: ranking agreement over all schedules (scipy tau-b and p-value).
        kendall_tau_held_out: the same over the schedules not used in the fit (None if < 3).
        verdicts: ``{candidate: {...}}`` against the best baseline: ``baseline``, ``margin``
            (mean difference, negative = the candidate wins), ``pooled_std``, ``no_worse``,
            ``paired_mean``, ``paired_std``.
        seeds: the seeds trained. config: the run setup (JSON-able). fit: the fitted law's
            parameters and fit quality. lr: ``{name: per-step LR list}``.
    """

    rows: list[dict[str, Any]]
    kendall_tau: float
    kendall_p: float
    kendall_tau_held_out: float | None
    verdicts: dict[str, dict[str, Any]]
    seeds: tuple[int, ...] = ()
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    fit: dict[str, Any] = dataclasses.field(default_factory=dict)
    lr: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def to_frame(self):
        import pandas as pd

        cols = ["name", "predicted", "mean", "std", "error", "rank_predicted", "rank_achieved",
                "in_fit"]
        return pd.DataFrame([{k: r[k] for k in cols} for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["seeds"] = list(self.seeds)
        return d

    def to_json(self, path) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=1)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ValidationResult:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - fields)
        if unknown:
            raise ValueError(f"not a validation result: unknown keys {unknown}")
        return cls(**{**d, "seeds": tuple(d.get("seeds", ()))})

    @classmethod
    def from_json(cls, path) -> ValidationResult:
        with open(path) as fh:
            return cls.from_dict(json.load(fh))

    def __str__(self) -> str:
        lines = [f"{'schedule':<16} {'predicted':>9} {'trained':>9} {'± std':>7} {'rank p/t':>8}"]
        for r in self.rows:
            mark = " (fit)" if r["in_fit"] else ""
            lines.append(f"{r['name']:<16} {r['predicted']:9.4f} {r['mean']:9.4f} {r['std']:7.4f} "
                         f"{r['rank_predicted']:>4}/{r['rank_achieved']:<3}{mark}")
        held = ("n/a" if self.kendall_tau_held_out is None
                else f"{self.kendall_tau_held_out:.3f}")
        lines.append(f"Kendall tau {self.kendall_tau:.3f} (p={self.kendall_p:.3g}); held out {held}; "
                     f"{len(self.seeds)} seeds")
        for name, v in self.verdicts.items():
            word = "no worse than" if v["no_worse"] else "WORSE than"
            lines.append(f"{name}: {word} {v['baseline']} by {v['margin']:+.4f} "
                         f"(pooled seed std {v['pooled_std']:.4f}; paired {v['paired_mean']:+.4f}"
                         f" ± {v['paired_std']:.4f})")
        return "\n".join(lines)


def _ranks(values: Sequence[float]) -> list[int]:
    order = np.argsort(np.asarray(values), kind="stable")
    ranks = np.empty(len(order), dtype=int)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks.tolist()


def _tau(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    from scipy.stats import kendalltau

    res = kendalltau(x, y)
    return float(res.statistic), float(res.pvalue)


def summarize_validation(
    predicted: Mapping[str, float],
    achieved: Mapping[str, Sequence[float]],
    *,
    baselines: Sequence[str] = ("cosine", "wsd"),
    candidates: Sequence[str] = ("optimum", "smooth_optimum"),
    in_fit: Sequence[str] = (),
    **extra: Any,
) -> ValidationResult:
    """Compare predicted final losses with the per-seed achieved ones (see the module notes).

    ``extra`` (``seeds``, ``config``, ``fit``, ``lr``) is stored on the result as is.
    """
    names = list(predicted)
    missing = [n for n in names if n not in achieved]
    if missing or len(names) < 2:
        raise ValueError(f"need achieved losses for every predicted schedule (>= 2); missing {missing}")
    for group, label in ((baselines, "baselines"), (candidates, "candidates")):
        unknown = [n for n in group if n not in predicted]
        if unknown:
            raise ValueError(f"{label} {unknown} are not among the schedules {names}")
    a = {n: np.asarray(achieved[n], dtype=np.float64) for n in names}
    mean = {n: float(a[n].mean()) for n in names}
    std = {n: float(a[n].std(ddof=1)) if a[n].size > 1 else 0.0 for n in names}
    pred = [float(predicted[n]) for n in names]
    rp, ra = _ranks(pred), _ranks([mean[n] for n in names])
    rows = [{"name": n, "predicted": pred[i], "achieved": a[n].tolist(), "mean": mean[n],
             "std": std[n], "error": pred[i] - mean[n], "rank_predicted": rp[i],
             "rank_achieved": ra[i], "in_fit": n in in_fit} for i, n in enumerate(names)]
    rows.sort(key=lambda r: r["mean"])
    tau, p = _tau(pred, [mean[n] for n in names])
    held = [i for i, n in enumerate(names) if n not in in_fit]
    tau_held = (_tau([pred[i] for i in held], [mean[names[i]] for i in held])[0]
                if len(held) >= 3 else None)
    verdicts = {}
    if baselines:
        base = min(baselines, key=lambda n: mean[n])
        for c in candidates:
            pooled = float(np.sqrt((std[c] ** 2 + std[base] ** 2) / 2))
            diff = a[c] - a[base] if a[c].size == a[base].size else np.array([mean[c] - mean[base]])
            verdicts[c] = {"baseline": base, "margin": mean[c] - mean[base], "pooled_std": pooled,
                           "no_worse": bool(mean[c] - mean[base] <= pooled),
                           "paired_mean": float(diff.mean()),
                           "paired_std": float(diff.std(ddof=1)) if diff.size > 1 else 0.0}
    return ValidationResult(rows, tau, p, tau_held, verdicts, **extra)
