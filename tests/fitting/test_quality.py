"""Fit quality rules, exact predictions, predictions of table laws, scale-aware MPL starts."""

import math
import warnings

import numpy as np
import pytest

from lawfit.fitting import FitResult, StartOutcomes, UndefinedPredictionWarning
from lawfit.fitting._quality import assess, goodness, status_of
from lawfit.laws import Chinchilla, DCPTLaw, MultiPowerLaw
from lawfit.mixtures import MixtureTable
from lawfit.optimize import MPL_REPO_PARAMS
from lawfit.runs import Run

ARGS = dict(params={"a": 1.0, "b": 2.0}, free=("a", "b"), bounds={"a": (0, 10), "b": (0, 10)},
            at_bounds=(), stderr={"a": 0.1, "b": 0.1}, nonidentifiable=(), starts=None, diagnostics=())


def _assess(**changes):
    y = np.linspace(3.0, 2.0, 20)
    kw = dict(ARGS, converged=True, y=y, yhat=y + 1e-4)
    kw.update(changes)
    return assess(**kw)


def test_goodness_is_sklearn_r2_and_relative_errors():
    y, yhat = np.array([3.0, 2.0, 1.0]), np.array([3.0, 2.0, 1.5])
    g = goodness(y, yhat)
    assert g["r2"] == pytest.approx(1 - 0.25 / 2.0)  # SS_res = 0.25, SS_tot = 2
    assert g["max_rel_error"] == pytest.approx(0.5)
    assert g["rel_rmse"] == pytest.approx(math.sqrt(0.25 / 3) / 2.0)


def test_status_is_the_worst_severity():
    assert status_of(converged=True, issues=[]) == "ok"
    assert status_of(converged=True, issues=[("at_bound", "doubtful", "")]) == "doubtful"
    assert status_of(converged=True, issues=[("x", "doubtful", ""), ("y", "unusable", "")]) == "unusable"
    assert status_of(converged=False, issues=[]) == "not_converged"


@pytest.mark.parametrize(
    "changes,code,status",
    [
        ({}, None, "ok"),
        ({"stderr": {"a": 0.1, "b": 2.5}}, "not_identified", "unusable"),  # stderr >= |value|
        ({"stderr": {"a": math.inf, "b": 0.1}, "nonidentifiable": ("a",)}, "not_identified", "unusable"),
        ({"yhat": np.full(20, 2.5)}, "poor_fit", "unusable"),  # R² = 0
        ({"yhat": np.linspace(3.0, 2.0, 20) + 0.15 * (-1) ** np.arange(20)}, "weak_fit", "doubtful"),
        ({"params": {"a": 1e120, "b": 2.0}}, "nonfinite_params", "unusable"),
        ({"yhat": np.r_[np.nan, np.linspace(3.0, 2.0, 20)[1:]]}, "nonfinite_predict", "unusable"),
        ({"at_bounds": ("a",)}, "at_bound", "doubtful"),
        ({"y": np.array([3.0, 2.0, 1.5, 1.2, 1.1]), "yhat": np.array([3.0, 2.0, 1.5, 1.2, 1.1])},
         "few_points", "doubtful"),
        ({"y": np.array([3.0, 2.0]), "yhat": np.array([3.0, 2.0])}, "no_dof", "unusable"),
        ({"diagnostics": ("trend dL/dr < 0 violated",)}, "law_diagnostics", "doubtful"),
        ({"converged": False}, None, "not_converged"),
    ],
)
def test_each_rule(changes, code, status):
    got, quality, warns = _assess(**changes)
    assert got == status
    codes = [i["code"] for i in quality["issues"]]
    if code is None:
        assert codes == [] and warns == ()
    else:
        assert code in codes and any(w.startswith(f"[{code}]") for w in warns)


def test_starts_that_reach_the_same_objective_apart_disagree():
    final = np.array([[1.0, 2.0], [1.5, 2.0], [1.0, 2.0], [9.0, 9.0]])
    starts = StartOutcomes(("a", "b"), final, final, np.array([1e-3, 1e-3, 1e-3, 5e-3]),
                           np.zeros(4, int), np.ones(4, int), np.zeros(4))
    status, quality, _ = _assess(starts=starts)
    issue = [i for i in quality["issues"] if i["code"] == "starts_disagree"]
    assert status == "doubtful" and issue and "(a)" in issue[0]["message"]  # b agrees, the far start is ignored
    same = starts.__class__(*[getattr(starts, f) for f in ("names", "init")], final[[0, 2, 3]],
                            np.array([1e-3, 1e-3, 5e-3]), np.zeros(3, int), np.ones(3, int), np.zeros(3))
    assert _assess(starts=same)[0] == "ok"


def test_predict_returns_exactly_the_requested_steps():
    law = MultiPowerLaw(convention="paper")
    res = FitResult(law=law, params=MPL_REPO_PARAMS["400M"], success=True)
    lr = np.full(3000, 3e-4)
    lr[:100] = np.linspace(0, 3e-4, 100)
    steps = np.array([2500, 50, 98, 100, 10, 2999])  # unsorted, three inside the warmup
    with pytest.warns(UndefinedPredictionWarning, match="3 of the 6"):
        out = res.predict(lr, steps=steps)
    assert out.shape == steps.shape
    assert np.isnan(out[[1, 2, 4]]).all() and np.isfinite(out[[0, 3, 5]]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = res.predict(lr, steps=[2500, 100, 2999])  # the same values when all are defined
    np.testing.assert_array_equal(out[[0, 3, 5]], ref)
    run = Run("r", lr=lr, meta={"warmup_steps": 100})
    with pytest.warns(UndefinedPredictionWarning):
        per_run = res.predict(run, steps=steps)
    np.testing.assert_array_equal(per_run, out)


def test_table_laws_predict_through_fit_result():
    from tests.laws.test_dcpt import GENERAL

    N, D, r = np.array([5e8, 4e9]), np.array([3e9, 2e10]), np.array([0.2, 0.7])
    law = DCPTLaw(target="general")
    res = FitResult(law=law, params=GENERAL, success=True)
    expect = np.asarray(law.predict(GENERAL, law.inputs(N, D, r)))
    table = MixtureTable(N=N, D=D, r=r, general=np.array([2.0, 2.0]))
    np.testing.assert_allclose(res.predict(table), expect, rtol=1e-13)
    np.testing.assert_allclose(res.predict({"N": N, "D": D, "r": r}), expect, rtol=1e-13)
    p = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    ch = FitResult(law=Chinchilla(), params=p, success=True)
    closed = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
    np.testing.assert_allclose(ch.predict({"N": N, "D": D}), closed, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_mpl_starts_lie_inside_bounds_at_any_loss_scale(scale):
    law = MultiPowerLaw(convention="paper")
    lr = np.full(4000, 3e-4)
    lr[:100] = np.linspace(0, 3e-4, 100)
    lr[3000:] = np.linspace(3e-4, 3e-5, 1000)
    steps = np.arange(200, 4000, 50)
    y = scale * (2.5 + 0.6 * np.cumsum(lr)[steps] ** -0.45)
    inputs = law.prepare(Run("r", lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": 100}))
    grid = law.init_grid(inputs)
    specs = {p.name: p for p in law.param_specs()}
    for name, values in grid.items():
        lo, hi = specs[name].lower, specs[name].upper
        assert np.all((values > lo) & (values < hi)), (name, values)
    assert np.all(grid["L0"] < y.min())
