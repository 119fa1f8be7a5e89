"""Mixture tables: the data of the D-CPT and CMR laws (LAWS.md 7, 8).

A :class:`MixtureTable` is a set of rows ``(N, D, r, general loss, domain loss)``:

* ``N``: model parameters (raw count); ``D``: CPT training tokens (raw count);
* ``r``: the **domain** share r_d of the CPT corpus, in [0, 1] (the general share is 1 - r);
* ``general`` / ``domain``: validation losses on the general and the domain corpus (NaN where
  not measured);
* optional per-row ``K`` (domain learnability, for the cross-domain D-CPT form) or the probe-run
  statistics ``k1`` (initial domain loss) and ``k2`` (its early rate of decline) it is built from,
  ``base_general`` / ``base_domain`` (the losses of the model before CPT, for CMR increments),
  and ``row_ids`` naming each row (``"<run_id>@<step>"`` when built from runs).

Build one from arrays, or from a sweep of runs with :meth:`MixtureTable.from_runs`, which takes
each run's losses at several token counts (``D = (step + 1) * tokens_per_step``: the tokens seen
once step ``step`` (0-based) has been taken).

Example:
    >>> t = MixtureTable(N=[1e8, 1e8], D=[1e9, 2e9], r=[0.5, 0.5], general=[3.1, 3.0],
    ...                  domain=[2.5, 2.4])
    >>> len(t), t.r.tolist()
    (2, [0.5, 0.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MixtureTable"]

_COLUMNS = ("N", "D", "r", "general", "domain", "K", "k1", "k2", "base_general", "base_domain")


def _col(name: str, values: Any, n: int | None) -> np.ndarray | None:
    if values is None:
        return None
    a = np.asarray(values, dtype=np.float64).reshape(-1) if np.ndim(values) else None
    if a is None:
        if n is None:
            raise ValueError(f"column {name!r}: a scalar needs other array columns to set the length")
        a = np.full(n, float(values))
    return a


@dataclass(frozen=True, eq=False)
class MixtureTable:
    """Rows of ``(N, D, r, general, domain)`` (see the module docstring)."""

    N: np.ndarray
    D: np.ndarray
    r: np.ndarray
    general: np.ndarray | None = None
    domain: np.ndarray | None = None
    K: np.ndarray | None = None
    k1: np.ndarray | None = None
    k2: np.ndarray | None = None
    base_general: np.ndarray | None = None
    base_domain: np.ndarray | None = None
    row_ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        lengths = [np.size(getattr(self, c)) for c in _COLUMNS if getattr(self, c) is not None and np.ndim(getattr(self, c))]
        n = lengths[0] if lengths else None
        cols = {c: _col(c, getattr(self, c), n) for c in _COLUMNS}
        n = cols["N"].size
        for c, a in cols.items():
            if a is not None and a.size != n:
                raise ValueError(f"column {c!r} has {a.size} rows but 'N' has {n}")
        ids = tuple(self.row_ids) if self.row_ids else tuple(f"row {i}" for i in range(n))
        if len(ids) != n:
            raise ValueError(f"row_ids has {len(ids)} names for {n} rows")
        if cols["general"] is None and cols["domain"] is None:
            raise ValueError("a mixture table needs at least one loss column: general or domain")

        def check(c: str, bad: np.ndarray, what: str) -> None:
            if bad.any():
                rows = [f"{ids[i]} ({c}={float(cols[c][i])!r})" for i in np.flatnonzero(bad)[:5]]
                raise ValueError(f"column {c!r}: {what}; offending rows: {', '.join(rows)}")

        for c in ("N", "D"):
            check(c, ~np.isfinite(cols[c]) | (cols[c] <= 0), "must be finite and positive (raw counts)")
        check("r", ~np.isfinite(cols["r"]) | (cols["r"] < 0) | (cols["r"] > 1),
              "the domain mixture ratio must be in [0, 1]")
        for c in ("general", "domain", "base_general", "base_domain"):
            if cols[c] is not None:
                a = cols[c]
                check(c, (~np.isnan(a)) & (~np.isfinite(a) | (a <= 0)), "losses must be finite and positive (NaN = not measured)")
        for c in ("K", "k1"):
            if cols[c] is not None:
                check(c, ~np.isfinite(cols[c]) | (cols[c] <= 0), "must be finite and positive")
        if cols["k2"] is not None:
            check("k2", ~np.isfinite(cols["k2"]), "must be finite")
        for c, a in cols.items():
            if a is not None:
                a.setflags(write=False)
            object.__setattr__(self, c, a)
        object.__setattr__(self, "row_ids", ids)

    def __len__(self) -> int:
        return int(self.N.size)

    def __repr__(self) -> str:
        return (
            f"MixtureTable({len(self)} rows, N={np.unique(self.N).size} sizes, "
            f"r={np.unique(self.r).size} ratios, D={np.unique(self.D).size} token counts)"
        )

    def loss(self, target: str) -> np.ndarray:
        """The ``"general"`` or ``"domain"`` loss column (a clear error when absent)."""
        if target not in ("general", "domain"):
            raise ValueError(f"target must be 'general' or 'domain', got {target!r}")
        a = getattr(self, target)
        if a is None:
            raise ValueError(f"this mixture table has no {target!r} loss column")
        return a

    def select(self, mask: Any) -> MixtureTable:
        """The rows where ``mask`` (a boolean array or a function of the table) is true."""
        m = np.asarray(mask(self) if callable(mask) else mask, dtype=bool)
        kw = {c: (None if getattr(self, c) is None else getattr(self, c)[m]) for c in _COLUMNS}
        return MixtureTable(**kw, row_ids=tuple(np.asarray(self.row_ids, dtype=object)[m]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row_ids": list(self.row_ids)}
        for c in _COLUMNS:
            a = getattr(self, c)
            if a is not None:
                out[c] = a.tolist()
        return out

    @classmethod
    def from_runs(
        cls,
        runs: Sequence[Any],
        *,
        tokens: Sequence[float] | None = None,
        general_metric: str | None = "val_general",
        domain_metric: str | None = "val_domain",
        ratio_key: str = "mixture_ratio",
        size_key: str = "N",
        tokens_per_step_key: str = "tokens_per_step",
        start_key: str | None = "cpt_start_step",
        interpolate: bool = False,
    ) -> MixtureTable:
        """One row per (run, token count) of a sweep.

        Args:
            runs: a RunSet (or sequence of runs); each needs ``meta[ratio_key]`` (the domain share),
                ``meta[size_key]`` and ``meta[tokens_per_step_key]``.
            tokens: token counts to take; None takes every logged step of the loss metrics.
            general_metric, domain_metric: metric names of the two losses (None: not used).
            start_key: metadata key of the first CPT step (global step count); when a run has it,
                D counts CPT tokens only, ``D = (step - start + 1) * tokens_per_step``, and
                earlier (pre-training) points are skipped. None: count from step 0.
            interpolate: with ``tokens``, interpolate linearly between logged points; otherwise a
                token count must fall exactly on a logged step.
        """
        rows: dict[str, list[float]] = {c: [] for c in ("N", "D", "r", "general", "domain", "K")}
        ids: list[str] = []
        metrics = {"general": general_metric, "domain": domain_metric}
        if general_metric is None and domain_metric is None:
            raise ValueError("give general_metric and/or domain_metric")
        for run in runs:
            rid = run.run_id
            meta = {}
            for key in (ratio_key, size_key, tokens_per_step_key):
                if run.meta.get(key) is None:
                    raise ValueError(f"run {rid!r}: meta[{key!r}] is missing; a mixture table needs it")
                meta[key] = float(run.meta[key])
            tps = meta[tokens_per_step_key]
            start = 0
            if start_key is not None and run.meta.get(start_key) is not None:
                start = int(run.meta[start_key])
            obs = {k: run.observed(m) for k, m in metrics.items() if m is not None}
            if tokens is None:
                steps = np.unique(np.concatenate([o.steps for o in obs.values()]))
                steps = steps[steps >= start]
            else:
                steps = np.asarray(tokens, dtype=np.float64) / tps - 1.0 + start
            for s in steps:
                vals = {}
                for k, o in obs.items():
                    hit = np.flatnonzero(o.steps == s)
                    if hit.size:
                        vals[k] = float(o.values[hit[0]])
                    elif tokens is not None and interpolate and o.steps[0] <= s <= o.steps[-1]:
                        vals[k] = float(np.interp(s, o.steps, o.values))
                    elif tokens is not None:
                        raise ValueError(
                            f"run {rid!r}: no {metrics[k]!r} value at {(s - start + 1) * tps:.6g} tokens "
                            f"(step {s:g}); pick logged token counts or pass interpolate=True"
                        )
                    else:
                        vals[k] = np.nan
                rows["N"].append(meta[size_key])
                rows["D"].append((s - start + 1) * tps)
                rows["r"].append(meta[ratio_key])
                rows["general"].append(vals.get("general", np.nan))
                rows["domain"].append(vals.get("domain", np.nan))
                rows["K"].append(float(run.meta["K"]) if run.meta.get("K") is not None else np.nan)
                ids.append(f"{rid}@{s:g}")
        if not ids:
            raise ValueError("no rows: the runs have no logged points")
        K = np.asarray(rows["K"])
        return cls(
            N=rows["N"],
            D=rows["D"],
            r=rows["r"],
            general=rows["general"] if general_metric is not None else None,
            domain=rows["domain"] if domain_metric is not None else None,
            K=None if np.isnan(K).all() else K,
            row_ids=tuple(ids),
        )
