"""Multi-Power Law: exact-evaluation anchors (LAWS.md 11.1, 11.2) and an independent per-step
numpy reference (tests/laws/_mpl_reference.py)."""

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _mpl_reference import mpl_reference, split_metrics  # noqa: E402

from lawfit.datasets import MPL_TEST, MPL_TRAIN, MPL_WARMUP, mpl_lr, mpl_optimized_lr, mpl_runs
from lawfit.laws import MultiPowerLaw
from lawfit.laws._mpl import PAPER_TABLE7, REPO_PARAMS
from lawfit.runs import Run

SIZES = ("25M", "100M", "400M")


@pytest.fixture(scope="module")
def predict_jit():
    cache = {}

    def get(law):
        if law not in cache:
            cache[law] = jax.jit(law.predict)
        return cache[law]

    return get


def _metrics(law, params, runs, predict_jit):
    inp = law.prepare(runs)
    pred = np.asarray(predict_jit(law)(params, inp.x))
    return split_metrics(np.asarray(inp.y), pred, inp.run_index)


# -- 11.1 repository convention --------------------------------------------------------------
REPO_TEST = {  # LAWS.md 11.1: R², MAE, RMSE, PredE, WorstE (repository README)
    "25M": (0.99880, 0.00376, 0.00465, 0.00110, 0.00409),
    "100M": (0.99830, 0.00435, 0.00592, 0.00142, 0.00583),
    "400M": (0.99776, 0.00484, 0.00730, 0.00168, 0.00995),
}
REPO_TRAIN = {
    "25M": (0.99888, 0.00371, 0.00511, 0.00105, 0.00754),
    "100M": (0.99926, 0.00335, 0.00428, 0.00108, 0.00352),
    "400M": (0.99840, 0.00517, 0.00657, 0.00177, 0.00738),
}
PAPER_T7 = {  # LAWS.md 11.2, Table 7 parameters in the paper convention
    ("25M", "train"): (0.99805, 0.00554, 0.00682, 0.00156, 0.00472),
    ("25M", "test"): (0.99714, 0.00612, 0.00751, 0.00175, 0.00459),
    ("100M", "train"): (0.99958, 0.00300, 0.00331, 0.00095, 0.00261),
    ("100M", "test"): (0.99710, 0.00601, 0.00700, 0.00197, 0.00534),
    ("400M", "train"): (0.99968, 0.00204, 0.00309, 0.00068, 0.00539),
    ("400M", "test"): (0.99637, 0.00632, 0.00803, 0.00226, 0.00694),
}
KEYS = ("r2", "mae", "rmse", "prede", "worste")


def _assert_printed(got, want):
    for k, v in zip(KEYS, want, strict=True):
        assert got[k] == pytest.approx(v, abs=1.01e-5), (k, got[k], v)


@pytest.mark.parametrize("size", SIZES)
def test_repo_params_reproduce_readme_metrics(size, predict_jit):
    law = MultiPowerLaw(convention="repo")
    runs = mpl_runs(size)
    _assert_printed(_metrics(law, REPO_PARAMS[size], runs.select(MPL_TEST), predict_jit), REPO_TEST[size])
    _assert_printed(_metrics(law, REPO_PARAMS[size], runs.select(MPL_TRAIN), predict_jit), REPO_TRAIN[size])


@pytest.mark.parametrize("size", SIZES)
def test_table7_reproduces_paper_convention_metrics(size, predict_jit):
    law = MultiPowerLaw(convention="paper")
    runs = mpl_runs(size)
    for split, names in (("train", MPL_TRAIN), ("test", MPL_TEST)):
        got = _metrics(law, PAPER_TABLE7[size], runs.select(names), predict_jit)
        _assert_printed(got, PAPER_T7[(size, split)])


NEGATIVE = {  # LAWS.md 11.2 cross-convention negative controls (test R²)
    ("repo_in_paper", "25M"): 0.41790,
    ("repo_in_paper", "100M"): 0.23347,
    ("repo_in_paper", "400M"): 0.04092,
    ("t7_in_repo", "25M"): 0.20961,
    ("t7_in_repo", "100M"): 0.10524,
    ("t7_in_repo", "400M"): -0.17078,
}


@pytest.mark.parametrize("size", SIZES)
def test_cross_convention_negative_controls(size, predict_jit):
    runs = mpl_runs(size).select(MPL_TEST)
    got = _metrics(MultiPowerLaw(convention="paper"), REPO_PARAMS[size], runs, predict_jit)
    assert got["r2"] == pytest.approx(NEGATIVE[("repo_in_paper", size)], abs=1.01e-5)
    got2 = _metrics(MultiPowerLaw(convention="repo"), PAPER_TABLE7[size], runs, predict_jit)
    assert got2["r2"] == pytest.approx(NEGATIVE[("t7_in_repo", size)], abs=1.01e-5)
    if size == "400M":
        assert got["prede"] == pytest.approx(0.05398, abs=1.01e-5)
        assert got2["prede"] == pytest.approx(0.05952, abs=1.01e-5)


# -- point predictions -------------------------------------------------------------------------
REPO_POINTS = [  # (size, run, {step: value}) LAWS.md 11.1
    ("25M", "constant_24000", {2176: 4.064062, 23920: 3.346190, 23999: 3.345845}),
    ("25M", "cosine_24000", {2176: 4.064062, 23920: 3.315292, 23999: 3.315187}),
    ("25M", "wsd_20000_24000", {2176: 4.064062, 23920: 3.266825, 23999: 3.266260}),
    ("100M", "cosine_24000", {2176: 3.768852, 23920: 2.990141, 23999: 2.990025}),
    ("400M", "constant_24000", {2176: 3.573613, 23920: 2.817262, 23999: 2.816840}),
    ("400M", "cosine_24000", {2176: 3.573613, 23920: 2.757200, 23999: 2.757069}),
    ("400M", "wsd_20000_24000", {2176: 3.573613, 23920: 2.700618, 23999: 2.699813}),
    ("400M", "wsdld_20000_24000", {2176: 3.573613, 23920: 2.701758, 23999: 2.699350}),
    ("400M", "cosine_72000", {71920: 2.618486}),
]
PAPER_POINTS = [  # LAWS.md 11.2
    ("25M", "cosine_24000", {2176: 4.089150, 23920: 3.312717, 23999: 3.312571}),
    ("100M", "cosine_24000", {2176: 3.773742, 23920: 2.977387, 23999: 2.977211}),
    ("400M", "constant_24000", {2176: 3.572607, 23920: 2.814098, 23999: 2.813672}),
    ("400M", "cosine_24000", {2176: 3.572607, 23920: 2.741496, 23999: 2.741256}),
    ("400M", "wsd_20000_24000", {2176: 3.572607, 23920: 2.705529, 23999: 2.704560}),
    ("400M", "wsdld_20000_24000", {2176: 3.572607, 23920: 2.712416, 23999: 2.710642}),
]


def _point_predict(law, params, run, steps, predict_jit):
    inp = law.prepare(run, steps=steps, predict=True)
    assert inp.steps.tolist() == sorted(steps)
    return np.asarray(predict_jit(law)(params, inp.x))


@pytest.mark.parametrize("convention,points", [("repo", REPO_POINTS), ("paper", PAPER_POINTS)])
def test_point_predictions(convention, points, predict_jit):
    table = REPO_PARAMS if convention == "repo" else PAPER_TABLE7
    law = MultiPowerLaw(convention=convention)
    for size, name, want in points:
        run = mpl_runs(size, [name])
        steps = sorted(want)
        got = _point_predict(law, table[size], run, steps, predict_jit)
        np.testing.assert_allclose(got, [want[s] for s in steps], rtol=0, atol=6e-7)
        # independent per-step numpy reference to 1e-10 relative
        ref = mpl_reference(table[size], mpl_lr(name), steps, convention, MPL_WARMUP)
        np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_optimized_schedule_points(predict_jit):
    lr = mpl_optimized_lr("400M")
    run = Run("opt400", lr=lr, meta={"warmup_steps": MPL_WARMUP})
    repo = _point_predict(MultiPowerLaw("repo"), REPO_PARAMS["400M"], run, [23999], predict_jit)
    paper = _point_predict(MultiPowerLaw("paper"), PAPER_TABLE7["400M"], run, [23999], predict_jit)
    np.testing.assert_allclose(repo, [2.689053], atol=6e-7)
    np.testing.assert_allclose(paper, [2.715609], atol=6e-7)
    # the repository's schedule-optimisation objective: repo PARAMS evaluated in "paper"
    for size, want in (("25M", 3.149677), ("100M", 2.794137), ("400M", 2.533219)):
        run = Run("opt", lr=mpl_optimized_lr(size), meta={"warmup_steps": MPL_WARMUP})
        got = _point_predict(MultiPowerLaw("paper"), REPO_PARAMS[size], run, [23999], predict_jit)
        np.testing.assert_allclose(got, [want], atol=6e-7)


def test_warmup_offset_of_repo_convention(predict_jit):
    """repo - paper at the same parameters is the warmup part of the loss-drop sum (11.1)."""
    p = REPO_PARAMS["400M"]
    steps = {"constant_24000": [2176, 8000, 23936], "constant_72000": [71936]}
    want = [0.14525, 0.15464, 0.15589, 0.15645]
    got = []
    for name, ss in steps.items():
        run = mpl_runs("400M", [name])
        got += list(
            _point_predict(MultiPowerLaw("repo"), p, run, ss, predict_jit)
            - _point_predict(MultiPowerLaw("paper"), p, run, ss, predict_jit)
        )
    np.testing.assert_allclose(got, want, atol=6e-6)


@pytest.mark.parametrize("convention", ["paper", "repo", "tissue"])
def test_matches_per_step_reference_on_every_run(convention, predict_jit):
    p = PAPER_TABLE7["100M"]
    law = MultiPowerLaw(convention=convention)
    runs = mpl_runs("100M")
    inp = law.prepare(runs)
    got = np.asarray(predict_jit(law)(p, inp.x))
    for i, run in enumerate(runs):
        m = inp.run_index == i
        sel = np.flatnonzero(m)[:: max(1, m.sum() // 12)]  # a dozen points per run
        ref = mpl_reference(p, run.lr, inp.steps[sel], convention, MPL_WARMUP)
        np.testing.assert_allclose(got[sel], ref, rtol=1e-10, err_msg=run.run_id)
