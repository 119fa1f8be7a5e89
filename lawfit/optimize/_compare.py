"""Rank learning-rate schedules by the loss a fitted law predicts for them.

``compare(model, schedules, total_steps)`` turns every schedule (a lawfit schedule, a spec dict,
any ``step -> lr`` callable, a per-step array or a :class:`lawfit.Run`) into its per-step LR array
over ``total_steps``, predicts the loss at the final step and at chosen budgets, and ranks them.
With bootstrap draws on the fit (:func:`lawfit.bootstrap`) every prediction gets a standard
deviation and a central interval, and each schedule the probability that it beats the best one.

Example:
    >>> from lawfit import schedules as sch
    >>> from lawfit.laws import MultiPowerLaw
    >>> from lawfit.optimize import compare, MPL_REPO_PARAMS
    >>> model = (MultiPowerLaw(convention="repo"), MPL_REPO_PARAMS["400M"])
    >>> table = compare(model, {"cos": sch.cosine(3e-4, total_steps=24000, warmup_steps=2160,
    ...                 end_value=3e-5, warmup_convention="linspace"),
    ...                 "const": sch.constant(3e-4, warmup_steps=2160,
    ...                 warmup_convention="linspace")}, 24000)
    >>> [row["name"] for row in table.rows]
    ['cos', 'const']
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lawfit._validate import check_int
from lawfit._x64 import x64

__all__ = ["Comparison", "compare", "schedule_array"]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A ranking of schedules (best first).

    Attributes:
        rows: one dict per schedule: ``rank``, ``name``, ``final_loss``, ``delta`` (to the best),
            ``loss@<b>`` for every budget, and with draws ``final_std``, ``final_lo``,
            ``final_hi``, ``p_best`` (share of draws in which it is the best schedule).
        total_steps, budgets: the horizon and the budgets predicted.
        band: the central coverage of ``final_lo``/``final_hi`` (None without draws).
        warnings: e.g. budgets far beyond the fitted horizon.
    """

    rows: list[dict[str, Any]]
    total_steps: int
    budgets: tuple[int, ...]
    band: float | None
    warnings: tuple[str, ...] = ()

    @property
    def best(self) -> dict[str, Any]:
        return self.rows[0]

    def names(self) -> list[str]:
        return [r["name"] for r in self.rows]

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("rank")

    def __str__(self) -> str:
        cols = ["rank", "name", "final_loss", "delta"] + [f"loss@{b}" for b in self.budgets]
        if self.band is not None:
            cols += ["final_std", "p_best"]
        lines = ["  ".join(f"{c:>14}" for c in cols)]
        for r in self.rows:
            lines.append("  ".join(
                f"{r[c]:>14.6f}" if isinstance(r[c], float) else f"{r[c]!s:>14}" for c in cols))
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def schedule_array(schedule: Any, total_steps: int) -> np.ndarray:
    """The per-step LR array (length ``total_steps``) of a schedule, spec, array or Run."""
    from lawfit.runs import Run

    if isinstance(schedule, Run):
        if schedule.lr is None:
            raise ValueError(f"run {schedule.run_id!r} has no LR array to compare")
        arr = np.asarray(schedule.lr, dtype=np.float64)
    elif isinstance(schedule, Mapping):
        from lawfit import schedules as sch

        arr = sch.to_array(sch.from_spec(schedule), total_steps)
    elif callable(schedule):
        from lawfit import schedules as sch

        arr = sch.to_array(schedule, total_steps)
    else:
        arr = np.asarray(schedule, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != total_steps:
        raise ValueError(
            f"schedule has {arr.shape[0] if arr.ndim == 1 else arr.shape} steps but "
            f"total_steps={total_steps}; pass a per-step array of exactly total_steps values (or "
            "a schedule / spec, which is evaluated over total_steps)"
        )
    if not np.all(np.isfinite(arr)) or arr.min() < 0:
        raise ValueError("schedule values must be finite and non-negative")
    return arr


def _law_params(model: Any, convention: str | None):
    """``(law, params, draws, horizon)`` of a FitResult, ``(law, params)`` or MPL params dict."""
    if isinstance(model, tuple) and len(model) == 2:
        law, params = model
        return law, dict(params), None, None
    if isinstance(model, Mapping):
        from lawfit.laws import MultiPowerLaw

        if convention is None:
            raise ValueError(
                "a bare MPL params dict needs convention='paper'|'repo'|'tissue' (LAWS.md 4.2)")
        return MultiPowerLaw(convention=convention), dict(model), None, None
    if hasattr(model, "law") and hasattr(model, "params"):
        from lawfit.optimize._predict import _draws_of, _horizon_of

        return model.law, dict(model.params), _draws_of(model), _horizon_of(model)
    raise ValueError(
        "model must be a lawfit FitResult, a (law, params) pair or an MPL params dict, got "
        f"{type(model).__name__}")


@x64
def compare(
    model: Any,
    schedules: Mapping[str, Any] | Sequence[Any],
    total_steps: int,
    *,
    budgets: Sequence[int] | None = None,
    convention: str | None = None,
    band: float = 0.9,
    fitted_horizon: int | None = None,
    max_extrapolation: float = 10.0,
) -> Comparison:
    """Predict and rank ``schedules`` by final loss under a fitted law.

    Args:
        model: ``FitResult`` (draws used when present), ``(law, params)`` or an MPL params dict
            with ``convention``.
        schedules: ``{name: schedule}`` or a sequence (named by their spec's family, the run id
            or ``"schedule_<i>"``); each a lawfit schedule, spec dict, callable, per-step array
            of length ``total_steps`` or Run.
        total_steps: the horizon; the final loss is predicted at step ``total_steps - 1``.
        budgets: extra step counts ``b <= total_steps`` reported as ``loss@b`` (loss at step
            ``b - 1`` of the same run).
        band: central coverage of the draw interval.
        fitted_horizon: the longest run the law was fitted on (steps), for the extrapolation
            warning (read from the FitResult when it knows it).
        max_extrapolation: warn when a budget exceeds this multiple of ``fitted_horizon``.
    """
    check_int("total_steps", total_steps, minimum=1)
    import jax
    import jax.numpy as jnp

    from lawfit.runs import Run, RunSet

    total = int(total_steps)
    if total < 1:
        raise ValueError(f"total_steps must be positive, got {total_steps!r}")
    if isinstance(schedules, Mapping):
        items = list(schedules.items())
    else:
        items = []
        for i, s in enumerate(schedules):
            if isinstance(s, Run):
                name = s.run_id
            elif isinstance(s, Mapping):
                name = s.get("family")
            else:
                name = (getattr(s, "spec", None) or {}).get("family")
            items.append((name or f"schedule_{i}", s))
        seen: dict[str, int] = {}
        for i, (n, s) in enumerate(items):
            if n in seen:
                items[i] = (f"{n}_{i}", s)
            seen[n] = i
    if not items:
        raise ValueError("schedules must not be empty")
    buds = tuple(sorted({int(b) for b in (budgets or ())}))
    for b in buds:
        if not 1 <= b <= total:
            raise ValueError(f"budget {b} is outside [1, total_steps={total}]")
    law, params, draws, horizon = _law_params(model, convention)
    if getattr(law, "options", None) and law.options().get("mode") == "block":
        law = law.with_mode("exact")  # fit-time approximation -> exact law for reported numbers
    horizon = fitted_horizon or horizon
    notes = []
    if horizon and total > max_extrapolation * horizon:
        notes.append(
            f"total_steps={total} is {total / horizon:.1f}x the fitted horizon ({horizon} steps); "
            "these predictions extrapolate far beyond the data the law was fitted on")
    steps = np.array(sorted(set(buds) | {total}), dtype=np.int64) - 1
    arrays = [(name, schedule_array(s, total)) for name, s in items]
    runs = RunSet([Run(f"s{i}", lr=a) for i, (_, a) in enumerate(arrays)])
    inputs = law.prepare(runs, steps=steps, predict=True)
    names = law.param_names
    p = {k: jnp.asarray(float(params[k])) for k in names}
    pred = np.asarray(jax.jit(law.predict)(p, inputs.x)).reshape(len(arrays), steps.size)
    std = lo = hi = p_best = None
    if draws:
        k = len(next(iter(draws.values())))
        stacked = {n: jnp.asarray(np.asarray(draws[n], np.float64)) if n in draws
                   else jnp.full(k, float(params[n])) for n in names}
        pd_ = np.asarray(jax.jit(jax.vmap(law.predict, in_axes=(0, None)))(stacked, inputs.x))
        final = pd_.reshape(k, len(arrays), steps.size)[:, :, -1]
        final = final[np.all(np.isfinite(final), axis=1)]
        std = final.std(axis=0, ddof=1) if len(final) > 1 else np.full(len(arrays), np.nan)
        lo, hi = np.quantile(final, [(1 - band) / 2, (1 + band) / 2], axis=0)
        winners = np.argmin(final, axis=1)
        p_best = np.bincount(winners, minlength=len(arrays)) / max(len(final), 1)
    rows = []
    for i, (name, _) in enumerate(arrays):
        row: dict[str, Any] = {"name": name, "final_loss": float(pred[i, -1])}
        for b in buds:
            row[f"loss@{b}"] = float(pred[i, int(np.searchsorted(steps, b - 1))])
        if std is not None:
            row.update(final_std=float(std[i]), final_lo=float(lo[i]), final_hi=float(hi[i]),
                       p_best=float(p_best[i]))
        rows.append(row)
    rows.sort(key=lambda r: r["final_loss"])
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["delta"] = row["final_loss"] - rows[0]["final_loss"]
    rows = [{"rank": r["rank"], "name": r["name"], "final_loss": r["final_loss"],
             "delta": r["delta"], **{k: v for k, v in r.items()
                                     if k not in ("rank", "name", "final_loss", "delta")}}
            for r in rows]
    for n_ in notes:
        warnings.warn(n_, stacklevel=2)
    return Comparison(rows, total, buds, band if draws else None, tuple(notes))
