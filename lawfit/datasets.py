"""Bundled example data: the official Multi-Power-Law loss curves (MIT, see ``data/mpl/LICENSE``).

Nine runs per model size (25M / 100M / 400M), peak LR 3e-4, linear ``linspace`` warmup over 2160
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

from pathlib import Path

import numpy as np

from lawfit.runs import Run, RunSet

__all__ = [
    "DATA_DIR",
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

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
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
MPL_PEAK_LR = 3e-4
MPL_WARMUP = 2160
_NON_EMBEDDING_PARAMS = {"25M": 25_000_000, "100M": 101_000_000, "400M": 340_000_000}
_TOTAL_PARAMS = {"25M": 89_000_000, "100M": 205_000_000, "400M": 493_000_000}


def mpl_lr(run: str) -> np.ndarray:
    """The exact per-step LR array (float64, from step 0) of an MPL run, by its name."""
    peak, w = MPL_PEAK_LR, MPL_WARMUP
    if run.startswith("wsdcon_"):
        total = 16000
    else:
        total = int(run.rsplit("_", 1)[-1])
    t = np.arange(total, dtype=np.float64)
    lr = np.full(total, peak)
    lr[:w] = np.linspace(0.0, peak, w)
    post = t >= w
    if run.startswith("constant_"):
        pass
    elif run.startswith("cosine_"):
        lr[post] = 3e-5 + 0.5 * (peak - 3e-5) * (1 + np.cos(np.pi * (t[post] - w) / (total - w)))
    elif run == "wsd_20000_24000":
        d = t >= 20000
        lr[d] = peak ** ((24000 - t[d]) / 4000) * 3e-5 ** ((t[d] - 20000) / 4000)
    elif run == "wsdld_20000_24000":
        d = t >= 20000
        lr[d] = peak * (1 - (t[d] - 20000) / 4000) + 3e-5 * (t[d] - 20000) / 4000
    elif run.startswith("wsdcon_"):
        x = int(run.split("_")[1])
        lr[t >= 8000] = x * 1e-5
    else:
        raise ValueError(f"unknown MPL run {run!r}; known runs are {list(MPL_RUNS)}")
    return lr


def mpl_runs(size: str = "400M", runs: tuple[str, ...] | list[str] | None = None) -> RunSet:
    """The bundled MPL curves of one model size as a RunSet (metric ``"loss"``)."""
    if size not in MPL_SIZES:
        raise ValueError(f"size must be one of {MPL_SIZES}, got {size!r}")
    folder = DATA_DIR / "mpl" / f"csv_{size[:-1]}"
    out = []
    for name in runs or MPL_RUNS:
        path = folder / f"{name}.csv"
        if not path.exists():
            raise ValueError(f"no bundled MPL run {name!r} for size {size} (looked for {path})")
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        meta = {
            "N": _NON_EMBEDDING_PARAMS[size],
            "total_params": _TOTAL_PARAMS[size],
            "model_size": size,
            "tokens_per_step": 128 * 4096,
            "warmup_steps": MPL_WARMUP,
            "peak_lr": MPL_PEAK_LR,
            "split": "train" if name in MPL_TRAIN else "test",
            "source": f"data/mpl/csv_{size[:-1]}/{name}.csv",
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


def mpl_optimized_lr(size: str = "400M") -> np.ndarray:
    """The MPL repository's optimised 24,000-step schedule for ``size``, warmup prepended."""
    if size not in MPL_SIZES:
        raise ValueError(f"size must be one of {MPL_SIZES}, got {size!r}")
    path = DATA_DIR / "mpl" / "mpl_optimized_schedules.csv"
    import csv

    with open(path, newline="") as fh:
        rows = [(int(r["step"]), float(r["lr"])) for r in csv.DictReader(fh) if r["model_size"] == size]
    rows.sort()
    post = np.array([v for _, v in rows], dtype=np.float64)
    return np.concatenate([np.linspace(0.0, MPL_PEAK_LR, MPL_WARMUP), post])
