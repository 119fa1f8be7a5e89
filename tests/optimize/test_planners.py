"""Mixture and CPT planners (LAWS.md 6.6-6.7, 7.3): brute-force references, recovery of the
generating law's optimum from noisy fits, bootstrap uncertainty, Pareto fronts, bad input."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import lawfit
from lawfit.fitting import FitResult
from lawfit.laws import CPTLaw, DCPTLaw
from lawfit.mixtures import MixtureTable
from lawfit.optimize import (
    dcpt_compute_optimal,
    dcpt_limited_domain_ratio,
    dcpt_max_domain_ratio,
    fit_ood_mix,
    plan_cpt,
)
from lawfit.runs import Run, RunSet

GENERAL = dict(E=1.8, A=0.25, alpha=0.35, B=0.35, beta=0.35, eta=0.2, C=0.12, gamma=0.9, eps=0.03)
DOMAIN = dict(E=1.2, A=0.3, alpha=0.3, B=0.5, beta=0.3, eta=0.25, C=0.25, gamma=0.6, eps=0.05)
N_PLAN, D_PLAN = 1.8e9, 1e10


def L(p, N, D, r):
    N, D = N / 1e9, D / 1e9
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] * r ** p["eta"] / D ** p["beta"] + p["C"] / (r + p["eps"]) ** p["gamma"]


def truth(target):
    return FitResult(law=DCPTLaw(target=target), params=GENERAL if target == "general" else DOMAIN)


@pytest.fixture(scope="module")
def dcpt_fits():
    sizes, ratios, tokens = np.array([0.5e9, 1.8e9, 4e9]), np.array([0, 0.1, 0.2, 1 / 3, 0.5, 2 / 3, 0.8, 0.9, 1.0]), np.linspace(2.6e9, 26e9, 10)
    N, R, D = (a.ravel() for a in np.meshgrid(sizes, ratios, tokens, indexing="ij"))
    rng = np.random.default_rng(7)
    table = MixtureTable(N=N, D=D, r=R, general=L(GENERAL, N, D, 1 - R) * np.exp(rng.normal(0, 0.003, N.size)),
                         domain=L(DOMAIN, N, D, R) * np.exp(rng.normal(0, 0.003, N.size)))
    out = {}
    for t in ("general", "domain"):
        res = lawfit.fit(DCPTLaw(target=t), table)
        out[t] = lawfit.bootstrap(res, table, n=40, kind="points", key=1)
    return out


# -- usage 1 --------------------------------------------------------------------------------------
def brute_usage1(threshold):
    r = np.linspace(0, 1, 1_000_001)
    lg = L(GENERAL, N_PLAN, D_PLAN, 1 - r)
    ok = (lg - lg[0]) / lg[0] <= threshold
    return r[np.flatnonzero(ok)[-1]]


@pytest.mark.parametrize("threshold", [0.01, 0.03])
def test_usage1_matches_brute_force(threshold):
    plan = dcpt_max_domain_ratio(truth("general"), N=N_PLAN, D=D_PLAN, threshold=threshold, domain_fit=truth("domain"))
    assert plan.ratio == pytest.approx(brute_usage1(threshold), abs=2e-6)
    assert plan.predicted["degradation"] == pytest.approx(threshold, rel=1e-8)
    assert plan.predicted["domain"] == pytest.approx(L(DOMAIN, N_PLAN, D_PLAN, plan.ratio), rel=1e-12)
    assert plan.violations == ()
    # an explicit reference loss (e.g. the base model's) is honoured
    ref = L(GENERAL, N_PLAN, D_PLAN, 1.0) * 0.995
    plan2 = dcpt_max_domain_ratio(truth("general"), N=N_PLAN, D=D_PLAN, threshold=threshold, reference_loss=ref)
    assert plan2.ratio < plan.ratio


def test_usage1_from_noisy_fit_recovers_optimum(dcpt_fits):
    plan = dcpt_max_domain_ratio(dcpt_fits["general"], N=N_PLAN, D=D_PLAN, threshold=0.03)
    best = brute_usage1(0.03)
    assert abs(plan.ratio - best) < 0.01
    assert plan.ratio_draws is not None and plan.ratio_draws.size == 40
    lo, hi = plan.interval
    assert lo <= plan.ratio <= hi and hi - lo > 0
    assert np.nanmin(plan.ratio_draws) <= best <= np.nanmax(plan.ratio_draws)


# -- usage 2 --------------------------------------------------------------------------------------
def brute_usage2(domain_tokens):
    r = np.linspace(0.01, 1, 990_001)
    return r[np.argmin(L(DOMAIN, N_PLAN, domain_tokens / r, r))]


def test_usage2_matches_brute_force_and_noisy_fit(dcpt_fits):
    best = brute_usage2(5e9)
    plan = dcpt_limited_domain_ratio(truth("domain"), N=N_PLAN, domain_tokens=5e9, general_fit=truth("general"))
    assert plan.ratio == pytest.approx(best, abs=2e-6)
    assert plan.predicted["total_tokens"] == pytest.approx(5e9 / plan.ratio)
    assert plan.predicted["general"] == pytest.approx(L(GENERAL, N_PLAN, 5e9 / plan.ratio, 1 - plan.ratio), rel=1e-12)
    fitted = dcpt_limited_domain_ratio(dcpt_fits["domain"], N=N_PLAN, domain_tokens=5e9)
    assert abs(fitted.ratio - best) < 0.01
    assert np.nanmin(fitted.ratio_draws) <= best <= np.nanmax(fitted.ratio_draws)


# -- usage 3 --------------------------------------------------------------------------------------
def test_usage3_closed_form_matches_numeric(dcpt_fits):
    C, r = 6 * 1.8e9 * 1e10, 0.5
    plan = dcpt_compute_optimal(truth("domain"), ratio=r, compute=C)
    f = lambda logn: L(DOMAIN, math.exp(logn), C / (6 * math.exp(logn)), r)  # noqa: E731
    num = math.exp(minimize_scalar(f, bounds=(math.log(1e7), math.log(1e12)), method="bounded", options={"xatol": 1e-12}).x)
    assert plan.N == pytest.approx(num, rel=1e-5)
    assert 6 * plan.N * plan.D == pytest.approx(C, rel=1e-12)
    assert plan.loss == pytest.approx(f(math.log(plan.N)), rel=1e-12)
    fitted = dcpt_compute_optimal(dcpt_fits["domain"], ratio=r, compute=C)
    assert fitted.N_draws.size == 40 and fitted.interval_N[0] < fitted.N < fitted.interval_N[1]


def test_planner_bad_input():
    with pytest.raises(ValueError, match="threshold must be a finite number > 0"):
        dcpt_max_domain_ratio(truth("general"), N=1e9, D=1e10, threshold=-0.1)
    with pytest.raises(ValueError, match=r"expected a DCPTLaw\(target='general'\) fit"):
        dcpt_max_domain_ratio(truth("domain"), N=1e9, D=1e10)
    with pytest.raises(ValueError, match=r"ratio \(the domain share\) must be in \[0, 1\], got 1.5"):
        dcpt_compute_optimal(truth("domain"), ratio=1.5, compute=1e20)
    with pytest.raises(ValueError, match="r_min must be in"):
        dcpt_limited_domain_ratio(truth("domain"), N=1e9, domain_tokens=1e9, r_min=0.0)


def test_trend_violations_are_surfaced():
    bad = FitResult(law=DCPTLaw(target="general"), params=dict(GENERAL, B=2.0, eta=0.9, C=0.01))
    with pytest.warns(UserWarning, match="dL/dr"):
        plan = dcpt_max_domain_ratio(bad, N=N_PLAN, D=D_PLAN, threshold=0.03)
    assert any("dL/dr" in v for v in plan.violations)


# -- CPT planner ----------------------------------------------------------------------------------
PT = dict(L0=3.057, A=0.490, alpha=0.497, C1=0.299, C2=0.298, B=0.366, E=28.0, beta=0.189)
CPT = dict(L0=3.024, A=0.412, alpha=0.677, C1=0.278, C2=0.324, B=-0.666, E=5662.0, beta=0.146)
PEAK, W, T_PT = 2e-4, 200, 8000
PEAKS = [5e-5, 1e-4, 1.5e-4, 2e-4, 3e-4]
POTENTIALS = [0.0, 0.25, 0.5, 1.0]


def pt_lr():
    lr = np.full(T_PT, PEAK)
    lr[:W] = np.linspace(PEAK / W, PEAK, W)
    return lr


def test_cpt_plan_matches_brute_force_and_pareto():
    from lawfit.optimize import cpt_lr as make_cpt

    f_pt, f_cpt = FitResult(law=CPTLaw(), params=PT), FitResult(law=CPTLaw(), params=CPT)
    lams = [0.0, 0.3, 0.5, 0.7, 1.0]
    plan = plan_cpt(f_pt, f_cpt, pt_lr=pt_lr(), peak_lrs=PEAKS, cpt_steps=[3000], loss_potentials=POTENTIALS, lambdas=lams)
    assert len(plan.candidates) == len(PEAKS) * len(POTENTIALS)
    # independent evaluation of every candidate: build the run by hand, predict with law.prepare
    law = CPTLaw()
    ref_pt, ref_cpt = [], []
    for c in plan.candidates:
        lr = pt_lr().copy()
        k = T_PT // 10
        t = np.arange(1, k + 1) / k
        lr[-k:] = PEAK * (c["loss_potential"] + (1 - c["loss_potential"]) * 0.5 * (1 + np.cos(np.pi * t)))
        full = np.r_[lr, make_cpt(lr[-1], c["peak_lr"], 3000)]
        run = Run("c", lr=full, metrics={"v": ([full.size - 1], [1.0])}, meta={"cpt_start_step": T_PT})
        x = law.prepare(run, metric="v").x
        ref_pt.append(float(law.predict(PT, x)[0]))
        ref_cpt.append(float(law.predict(CPT, x)[0]))
    np.testing.assert_allclose(plan.L_pt, ref_pt, rtol=1e-12)
    np.testing.assert_allclose(plan.L_cpt, ref_cpt, rtol=1e-12)
    for ch in plan.choices:
        obj = ch.lambda1 * np.array(ref_pt) + (1 - ch.lambda1) * np.array(ref_cpt)
        assert ch.index == int(np.argmin(obj)) and ch.objective == pytest.approx(obj.min(), rel=1e-12)
        assert ch.index in plan.pareto  # a weighted-sum optimum is Pareto-optimal
    a, b = plan.L_pt, plan.L_cpt
    for i in range(a.size):
        dominated = np.any((a <= a[i]) & (b <= b[i]) & ((a < a[i]) | (b < b[i])))
        assert dominated == (i not in plan.pareto)
    # the paper's finding (LAWS.md 6.3): for the domain loss, a higher loss potential is better
    dom_only = plan.choices[0].candidate
    assert dom_only["loss_potential"] == 1.0


def test_cpt_plan_from_noisy_fits_recovers_choice():
    """Fit both CPT laws on noisy curves from the Setting A constants, then plan."""
    law = CPTLaw()
    rng = np.random.default_rng(11)
    from lawfit.optimize import cpt_lr as make_cpt

    runs = {"pt": [], "cpt": []}
    for pot in (0.0, 0.3, 1.0):
        for peak in (1e-4, 2e-4):
            lr = pt_lr().copy()
            k = 2000
            lr[-k:] = PEAK * (pot + (1 - pot) * 0.5 * (1 + np.cos(np.pi * np.arange(1, k + 1) / k)))
            full = np.r_[lr, make_cpt(lr[-1], peak, 4000, decay="constant")]
            steps = np.arange(W, full.size, 250)
            run = Run(f"p{pot}-{peak}", lr=full, metrics={"v": (steps, np.ones(steps.size))}, meta={"cpt_start_step": T_PT})
            x = law.prepare(run, metric="v").x
            for name, p in (("pt", PT), ("cpt", CPT)):
                y = np.asarray(law.predict(p, x)) * np.exp(rng.normal(0, 0.002, steps.size))
                runs[name].append(run.replace(metrics={"v": (steps, y)}))
    fits = {k: lawfit.fit(law, RunSet(v), metric="v") for k, v in runs.items()}
    truth_plan = plan_cpt(FitResult(law=law, params=PT), FitResult(law=law, params=CPT), pt_lr=pt_lr(),
                          peak_lrs=PEAKS, cpt_steps=[3000], loss_potentials=POTENTIALS, lambdas=[0.2, 0.5, 0.8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = {k: lawfit.bootstrap(v, RunSet(runs[k]), n=16, kind="points", key=2) for k, v in fits.items()}
    plan = plan_cpt(boot["pt"], boot["cpt"], pt_lr=pt_lr(), peak_lrs=PEAKS, cpt_steps=[3000],
                    loss_potentials=POTENTIALS, lambdas=[0.2, 0.5, 0.8])
    for got, want in zip(plan.choices, truth_plan.choices, strict=True):
        # regret under the generating law of the plan chosen from the fits
        true_obj = want.lambda1 * truth_plan.L_pt + (1 - want.lambda1) * truth_plan.L_cpt
        assert true_obj[got.index] - true_obj[want.index] < 2e-3
        assert got.agreement is not None and 0 <= got.agreement <= 1 and got.draw_choices.size == 16
        assert got.interval_L_pt[0] <= got.interval_L_pt[1]


def test_cpt_plan_bad_input():
    f = FitResult(law=CPTLaw(), params=PT)
    with pytest.raises(ValueError, match="replay ratios need a fit with CPTLaw"):
        plan_cpt(f, f, pt_lr=pt_lr(), peak_lrs=[1e-4], cpt_steps=[2000], replay_ratios=[0.2])
    with pytest.raises(ValueError, match=r"loss potential must be in \[0, 1\]"):
        plan_cpt(f, f, pt_lr=pt_lr(), peak_lrs=[1e-4], cpt_steps=[2000], loss_potentials=[1.5])
    with pytest.raises(ValueError, match="lambdas must be in"):
        plan_cpt(f, f, pt_lr=pt_lr(), peak_lrs=[1e-4], cpt_steps=[2000], lambdas=[2.0])


def test_replay_planner_and_ood_mix():
    rp = dict(PT, a1=0.055, a2=3.238)
    rc = dict(CPT, a1=0.037, a2=0.5)
    f_pt = FitResult(law=CPTLaw(replay="pt"), params=rp)
    f_cpt = FitResult(law=CPTLaw(replay="cpt"), params=rc)
    plan = plan_cpt(f_pt, f_cpt, pt_lr=pt_lr(), peak_lrs=[2e-4], cpt_steps=[3000], replay_ratios=[0.0, 0.25, 0.5, 0.75], lambdas=[0.0, 1.0])
    reps = [c["replay_ratio"] for c in plan.candidates]
    # more replay protects the general loss; less replay helps the domain loss
    assert plan.choices[1].candidate["replay_ratio"] == max(reps)
    assert plan.choices[0].candidate["replay_ratio"] == min(reps)
    # OOD loss as a free linear mix (C4 coefficients of LAWS.md 6.7)
    rng = np.random.default_rng(5)
    lpt, lcpt = rng.uniform(2.8, 3.4, 30), rng.uniform(2.2, 3.0, 30)
    lood = 0.867 * lpt + 0.152 * lcpt + rng.normal(0, 0.001, 30)
    mix = fit_ood_mix(lpt, lcpt, lood)
    assert abs(mix.coef_pt - 0.867) < 4 * mix.stderr[0] and abs(mix.coef_cpt - 0.152) < 4 * mix.stderr[1]
    assert mix.max_abs_error < 0.003
    np.testing.assert_allclose(mix.predict(lpt, lcpt), mix.coef_pt * lpt + mix.coef_cpt * lcpt)
    with pytest.raises(ValueError, match="equal lengths"):
        fit_ood_mix([1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0])
