"""FSL-form law: the noise convolution against a per-step numpy loop and the constant-LR closed
form, block aggregation exact for block-constant LRs, the contract suite with recovery of known
parameters from synthetic WSD / cosine / constant curves, and bad input."""

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import check_law_contract  # noqa: E402

from lawfit.laws import FunctionalScalingLaw, from_spec, get
from lawfit.runs import Run, RunSet

P = dict(L0=2.2, A=0.6, alpha=0.45, C=300.0, u0=0.4, gamma=1.7)


def loop_noise(lr, s, u0, gamma):
    """Σ_k η_k ∫_{t(k-1)}^{t(k)} (1 + (t(s) - v)/u0)^(-gamma) dv by a plain loop (independent)."""
    t = np.cumsum(lr)
    F = lambda u: u0 / (gamma - 1) * (1 + u / u0) ** (1 - gamma)  # noqa: E731
    total, prev = 0.0, 0.0
    for k in range(s + 1):
        total += lr[k] * (F(t[s] - t[k]) - F(t[s] - prev))
        prev = t[k]
    return total


def predict(law, run, params=P):
    with jax.enable_x64(True):
        return np.asarray(law.predict(params, law.prepare(run, exclude_warmup=False).x))


def test_noise_matches_loop_for_any_schedule():
    rng = np.random.default_rng(0)
    lr = 1e-3 * rng.uniform(0.05, 1.0, 300)
    steps = np.array([0, 1, 49, 50, 51, 177, 299])
    run = Run("r", lr=lr, metrics={"loss": (steps, np.ones(steps.size))})
    law = FunctionalScalingLaw(block_size=1)
    with jax.enable_x64(True):
        got = np.asarray(law.noise(P, law.prepare(run, exclude_warmup=False).x))
    ref = [loop_noise(lr, s, P["u0"], P["gamma"]) for s in steps]
    np.testing.assert_allclose(got, ref, rtol=1e-11)


def test_blocks_exact_for_block_constant_lr_and_close_otherwise():
    rng = np.random.default_rng(1)
    lr = np.repeat(1e-3 * rng.uniform(0.05, 1.0, 40), 10)  # constant on 10-step blocks
    steps = np.array([5, 99, 100, 257, 399])
    run = Run("r", lr=lr, metrics={"loss": (steps, np.ones(steps.size))})
    exact = predict(FunctionalScalingLaw(block_size=1), run)
    np.testing.assert_allclose(predict(FunctionalScalingLaw(block_size=10), run), exact, rtol=1e-12)
    # a smooth cosine with 50-step blocks: within 1e-5 of the exact law
    T = 5000
    cos = 1e-3 * (0.1 + 0.45 * (1 + np.cos(np.pi * np.arange(T) / T)))
    st = np.arange(100, T, 100)
    run = Run("c", lr=cos, metrics={"loss": (st, np.ones(st.size))})
    np.testing.assert_allclose(predict(FunctionalScalingLaw(block_size=50), run),
                               predict(FunctionalScalingLaw(block_size=1), run), rtol=1e-5)


def test_constant_lr_closed_form():
    eta, u0, g = 1e-3, P["u0"], P["gamma"]
    steps = np.array([10, 999, 4999])
    run = Run("k", lr=np.full(5000, eta), metrics={"loss": (steps, np.ones(3))})
    t = eta * (steps + 1)
    F = lambda u: u0 / (g - 1) * (1 + u / u0) ** (1 - g)  # noqa: E731
    closed = P["L0"] + P["A"] * t ** -P["alpha"] + P["C"] * eta * (F(0) - F(t))
    np.testing.assert_allclose(predict(FunctionalScalingLaw(), run), closed, rtol=1e-12)
    # the plateau rises with the LR: C η u0 / (gamma - 1) at long times
    assert P["C"] * eta * F(0) == pytest.approx(P["C"] * eta * u0 / (g - 1))


def synthetic_runs(law, params=P):
    T, W, peak = 8000, 200, 1e-3
    base = np.full(T, peak)
    base[:W] = np.linspace(peak / W, peak, W)
    wsd = base.copy()
    wsd[6400:] = np.linspace(peak, 0, T - 6400)
    cos = base.copy()
    cos[W:] = peak * (0.1 + 0.45 * (1 + np.cos(np.pi * (np.arange(W, T) - W) / (T - W))))
    out = []
    for name, lr in (("constant", base), ("wsd", wsd), ("cosine", cos)):
        st = np.arange(W, T, 100)
        r = Run(name, lr=lr, metrics={"loss": (st, np.ones(st.size))}, meta={"warmup_steps": W})
        with jax.enable_x64(True):
            y = np.asarray(law.predict(params, law.prepare(r).x))
        out.append(r.replace(metrics={"loss": (st, y)}))
    return RunSet(out)


def test_contract_and_recovery():
    law = FunctionalScalingLaw()
    check_law_contract(law, synthetic_runs(law), P, recovery_rtol=1e-4, grad_starts=6)


def test_registry_and_bad_input():
    assert get("fsl") == FunctionalScalingLaw()
    assert from_spec({"name": "fsl", "options": {"block_size": 7}}).block_size == 7
    with pytest.raises(ValueError, match="block_size"):
        FunctionalScalingLaw(block_size=0)
    with pytest.raises(ValueError, match="no per-step LR"):
        FunctionalScalingLaw().prepare(Run("x", metrics={"loss": ([1], [3.0])}))
    with pytest.raises(ValueError, match="outside the LR"):
        FunctionalScalingLaw().prepare(Run("x", lr=np.ones(5), metrics={"loss": ([9], [3.0])}))
