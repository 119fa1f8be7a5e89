"""Synthetic momentum-law curves with known parameters, shared by the fitting tests."""

import numpy as np

from lawfit.laws import MomentumLaw
from lawfit.laws._momentum import momentum_areas
from lawfit.runs import Run, RunSet

TRUTH = {"L0": 2.5, "A": 0.65, "alpha": 0.42, "C": 5.4}
LAW = MomentumLaw(lam=0.99, warmup="mpl")


def synthetic_runs(noise=0.0, seed=0, params=TRUTH):
    """Three curves (constant, cosine, two-stage) of 12,000 steps from known parameters
    (lam = 0.99), with relative log-normal noise."""
    rng = np.random.default_rng(seed)
    T, W, peak = 12_000, 500, 3e-4
    t = np.arange(T)
    base = np.full(T, peak)
    base[:W] = np.linspace(0, peak, W)
    cos = base.copy()
    cos[W:] = 3e-5 + 0.5 * (peak - 3e-5) * (1 + np.cos(np.pi * (t[W:] - W) / (T - W)))
    two = base.copy()
    two[6000:] = 9e-5
    runs = []
    for name, lr in (("constant", base), ("cosine", cos), ("twostage", two)):
        steps = np.arange(W, T, 100)
        s1, s2 = momentum_areas(lr, lam=0.99, warmup_steps=W, peak_lr=peak, warmup="mpl")
        y = params["L0"] + params["A"] * s1[steps] ** -params["alpha"] - params["C"] * s2[steps]
        y = y * np.exp(noise * rng.standard_normal(y.size))
        runs.append(Run(name, lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": W, "peak_lr": peak}))
    return RunSet(runs)
