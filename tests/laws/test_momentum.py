"""Momentum (LR-annealing) law: areas against a plain per-step loop and the closed form, both
warmup conventions, the contract suite, held-out accuracy on the official MPL split (LAWS.md
11.3), the model-size extension and bad input."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import check_law_contract  # noqa: E402

import lawfit
from lawfit.datasets import MPL_PEAK_LR, MPL_TEST, MPL_TRAIN, MPL_WARMUP, mpl_runs
from lawfit.laws import MomentumLaw, from_spec
from lawfit.laws._momentum import momentum_areas
from lawfit.runs import Run, RunSet


def loop_areas(lr, lam, W, peak, warmup):
    """Per-step python loop of LAWS.md 3.1 (independent reference)."""
    lt = [peak if i < W else float(v) for i, v in enumerate(lr)]
    s1, s2, m, a1, a2 = [], [], 0.0, 0.0, 0.0
    for i in range(len(lt)):
        m = 0.0 if i == 0 else lam * m + (lt[i - 1] - lt[i])
        a2 += m
        if warmup == "tissue":
            a1 += lt[i]
        else:
            a1 = sum(lr[: i + 1])
        s1.append(a1)
        s2.append(a2)
    return np.array(s1), np.array(s2)


@pytest.mark.parametrize("warmup", ["tissue", "mpl"])
def test_areas_match_loop_and_closed_form(warmup):
    rng = np.random.default_rng(0)
    W, peak = 7, 1e-3
    lr = np.concatenate([np.linspace(0, peak, W), peak * rng.uniform(0.05, 1.0, 60)])
    if warmup == "mpl":  # S1 = 0.5 W η_max + Σ_{i=W..s} lr[i] for a linspace warmup
        s1, _ = momentum_areas(lr, lam=0.9, warmup_steps=W, peak_lr=peak, warmup=warmup)
        assert s1[30] == pytest.approx(0.5 * W * peak + lr[W:31].sum(), rel=1e-13)
    lam = 0.9
    s1, s2 = momentum_areas(lr, lam=lam, warmup_steps=W, peak_lr=peak, warmup=warmup)
    r1, r2 = loop_areas(lr, lam, W, peak, warmup)
    np.testing.assert_allclose(s1, r1, rtol=1e-13)
    np.testing.assert_allclose(s2, r2, rtol=1e-10, atol=1e-18)
    # closed form: S2(s) = Σ_{k=1..s} (η̃[k-1] - η̃[k]) (1 - λ^(s-k+1)) / (1 - λ)
    lt = np.where(np.arange(lr.size) < W, peak, lr)
    for s in (0, 5, W, 30, lr.size - 1):
        k = np.arange(1, s + 1)
        closed = np.sum((lt[k - 1] - lt[k]) * (1 - lam ** (s - k + 1)) / (1 - lam))
        assert s2[s] == pytest.approx(closed, rel=1e-10, abs=1e-18)


def test_warmup_conventions_on_mpl_run():
    """Tissue: warmup area W η_max; MPL: 0.5 W η_max (LAWS.md 3.1); either W = 2160 or the
    detected 2159 (the ramp's last step is already at the peak) gives the same MPL-style S1."""
    run = mpl_runs("25M", ["constant_24000"])[0]
    t1, _ = momentum_areas(run.lr, lam=0.999, warmup_steps=MPL_WARMUP, peak_lr=MPL_PEAK_LR, warmup="tissue")
    m1, _ = momentum_areas(run.lr, lam=0.999, warmup_steps=MPL_WARMUP, peak_lr=MPL_PEAK_LR, warmup="mpl")
    s = 5000
    assert t1[s] == pytest.approx(MPL_PEAK_LR * (s + 1), rel=1e-12)
    assert m1[s] == pytest.approx(0.5 * MPL_WARMUP * MPL_PEAK_LR + MPL_PEAK_LR * (s - MPL_WARMUP + 1), rel=1e-12)
    m2, _ = momentum_areas(run.lr, lam=0.999, warmup_steps=MPL_WARMUP - 1, peak_lr=MPL_PEAK_LR, warmup="mpl")
    np.testing.assert_array_equal(m1, m2)


def test_long_run_no_overflow():
    lr = np.concatenate([np.full(1000, 3e-4), np.linspace(3e-4, 3e-5, 199_000)])
    s1, s2 = momentum_areas(lr, lam=0.9995, warmup_steps=0, peak_lr=3e-4)
    assert np.all(np.isfinite(s2)) and s2[-1] > 0


@pytest.fixture(scope="module")
def runs25():
    return mpl_runs("25M")


@pytest.mark.parametrize("warmup", ["tissue", "mpl"])
def test_contract(runs25, warmup):
    law = MomentumLaw(lam=0.99, warmup=warmup)
    check_law_contract(law, runs25.select(MPL_TRAIN), {"L0": 3.15, "A": 0.52, "alpha": 0.5, "C": 3.8})


def test_paper_anchor_expression():
    """Setting A, λ = 0.999: L = 2.628 + 0.429 S1^-0.550 - 0.411 S2 (LAWS.md 11.5)."""
    law = MomentumLaw(lam=0.999)
    lr = np.concatenate([np.full(500, 2e-4), np.linspace(2e-4, 2e-5, 19_500)])
    run = Run("cos", lr=lr, metrics={"loss": ([999, 9999, 19999], [3.0, 2.9, 2.8])}, meta={"warmup_steps": 500})
    inputs = law.prepare(RunSet([run]))
    s1, s2 = momentum_areas(lr, lam=0.999, warmup_steps=500, peak_lr=2e-4)
    pred = np.asarray(law.predict({"L0": 2.628, "A": 0.429, "alpha": 0.550, "C": 0.411}, inputs.x))
    steps = np.array([999, 9999, 19999])
    np.testing.assert_allclose(pred, 2.628 + 0.429 * s1[steps] ** -0.55 - 0.411 * s2[steps], rtol=1e-13)


# LAWS.md 11.3: MPL-style warmup, λ chosen on train: test R² >= these
R2_BAR = {"25M": 0.9978, "100M": 0.9970, "400M": 0.9940}


@pytest.mark.parametrize("size", ["25M", "100M", "400M"])
def test_heldout_accuracy_lambda_grid(size):
    runs = mpl_runs(size)
    res = lawfit.fit(MomentumLaw(lam="grid", warmup="mpl"), runs.select(MPL_TRAIN))
    assert res.success and res.selection is not None
    sel = res.selection
    assert len(sel["objective"]) == 5
    assert res.objective == min(sel["objective"])
    assert res.law.lam == sel["options"][sel["chosen"]]["lam"]
    # a converged fit is at least as good on train as the reported refit at λ = 0.99 (11.3)
    assert sel["objective"][1] <= {"25M": 2.11e-4, "100M": 1.63e-4, "400M": 2.72e-4}[size] * 1.005
    ev = lawfit.evaluate(res, runs.select(MPL_TEST))
    assert len(ev["runs"]) == 6
    assert ev["mean"]["r2"] >= R2_BAR[size], ev["mean"]


def test_model_size_extension_recovery():
    truth = {"L0": 1.5, "B": 3.0, "beta": 0.16, "A": 0.44, "alpha": 0.55, "C": 0.27, "gamma": 0.05}
    law = MomentumLaw(lam=0.999, model_size=True, n_scale=1e6)
    runs = []
    for n in (25e6, 100e6, 400e6):
        for name in ("constant_24000", "cosine_24000"):
            r = mpl_runs("25M", [name])[0]
            runs.append(r.replace(run_id=f"{name}_{int(n)}", meta={**r.meta, "N": n}))
    rs = RunSet(runs)
    check_law_contract(law, rs, truth, fit_kwargs={"init": {"L0": 1.0, "B": 2.0, "beta": 0.2, "A": 0.5, "alpha": 0.5, "C": 0.3, "gamma": 0.1}})
    assert from_spec(law.to_spec()).n_scale == 1e6


def test_bad_input():
    law = MomentumLaw(lam=0.99)
    no_lr = Run("nolr", metrics={"loss": ([10, 20], [3.0, 2.9])})
    with pytest.raises(ValueError, match=r"nolr.*'loss'.*no per-step LR"):
        lawfit.fit(law, RunSet([no_lr]))
    short = Run("short", lr=np.full(15, 1e-3), metrics={"loss": ([5, 10, 20], [3.0, 2.9, 2.8])})
    with pytest.raises(ValueError, match=r"short.*'loss'.*\[20\].*length 15"):
        lawfit.fit(law, RunSet([short]))
    with pytest.raises(ValueError, match="lam"):
        MomentumLaw(lam=1.5)
    with pytest.raises(ValueError, match="warmup"):
        MomentumLaw(warmup="linear")
    no_n = mpl_runs("25M", ["constant_24000"])[0].replace(meta={})
    with pytest.raises(ValueError, match=r"constant_24000.*meta\['N'\]"):
        MomentumLaw(model_size=True).prepare(RunSet([no_n]))
