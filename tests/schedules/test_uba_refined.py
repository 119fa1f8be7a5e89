"""UBA and refined schedules against independent references: the formulas written out by hand,
the reference implementation's loop (facebookresearch/adaptive_scheduling), scipy's median filter,
and the closed forms they reduce to (cosine, linear decay)."""

import math

import numpy as np
import pytest
from scipy.ndimage import median_filter

from lawfit import schedules as sch


def _closed_form_schedule_loop(G):
    """``find_closed_form_schedule`` of the reference code, as its loop reads (SCHEDULES.md 14)."""
    T = len(G)
    w = [g**-2.0 for g in G]
    out = []
    for t in range(T):
        out.append(0.0 if t == T - 1 else w[t] * sum(w[t + 1:]))
    return np.array(out)


def test_refined_matches_the_reference_loop():
    rng = np.random.default_rng(1)
    G = list(np.exp(rng.normal(0, 0.3, 50)) * np.linspace(1.0, 2.0, 50))
    ref = _closed_form_schedule_loop(G)
    lr = sch.to_array(sch.refined(G, 2e-3, median_window=1), 50)
    np.testing.assert_allclose(lr, 2e-3 * ref / ref.max(), rtol=1e-12, atol=1e-20)


def test_refined_hand_case():
    # G = (1, 2, 1, 1): w = (1, 1/4, 1, 1); r = (1 * 2.25, 0.25 * 2, 1 * 1, 0) = (2.25, .5, 1, 0)
    lr = sch.to_array(sch.refined([1.0, 2.0, 1.0, 1.0], 0.9, median_window=1), 5)
    np.testing.assert_allclose(lr, [0.9, 0.2, 0.4, 0.0, 0.0], rtol=1e-14)


def test_refined_with_constant_norms_is_linear_decay_to_zero():
    n = 101
    lr = sch.to_array(sch.refined([0.7] * n, 1e-3), n)
    np.testing.assert_allclose(lr, sch.to_array(sch.linear(1e-3, n - 1), n), rtol=1e-12, atol=1e-18)


def test_refined_median_window_is_scipy_median_filter_and_default_is_2_percent():
    rng = np.random.default_rng(2)
    G = np.abs(rng.normal(1.0, 0.3, 300)) + 0.1
    for k in (5, None):
        kk = 7 if k is None else k  # default: 2 * (300 // 100) + 1
        ref = _closed_form_schedule_loop(median_filter(G, size=kk, mode="nearest"))
        lr = sch.to_array(sch.refined(G.tolist(), 1.0, median_window=k), 300)
        np.testing.assert_allclose(lr, ref / ref.max(), rtol=1e-12, atol=1e-15)


def test_refined_warmup_rises_to_the_refined_start_and_interpolates():
    s = sch.refined([1.0] * 5, 1.0, warmup_steps=4, median_window=1)
    lr = sch.to_array(s, 10)
    np.testing.assert_allclose(lr, [0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0], atol=1e-15)
    assert float(s(4.5)) == pytest.approx(0.875)
    assert sch.from_spec(s.spec).spec == s.spec


@pytest.mark.parametrize(("kw", "match"), [
    ({"grad_norms": [1.0, -1.0]}, r"grad_norms\[1\]=-1.0"),
    ({"grad_norms": [1.0, float("nan")]}, r"grad_norms\[1\]=nan"),
    ({"grad_norms": [1.0]}, "at least 2"),
    ({"grad_norms": [1.0, 1.0], "median_window": 2}, "median_window must be odd"),
])
def test_refined_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        sch.refined(peak_value=1.0, **kw)


def _uba_by_hand(p, phi):
    c = 1 + math.cos(math.pi * p)
    return 2 * c / (2 * phi + (2 - phi) * c)


@pytest.mark.parametrize("phi", [0.1, 0.5, 1.0, 2.0, 5.0])
def test_uba_formula_by_hand_with_floor_and_warmup(phi):
    T, W, peak, end = 120, 20, 3e-3, 3e-4
    lr = sch.to_array(sch.uba(peak, T, phi=phi, warmup_steps=W, end_value=end), T + 5)
    for t in range(W, T + 5):
        p = min(t, T) - W
        assert lr[t] == pytest.approx(end + (peak - end) * _uba_by_hand(p / (T - W), phi), rel=1e-12)
    np.testing.assert_allclose(lr[:W], peak * np.arange(W) / W, rtol=1e-12)


def test_uba_phi_2_is_cosine_and_phi_orders_the_decay():
    T = 200
    np.testing.assert_allclose(sch.to_array(sch.uba(1.0, T, phi=2.0, end_ratio=0.1), T),
                               sch.to_array(sch.cosine(1.0, T, end_ratio=0.1), T), rtol=1e-12)
    lo, hi = (sch.to_array(sch.uba(1.0, T, phi=f), T) for f in (0.2, 4.0))
    assert np.all(lo[1:-1] > hi[1:-1])  # small phi stays high longer


def test_uba_rejects_bad_phi():
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="phi must be"):
            sch.uba(1.0, 100, phi=bad)
