"""MPL modelling options chosen by cross-validation on the train curves only (issue 3, stretch).

The official split's three train curves (constant_24000, cosine_24000, wsdcon_9) are the only
data the choice sees: ``lawfit.cross_validate`` holds out one train curve at a time, fits the
other two and scores the held-out curve (mean PredE, exact law). Candidates: the L-BFGS iteration
budget (early stopping after 30 or 100 iterations from the LLDL warm starts, or converged), in
the "paper" convention of the issue's bars. The selected option is refitted on the three train
curves and only then evaluated on the six test curves, against the issue's bars. Printed: the
test metrics with and without the CV choice, next to the official repository's numbers (LAWS.md
11.1). The official numbers are NOT beaten (docs/laws/mpl.md, "Choosing modelling options by
cross-validation"), so beating them is not asserted.
"""

import pytest

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.laws import MultiPowerLaw

SIZES = ("25M", "100M", "400M")
BARS = {"25M": (0.9970, 0.0015), "100M": (0.9970, 0.0017), "400M": (0.9960, 0.0023)}  # issue 3
OFFICIAL = {"25M": (0.9988, 0.00110), "100M": (0.9983, 0.00142), "400M": (0.9978, 0.00168)}
BUDGETS = {"30 iterations": 30, "100 iterations": 100, "converged": 1000}


def _test_metrics(result, runs):
    return lawfit.evaluate(result, runs.select(MPL_TEST))["mean"]  # the default law evaluates exactly


@pytest.fixture(scope="module")
def selections():
    law = MultiPowerLaw(convention="paper")
    cands = {name: {"max_iter": it} for name, it in BUDGETS.items()}
    out = {}
    for size in SIZES:
        runs = mpl_runs(size)
        cv = lawfit.cross_validate(cands, runs.select(MPL_TRAIN), law=law, score="prede",
                                   stderr=False, keep=None)
        without = cv.fit if cv.selected == "converged" else lawfit.fit(
            law, runs.select(MPL_TRAIN), stderr=False, keep=None)
        out[size] = (cv, _test_metrics(cv.fit, runs), _test_metrics(without, runs))
    lines = ["size  CV choice        test R2 / PredE with   without            official"]
    for size, (cv, w, wo) in out.items():
        r2o, peo = OFFICIAL[size]
        lines.append(f"{size:5s} {cv.selected:15s}  {w['r2']:.5f} / {w['prede']:.5f}   "
                     f"{wo['r2']:.5f} / {wo['prede']:.5f}   {r2o:.4f} / {peo:.5f}")
    print("\n" + "\n".join(lines))
    return out


@pytest.mark.slow
def test_choice_sees_only_the_train_curves(selections):
    for size, (cv, _, _) in selections.items():
        assert set(cv.candidates) == set(BUDGETS)
        assert cv.folds == tuple((r,) for r in MPL_TRAIN), size
        assert set(cv.fit.run_ids) == set(MPL_TRAIN) and not set(cv.fit.run_ids) & set(MPL_TEST)
        assert cv.fit.law.convention == "paper"
        assert cv.fit.starts.iterations.max() <= BUDGETS[cv.selected]
        print(f"\n{size}\n{cv.report()}")


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_cv_choice_meets_the_issue_bars(size, selections):
    _, with_cv, _ = selections[size]
    r2_bar, prede_bar = BARS[size]
    assert with_cv["r2"] >= r2_bar, with_cv
    assert with_cv["prede"] <= prede_bar, with_cv
