"""Import speed: lawfit.io.read vs plain pandas.read_csv on the same files, same process.

1. a 1,000,000-row W&B panel export (``Step`` + 2 runs x (train/loss, __MIN, __MAX,
   train/learning_rate)) into a RunSet;
2. a folder of 200 Multi-Power-Law-style CSVs (``step,lr,loss``, 5,000 rows each, LR every step).

Targets (issue 6): within 2x of plain pandas parsing, and < 5 s for the million rows.
Run: ``.venv/bin/python benchmarks/import.py [--rows 1000000] [--runs 200]``.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lawfit import io


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def make_wandb_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    step = np.arange(rows)
    cols = {"Step": step}
    for run in ("playful-sun-1763", "lr 3e-4 - wsd"):
        loss = np.round(2 + 8 * (1 + step) ** -0.3 + 0.01 * rng.standard_normal(rows), 7)
        cols[f"{run} - train/loss"] = loss
        cols[f"{run} - train/loss__MIN"] = loss - 0.01
        cols[f"{run} - train/loss__MAX"] = loss + 0.01
        cols[f"{run} - train/learning_rate"] = np.full(rows, 3e-4)
    pd.DataFrame(cols).to_csv(path, index=False)


def make_mpl_folder(folder: Path, runs: int, rows: int) -> None:
    folder.mkdir()
    t = np.arange(rows)
    for k in range(runs):
        lr = 3e-4 * np.minimum(1, (t + 1) / 100) * (0.5 + 0.5 * np.cos(np.pi * t / rows))
        loss = np.round(2 + 8 * (1 + t) ** -0.3 + 0.001 * k, 6)
        pd.DataFrame({"step": t, "lr": lr, "loss": loss}).to_csv(
            folder / f"run_{k:03d}.csv", index=False
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--run-rows", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.system()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        wb = d / "wandb_export.csv"
        make_wandb_csv(wb, args.rows)
        size = wb.stat().st_size / 2**20
        t_pd = best_of(lambda: pd.read_csv(wb), args.repeat)
        t_io = best_of(lambda: io.read(wb), args.repeat)
        rs = io.read(wb)
        pts = sum(o.steps.size for r in rs for o in r.metrics.values())
        print(
            f"\n[1] W&B export: {args.rows:,} rows, {size:.0f} MiB, {len(rs)} runs, {pts:,} points "
            "kept (+ per-step LR)"
        )
        print(f"    pandas.read_csv   {t_pd:7.3f} s  {args.rows / t_pd / 1e6:6.2f} M rows/s")
        print(
            f"    lawfit.io.read    {t_io:7.3f} s  {args.rows / t_io / 1e6:6.2f} M rows/s  "
            f"ratio {t_io / t_pd:.2f}x pandas"
        )

        folder = d / "mpl"
        make_mpl_folder(folder, args.runs, args.run_rows)
        files = sorted(folder.glob("*.csv"))
        total_rows = args.runs * args.run_rows
        t_pd2 = best_of(lambda: [pd.read_csv(f) for f in files], args.repeat)
        t_io2 = best_of(lambda: io.read(folder), args.repeat)
        print(
            f"\n[2] folder of {args.runs} MPL-style CSVs x {args.run_rows:,} rows "
            f"({total_rows:,} rows)"
        )
        print(f"    pandas.read_csv   {t_pd2:7.3f} s  {total_rows / t_pd2 / 1e6:6.2f} M rows/s")
        print(
            f"    lawfit.io.read    {t_io2:7.3f} s  {total_rows / t_io2 / 1e6:6.2f} M rows/s  "
            f"ratio {t_io2 / t_pd2:.2f}x pandas"
        )

        # canonical table round trip of the folder (not a target, for reference)
        rs2 = io.read(folder)
        for suffix in (".parquet", ".csv"):
            out = d / f"runs{suffix}"
            tw = best_of(lambda out=out: io.write(rs2, out), 1)
            tr = best_of(lambda out=out: io.read(out), 1)
            print(
                f"    canonical {suffix:8s} write {tw:6.3f} s, read {tr:6.3f} s "
                f"({out.stat().st_size / 2**20:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
