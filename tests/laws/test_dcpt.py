"""D-CPT law (LAWS.md 7) and mixture tables: formula, recovery, trends, cross-domain, bad input."""

import numpy as np
import pytest

import lawfit
from lawfit.laws import DCPTLaw, from_spec
from lawfit.mixtures import MixtureTable
from lawfit.runs import Run, RunSet

# generating constants (the paper publishes none, LAWS.md 7); N and D in billions
GENERAL = dict(E=1.8, A=0.25, alpha=0.35, B=0.35, beta=0.35, eta=0.2, C=0.12, gamma=0.9, eps=0.03)
DOMAIN = dict(E=1.2, A=0.3, alpha=0.3, B=0.5, beta=0.3, eta=0.25, C=0.25, gamma=0.6, eps=0.05)
SIZES = np.array([0.5e9, 1.8e9, 4e9])  # Qwen-1.5 sizes of the paper's setup (LAWS.md 7.4)
RATIOS = np.array([0, 0.1, 0.2, 1 / 3, 0.5, 2 / 3, 0.8, 0.9, 1.0])  # the nine general:domain ratios
TOKENS = np.linspace(2.6e9, 26e9, 10)


def reference(p, N, D, r):
    """L3 written out with numpy (r: the modelled share, N and D in billions)."""
    N, D = N / 1e9, D / 1e9
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] * r ** p["eta"] / D ** p["beta"] + p["C"] / (r + p["eps"]) ** p["gamma"]


def make_table(sigma=0.003, seed=0):
    N, R, D = (a.ravel() for a in np.meshgrid(SIZES, RATIOS, TOKENS, indexing="ij"))
    rng = np.random.default_rng(seed)
    g = reference(GENERAL, N, D, 1 - R) * np.exp(rng.normal(0, sigma, N.size))
    d = reference(DOMAIN, N, D, R) * np.exp(rng.normal(0, sigma, N.size))
    return MixtureTable(N=N, D=D, r=R, general=g, domain=d)


def test_formula_and_share_convention():
    N, D, r = np.array([0.5e9, 4e9]), np.array([1e9, 2e10]), np.array([0.0, 0.7])
    for target, p, share in (("general", GENERAL, 1 - r), ("domain", DOMAIN, r)):
        law = DCPTLaw(target=target)
        got = np.asarray(law.predict(p, law.inputs(N, D, r)))
        np.testing.assert_allclose(got, reference(p, N, D, share), rtol=1e-14)
    # finite at r = 0 (adaptability, via eps) and gradients finite there
    import jax

    law = DCPTLaw(target="domain")
    x = law.inputs([1e9], [1e10], [0.0])
    g = jax.grad(lambda p: law.predict(p, x)[0])(DOMAIN)
    assert all(np.isfinite(float(v)) for v in g.values())


def test_reduces_to_chinchilla_at_fixed_ratio():
    # consistency requirement: at fixed r, E' + A/N^alpha + B'/D^beta
    law, r = DCPTLaw(target="domain"), 0.4
    p = DOMAIN
    N, D = np.geomspace(1e8, 1e10, 5), np.geomspace(1e9, 1e11, 5)
    Ep = p["E"] + p["C"] / (r + p["eps"]) ** p["gamma"]
    Bp = p["B"] * r ** p["eta"]
    chin = Ep + p["A"] / (N / 1e9) ** p["alpha"] + Bp / (D / 1e9) ** p["beta"]
    np.testing.assert_allclose(np.asarray(law.predict(p, law.inputs(N, D, r))), chin, rtol=1e-13)


def test_trend_checks():
    law = DCPTLaw(target="general")
    table = make_table()
    assert law.diagnostics(GENERAL, table) == []
    # a rising ratio term: dL/dr > 0 somewhere must be reported
    bad = dict(GENERAL, B=2.0, eta=0.9, C=0.01)
    msgs = law.diagnostics(bad, table)
    assert any("dL/dr" in m for m in msgs)
    # eta < 0 breaks the implicit trend d2L/dDdr < 0
    assert any("d2L/dDdr" in m for m in law.diagnostics(dict(GENERAL, eta=-0.2), table))
    # analytic derivatives agree with finite differences
    p, N, D, r = GENERAL, 1.3, 7.0, 0.6
    d = law.derivatives(p, N, D, r)
    f = lambda N, D, r: float(reference(p, N * 1e9, D * 1e9, r))  # noqa: E731
    h = 1e-6
    assert d["dL/dN"] == pytest.approx((f(N + h, D, r) - f(N - h, D, r)) / (2 * h), rel=1e-6)
    assert d["dL/dD"] == pytest.approx((f(N, D + h, r) - f(N, D - h, r)) / (2 * h), rel=1e-6)
    assert d["dL/dr"] == pytest.approx((f(N, D, r + h) - f(N, D, r - h)) / (2 * h), rel=1e-6)
    h = 1e-4
    mixed = (f(N, D + h, r + h) - f(N, D + h, r - h) - f(N, D - h, r + h) + f(N, D - h, r - h)) / (4 * h * h)
    assert d["d2L/dDdr"] == pytest.approx(mixed, rel=1e-4)


@pytest.fixture(scope="module")
def fitted():
    table = make_table()
    return table, {t: lawfit.fit(DCPTLaw(target=t), table) for t in ("general", "domain")}


@pytest.mark.parametrize("target", ["general", "domain"])
def test_recovers_parameters(fitted, target):
    table, fits = fitted
    res, true = fits[target], GENERAL if target == "general" else DOMAIN
    assert res.success, res.report()
    for k, v in true.items():
        se = res.stderr[k]
        assert np.isfinite(se) and se > 0
        assert abs(res.params[k] - v) <= 4 * se, (k, res.params[k], v, se)
    assert res.law.diagnostics(res.params, table) == []
    m = lawfit.evaluate(res, table)
    assert m["mean"]["prede"] < 0.004  # noise is 0.3 % (per-curve R² is meaningless on flat curves)


def test_cross_domain_given_K():
    rng = np.random.default_rng(3)
    Ks = np.array([0.5, 1.0, 2.0, 4.0])
    N, R, D, K = (a.ravel() for a in np.meshgrid([1e9, 3e9], [0.1, 0.3, 0.5, 0.7, 0.9], [2e9, 8e9, 2e10], Ks, indexing="ij"))
    true = dict(DOMAIN, F=0.2, mu=0.8)
    y = (reference(DOMAIN, N, D, R) + 0.2 * K ** -0.8) * np.exp(rng.normal(0, 0.001, N.size))
    table = MixtureTable(N=N, D=D, r=R, domain=y, K=K)
    law = DCPTLaw(target="domain", cross_domain=True)
    np.testing.assert_allclose(
        np.asarray(law.predict(true, law.prepare(table).x)), y / np.exp(np.log(y) - np.log(reference(DOMAIN, N, D, R) + 0.2 * K ** -0.8)), rtol=1e-12
    )
    res = lawfit.fit(law, table, fixed={k: v for k, v in DOMAIN.items() if k in ("A", "alpha", "eps")})
    assert res.success
    for k in ("F", "mu"):
        assert abs(res.params[k] - true[k]) <= 4 * res.stderr[k], (k, res.params[k])
    # probe representation K = 1/k1 + w2 * k2 (secondary sources only)
    probe = DCPTLaw(target="domain", cross_domain=True, learnability="probe")
    x = probe.inputs([1e9], [1e10], [0.5], k1=[2.0], k2=[0.3])
    p = dict(DOMAIN, F=0.2, mu=0.8, w2=1.5)
    K_probe = 1 / 2.0 + 1.5 * 0.3
    assert float(probe.predict(p, x)[0]) == pytest.approx(reference(DOMAIN, 1e9, 1e10, 0.5) + 0.2 * K_probe ** -0.8, rel=1e-13)
    assert from_spec(probe.to_spec()) == probe


# -- mixture tables and bad input ---------------------------------------------------------------
def test_table_from_runs():
    runs = []
    for i, r in enumerate([0.2, 0.5]):
        steps = np.array([9, 19, 29])
        runs.append(Run(f"mix{i}", lr=np.full(30, 1e-4), meta={"mixture_ratio": r, "N": 1e8, "tokens_per_step": 1e6},
                        metrics={"val_general": (steps, [3.0, 2.9, 2.8]), "val_domain": (steps, [2.5, 2.3, 2.2])}))
    t = MixtureTable.from_runs(RunSet(runs))
    assert len(t) == 6 and t.D.tolist()[:3] == [1e7, 2e7, 3e7] and t.r.tolist()[3] == 0.5
    assert t.row_ids[4] == "mix1@19"
    t2 = MixtureTable.from_runs(RunSet(runs), tokens=[1.5e7], interpolate=True)
    assert t2.general.tolist() == [2.95, 2.95]
    with pytest.raises(ValueError, match=r"run 'mix0'.*no 'val_general' value at 1.5e\+07 tokens"):
        MixtureTable.from_runs(RunSet(runs), tokens=[1.5e7])
    with pytest.raises(ValueError, match=r"run 'x'.*meta\['mixture_ratio'\] is missing"):
        MixtureTable.from_runs([Run("x", metrics={"val_general": ([1], [3.0])}, meta={"N": 1, "tokens_per_step": 1})])
    bad = Run("badr", metrics={"val_general": ([1], [3.0]), "val_domain": ([1], [2.0])},
              meta={"mixture_ratio": 1.2, "N": 1e8, "tokens_per_step": 1e6})
    with pytest.raises(ValueError, match=r"ratio must be in \[0, 1\].*badr@1 \(r=1.2\)"):
        MixtureTable.from_runs([bad])
    # CPT runs count CPT tokens only, from meta["cpt_start_step"] (PT points are skipped)
    cpt_runs = [r.replace(meta=dict(r.meta, cpt_start_step=10)) for r in runs]
    t3 = MixtureTable.from_runs(RunSet(cpt_runs))
    assert t3.D.tolist() == [1e7, 2e7, 1e7, 2e7] and t3.row_ids[0] == "mix0@19"
    # the law can take the runs directly (metric names the loss)
    x = DCPTLaw(target="general", size_term=False).prepare(RunSet(runs), metric="val_general", predict=True).x
    assert np.asarray(x["r"]).tolist()[0] == pytest.approx(0.8)


def test_bad_tables_name_rows_and_axes():
    with pytest.raises(ValueError, match=r"column 'r'.*\[0, 1\].*row 1 \(r=-0.1\)"):
        MixtureTable(N=[1e9, 1e9], D=[1e9, 1e9], r=[0.5, -0.1], domain=[2.0, 2.0])
    with pytest.raises(ValueError, match=r"column 'domain'.*row 0"):
        MixtureTable(N=[1e9], D=[1e9], r=[0.5], domain=[-2.0])
    full = make_table()
    few = full.select(np.isin(full.r, [0.1, 0.5, 0.9]))
    with pytest.raises(ValueError, match=r"4 parameters along r.*3 distinct r values"):
        lawfit.fit(DCPTLaw(target="domain"), few)
    one = full.select(full.N == 1.8e9)
    with pytest.raises(ValueError, match=r"along N.*size_term=False"):
        lawfit.fit(DCPTLaw(target="domain"), one)
    with pytest.raises(ValueError, match="target must be"):
        DCPTLaw(target="both")
    with pytest.raises(ValueError, match=r"models the 'domain' column"):
        DCPTLaw(target="domain").prepare(full, metric="general")


# -- shared law contract --------------------------------------------------------------------------
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import check_law_contract  # noqa: E402


@pytest.mark.parametrize("target", ["general", "domain"])
def test_contract(target):
    table = make_table(sigma=0.0)
    check_law_contract(DCPTLaw(target=target), table, GENERAL if target == "general" else DOMAIN, recovery_rtol=1e-5)
