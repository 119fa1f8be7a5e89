"""Run every benchmark script in this folder, one after another, each in a fresh process.

Usage: ``make bench`` or ``.venv/bin/python benchmarks/run_all.py [name ...]`` (names without
``.py``, e.g. ``fit_mpl fit_momentum``; default: all). Each script prints its own timings and
ratios against the baseline it measures in the same process; record results in
``benchmarks/README.md``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    known = {p.stem: p for p in scripts}
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {sorted(known)}", file=sys.stderr)
        return 2
    chosen = [known[n] for n in names] if names else scripts
    failed = []
    for path in chosen:
        print(f"\n===== {path.name} =====", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(path)])
        print(f"===== {path.name}: exit {rc}, {time.perf_counter() - t0:.1f} s =====", flush=True)
        if rc:
            failed.append(path.name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
