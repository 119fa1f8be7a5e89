"""The O(T) MPL final-loss used by the schedule optimizers: published anchors (LAWS.md 11.1,
11.2, 5.3) and agreement with MultiPowerLaw.predict in every convention."""

import numpy as np
import pytest

from lawfit.datasets import MPL_SIZES, mpl_lr, mpl_optimized_lr
from lawfit.optimize import MPL_PAPER_PARAMS, MPL_REPO_PARAMS, mpl_final_loss

W = 2160

REPO_400M = {  # LAWS.md 11.1, step 23999
    "constant_24000": 2.816840, "cosine_24000": 2.757069,
    "wsd_20000_24000": 2.699813, "wsdld_20000_24000": 2.699350,
}
PAPER_400M = {  # LAWS.md 11.2, step 23999
    "constant_24000": 2.813672, "cosine_24000": 2.741256,
    "wsd_20000_24000": 2.704560, "wsdld_20000_24000": 2.710642,
}


@pytest.mark.parametrize("run", sorted(REPO_400M))
def test_anchor_values(run):
    lr = mpl_lr(run)
    assert mpl_final_loss(MPL_REPO_PARAMS["400M"], lr, W, convention="repo") == pytest.approx(
        REPO_400M[run], abs=1.5e-6)
    assert mpl_final_loss(MPL_PAPER_PARAMS["400M"], lr, W, convention="paper") == pytest.approx(
        PAPER_400M[run], abs=1.5e-6)


def test_optimized_schedule_anchors():
    lr = mpl_optimized_lr("400M")
    assert mpl_final_loss(MPL_REPO_PARAMS["400M"], lr, W, convention="repo") == pytest.approx(
        2.689053, abs=1.5e-6)
    assert mpl_final_loss(MPL_PAPER_PARAMS["400M"], lr, W, convention="paper") == pytest.approx(
        2.715609, abs=1.5e-6)
    # the repository optimizer's own objective: repo PARAMS in the paper form (LAWS.md 11.2)
    for size, want in zip(MPL_SIZES, (3.149677, 2.794137, 2.533219), strict=True):
        got = mpl_final_loss(MPL_REPO_PARAMS[size], mpl_optimized_lr(size), W, convention="paper")
        assert got == pytest.approx(want, abs=1.5e-6)


def _random_schedule(rng, total, w, warmup):
    peak = 3e-4
    warm = np.linspace(0, peak, w) if warmup == "linspace" else peak * np.arange(w) / w
    drops = rng.exponential(size=total - w) * (rng.random(total - w) < 0.3)
    post = peak * np.exp(-np.cumsum(drops) * 4.0 / max(drops.sum(), 1e-12))
    return np.concatenate([warm, post])


@pytest.mark.parametrize("convention", ["paper", "repo", "tissue"])
@pytest.mark.parametrize("warmup", ["linspace", "t/W"])
def test_agrees_with_multipowerlaw_predict(convention, warmup):
    from lawfit.laws import MultiPowerLaw
    from lawfit.runs import Run, RunSet

    rng = np.random.default_rng(0)
    law = MultiPowerLaw(convention=convention)
    params = MPL_REPO_PARAMS["100M"] if convention == "repo" else MPL_PAPER_PARAMS["100M"]
    arrays = [_random_schedule(rng, 1500, 150, warmup) for _ in range(3)]
    arrays += [mpl_lr("cosine_24000"), mpl_lr("wsd_20000_24000")]
    for lr in arrays:
        w = 150 if lr.size == 1500 else W
        run = Run("x", lr=lr, meta={"warmup_steps": w})
        inputs = law.prepare(RunSet([run]), steps=[lr.size - 1], predict=True)
        ref = float(np.asarray(law.predict(params, inputs.x))[0])
        got = mpl_final_loss(params, lr, w, peak_lr=3e-4, convention=convention)
        assert got == pytest.approx(ref, rel=1e-10)


def test_bad_input():
    p = MPL_REPO_PARAMS["400M"]
    with pytest.raises(ValueError, match="convention"):
        mpl_final_loss(p, mpl_lr("cosine_24000"), W, convention="mpl")
    with pytest.raises(ValueError, match="missing"):
        mpl_final_loss({"L0": 1.0}, mpl_lr("cosine_24000"), W, convention="repo")
    with pytest.raises(ValueError, match="warmup_steps"):
        mpl_final_loss(p, np.full(10, 1e-4), 10, convention="repo")


def test_fitted_horizon_of_a_fit_result_is_read_as_its_last_step():
    """FitResult.fitted_horizon is ``{"steps": (min, max), "runs": {...}}``; the optimizer's
    extrapolation guard reads the number of fitted steps from it (regression: int(dict))."""
    from types import SimpleNamespace

    from lawfit.optimize._predict import _horizon_of

    fit = SimpleNamespace(fitted_horizon={"steps": (2160, 23999), "runs": {"a": (2160, 23999)}})
    assert _horizon_of(fit) == 24000
    assert _horizon_of(SimpleNamespace(fitted_horizon=None)) is None
