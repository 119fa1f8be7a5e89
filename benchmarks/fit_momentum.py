"""Momentum-law fitting speed: lawfit's engine vs a straightforward scipy reference.

1. One fit on the MPL 400M train curves (constant_24000, cosine_24000, wsdcon_9; 451 points),
   MomentumLaw(lam=0.99, warmup="mpl"), the law's 32-start grid, all starts in one compiled
   vmapped L-BFGS call. Reference: numpy objective + analytic gradient, scipy L-BFGS-B from the
   same 32 starts, one after another. Also the lambda-grid fit (5 lambdas).
2. 1,000 synthetic momentum curves (one cosine curve of 100 points each, random parameters,
   0.1 % noise) fitted independently in ONE ``fit_many`` call (4 starts each). Reference: scipy
   L-BFGS-B from the same 4 starts on a subset of curves, extrapolated linearly to 1,000.

3. ``--cache``: the cold fit of 1. in two fresh processes sharing a persistent compilation cache
   (``LAWFIT_COMPILATION_CACHE``): the second process loads the compiled programs.
4. The cold fit of 1. in fresh processes with the engine's default XLA options for the solver
   program (``compiler_options=None``: classic CPU loop emitters) vs XLA's own defaults
   (``compiler_options={}``), alternating, ``--compile-repeats`` times each (CPU seconds of the
   child process: the fit including compilation, and the compiled refit).

Prints wall and CPU times, ratios, train objectives and test metrics.
Run: ``.venv/bin/python benchmarks/fit_momentum.py [--curves 1000] [--ref-curves 50]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.fitting import fit_many
from lawfit.laws import MomentumLaw
from lawfit.laws._momentum import momentum_areas
from lawfit.runs import Run, RunSet

DELTA = 1e-3


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


# -- scipy reference ----------------------------------------------------------------------------
def ref_objective(theta, s1, s2, y):
    """Summed Huber of log residuals and its analytic gradient; theta = (log L0, log A, alpha, log C)."""
    L0, A, alpha, C = np.exp(theta[0]), np.exp(theta[1]), theta[2], np.exp(theta[3])
    pw = s1 ** (-alpha)
    pred = L0 + A * pw - C * s2
    if np.any(pred <= 0):
        return 1e3, np.zeros(4)
    r = np.log(pred) - np.log(y)
    a = np.abs(r)
    f = np.sum(np.where(a <= DELTA, 0.5 * r * r, DELTA * (a - 0.5 * DELTA)))
    psi = np.where(a <= DELTA, r, DELTA * np.sign(r)) / pred
    g = np.array([
        np.sum(psi) * L0,
        np.sum(psi * pw) * A,
        np.sum(psi * (-A * np.log(s1) * pw)),
        np.sum(psi * (-s2)) * C,
    ])
    return f, g


def ref_fit(s1, s2, y, starts):
    best = None
    for st in starts:
        x0 = np.array([np.log(st[0]), np.log(st[1]), st[2], np.log(st[3])])
        r = minimize(ref_objective, x0, args=(s1, s2, y), jac=True, method="L-BFGS-B",
                     bounds=[(None, None), (None, None), (1e-9, 3.0), (None, None)],
                     options={"maxiter": 15000, "ftol": 1e-15, "gtol": 1e-10})
        if best is None or r.fun < best.fun:
            best = r
    th = best.x
    return {"L0": np.exp(th[0]), "A": np.exp(th[1]), "alpha": th[2], "C": np.exp(th[3])}, best.fun


def bench_mpl(law: MomentumLaw) -> None:
    runs = mpl_runs("400M")
    train, test = runs.select(MPL_TRAIN), runs.select(MPL_TEST)
    cold, t_cold, c_cold = timed(lambda: lawfit.fit(law, train))
    warm, t_warm, c_warm = timed(lambda: lawfit.fit(law, train))
    inputs = law.prepare(train)
    s1, s2, y = (np.asarray(a) for a in (inputs.x["S1"], inputs.x["S2"], inputs.y))
    starts = cold.starts.init
    (ref_params, ref_obj), t_ref, c_ref = timed(lambda: ref_fit(s1, s2, y, starts))
    ref_res = cold.replace(params={k: float(v) for k, v in ref_params.items()})
    ev_l, ev_r = lawfit.evaluate(cold, test)["mean"], lawfit.evaluate(ref_res, test)["mean"]
    print(f"== MPL 400M train curves, {law!r}, {len(starts)} starts, {cold.n_points} points")
    print(f"lawfit cold (incl. compile): wall {t_cold:7.2f} s  CPU {c_cold:7.2f} s   objective {cold.objective:.10e}  test R2 {ev_l['r2']:.5f} PredE {ev_l['prede']:.5f}")
    print(f"lawfit warm (compiled)     : wall {t_warm:7.3f} s  CPU {c_warm:7.3f} s")
    print(f"scipy L-BFGS-B x{len(starts)} starts   : wall {t_ref:7.2f} s  CPU {c_ref:7.2f} s   objective {ref_obj:.10e}  test R2 {ev_r['r2']:.5f} PredE {ev_r['prede']:.5f}")
    print(f"ratio scipy / lawfit: cold {t_ref / t_cold:.2f}x, warm {t_ref / t_warm:.1f}x (wall)")
    grid_law = MomentumLaw(lam="grid", warmup=law.warmup)
    g, t_g, c_g = timed(lambda: lawfit.fit(grid_law, train))
    print(f"lambda grid (5 fits, warm program): wall {t_g:.2f} s CPU {c_g:.2f} s, chosen lam={g.law.lam}, "
          f"test R2 {lawfit.evaluate(g, test)['mean']['r2']:.5f}")


def synthetic(n_curves: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    T, W, peak = 20_000, 500, 3e-4
    t = np.arange(T)
    lr = np.full(T, peak)
    lr[:W] = np.linspace(0, peak, W)
    lr[W:] = 3e-5 + 0.5 * (peak - 3e-5) * (1 + np.cos(np.pi * (t[W:] - W) / (T - W)))
    steps = np.linspace(W, T - 1, 100).astype(int)
    law = MomentumLaw(lam=0.99, warmup="mpl")
    s1, s2 = momentum_areas(lr, lam=0.99, warmup_steps=W, peak_lr=peak, warmup="mpl")
    sets, truth = [], []
    for _ in range(n_curves):
        p = {"L0": rng.uniform(1.5, 3.0), "A": rng.uniform(0.3, 0.8), "alpha": rng.uniform(0.35, 0.6), "C": rng.uniform(2.0, 8.0)}
        y = p["L0"] + p["A"] * s1[steps] ** -p["alpha"] - p["C"] * s2[steps]
        y = y * np.exp(1e-3 * rng.standard_normal(y.size))
        run = Run("cos", lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": W, "peak_lr": peak})
        sets.append(law.prepare(RunSet([run])))
        truth.append(p)
    return law, sets, truth


def bench_many(n_curves: int, n_ref: int) -> None:
    law, sets, truth = synthetic(n_curves)
    init = {"L0": [1.5, 3.0], "A": [0.5], "alpha": [0.5], "C": [1.0, 10.0]}
    res, t_l, c_l = timed(lambda: fit_many(law, sets, init=init, stderr=False))
    starts = res[0].starts.init
    def ref():
        out = []
        for inp in sets[:n_ref]:
            out.append(ref_fit(np.asarray(inp.x["S1"]), np.asarray(inp.x["S2"]), np.asarray(inp.y), starts))
        return out
    refs, t_r, c_r = timed(ref)
    t_r_all = t_r * n_curves / n_ref
    ok = np.mean([r.success for r in res])
    gap = np.max([r.objective - o for r, (_, o) in zip(res, refs, strict=False)])
    err = np.median([abs(r.params["alpha"] - p["alpha"]) / p["alpha"] for r, p in zip(res, truth, strict=True)])
    print(f"== {n_curves} synthetic curves x 100 points, {len(starts)} starts each, one fit_many call")
    print(f"lawfit fit_many (incl. compile): wall {t_l:.2f} s  CPU {c_l:.2f} s   converged {ok:.1%}  median rel. err alpha {err:.2e}")
    print(f"scipy L-BFGS-B: {n_ref} curves wall {t_r:.2f} s -> {n_curves} curves ~{t_r_all:.1f} s (extrapolated)")
    print(f"ratio scipy / lawfit: {t_r_all / t_l:.1f}x;  max(objective lawfit - scipy) over the {n_ref} shared curves: {gap:.2e}")


_CACHE_CHILD = """
import time
import lawfit
from lawfit.datasets import MPL_TRAIN, mpl_runs
from lawfit.laws import MomentumLaw
train = mpl_runs("400M").select(MPL_TRAIN)
t0, c0 = time.perf_counter(), time.process_time()
res = lawfit.fit(MomentumLaw(lam=0.99, warmup="mpl"), train)
print(f"{time.perf_counter() - t0:.2f} {time.process_time() - c0:.2f} {res.objective:.10e}")
"""


_OPTIONS_CHILD = """
import json, sys, time
import lawfit
from lawfit.datasets import MPL_TRAIN, mpl_runs
from lawfit.laws import MomentumLaw
opts = json.loads(sys.argv[1])
train = mpl_runs("400M").select(MPL_TRAIN)
law = MomentumLaw(lam=0.99, warmup="mpl")
c0 = time.process_time()
res = lawfit.fit(law, train, compiler_options=opts)
c1 = time.process_time()
lawfit.fit(law, train, compiler_options=opts)
print(f"{c1 - c0:.3f} {time.process_time() - c1:.3f} {res.objective:.15e}")
"""


def bench_compiler_options(repeats: int) -> None:
    import subprocess
    import sys

    variants = {"engine default (compiler_options=None)": "null", "XLA defaults (compiler_options={})": "{}"}
    cold: dict[str, list[float]] = {k: [] for k in variants}
    warm: dict[str, list[float]] = {k: [] for k in variants}
    objs: dict[str, set[str]] = {k: set() for k in variants}
    for _ in range(repeats):
        for label, arg in variants.items():
            out = subprocess.run([sys.executable, "-c", _OPTIONS_CHILD, arg], capture_output=True, text=True, check=True)
            c, w, obj = out.stdout.split()
            cold[label].append(float(c))
            warm[label].append(float(w))
            objs[label].add(obj)
    print(f"== cold momentum fit in fresh processes, solver XLA options ({repeats} alternating runs each, CPU s)")
    for label in variants:
        print(f"{label:40s}: cold CPU median {np.median(cold[label]):5.2f} s (min {min(cold[label]):.2f})  "
              f"warm CPU median {np.median(warm[label]):.3f} s   objective {', '.join(sorted(objs[label]))}")
    a, b = (np.median(cold[k]) for k in variants)
    print(f"ratio cold CPU XLA defaults / engine default: {b / a:.2f}x")


def bench_cache() -> None:
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, LAWFIT_COMPILATION_CACHE=d)
        print("== cold momentum fit in fresh processes, persistent compilation cache (LAWFIT_COMPILATION_CACHE)")
        for label in ("1st process (fills the cache)", "2nd process (cache hit)"):
            out = subprocess.run([sys.executable, "-c", _CACHE_CHILD], env=env, capture_output=True, text=True, check=True)
            wall, cpu, obj = out.stdout.split()
            print(f"{label:32s}: wall {float(wall):6.2f} s  CPU {float(cpu):6.2f} s   objective {obj}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--curves", type=int, default=1000)
    ap.add_argument("--ref-curves", type=int, default=50)
    ap.add_argument("--cache", action="store_true", help="also measure the persistent compilation cache")
    ap.add_argument("--compile-repeats", type=int, default=3, help="fresh processes per XLA-options variant (0: skip)")
    args = ap.parse_args()
    bench_mpl(MomentumLaw(lam=0.99, warmup="mpl"))
    if args.compile_repeats:
        bench_compiler_options(args.compile_repeats)
    bench_many(args.curves, args.ref_curves)
    if args.cache:
        bench_cache()
