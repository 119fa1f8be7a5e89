"""The official Multi-Power-Law loss curves (Luo et al., ICLR 2025; MIT), fetched on demand.

The files are the repository's ``loss_curve_repo/csv_{25,100,400}/*.csv`` (commit 8da9f19),
downloaded once and hash-checked (see :func:`lawfit.datasets.fetch` for the source options). Nine
runs per model size (25M / 100M / 400M), peak LR 3e-4, linear ``linspace`` warmup over 2160
steps, losses logged every ~128 steps. The per-step LR arrays are regenerated bit-exactly from the
schedule formulas of the MPL repository (they match the logged ``lr`` column to 1.5e-15).

Official split (identical for every size):

* train: ``constant_24000``, ``cosine_24000``, ``wsdcon_9``
* test: ``constant_72000``, ``cosine_72000``, ``wsd_20000_24000``, ``wsdld_20000_24000``,
  ``wsdcon_3``, ``wsdcon_18``

Example:
    >>> from lawfit.datasets import mpl_runs, MPL_TRAIN
    >>> runs = mpl_runs("400M")
    >>> runs.select(MPL_TRAIN).ids
    ('constant_24000', 'cosine_24000', 'wsdcon_9')
"""

from __future__ import annotations

import os

import numpy as np

from lawfit.datasets._fetch import fetch
from lawfit.runs import Run, RunSet
from lawfit.schedules._mpl import MPL_END_LR, MPL_PEAK_LR, MPL_WARMUP, mpl_total_steps

__all__ = [
    "MPL_SIZES",
    "MPL_TRAIN",
    "MPL_TEST",
    "MPL_RUNS",
    "MPL_PEAK_LR",
    "MPL_WARMUP",
    "mpl_lr",
    "mpl_runs",
    "mpl_optimized_lr",
]

MPL_SIZES = ("25M", "100M", "400M")
MPL_TRAIN = ("constant_24000", "cosine_24000", "wsdcon_9")
MPL_TEST = (
    "constant_72000",
    "cosine_72000",
    "wsd_20000_24000",
    "wsdld_20000_24000",
    "wsdcon_3",
    "wsdcon_18",
)
MPL_RUNS = MPL_TRAIN + MPL_TEST
_NON_EMBEDDING_PARAMS = {"25M": 25_000_000, "100M": 101_000_000, "400M": 340_000_000}
_TOTAL_PARAMS = {"25M": 89_000_000, "100M": 205_000_000, "400M": 493_000_000}


def mpl_lr(run: str) -> np.ndarray:
    """The exact per-step LR array (float64, from step 0) of an MPL run, by its name.

    This is the MPL repository's own numpy formula, bit for bit (the logged ``lr`` column agrees
    to 1.5e-15); :func:`lawfit.schedules.mpl_spec` is the same schedule as a lawfit spec."""
    if run not in MPL_RUNS:
        raise ValueError(f"unknown MPL run {run!r}; known runs are {list(MPL_RUNS)}")
    peak, w, end = MPL_PEAK_LR, MPL_WARMUP, MPL_END_LR
    total = mpl_total_steps(run)
    t = np.arange(total, dtype=np.float64)
    lr = np.full(total, peak)
    lr[:w] = np.linspace(0.0, peak, w)
    post = t >= w
    if run.startswith("constant_"):
        pass
    elif run.startswith("cosine_"):
        lr[post] = end + 0.5 * (peak - end) * (1 + np.cos(np.pi * (t[post] - w) / (total - w)))
    elif run == "wsd_20000_24000":
        d = t >= 20000
        lr[d] = peak ** ((24000 - t[d]) / 4000) * end ** ((t[d] - 20000) / 4000)
    elif run == "wsdld_20000_24000":
        d = t >= 20000
        lr[d] = peak * (1 - (t[d] - 20000) / 4000) + end * (t[d] - 20000) / 4000
    elif run.startswith("wsdcon_"):
        x = int(run.split("_")[1])
        lr[t >= 8000] = x * 1e-5
    return lr


def mpl_runs(
    size: str = "400M",
    runs: tuple[str, ...] | list[str] | None = None,
    *,
    source: str | os.PathLike | None = None,
    progress=True,
) -> RunSet:
    """The MPL curves of one model size as a RunSet (metric ``"loss"``), fetched on first use.

    ``source`` / ``progress``: see :func:`lawfit.datasets.fetch`."""
    if size not in MPL_SIZES:
        raise ValueError(f"size must be one of {MPL_SIZES}, got {size!r}")
    unknown = [n for n in runs or () if n not in MPL_RUNS]
    if unknown:
        raise ValueError(f"unknown MPL run(s) {unknown}; known runs are {list(MPL_RUNS)}")
    out = []
    for name in runs or MPL_RUNS:
        key = f"mpl/curves/csv_{size[:-1]}/{name}.csv"
        path = fetch(key, source=source, progress=progress)
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        meta = {
            "N": _NON_EMBEDDING_PARAMS[size],
            "total_params": _TOTAL_PARAMS[size],
            "model_size": size,
            "tokens_per_step": 128 * 4096,
            "warmup_steps": MPL_WARMUP,
            "peak_lr": MPL_PEAK_LR,
            "split": "train" if name in MPL_TRAIN else "test",
            "source": key,
        }
        out.append(
            Run(
                name,
                lr=mpl_lr(name),
                metrics={"loss": (table[:, 0].astype(np.int64), table[:, 2])},
                meta=meta,
                lr_source="array",
            )
        )
    return RunSet(out)


def mpl_optimized_lr(size: str = "400M", *, source: str | os.PathLike | None = None) -> np.ndarray:
    """The MPL repository's optimised 24,000-step schedule for ``size``, warmup prepended.

    The file (``mpl/mpl_optimized_schedules.csv``) is a conversion of the repository's
    ``optimized_schedules/*.npy``; it is read from a mirror or local copy (``source`` or
    ``LAWFIT_DATA_SOURCE``), it has no download from the original repository."""
    import csv

    if size not in MPL_SIZES:
        raise ValueError(f"size must be one of {MPL_SIZES}, got {size!r}")
    path = fetch("mpl/mpl_optimized_schedules.csv", source=source)

    with open(path, newline="") as fh:
        rows = [(int(r["step"]), float(r["lr"])) for r in csv.DictReader(fh) if r["model_size"] == size]
    rows.sort()
    post = np.array([v for _, v in rows], dtype=np.float64)
    return np.concatenate([np.linspace(0.0, MPL_PEAK_LR, MPL_WARMUP), post])
