"""CPT law (LAWS.md 6): areas, published formulas, options, parameter recovery, bad input."""

import numpy as np
import pytest

import lawfit
from lawfit.laws import CPTLaw, from_spec
from lawfit.laws._areas import areas, cpt_areas, substitute_warmup
from lawfit.runs import Run, RunSet

# LAWS.md 6.10, Setting A (FineWeb -> Knowledge-Pile), WSD + cosine joint fits
SETTING_A_PT = dict(L0=3.057, A=0.490, alpha=0.497, C1=0.299, C2=0.298, B=0.366, E=28.0, beta=0.189)
SETTING_A_CPT = dict(L0=3.024, A=0.412, alpha=0.677, C1=0.278, C2=0.324, B=-0.666, E=5662.0, beta=0.146)

PEAK, W, T_PT, T_CPT = 2e-4, 500, 20000, 10000


def pt_lr(kind, potential):
    lr = np.full(T_PT, PEAK)
    lr[:W] = np.linspace(PEAK / W, PEAK, W)
    if kind == "wsd":
        d = 4000
        t = np.arange(1, d + 1) / d
        lr[-d:] = PEAK * (potential + (1 - potential) * 0.5 * (1 + np.cos(np.pi * t)))
    elif kind == "cos":
        t = np.arange(T_PT - W) / (T_PT - W)
        lr[W:] = PEAK * (potential + (1 - potential) * 0.5 * (1 + np.cos(np.pi * t)))
    return lr


def cpt_lr(start, kind):
    wu = 200
    lr = np.empty(T_CPT)
    lr[:wu] = np.linspace(start, PEAK, wu)
    t = np.arange(T_CPT - wu) / (T_CPT - wu)
    lr[wu:] = PEAK * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t))) if kind == "cos" else PEAK
    return lr


def make_runs(params, *, law=None, sigma=0.002, seed=0, every=400):
    """PT (WSD at two loss potentials, cosine, constant) + CPT (cosine or constant) curves."""
    law = law or CPTLaw()
    rng = np.random.default_rng(seed)
    runs = []
    for kind, pot in [("wsd", 0.5), ("wsd", 0.1), ("cos", 0.1), ("const", 1.0)]:
        for ck in ("cos", "const"):
            p = pt_lr(kind, pot)
            lr = np.r_[p, cpt_lr(p[-1], ck)]
            steps = np.arange(W, T_PT + T_CPT, every)
            run = Run(f"{kind}{pot}-{ck}", lr=lr, metrics={"val": (steps, np.ones(steps.size))},
                      meta={"cpt_start_step": T_PT})
            y = np.asarray(law.predict(params, law.prepare(RunSet([run]), metric="val").x))
            runs.append(run.replace(metrics={"val": (steps, y * np.exp(rng.normal(0, sigma, y.size)))}))
    return RunSet(runs)


# -- areas ----------------------------------------------------------------------------------------
def _loop_areas(eta, lam, reset_at=None):
    """Direct per-step loop of LAWS.md 3.1 (0-based) -- the independent reference."""
    m = np.zeros(eta.size)
    for i in range(1, eta.size):
        prev = 0.0 if i == reset_at else m[i - 1]
        m[i] = lam * prev + (eta[i - 1] - eta[i])
    return np.cumsum(eta), np.cumsum(m)


def test_areas_match_loop_and_closed_form():
    eta = np.r_[np.full(50, 3e-4), np.linspace(3e-4, 1e-5, 30), np.linspace(1e-5, 2e-4, 20)]
    s1, s2 = areas(eta, 0.99)
    r1, r2 = _loop_areas(eta, 0.99)
    np.testing.assert_allclose(s1, r1, rtol=1e-13)
    np.testing.assert_allclose(s2, r2, rtol=1e-10, atol=1e-18)
    s = eta.size - 1  # closed form of LAWS.md 3.1
    k = np.arange(1, s + 1)
    closed = np.sum((eta[k - 1] - eta[k]) * (1 - 0.99 ** (s - k + 1)) / (1 - 0.99))
    assert s2[-1] == pytest.approx(closed, rel=1e-10)
    assert areas(eta, 0.5)[1][-1] < areas(eta, 0.5)[1][79]  # re-warmup: the annealing area falls


@pytest.mark.parametrize("mode", ["carry", "reset"])
def test_cpt_areas_split(mode):
    rng = np.random.default_rng(1)
    eta = np.abs(rng.normal(1e-4, 3e-5, 300))
    c = 120
    steps = np.array([0, 50, 119, 120, 121, 299])
    a = cpt_areas(eta, c, steps, lam=0.95, momentum_mode=mode)
    r1, r2 = _loop_areas(eta, 0.95, reset_at=c if mode == "reset" else None)
    for j, s in enumerate(steps):
        pt_end = min(s, c - 1)
        assert a.S1_pt[j] == pytest.approx(r1[pt_end], rel=1e-12)
        assert a.S2_pt[j] == pytest.approx(r2[pt_end], rel=1e-9, abs=1e-15)
        cpt = r1[s] - r1[c - 1] if s >= c else 0.0
        cpt2 = r2[s] - r2[c - 1] if s >= c else 0.0
        assert a.S1_cpt[j] == pytest.approx(cpt, rel=1e-12, abs=1e-15)
        assert a.S2_cpt[j] == pytest.approx(cpt2, rel=1e-9, abs=1e-15)


def test_momentum_option_changes_only_cpt_annealing_area():
    lr = np.r_[np.full(100, 2e-4), np.linspace(2e-4, 2e-5, 100), np.full(200, 1e-4)]
    run = Run("r", lr=lr, metrics={"v": ([150, 250, 399], [3.0, 3.0, 3.0])}, meta={"cpt_start_step": 200})
    xc = CPTLaw(momentum="carry").prepare(run, metric="v").x
    xr = CPTLaw(momentum="reset").prepare(run, metric="v").x
    for k in ("S1_pt", "S2_pt", "S1_cpt"):
        np.testing.assert_array_equal(np.asarray(xc[k]), np.asarray(xr[k]))
    # carry: the PT decay tail (positive momentum) leaks into S2_cpt
    assert float(xc["S2_cpt"][2]) > float(xr["S2_cpt"][2])


def test_warmup_as_eta_max():
    lr = np.r_[np.linspace(1e-5, 2e-4, 10), np.full(90, 2e-4), np.full(50, 1e-4)]
    run = Run("r", lr=lr, metrics={"v": ([99, 149], [3.0, 3.0])}, meta={"cpt_start_step": 100})
    x = CPTLaw(warmup="eta_max").prepare(run, metric="v").x
    assert float(x["S1_pt"][0]) == pytest.approx(100 * 2e-4)
    xa = CPTLaw(warmup="actual").prepare(run, metric="v").x
    assert float(xa["S1_pt"][0]) == pytest.approx(lr[:100].sum())
    eta = substitute_warmup(lr, 10)
    assert float(x["S2_cpt"][1]) == pytest.approx(areas(eta, 0.999)[1][149] - areas(eta, 0.999)[1][99])


# -- published formulas (paper anchors) -----------------------------------------------------------
AREAS = dict(S1_pt=np.array([4.0, 4.0, 3.2]), S2_pt=np.array([0.3, 0.3, 0.05]),
             S1_cpt=np.array([0.0, 1.5, 0.8]), S2_cpt=np.array([0.0, 0.2, -0.05]),
             N=np.ones(3), r_cpt=np.ones(3))


def test_setting_a_formulas_evaluate_as_printed():
    s1p, s2p, s1c, s2c = AREAS["S1_pt"], AREAS["S2_pt"], AREAS["S1_cpt"], AREAS["S2_cpt"]
    printed_pt = 3.057 + 0.490 * (s1p + s1c) ** -0.497 + 0.366 * (1 - (28 * s1c + 1) ** -0.189) - 0.299 * s2p - 0.298 * s2c
    printed_cpt = 3.024 + 0.412 * (s1p + s1c) ** -0.677 - 0.666 * (1 - (5662 * s1c + 1) ** -0.146) - 0.278 * s2p - 0.324 * s2c
    law = CPTLaw()
    np.testing.assert_allclose(np.asarray(law.predict(SETTING_A_PT, AREAS)), printed_pt, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(law.predict(SETTING_A_CPT, AREAS)), printed_cpt, rtol=1e-14)


def test_size_extension_formula():
    N = np.array([106.0, 594.0, 1700.0])  # millions of parameters (n_unit=1e6)
    x = dict(AREAS, N=N)
    p = dict(L0=1.829, A=0.504, alpha=0.537, C1=0.090, C2=0.103, B=0.278, E=12.0, beta=0.359,
             gamma1=0.235, gamma2=0.199, F=3.072, gamma3=0.195)
    s1 = x["S1_pt"] + x["S1_cpt"]
    printed = (1.829 + 0.504 * s1 ** -0.537 + 0.278 * (1 - (12 * x["S1_cpt"] + 1) ** -0.359)
               - 0.090 * x["S2_pt"] * N ** 0.235 - 0.103 * x["S2_cpt"] * N ** 0.199 + 3.072 * N ** -0.195)
    np.testing.assert_allclose(np.asarray(CPTLaw(size=True).predict(p, x)), printed, rtol=1e-14)
    run = Run("r", lr=np.full(200, 1e-4), metrics={"v": ([150], [3.0])}, meta={"cpt_start_step": 100, "N": 1.06e8})
    x = CPTLaw(size=True).prepare(run, metric="v", steps=[150], predict=True).x  # one size: predict only
    assert float(x["N"][0]) == pytest.approx(106.0)


def test_replay_extension_uses_r_cpt_in_both_forms():
    r_pt = np.array([0.0, 0.25, 0.5])
    x = dict(AREAS, r_cpt=1 - r_pt)
    base = dict(L0=3.067, A=0.480, alpha=0.510, C1=0.280, C2=0.263, B=0.276, E=99.35, beta=0.3, a1=0.055, a2=3.238)
    s1, s1c, s2p, s2c = x["S1_pt"] + x["S1_cpt"], x["S1_cpt"], x["S2_pt"], x["S2_cpt"]
    shift = (1 - (1 + 99.35 * s1c) ** -0.3)
    printed_pt = 3.067 + 0.480 * s1 ** -0.510 - 0.280 * s2p - 0.263 * s2c * np.exp(0.055 * r_pt) + 0.276 * shift * (1 - np.exp(-3.238 * (1 - r_pt)))
    np.testing.assert_allclose(np.asarray(CPTLaw(replay="pt").predict(base, x)), printed_pt, rtol=1e-14)
    # L_cpt form: Eq. 8 with exp(a1 * r_cpt) (not the printed fit's exp(a1 * r_pt), LAWS.md 6.5)
    eq8_cpt = 3.067 + 0.480 * s1 ** -0.510 - 0.280 * s2p - 0.263 * s2c * np.exp(0.055 * (1 - r_pt)) + 0.276 * shift * (np.exp(3.238 * (1 - r_pt)) - 1)
    np.testing.assert_allclose(np.asarray(CPTLaw(replay="cpt").predict(base, x)), eq8_cpt, rtol=1e-14)
    # the shift term vanishes without D_cpt data (r_cpt = 0)
    x0 = dict(x, r_cpt=np.zeros(3))
    no_shift = dict(base, B=0.0)
    for mode in ("pt", "cpt"):
        np.testing.assert_allclose(np.asarray(CPTLaw(replay=mode).predict(base, x0)),
                                   np.asarray(CPTLaw(replay=mode).predict(no_shift, x0)), rtol=1e-14)


def test_released_model_formula():
    # LAWS.md 6.8: LLaMA-3.2-1B -> Pile-of-Law, fitted S1_pt = 1.907, PT final LR taken as 0
    lr = np.r_[np.linspace(0, 1e-4, 51)[1:], np.full(450, 1e-4)]
    run = Run("llama", lr=lr, metrics={"c4": ([99, 499], [2.7, 2.6])})
    law = CPTLaw(released=True)
    x = law.prepare(run, metric="c4").x
    s1c = np.cumsum(lr)[[99, 499]]
    np.testing.assert_allclose(np.asarray(x["S1_cpt"]), s1c, rtol=1e-12)
    # re-warm from 0: the increments are negative, so S2_cpt < 0
    assert np.all(np.asarray(x["S2_cpt"]) < 0)
    p = dict(L0=2.554, A=11.123, alpha=7.122, S1_pt=1.907, C2=0.001, B=-6.949, E=11.0, beta=0.022)
    s2c = np.asarray(x["S2_cpt"])
    printed = 2.554 + 11.123 * (s1c + 1.907) ** -7.122 - 6.949 * (1 - (11 * s1c + 1) ** -0.022) - 0.001 * s2c
    np.testing.assert_allclose(np.asarray(law.predict(p, x)), printed, rtol=1e-13)
    assert "C1" not in law.param_names and "S1_pt" in law.param_names


def test_pt_summary_equals_full_array_with_reset():
    pt = pt_lr("wsd", 0.3)
    lr = np.r_[pt, cpt_lr(pt[-1], "cos")]
    steps = np.arange(T_PT, T_PT + T_CPT, 1000)
    full = Run("full", lr=lr, metrics={"v": (steps, np.ones(steps.size))}, meta={"cpt_start_step": T_PT})
    law = CPTLaw(momentum="reset")
    xf = law.prepare(full, metric="v").x
    summary = Run("sum", lr=lr[T_PT:], metrics={"v": (steps - T_PT, np.ones(steps.size))},
                  meta={"S1_pt": float(xf["S1_pt"][0]), "S2_pt": float(xf["S2_pt"][0]), "pt_final_lr": float(pt[-1])})
    xs = law.prepare(summary, metric="v").x
    for k in ("S1_pt", "S2_pt", "S1_cpt", "S2_cpt"):
        np.testing.assert_allclose(np.asarray(xs[k]), np.asarray(xf[k]), rtol=1e-10, atol=1e-15)


def test_shift_reparametrisation_and_spec_round_trip():
    p = dict(SETTING_A_PT)
    pb = {k: v for k, v in p.items() if k != "B"}
    pb["Bbeta"] = p["B"] * p["beta"]
    np.testing.assert_allclose(np.asarray(CPTLaw(shift="Bbeta").predict(pb, AREAS)),
                               np.asarray(CPTLaw().predict(p, AREAS)), rtol=1e-13)
    for law in (CPTLaw(), CPTLaw(size=True, replay="cpt", momentum="reset", warmup="actual"), CPTLaw(released=True)):
        assert from_spec(law.to_spec()) == law
    assert CPTLaw().diagnostics(SETTING_A_PT) == []
    degenerate = dict(SETTING_A_PT, B=29.121, E=100.0, beta=0.001)  # LAWS.md 6.10 identifiability
    assert any("beta" in w for w in CPTLaw().diagnostics(degenerate))


# -- bad input ------------------------------------------------------------------------------------
def test_bad_input_names_the_run():
    lr = np.full(100, 1e-4)
    law = CPTLaw()
    with pytest.raises(ValueError, match=r"run 'late'.*cpt_start_step=150 is beyond the run"):
        law.prepare(Run("late", lr=lr, metrics={"v": ([10], [3.0])}, meta={"cpt_start_step": 150}), metric="v")
    with pytest.raises(ValueError, match=r"run 'nostart'.*cpt_start_step"):
        law.prepare(Run("nostart", lr=lr, metrics={"v": ([10], [3.0])}), metric="v")
    with pytest.raises(ValueError, match=r"run 'nom' has no metric 'val_cpt'"):
        law.prepare(Run("nom", lr=lr, metrics={"val_pt": ([10], [3.0])}, meta={"cpt_start_step": 50}), metric="val_cpt")
    with pytest.raises(ValueError, match=r"run 'rep'.*replay_ratio=1.5 is outside \[0, 1\]"):
        CPTLaw(replay="pt").prepare(Run("rep", lr=lr, metrics={"v": ([60], [3.0])}, meta={"cpt_start_step": 50, "replay_ratio": 1.5}), metric="v")
    with pytest.raises(ValueError, match=r"run 'nn'.*meta\['N'\]"):
        CPTLaw(size=True).prepare(Run("nn", lr=lr, metrics={"v": ([60], [3.0])}, meta={"cpt_start_step": 50}), metric="v")
    with pytest.raises(ValueError, match=r"run 'far'.*step 120 is outside its LR array"):
        law.prepare(Run("far", lr=lr, metrics={"v": ([120], [3.0])}, meta={"cpt_start_step": 50}), metric="v")
    two = [Run(f"s{i}", lr=lr, metrics={"v": ([60], [3.0])}, meta={"cpt_start_step": 50, "N": n, "replay_ratio": 0.2})
           for i, n in enumerate((1e8, 4e8))]
    with pytest.raises(ValueError, match=r"at least 3 distinct meta\['N'\] values.*\['s0', 's1'\]"):
        CPTLaw(size=True).prepare(RunSet(two), metric="v")
    with pytest.raises(ValueError, match=r"at least 2 distinct meta\['replay_ratio'\] values"):
        CPTLaw(replay="cpt").prepare(RunSet(two), metric="v")
    with pytest.raises(ValueError, match="momentum must be one of"):
        CPTLaw(momentum="keep")


# -- recovery -------------------------------------------------------------------------------------
def scaled_stderr(res, runs):
    """Gauss-Newton standard errors with column scaling (J D, D = diag(1/|J_k|)) before the
    pseudo-inverse, so that badly scaled directions (E ~ 5e3 next to alpha ~ 0.5) are kept."""
    import jax
    import jax.numpy as jnp

    law, free = res.law, list(res.law.param_names)
    inputs = law.prepare(runs, metric=res.metric)
    theta = jnp.asarray([res.params[k] for k in free])

    def resid(t):
        return jnp.log(law.predict(dict(zip(free, t, strict=False)), inputs.x)) - jnp.log(inputs.y)

    r, J = np.asarray(resid(theta)), np.asarray(jax.jacfwd(resid)(theta))
    scale = 1.0 / np.linalg.norm(J, axis=0)
    Js = J * scale
    cov = (r @ r / (r.size - len(free))) * (scale[:, None] * np.linalg.inv(Js.T @ Js) * scale[None, :])
    return dict(zip(free, np.sqrt(np.diag(cov)), strict=False))


@pytest.fixture(scope="module")
def fits():
    law = CPTLaw()
    out = {}
    for name, true in (("pt", SETTING_A_PT), ("cpt", SETTING_A_CPT)):
        runs = make_runs(true, seed=1 if name == "pt" else 2)
        out[name] = (true, runs, lawfit.fit(law, runs, metric="val"))
    return out


@pytest.mark.parametrize("which", ["pt", "cpt"])
def test_recovers_setting_a_parameters(fits, which):
    true, runs, res = fits[which]
    assert res.success, res.report()
    # sign of B as in the paper: + for D_pt, - for D_cpt (never constrained)
    assert np.sign(res.params["B"]) == np.sign(true["B"])
    stderr = scaled_stderr(res, runs)
    for k in ("L0", "A", "alpha", "C1", "C2", "B", "beta", "E"):
        se = stderr[k]
        assert np.isfinite(se) and se > 0
        assert abs(res.params[k] - true[k]) <= 4 * se, (k, res.params[k], true[k], se)
    # the fit reaches an objective at least as low as the generating parameters
    inputs = CPTLaw().prepare(runs, metric="val")  # the objective at the generating parameters
    r = np.log(lawfit.FitResult(law=CPTLaw(), params=true).predict_inputs(inputs)) - np.log(np.asarray(inputs.y))
    ref = np.sum(np.asarray(inputs.weight) * np.where(np.abs(r) <= 1e-3, 0.5 * r**2, 1e-3 * (np.abs(r) - 5e-4)))
    assert res.objective <= ref + 1e-9
    m = lawfit.evaluate(res, runs, metric="val")
    assert m["mean"]["r2"] > 0.99


# -- shared law contract --------------------------------------------------------------------------
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import check_law_contract  # noqa: E402


def test_contract_eq4():
    runs = make_runs(SETTING_A_PT, sigma=0.0, every=1500)
    check_law_contract(CPTLaw(), runs, SETTING_A_PT, metric="val", recovery_rtol=1e-5)


@pytest.mark.parametrize("opts", [dict(size=True), dict(replay="cpt", momentum="reset"), dict(released=True), dict(shift="Bbeta")])
def test_contract_variants(opts):
    law = CPTLaw(**opts)
    p = dict(SETTING_A_PT)
    if opts.get("size"):
        p.update(gamma1=0.2, gamma2=0.2, F=3.0, gamma3=0.2, L0=1.8)
    if opts.get("replay"):
        p.update(a1=0.05, a2=0.5)
    if opts.get("released"):
        p = {k: v for k, v in p.items() if k != "C1"} | {"S1_pt": 2.0}
    if opts.get("shift"):
        p = {k: v for k, v in p.items() if k != "B"} | {"Bbeta": 0.366 * 0.189}
    runs = []
    for i, n in enumerate((1.06e8, 5.94e8, 1.7e9)):
        lr = np.r_[np.full(3000, 2e-4), np.linspace(2e-4, 1e-4, 2000)] if not opts.get("released") else np.full(2000, 1e-4)
        meta = {"N": n, "replay_ratio": 0.25 * (i + 1)} | ({} if opts.get("released") else {"cpt_start_step": 3000})
        steps = np.arange(100, lr.size, 200)
        runs.append(Run(f"r{i}", lr=lr, metrics={"val": (steps, np.full(steps.size, 3.0))}, meta=meta))
    check_law_contract(law, RunSet(runs), p, metric="val", check_recovery=False)
