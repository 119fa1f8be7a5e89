"""Real runs of Schaipp, Hägele et al. (ICML 2025) as lawfit groups: one constant-LR run, its WSD
cooldowns joined onto it, and the cosine runs of the same model and data.

The folder (``runs.csv`` + ``logs.csv``, MIT, see its README) is third-party data: pass its path
(tests and benchmarks use ``../shared/data/schaipp``); nothing is copied into the project.

Joining (README caveat): a cooldown file (``wsd`` with ``wsd_fract_decay > 0`` and
``first_logged_iter > 0``) holds only the cooldown; its full curve is the constant run below
``first_logged_iter`` followed by the file. The per-step LR is the logged ``train_lr`` linearly
interpolated (exact for the linear warmup-free phases; the cosine is logged every 10-50 steps),
with ``lr[0] = 0`` (not logged) and length ``iterations``; points at or beyond the horizon
(the scheduler's final ``lr = 0`` row) are dropped.

Example:
    >>> from lawfit.evaluation import schaipp_groups
    >>> groups = schaipp_groups("../shared/data/schaipp")  # doctest: +SKIP
    >>> g = groups["slimpajama/llama_norm/33M"]  # doctest: +SKIP
    >>> g.constant.run_id, [r.meta["iterations"] for r in g.cooldowns]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lawfit.runs import Run, RunSet

__all__ = ["RealGroup", "schaipp_groups"]

METRICS = ("val_loss", "train_loss")


@dataclass(frozen=True)
class RealGroup:
    """One model/dataset group: ``constant`` (WSD peak LR, no cooldown), ``cooldowns`` (each the
    constant run joined with one cooldown, sorted by horizon) and ``cosine`` runs (own peak LR)."""

    name: str
    constant: Run
    cooldowns: tuple[Run, ...]
    cosine: tuple[Run, ...]

    @property
    def n_params(self) -> float:
        return float(self.constant.meta["N"])

    def all_runs(self) -> RunSet:
        return RunSet([self.constant, *self.cooldowns, *self.cosine])


def _frame(rows, iters_below: int):
    """The rows logged before ``iters_below``."""
    return rows[rows["iter"] < iters_below]


def _run(run_id: str, rows, meta: dict) -> Run:
    """A Run from (sorted, unique) log rows; LR interpolated per step, points < horizon kept."""
    T = int(meta["iterations"])
    lr_rows = rows[np.isfinite(rows["train_lr"].to_numpy())]
    it = np.concatenate([[0], lr_rows["iter"].to_numpy(np.int64)])
    lr_v = np.concatenate([[0.0], lr_rows["train_lr"].to_numpy(np.float64)])
    keep = np.concatenate([[True], it[1:] > 0])
    lr = np.interp(np.arange(T), it[keep], lr_v[keep])
    metrics = {}
    for m in METRICS:
        sel = rows[np.isfinite(rows[m].to_numpy()) & (rows["iter"].to_numpy() < T) & (rows["iter"].to_numpy() > 0)]
        metrics[m] = (sel["iter"].to_numpy(np.int64), sel[m].to_numpy(np.float64))
    return Run(run_id, lr=lr, metrics=metrics, meta=meta, lr_source="tabulated:linear")


def _meta(row, **extra) -> dict:
    meta = {
        "N": float(row["parameters"]),
        "peak_lr": float(row["lr"]),
        "warmup_steps": int(row["warmup_steps"]),
        "iterations": int(row["iterations"]),
        "tokens_per_step": float(row["tokens_per_step"]),
        "scheduler": str(row["scheduler"]),
        "final_val_loss": float(row["final_val_loss"]),
        "source": "schaipp/" + str(row["file"]),
    }
    meta.update(extra)
    return meta


def schaipp_groups(folder: str | Path) -> dict[str, RealGroup]:
    """The groups of the Schaipp et al. runs in ``folder`` (``runs.csv`` and ``logs.csv``), keyed
    ``"<dataset>/<model>/<size>M"`` (size from the parameter count; two 210M models differ by
    ``model``). Groups without a constant run or a cooldown are left out, and so are the
    ``horizon_transfer`` runs (50k-200k steps, branched from each other: not joined yet)."""
    import pandas as pd

    folder = Path(folder)
    for f in ("runs.csv", "logs.csv"):
        if not (folder / f).exists():
            raise ValueError(f"schaipp_groups: {str(folder / f)!r} not found; pass the folder holding runs.csv and logs.csv")
    runs = pd.read_csv(folder / "runs.csv")
    runs = runs[runs["folder"] == "."]
    logs = pd.read_csv(folder / "logs.csv").sort_values(["file", "iter"])
    by_file = {f: d for f, d in logs.groupby("file", sort=False)}
    keys = ["dataset", "model", "n_layer", "n_embd", "tokens_per_step"]
    out: dict[str, RealGroup] = {}
    for _, g in runs.groupby(keys, sort=True):
        first = g.iloc[0]
        name = f"{first['dataset']}/{first['model']}/{round(first['parameters'] / 1e6)}M"
        const = g[(g["scheduler"] == "wsd") & (g["wsd_fract_decay"] == 0)]
        if len(const) != 1:
            continue
        c = const.iloc[0]
        constant = _run("constant", by_file[c["file"]], _meta(c, kind="constant"))
        cooldowns = []
        for _, r in g[(g["scheduler"] == "wsd") & (g["wsd_fract_decay"] > 0)].sort_values("iterations").iterrows():
            start = int(r["first_logged_iter"])
            branch = by_file[r["file"]]
            rows = pd.concat([_frame(by_file[c["file"]], start + 1), branch[branch["iter"] > start]])
            # the branch point (logged in both files) is taken from the constant run, whose LR
            # is logged there; the cooldown file's first row carries no LR
            cooldowns.append(_run(f"wsd_{int(r['iterations'])}", rows,
                                  _meta(r, kind="cooldown", cooldown_start=start,
                                        cooldown_fraction=float(r["wsd_fract_decay"]))))
        cosine = tuple(
            _run(f"cosine_{int(r['iterations'])}", by_file[r["file"]], _meta(r, kind="cosine"))
            for _, r in g[g["scheduler"] == "cos"].sort_values("iterations").iterrows()
        )
        if cooldowns:
            out[name] = RealGroup(name, constant, tuple(cooldowns), cosine)
    return out
