"""Benchmark: a 50k-step run pair with the loss logged at EVERY step (nanoGPT / Megatron / HF
style), fitted with the default Multi-Power Law (``MultiPowerLaw(convention="paper")``).

Data: two runs (cosine to 10% and WSD with a 20% linear cooldown), 50,000 steps, 500 warmup
steps, peak LR 3e-4, losses synthesized from known MPL parameters (exact law) plus Gaussian noise
of std 0.02 per step (seeded). The default fit thins each run to <= 1024 weighted points and chooses a
block layout whose rigorous error bound is below 0.1 x the estimated noise. Checks parameter
recovery (relative error and |error| / stderr) and the predicted curve against the noise-free
truth.

Baseline in the same process: the previous fast path, ``MultiPowerLaw.for_fitting("paper")``
(fixed block layout, no point selection), on every 25th step only (2,000 points per run; on all
50,000 it did not finish in 15 minutes).

Run: ``python benchmarks/fit_mpl_long.py`` (fresh process: the first fit is cold, incl. compilation).
"""

from __future__ import annotations

import time

import jax
import numpy as np

import lawfit
from lawfit.laws import MultiPowerLaw
from lawfit.runs import Run, RunSet

TRUE = dict(L0=2.6, A=0.6, alpha=0.45, B=450.0, C=2.0, beta=0.6, gamma=0.6)
T, W, PEAK, NOISE = 50_000, 500, 3e-4, 0.02


def synthetic_runs(seed: int = 0) -> RunSet:
    sch = lawfit.schedules
    specs = {
        "cosine": sch.cosine(PEAK, T, warmup_steps=W, end_value=0.1 * PEAK),
        "wsd": sch.wsd(PEAK, T, warmup_steps=W, decay_fraction=0.2, decay_type="linear"),
    }
    law = MultiPowerLaw("paper", mode="exact")
    rng = np.random.default_rng(seed)
    runs = []
    for name, fn in specs.items():
        lr = sch.to_array(fn, T)
        steps = np.arange(W, T)
        # the exact law at every step of the first 500 and every 25th after, linear in between
        # (the curve is smooth there: interpolation error < 1e-4, far below the noise)
        knots = np.unique(np.r_[np.arange(W, W + 500), np.arange(W + 500, T, 25), T - 1])
        with jax.enable_x64(True):
            at = np.asarray(law.predict(TRUE, law.prepare(Run(name, lr=lr), steps=knots, predict=True).x))
        clean = np.interp(steps, knots, at)
        y = clean + NOISE * rng.standard_normal(clean.size)
        runs.append(Run(name, lr=lr, metrics={"loss": (steps, y), "clean": (steps, clean)},
                        meta={"warmup_steps": W}))
    return RunSet(runs)


def main() -> None:
    runs = synthetic_runs()
    n_obs = sum(r.observed("loss").steps.size for r in runs)
    law = MultiPowerLaw(convention="paper")
    t0 = time.perf_counter()
    res = lawfit.fit(law, runs)
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    lawfit.fit(law, runs)
    t_warm = time.perf_counter() - t0

    sub = {r.run_id: r.observed("loss").steps[::25] for r in runs}
    t0 = time.perf_counter()
    base = lawfit.fit(MultiPowerLaw.for_fitting("paper"), runs, steps=sub)
    t_base = time.perf_counter() - t0

    print(f"MPL default fit, 2 runs x {T} steps, loss at every step ({n_obs} points), noise std {NOISE}")
    print(f"  default : cold {t_cold:6.2f} s (target <= 10 s), warm {t_warm:6.2f} s (target <= 2 s); "
          f"{res.message}")
    lay = res.layout
    print(f"            points used {res.n_points}; layout {lay['law']['block_size']}-blocks x"
          f"{lay['law']['far_factor']}, bound {lay['error_bound']:.2g} <= tol {lay['tolerance']:.2g} "
          f"(noise {lay['noise']:.3g} log units)")
    print(f"  baseline: for_fitting on every 25th step ({sum(s.size for s in sub.values())} points), "
          f"cold {t_base:6.2f} s; ratio baseline / default cold {t_base / t_cold:.1f}x")
    se = res.stderr or {}
    print("  recovery (true, fitted, rel. error, |error|/stderr):")
    for k, v in TRUE.items():
        f = res.params[k]
        z = abs(f - v) / se[k] if se.get(k) else float("nan")
        print(f"    {k:6s} {v:10.4g} {f:10.4g} {abs(f / v - 1):8.2%} {z:6.2f}")
    for r in runs:
        c = r.observed("clean")
        pred = res.predict(r, steps=c.steps)
        print(f"  {r.run_id}: max |prediction - noise-free truth| = {np.max(np.abs(pred - c.values)):.2e} "
              f"(noise std {NOISE}); baseline {np.max(np.abs(base.predict(r, steps=c.steps) - c.values)):.2e}")


if __name__ == "__main__":
    main()
