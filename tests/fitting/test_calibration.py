"""Calibrated bands (lawfit.calibrate) and the peak-LR extrapolation guard.

References: the closed form of the widened band, the coverage of Gaussian model errors of known
scale (a binomial tolerance), noiseless synthetic curves of known parameters (held-out errors
~ 0), and hand-made runs at known peak LRs."""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

import lawfit
from lawfit.fitting import ExtrapolationWarning, leave_one_run_out_errors, load_fit
from lawfit.fitting._calibration import model_error_scale, widen

sys.path.insert(0, str(Path(__file__).resolve().parent))
from momentum_curves import LAW, TRUTH, synthetic_runs  # noqa: E402


def test_widen_closed_form_without_draws():
    c = np.array([2.0, 3.0])
    lo, hi = widen(c, c, c, (0.05, 0.95), 0.02)
    z = norm.ppf(0.95)
    np.testing.assert_allclose(hi, c * np.exp(z * 0.02), rtol=1e-12)
    np.testing.assert_allclose(lo, c * np.exp(-z * 0.02), rtol=1e-12)


def test_widen_adds_bootstrap_width_in_quadrature():
    c = np.array([3.0])
    lo, hi = widen(c, c - 0.03, c + 0.04, (0.05, 0.95), 0.01)
    m_hi = 3.0 * (np.exp(norm.ppf(0.95) * 0.01) - 1)
    m_lo = 3.0 * (1 - np.exp(-norm.ppf(0.95) * 0.01))
    np.testing.assert_allclose(hi - c, np.hypot(0.04, m_hi), rtol=1e-12)
    np.testing.assert_allclose(c - lo, np.hypot(0.03, m_lo), rtol=1e-12)


def test_calibrated_band_covers_gaussian_model_errors():
    """Predictions off by log-normal errors of scale 0.5 %: a band calibrated on 400 held-out
    errors covers what the normal law says for the estimated scale (2 Φ(z ŝ/σ) - 1, close to
    90 %) of 20,000 new ones, within 4 binomial sd."""
    res = lawfit.fit(LAW, synthetic_runs(), stderr=False)
    rng = np.random.default_rng(1)
    sigma = 0.005
    held = rng.normal(0, sigma, 400)
    cal = lawfit.calibrate(res, errors=held, source="synthetic")
    assert cal.model_error["n_errors"] == 400
    assert abs(cal.model_error["scale"] - sigma) < 0.1 * sigma
    run = synthetic_runs()["cosine"]
    step = run.observed().steps[-1:]
    pred, lo, hi = cal.predict(run, steps=step, band=0.9)
    truth = pred[0] * np.exp(-rng.normal(0, sigma, 20_000))  # observed = prediction / exp(error)
    cover = np.mean((truth >= lo[0]) & (truth <= hi[0]))
    expect = 2 * norm.cdf(norm.ppf(0.95) * cal.model_error["scale"] / sigma) - 1
    assert abs(cover - expect) < 4 * np.sqrt(0.09 / 20_000)
    assert 0.85 < expect < 0.95
    back = load_fit(json.loads(json.dumps(cal.to_dict())))
    np.testing.assert_allclose(back.predict(run, steps=step, band=0.9)[2], hi, rtol=1e-12)
    assert "model error (band)" in cal.report()


def test_calibrate_arguments():
    res = lawfit.fit(LAW, synthetic_runs(), stderr=False)
    with pytest.raises(ValueError, match="exactly one"):
        lawfit.calibrate(res)
    with pytest.raises(ValueError, match="no finite"):
        lawfit.calibrate(res, errors=[np.nan])
    with pytest.raises(ValueError, match="band= needs"):
        res.predict(synthetic_runs()["cosine"], band=0.9)
    assert model_error_scale([2.0, 2.0], [2.0, 2.0]) == 0.0


def test_leave_one_run_out_errors_vanish_on_noiseless_curves():
    runs = synthetic_runs()
    res = lawfit.fit(LAW, runs, stderr=False)
    e = leave_one_run_out_errors(res, runs)
    assert e.shape == (3,)
    assert np.max(np.abs(e)) < 1e-6  # the law is exact: refits recover TRUTH
    assert res.params["L0"] == pytest.approx(TRUTH["L0"], rel=1e-6)
    with pytest.raises(ValueError, match="at least 3 runs"):
        leave_one_run_out_errors(res, runs.select(["constant", "cosine"]))


def test_peak_lr_guard_warns_outside_fitted_range():
    runs = synthetic_runs()
    res = lawfit.fit(LAW, runs, stderr=False)
    assert res.fitted_lr == (3e-4, 3e-4)
    run = runs["cosine"]
    steps = run.observed().steps
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        res.predict(run, steps=steps)  # same peak LR, inside the horizon: no warning
        res.predict(run.lr * 1.05, steps=steps)  # within the 10 % tolerance
    assert res.extrapolation(run, steps) == []
    hot = run.replace(lr=run.lr * 2, meta={**run.meta, "peak_lr": 6e-4})
    with pytest.warns(ExtrapolationWarning, match="peak LR 0.0006 is outside the fitted peak-LR range"):
        res.predict(hot, steps=steps)
    with pytest.warns(ExtrapolationWarning, match="outside the fitted peak-LR range"):
        res.predict(run.lr / 2, steps=steps)  # a plain LR array (CLI predict) too
    assert len(res.extrapolation(hot, steps)) == 1
    back = load_fit(json.loads(json.dumps(res.to_dict())))
    assert back.fitted_lr == res.fitted_lr
    assert "fitted peak LRs" in res.report()


def test_predict_average_is_the_mean_of_the_fits():
    from lawfit.fitting import predict_average
    from lawfit.laws import MomentumLaw

    runs = synthetic_runs(noise=0.002, seed=3)
    fits = [lawfit.fit(MomentumLaw(lam=v, warmup="mpl"), runs, stderr=False) for v in (0.99, 0.995)]
    steps = runs["cosine"].observed().steps
    one = predict_average(fits, runs["cosine"], steps)
    np.testing.assert_allclose(one, (fits[0].predict(runs["cosine"], steps) + fits[1].predict(runs["cosine"], steps)) / 2, rtol=1e-14)
    many = predict_average(fits, runs)
    assert set(many) == set(runs.ids)
    np.testing.assert_allclose(many["cosine"], one, rtol=1e-14)
    with pytest.raises(ValueError, match="at least one"):
        predict_average([], runs)
