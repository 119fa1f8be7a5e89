"""The fit chooses its points and (for the MPL) its layout from the data: lawfit.fitting._layout.

Synthetic runs from known MPL parameters, logged at every step (more points than the per-run
budget), with known noise: the choice is checked against independent computations (the exact
law, the true noise), never against recorded numbers."""

import jax
import numpy as np
import pytest

import lawfit
from lawfit.fitting import _layout
from lawfit.laws import MultiPowerLaw
from lawfit.runs import Run, RunSet

TRUE = dict(L0=3.0, A=0.5, alpha=0.5, B=400.0, C=2.0, beta=0.6, gamma=0.6)
NOISE = 2e-3  # relative (log units)
T, W = 1600, 100


def _lr(kind):
    t = np.arange(T, dtype=np.float64)
    lr = np.full(T, 1e-3)
    lr[:W] = np.linspace(1e-4, 1e-3, W)
    if kind == "cosine":
        lr[W:] = 1e-4 + 0.5 * 9e-4 * (1 + np.cos(np.pi * (t[W:] - W) / (T - W)))
    else:  # wsd
        lr[1200:] = np.linspace(1e-3, 2e-5, T - 1200)
    return lr


@pytest.fixture(scope="module")
def runs():
    law = MultiPowerLaw("paper", mode="exact")
    rng = np.random.default_rng(0)
    out = []
    for kind in ("cosine", "wsd"):
        lr = _lr(kind)
        steps = np.arange(W, T)  # every step: 1,500 points > the 1,024 budget
        with jax.enable_x64(True):
            clean = np.asarray(law.predict(TRUE, law.prepare(Run(kind, lr=lr), steps=steps, predict=True).x))
        y = clean * np.exp(NOISE * rng.standard_normal(steps.size))
        out.append(Run(kind, lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": W}))
    return RunSet(out)


@pytest.fixture(scope="module")
def auto_fit(runs):
    return lawfit.fit(MultiPowerLaw(convention="paper"), runs)


def test_noise_estimate_recovers_the_true_noise(runs):
    assert abs(_layout.log_noise_scale(runs, "loss") / NOISE - 1) < 0.1


def test_default_fit_thins_points_and_records_them(auto_fit, runs):
    pts = auto_fit.layout["points"]
    assert pts["max_per_run"] == lawfit.runs.FIT_POINTS
    for r in runs:
        n_obs, n_used = pts["runs"][r.run_id]
        assert n_obs == r.observed("loss").steps.size and n_used <= pts["max_per_run"] < n_obs
        assert set(pts["steps"][r.run_id]) <= set(r.observed("loss").steps.tolist())
    assert auto_fit.n_points == sum(u for _, u in pts["runs"].values())
    assert auto_fit.success, auto_fit.report()
    for k in ("L0", "A", "alpha"):
        assert abs(auto_fit.params[k] / TRUE[k] - 1) < 0.02, (k, auto_fit.params[k])


def test_chosen_layout_bound_holds_and_is_below_the_noise(auto_fit, runs):
    lay = auto_fit.layout
    assert lay["tolerance"] == pytest.approx(_layout.NOISE_FRACTION * lay["noise"])
    assert lay["error_bound"] <= lay["tolerance"]
    block = MultiPowerLaw(**lay["law"])
    assert block.mode == "block" and auto_fit.law.mode == "auto"
    # independently: the block layout's real error at the fitted parameters is within its bound,
    # and the recorded bound is that bound (relative, over the fitted points)
    steps = {rid: np.asarray(s) for rid, s in lay["points"]["steps"].items()}
    with jax.enable_x64(True):
        bi = block.prepare(runs, steps=steps)
        ei = MultiPowerLaw("paper", mode="exact").prepare(runs, steps=steps)
        pb = np.asarray(block.predict(auto_fit.params, bi.x))
        pe = np.asarray(MultiPowerLaw("paper", mode="exact").predict(auto_fit.params, ei.x))
        bound = np.asarray(block.error_bound(auto_fit.params, bi.x))
    assert np.all(np.abs(pb - pe) <= bound + 1e-13)
    assert np.max(bound / pb) == pytest.approx(lay["error_bound"], rel=1e-6)
    # predictions use the exact law
    np.testing.assert_allclose(auto_fit.predict(runs["wsd"], steps=steps["wsd"]), pe[ei.run_index == 1],
                               rtol=1e-12)


def test_layout_round_trips_and_is_reported(auto_fit):
    back = lawfit.load_fit(auto_fit.to_dict())
    assert back.layout == auto_fit.layout
    text = auto_fit.report()
    assert "fitting layout" in text and "rigorous error bound" in text and "fitting points" in text


def test_refines_and_warm_restarts_when_the_bound_is_too_loose(runs, monkeypatch, auto_fit):
    monkeypatch.setattr(_layout, "NOISE_FRACTION", 1e-4)
    monkeypatch.setattr(_layout, "MIN_TOLERANCE", 1e-12)
    res = lawfit.fit(MultiPowerLaw(convention="paper"), runs, stderr=False)
    lay = res.layout
    assert len(lay["tried"]) >= 2
    blocks = [t["law"]["block_size"] for t in lay["tried"] if t["law"]["mode"] == "block"]
    assert blocks == sorted(blocks, reverse=True) and blocks[0] == 32  # cheapest first, then finer
    assert lay["error_bound"] <= lay["tolerance"] or lay["law"]["mode"] == "exact"
    assert all(t["error_bound"] > lay["tolerance"] for t in lay["tried"][:-1])  # refined only when needed
    assert res.success
    for k in ("L0", "A", "alpha"):  # the same optimum as the coarser layout
        assert abs(res.params[k] / auto_fit.params[k] - 1) < 1e-3


def test_explicit_exact_fit_is_the_reference(runs, auto_fit):
    exact = lawfit.fit(MultiPowerLaw(convention="paper", mode="exact"), runs, stderr=False)
    assert exact.layout.get("law") is None  # no layout to choose
    for k in ("L0", "A", "alpha", "B"):
        assert abs(exact.params[k] / auto_fit.params[k] - 1) < 1e-3, k


def test_bootstrap_refits_on_the_fit_layout_and_points(auto_fit, runs):
    law, inputs = _layout.refit_inputs(auto_fit, runs)
    assert law.options() == auto_fit.layout["law"]
    assert int(np.sum(np.asarray(inputs.weight) > 0)) == auto_fit.n_points
    assert float(np.sum(inputs.weight)) == sum(n for n, _ in auto_fit.layout["points"]["runs"].values())
    b = lawfit.bootstrap(auto_fit, runs, n=3, kind="points", key=0)
    assert b.law == auto_fit.law and b.layout == auto_fit.layout
    assert all(np.all(np.isfinite(v)) for v in b.draws.values())
