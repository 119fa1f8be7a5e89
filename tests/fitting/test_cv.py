"""``lawfit.cross_validate``: selection on synthetic data with a known answer, fold bookkeeping
against independent fits, and bad input. The momentum law on three curves of known parameters
(the engine tests' data) keeps every fit well under a second once compiled."""

import doctest

import numpy as np
import pytest
from momentum_curves import LAW, TRUTH, synthetic_runs

import lawfit
import lawfit.fitting._cv as cv_module
from lawfit.laws import MomentumLaw

FAST = dict(stderr=False)


@pytest.fixture(scope="module")
def noisy():
    return synthetic_runs(noise=1e-3, seed=3)


def test_picks_the_true_law_and_reports_the_folds(noisy):
    """Data made with lam=0.99: held out, lam=0.99 predicts better than a wrong lambda."""
    cands = {"lam 0.9": {"law": MomentumLaw(lam=0.9, warmup="mpl")}, "lam 0.99": {"law": LAW}}
    res = lawfit.cross_validate(cands, noisy, score="huber", **FAST)
    assert res.selected == "lam 0.99"
    assert res.candidates == ("lam 0.9", "lam 0.99")
    assert res.folds == (("constant",), ("cosine",), ("twostage",))
    assert res.scores.shape == (2, 3) and np.isfinite(res.scores).all()
    assert res.mean["lam 0.99"] < res.mean["lam 0.9"]
    assert res.converged.all()
    # the refit uses every run and the selected law, and recovers the truth
    assert res.fit.run_ids == ("constant", "cosine", "twostage")
    assert res.fit.law.options()["lam"] == 0.99
    for k, v in TRUTH.items():
        assert res.fit.params[k] == pytest.approx(v, rel=0.05)
    assert "* lam 0.99" in res.report()


def test_scores_are_independent_heldout_evaluations(noisy):
    """Each cell equals fit-on-the-rest + evaluate-on-held-out done by hand; custom folds."""
    folds = [["constant"], ["cosine", "twostage"]]
    res = lawfit.cross_validate({"free": {}}, noisy, law=LAW, folds=folds, score="r2", refit=False,
                                **FAST)
    assert res.fit is None and res.folds == (("constant",), ("cosine", "twostage"))
    for k, held in enumerate(folds):
        rest = [r for r in noisy.ids if r not in held]
        manual = lawfit.fit(LAW, noisy.select(rest), stderr=False)
        want = lawfit.evaluate(manual, noisy.select(held))["mean"]["r2"]
        assert res.scores[0, k] == pytest.approx(want, rel=1e-12, abs=1e-14)
    assert res.mean["free"] == pytest.approx(float(np.mean(res.scores[0])))
    assert res.higher_is_better


def test_prefers_a_free_parameter_over_a_wrong_fixed_one(noisy):
    cands = {"alpha fixed 0.6": {"fixed": {"alpha": 0.6}}, "alpha free": {}}
    for score in ("prede", "r2", "rmse"):
        res = lawfit.cross_validate(cands, noisy, law=LAW, score=score, refit=False, **FAST)
        assert res.selected == "alpha free", (score, res.report())


def test_ties_go_to_the_first_candidate_and_weights_are_restricted(noisy):
    """Identical candidates tie (the first wins); per-run weights naming a held-out run are
    dropped for that fold instead of failing."""
    w = {"constant": 1.0, "cosine": 1.0, "twostage": 1.0}
    res = lawfit.cross_validate({"a": {"weights": w}, "b": {}}, noisy, law=LAW, refit=False, **FAST)
    np.testing.assert_array_equal(res.scores[0], res.scores[1])
    assert res.selected == "a"


def test_docstring_example_runs():
    out = doctest.testmod(cv_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert out.attempted > 0 and out.failed == 0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda r: lawfit.cross_validate({"a": {}}, r.select(["constant"]), law=LAW), "at least 2 runs"),
        (lambda r: lawfit.cross_validate({"a": {"max_iters": 3}}, r, law=LAW), "candidate 'a': unknown option"),
        (lambda r: lawfit.cross_validate({"a": {}}, r, law=LAW, score="accuracy"), "score must be one of"),
        (lambda r: lawfit.cross_validate({"a": {}}, r), "no 'law'"),
        (lambda r: lawfit.cross_validate({}, r, law=LAW), "non-empty mapping"),
        (lambda r: lawfit.cross_validate({"a": 3}, r, law=LAW), "options must be a mapping"),
        (lambda r: lawfit.cross_validate({"a": {}}, r, law=LAW, folds=[["nope"]]), r"folds\[0\]: unknown run ids"),
        (lambda r: lawfit.cross_validate({"a": {}}, r, law=LAW, folds=[list(r.ids)]), "every run"),
        (lambda r: lawfit.cross_validate({"a": {}}, r, law=LAW, folds=[[]]), "no run"),
        (lambda r: lawfit.cross_validate({"a": {}}, r, law=LAW, foo=1), "unknown lawfit.fit option"),
        (lambda r: lawfit.cross_validate({"a": {}}, "runs", law=LAW), "runs: no file or folder 'runs'"),
            (lambda r: lawfit.cross_validate({"a": {}}, 3, law=LAW), "runs must be"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(synthetic_runs())

