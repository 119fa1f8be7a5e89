"""Benchmark: the path a user takes without reading docs, each in a fresh process (cold,
including JAX compilation), against the previous default measured in the same run.

Sections (``python benchmarks/default_path.py [quickstart] [sizes] [cli] [bootstrap]``, all by
default):

* ``quickstart``: exactly the README's Python quick start (its code block, executed in a fresh
  interpreter). Baseline: the same code with the previous default, ``mode="exact"`` (the exact
  per-step sum), stopped after ``--baseline-timeout`` seconds.
* ``sizes``: ``lawfit.fit(MultiPowerLaw(convention=c), train)`` + ``lawfit.evaluate`` on the test
  curves, for 25M / 100M / 400M x paper / repo, one fresh process each; prints the chosen layout
  and its bound. Baseline: the previous fast path ``MultiPowerLaw.for_fitting(c)`` in a fresh
  process (400M).
* ``cli``: ``lawfit fit mpl:400M ... --out`` then ``lawfit evaluate``, fresh processes, with an
  empty compilation cache (first time) and again with the cache warm.
* ``bootstrap``: 100 bootstrap replicates of the default 400M paper fit, fresh process; baseline:
  the fit alone in the same process.

Wall times on a shared machine move with its load: compare the ratios printed in one run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = dict(os.environ, PYTHONPATH=str(ROOT), LAWFIT_PROGRESS="never")


def run(code: str, timeout: float, env: dict | None = None) -> tuple[float | None, str]:
    """Wall time of ``python -c code`` in a fresh process (None if it timed out) and its stdout."""
    t0 = time.perf_counter()
    try:
        out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=timeout,
                             env=env or ENV, cwd=ROOT, check=True)
    except subprocess.TimeoutExpired:
        return None, ""
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"failed:\n{code}\n{e.stderr[-3000:]}") from None
    return time.perf_counter() - t0, out.stdout


def fmt(t: float | None, limit: float) -> str:
    return f"{t:7.1f} s" if t is not None else f"> {limit:.0f} s (stopped)"


def quickstart(limit: float) -> None:
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Quick start \(Python\)\s+```python\n(.*?)```", text, re.S).group(1)
    t_new, _ = run(code, 1800)
    old = code.replace('MultiPowerLaw(convention="paper")', 'MultiPowerLaw(convention="paper", mode="exact")')
    assert old != code
    t_old, _ = run(old, limit)
    print("README quick start (400M, paper), fresh process, cold:")
    print(f"  default (now)                 : {fmt(t_new, 1800)}   target <= 5 s")
    print(f"  previous default (mode=exact) : {fmt(t_old, limit)}"
          + (f"   ratio {t_old / t_new:.1f}x" if t_old else f"   ratio > {limit / t_new:.1f}x"))


SIZE_CODE = """
import time, lawfit
from lawfit.datasets import mpl_runs, MPL_TRAIN, MPL_TEST
from lawfit.laws import MultiPowerLaw
runs = mpl_runs({size!r})
t0 = time.perf_counter()
fit = lawfit.fit({law}, runs.select(MPL_TRAIN))
t_fit = time.perf_counter() - t0
m = lawfit.evaluate(fit if fit.law.mode != "block" else fit.replace(law=fit.law.with_mode("exact")),
                    runs.select(MPL_TEST))["mean"]
lay = fit.layout or {{}}
print(f"{{t_fit:.2f}} {{time.perf_counter() - t0:.2f}} {{m['r2']:.5f}} {{m['prede']:.5f}} "
      f"{{lay.get('error_bound', float('nan')):.2g}} {{lay.get('tolerance', float('nan')):.2g}} "
      f"{{(lay.get('law') or {{}}).get('block_size', '-')}} {{fit.success}}")
"""


def sizes(conventions=("paper", "repo")) -> None:
    print("MPL default fit per size and convention, fresh process each (fit | fit+evaluate, cold):")
    print("  size convention   fit s  +eval s  test R2   PredE    bound   tol     blocks ok")
    base = {}
    for conv in conventions:
        for size in ("25M", "100M", "400M"):
            t, out = run(SIZE_CODE.format(size=size, law=f"MultiPowerLaw(convention={conv!r})"), 1800)
            f = out.split()
            print(f"  {size:4s} {conv:10s} {float(f[0]):7.2f} {float(f[1]):7.2f}  {f[2]}  {f[3]}  "
                  f"{f[4]:7s} {f[5]:7s} {f[6]:6s} {f[7]}   (process {t:.1f} s)")
        t, out = run(SIZE_CODE.format(size="400M", law=f"MultiPowerLaw.for_fitting({conv!r})"), 1800)
        base[conv] = out.split()
        print(f"  400M {conv:10s} {float(base[conv][0]):7.2f} {float(base[conv][1]):7.2f}  {base[conv][2]}  "
              f"{base[conv][3]}  baseline: previous fast path for_fitting (fixed layout)")


def cli() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(ENV, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        out = Path(tmp) / "fit.json"
        fit = ["fit", "mpl:400M", "--law", "mpl", "--convention", "paper", "--train", "constant_24000",
               "--train", "cosine_24000", "--train", "wsdcon_9", "--out", str(out)]
        ev = ["evaluate", str(out), "mpl:400M", "--format", "table"]
        rows = []
        for label in ("first time (empty cache)", "again (cache warm)"):
            ts = []
            for args in (fit, ev):
                t0 = time.perf_counter()
                subprocess.run([PY, "-m", "lawfit.cli", *args], env=env, cwd=ROOT, check=True,
                               capture_output=True)
                ts.append(time.perf_counter() - t0)
            rows.append((label, ts))
    print("CLI on mpl:400M, fresh processes (lawfit fit --out, lawfit evaluate):")
    for label, (a, b) in rows:
        print(f"  {label:26s}: fit {a:6.1f} s + evaluate {b:6.1f} s = {a + b:6.1f} s")
    print(f"  ratio first / warm cache: {sum(rows[0][1]) / sum(rows[1][1]):.1f}x")


BOOT_CODE = """
import time, lawfit
from lawfit.datasets import mpl_runs, MPL_TRAIN
from lawfit.laws import MultiPowerLaw
train = mpl_runs("400M").select(MPL_TRAIN)
t0 = time.perf_counter(); fit = lawfit.fit(MultiPowerLaw(convention="paper"), train); t1 = time.perf_counter()
b = lawfit.bootstrap(fit, train, n=100, kind="points", key=0); t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f} {b.bootstrap_info['n_converged']}")
"""


def bootstrap() -> None:
    _, out = run(BOOT_CODE, 1800)
    t_fit, t_boot, conv = out.split()
    print("Bootstrap, 100 replicates (kind='points') of the default 400M paper fit, fresh process:")
    print(f"  fit (cold) {float(t_fit):.1f} s; bootstrap (cold: compiles its batched program) {float(t_boot):.1f} s "
          f"(target <= 30 s); {conv}/100 converged; ratio bootstrap / fit {float(t_boot) / float(t_fit):.1f}x")


def main() -> None:
    want = sys.argv[1:] or ["quickstart", "sizes", "cli", "bootstrap"]
    limit = 300.0
    for name in want:
        {"quickstart": lambda: quickstart(limit), "sizes": sizes, "sizes-repo": lambda: sizes(("repo",)),
         "cli": cli, "bootstrap": bootstrap}[name]()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
