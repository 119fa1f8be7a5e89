"""CMR law (LAWS.md 8): ratio / increment / scaling fits, the critical point and the CMR."""

import math

import numpy as np
import pytest

import lawfit
from lawfit.laws import CMR, from_spec
from lawfit.laws._cmr import (
    critical_mixture_ratio,
    critical_ratio_curve,
    eq7_residual,
    tangency_tokens,
)
from lawfit.mixtures import MixtureTable

RATIOS = np.array([1 / 8, 1 / 4, 1 / 3, 1 / 2, 3 / 4])  # the paper's ratios (LAWS.md 8.6)
T = np.arange(5.0, 101.0, 5.0)  # units of 0.2B tokens: 1B .. 20B
DOM = dict(alpha1=0.5, s1=-0.4, beta1=-0.6)
GEN = dict(alpha2=-0.3, s2=-0.5, alpha3=-0.01, s3=0.6, beta2=0.3)


def _rel(a, b):
    return abs(a - b) / abs(b)


def test_ratio_fit_excludes_endpoints_and_recovers():
    rng = np.random.default_rng(0)
    true = dict(alpha=0.2, s=-0.35, beta=1.2)
    R = np.r_[0.0, RATIOS, 1.0]
    dom = true["alpha"] * np.maximum(R, 1e-9) ** true["s"] + true["beta"]
    dom = dom * np.exp(rng.normal(0, 2e-4, R.size))
    dom[0], dom[-1] = 9.0, 9.0  # endpoint rows must be ignored (LAWS.md 8.2)
    table = MixtureTable(N=np.full(R.size, 4.6e8), D=np.full(R.size, 2e10), r=R, domain=dom)
    law = CMR(kind="ratio", target="domain")
    inputs = law.prepare(table)
    assert inputs.steps.tolist() == [1, 2, 3, 4, 5]
    res = lawfit.fit(law, table)
    assert res.success
    for k, v in true.items():
        assert abs(res.params[k] - v) <= 4 * res.stderr[k], (k, res.params[k], v)
    pred = res.predict(inputs)
    assert np.max(np.abs(pred - dom[1:-1]) / dom[1:-1]) < 5e-4  # the paper's <= 0.05 % error
    with pytest.raises(ValueError, match=r"3 parameters along R.*2 distinct R values.*endpoint"):
        lawfit.fit(law, table.select(np.isin(R, [0.0, 0.25, 0.5, 1.0])))


def _increment_table(params, kind, seed, sigma=1e-4, base=2.0):
    rng = np.random.default_rng(seed)
    law = CMR(kind=kind)
    x = {"T": T, "base": np.full(T.size, base)}
    y = np.asarray(law.predict(params, x)) * np.exp(rng.normal(0, sigma, T.size))
    col = "domain" if kind == "domain_increment" else "general"
    return MixtureTable(N=np.full(T.size, 4.6e8), D=T * 2e8, r=np.full(T.size, 0.25),
                        **{col: y, f"base_{col}": np.full(T.size, base)})


def test_domain_increment_recovery():
    table = _increment_table(DOM, "domain_increment", 1)
    res = lawfit.fit(CMR(kind="domain_increment"), table)
    assert res.success
    for k, v in DOM.items():
        assert abs(res.params[k] - v) <= 4 * res.stderr[k], (k, res.params[k], v)


def test_general_increment_fit_and_critical_point():
    table = _increment_table(GEN, "general_increment", 2)
    res = lawfit.fit(CMR(kind="general_increment"), table)
    assert res.success
    pred = res.predict(CMR(kind="general_increment").prepare(table))
    assert np.max(np.abs(pred / table.general - 1)) < 5e-4
    # lam -> infinity: the tangency is where the general increment peaks,
    # d/dT (-0.3 T^-0.5 - 0.01 T^0.6) = 0  ->  T = (0.15 / 0.006)^(1 / 1.1)
    peak = (0.15 / 0.006) ** (1 / 1.1)
    assert tangency_tokens(DOM, GEN, 1e9) == pytest.approx(peak, rel=1e-6)
    t0_fit = tangency_tokens(DOM, res.params, 1e9)
    assert _rel(t0_fit, peak) < 0.05


def test_tangency_closed_form_and_eq7():
    gen = dict(alpha2=-0.3, s2=-0.5, alpha3=0.0, s3=1.0)
    dom = dict(alpha1=0.5, s1=-0.1)
    for lam in (0.5, 1.0, 2.0):
        closed = (-(dom["alpha1"] * dom["s1"]) / (lam * gen["alpha2"] * gen["s2"])) ** (1 / (gen["s2"] - dom["s1"]))
        assert tangency_tokens(dom, gen, lam) == pytest.approx(closed, rel=1e-10)
    # with two power terms: the root satisfies the paper's printed fixed-point form (Eq. 7)
    for lam in (100.0, 7000.0):
        t0 = tangency_tokens(DOM, GEN, lam)
        assert 1 < t0 < 100
        assert abs(eq7_residual(t0, DOM, GEN, lam)) < 1e-8 * t0
    # no tangency inside the range -> NaN, never a made-up value
    # (both losses falling: the ratio of slopes is positive, never -1/lam)
    assert math.isnan(tangency_tokens(dict(alpha1=0.5, s1=-0.4), dict(alpha2=-0.1, s2=0.5, alpha3=0.0, s3=1.0), 10.0))


def test_critical_mixture_ratio_matches_analytic():
    # T0(R) log-linear in R by construction: alpha2(R) s2 = exp(a + b R)  (alpha3 = 0)
    lam, s1, s2, a1 = 1.0, -0.1, -0.5, 0.5
    a, b = math.log(0.15), 1.5
    doms = [dict(alpha1=a1, s1=s1) for _ in RATIOS]
    gens = [dict(alpha2=math.exp(a + b * R) / s2, s2=s2, alpha3=0.0, s3=1.0) for R in RATIOS]
    logt0 = lambda R: (math.log(-a1 * s1) - math.log(lam) - (a + b * R)) / (s2 - s1)  # noqa: E731
    t_max = math.exp(logt0(0.4))  # T0 grows with R: feasible ratios are those below 0.4
    out = critical_mixture_ratio(RATIOS, doms, gens, t_max=t_max, lam=lam)
    assert out["r_cmr"] == pytest.approx(0.4, abs=1e-6)
    # admissibility binds: L_gen(R) = 0.1 R^0.5 + 2.0 <= 2.0 + 0.05 + base offset
    gr = dict(alpha=0.1, s=0.5, beta=2.0)
    out = critical_mixture_ratio(RATIOS, doms, gens, t_max=t_max, lam=lam, general_ratio_params=gr, base_general=2.0, eps=0.05)
    r_adm = (0.05 / 0.1) ** 2
    assert out["r_admissible"] == pytest.approx(r_adm, rel=1e-8)
    assert out["r_cmr"] == pytest.approx(r_adm, rel=1e-6)
    # R_CMR(T_max) over budgets: log T0(R) is linear in R, so R* = R(log T_max) exactly
    budgets = [math.exp(logt0(R)) for R in (0.2, 0.3, 0.45, 0.6)]
    curve = critical_ratio_curve(RATIOS, doms, gens, budgets, lam=lam)
    np.testing.assert_allclose(np.asarray(curve.y), [0.2, 0.3, 0.45, 0.6], atol=1e-6)
    np.testing.assert_allclose(np.asarray(curve.x["T"]), budgets)
    with pytest.raises(ValueError, match=r"ratios must be in \(0, 1\]"):
        critical_mixture_ratio([0.0, 0.5], doms[:2], gens[:2], t_max=1.0, lam=1.0)


def test_scaling_law_fit():
    true = dict(alpha4=-1.2, s4=-0.5, beta3=0.42)
    Tb = np.array([10.0, 20.0, 40.0, 60.0, 80.0, 100.0])
    r = true["alpha4"] * Tb ** true["s4"] + true["beta3"]
    law = CMR(kind="scaling")
    res = lawfit.fit(law, CMR.scaling_points(Tb, r * np.exp(np.random.default_rng(4).normal(0, 1e-3, Tb.size))))
    assert res.success
    for k, v in true.items():
        assert abs(res.params[k] - v) <= 4 * res.stderr[k], (k, res.params[k], v)
    assert from_spec(law.to_spec()) == law
    with pytest.raises(ValueError, match="3 parameters along T"):
        CMR.scaling_points([10.0, 10.0, 20.0], [0.2, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"r_cmr in \(0, 1\]"):
        CMR.scaling_points([10.0, 20.0, 30.0], [0.2, 1.3, 0.3])


def test_bad_increment_tables():
    table = _increment_table(DOM, "domain_increment", 1)
    with pytest.raises(ValueError, match="one mixture ratio at a time"):
        two = MixtureTable(N=np.r_[table.N, table.N], D=np.r_[table.D, table.D], r=np.r_[table.r, table.r * 2],
                           domain=np.r_[table.domain, table.domain], base_domain=np.r_[table.base_domain, table.base_domain])
        lawfit.fit(CMR(kind="domain_increment"), two)
    with pytest.raises(ValueError, match="base_general"):
        lawfit.fit(CMR(kind="general_increment"), MixtureTable(N=table.N, D=table.D, r=table.r, general=table.domain))
    with pytest.raises(ValueError, match=r"5 parameters along T but the rows have 4"):
        lawfit.fit(CMR(kind="general_increment"), _increment_table(GEN, "general_increment", 0).select(np.arange(T.size) < 4))


# -- shared law contract --------------------------------------------------------------------------
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import check_law_contract  # noqa: E402


def test_contract():
    check_law_contract(CMR(kind="domain_increment"), _increment_table(DOM, "domain_increment", 0, sigma=0.0), DOM, recovery_rtol=1e-5)
    Tb = np.array([10.0, 20.0, 40.0, 60.0, 80.0, 100.0])
    sc = dict(alpha4=-1.2, s4=-0.5, beta3=0.42)
    check_law_contract(CMR(kind="scaling"), CMR.scaling_points(Tb, sc["alpha4"] * Tb ** sc["s4"] + sc["beta3"]), sc, recovery_rtol=1e-5)
    R = np.r_[RATIOS, 0.9]
    rt = dict(alpha=0.2, s=-0.35, beta=1.2)
    table = MixtureTable(N=np.full(R.size, 4.6e8), D=np.full(R.size, 2e10), r=R, domain=rt["alpha"] * R ** rt["s"] + rt["beta"])
    check_law_contract(CMR(kind="ratio"), table, rt, recovery_rtol=1e-5)
    check_law_contract(CMR(kind="general_increment"), _increment_table(GEN, "general_increment", 0), GEN, check_recovery=False)
