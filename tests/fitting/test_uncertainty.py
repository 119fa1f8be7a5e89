"""Honest Gauss-Newton standard errors, fitted horizon, law diagnostics, compilation cache.

References: the closed-form OLS covariance sigma^2 (X^T X)^-1, an independent numpy
finite-difference Hessian of the objective, and the coverage of 1-sigma intervals over noisy
replicates with known parameters."""

import json
import math
import os
import subprocess
import sys
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import lawfit
from lawfit.fitting import ExtrapolationWarning, fit_many, load_fit
from lawfit.laws import Chinchilla, DCPTLaw
from lawfit.laws._base import Law, LawInputs, ParamSpec


class LinearLaw(Law):
    """``y = X theta`` (test-only law: a linear least-squares problem)."""

    name = "linear_test"

    def __init__(self, k=3):
        self.k = k

    def options(self):
        return {"k": self.k}

    def param_specs(self):
        return tuple(ParamSpec(f"t{i}", init=(0.0,)) for i in range(self.k))

    def prepare(self, runs, **kw):
        raise NotImplementedError

    def predict(self, params, x):
        theta = jnp.stack([params[f"t{i}"] for i in range(self.k)])
        return x["X"] @ theta


def linear_inputs(X, y):
    n = len(y)
    return LawInputs({"X": jnp.asarray(X)}, jnp.asarray(y), jnp.ones(n), np.zeros(n, np.int64),
                     np.arange(n, dtype=np.int64), ("table",))


def ols(X, y):
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    s2 = r @ r / (len(y) - X.shape[1])
    return beta, s2


def test_linear_badly_scaled_matches_closed_form():
    rng = np.random.default_rng(0)
    n = 60
    t = np.linspace(0.0, 1.0, n)
    # column norms from ~1e-6 to ~1e6: an unscaled (X^T X)^+ with rcond 1e-15 drops a direction
    X = np.column_stack([np.ones(n) * 1e-6, t * 1e6, (t - 0.5) ** 2 * 3.0])
    truth = np.array([2e6, 3e-6, 1.5])
    y = X @ truth + 0.05 * rng.standard_normal(n)
    beta, s2 = ols(X, y)
    law = LinearLaw(3)
    init = {f"t{i}": [beta[i]] for i in range(3)}
    res = lawfit.fit(law, linear_inputs(X, y), loss="mse", init=init)
    cov_ref = s2 * np.linalg.inv(X.T @ X)
    assert res.nonidentifiable == ()
    se_ref = np.sqrt(np.diag(cov_ref))
    np.testing.assert_allclose([res.stderr[f"t{i}"] for i in range(3)], se_ref, rtol=1e-6)
    # whole matrix, relative to the scale of each entry (correlations to 1e-9)
    np.testing.assert_allclose(res.covariance / np.outer(se_ref, se_ref), cov_ref / np.outer(se_ref, se_ref), atol=1e-9)
    # Huber with every residual in the quadratic regime is least squares: same covariance
    res_h = lawfit.fit(law, linear_inputs(X, y), loss="huber", delta=10.0, init=init)
    np.testing.assert_allclose([res_h.stderr[f"t{i}"] for i in range(3)], se_ref, rtol=1e-6)
    assert res_h.stats["huber_quadratic_fraction"] == 1.0


def test_nonidentifiable_direction_is_inf_not_tiny():
    rng = np.random.default_rng(1)
    n = 40
    t = np.linspace(0.0, 1.0, n)
    X = np.column_stack([t, 2.0 * t, np.ones(n)])  # t0 and t1 only enter as t0 + 2 t1
    y = X @ np.array([1.0, 0.5, 0.3]) + 0.01 * rng.standard_normal(n)
    res = lawfit.fit(LinearLaw(3), linear_inputs(X, y), loss="mse", init={"t0": [1.0], "t1": [0.5], "t2": [0.3]})
    assert set(res.nonidentifiable) == {"t0", "t1"}
    assert math.isinf(res.stderr["t0"]) and math.isinf(res.stderr["t1"])
    # the identified intercept keeps the closed-form error of the reduced model [t, 1]
    Xr = X[:, [0, 2]]
    _, s2 = ols(Xr, y)
    se_ref = math.sqrt(s2 * np.linalg.inv(Xr.T @ Xr)[1, 1])
    assert res.stderr["t2"] == pytest.approx(se_ref, rel=1e-6)
    text = res.report()
    assert "not identifiable" in text and "t0, t1" in text


# -- nonlinear: Chinchilla with known parameters ------------------------------------------------
HOFF = {"A": 406.4, "B": 410.7, "E": 1.69, "alpha": 0.34, "beta": 0.28}
NAMES = ("A", "B", "E", "alpha", "beta")
N_GRID, D_GRID = np.meshgrid(np.geomspace(7e7, 1.6e10, 8), np.geomspace(5e9, 5e11, 8))
N_GRID, D_GRID = N_GRID.ravel(), D_GRID.ravel()
SIGMA = 2e-4  # on log-loss; every residual stays in Huber's quadratic regime (delta = 1e-3)
INIT = {"A": [300.0, 500.0], "B": [400.0], "E": [1.7], "alpha": [0.3], "beta": [0.3]}


def chin_np(theta, N, D):
    A, B, E, a, b = theta
    return E + A / N**a + B / D**b


def chin_table(seed):
    rng = np.random.default_rng(seed)
    y = chin_np([HOFF[k] for k in NAMES], N_GRID, D_GRID) * np.exp(SIGMA * rng.standard_normal(N_GRID.size))
    return Chinchilla.table(N_GRID, D_GRID, y)


def test_stderr_matches_finite_difference_hessian():
    table = chin_table(0)
    res = lawfit.fit(Chinchilla(), table, init=INIT)
    assert res.success and res.nonidentifiable == ()
    theta = np.array([res.params[k] for k in NAMES])
    y = np.asarray(table.y)
    r = np.log(chin_np(theta, N_GRID, D_GRID)) - np.log(y)
    assert np.max(np.abs(r)) < 1e-3  # quadratic regime: Huber objective = 0.5 sum r^2

    def f(th):
        e = np.log(chin_np(th, N_GRID, D_GRID)) - np.log(y)
        return 0.5 * np.sum(e * e)

    # independent reference: full Hessian of the objective by central finite differences
    h = 1e-4 * np.abs(theta)
    F = len(theta)
    H = np.zeros((F, F))
    for i in range(F):
        for j in range(F):
            ei, ej = np.eye(F)[i] * h[i], np.eye(F)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h[i] * h[j])
    s2 = np.sum(r * r) / (len(y) - F)
    se_ref = np.sqrt(np.diag(s2 * np.linalg.inv(H)))
    got = np.array([res.stderr[k] for k in NAMES])
    np.testing.assert_allclose(got, se_ref, rtol=0.03)
    # same covariance with the plain least-squares loss (Huber consistent in the quadratic regime)
    res_mse = lawfit.fit(Chinchilla(), table, init=INIT, loss="mse_log")
    np.testing.assert_allclose([res_mse.stderr[k] for k in NAMES], got, rtol=1e-4)


def test_one_sigma_coverage_over_replicates():
    reps = 50
    results = fit_many(Chinchilla(), [chin_table(100 + i) for i in range(reps)], init=INIT)
    hits, total = 0, 0
    for res in results:
        assert res.success
        for k in NAMES:
            se = res.stderr[k]
            assert np.isfinite(se) and se > 0
            hits += abs(res.params[k] - HOFF[k]) <= se
            total += 1
    coverage = hits / total
    assert 0.55 <= coverage <= 0.80, coverage


# -- fitted horizon and extrapolation ----------------------------------------------------------
def test_fitted_horizon_round_trip_and_extrapolation_warning(tmp_path):
    from lawfit.laws import MomentumLaw
    from lawfit.laws._momentum import momentum_areas
    from lawfit.runs import Run, RunSet

    LAW = MomentumLaw(lam=0.99, warmup="mpl")
    T, W, peak = 12_000, 500, 3e-4
    base = np.full(T, peak)
    base[:W] = np.linspace(0, peak, W)
    cos = base.copy()
    t = np.arange(T)
    cos[W:] = 3e-5 + 0.5 * (peak - 3e-5) * (1 + np.cos(np.pi * (t[W:] - W) / (T - W)))
    rl = []
    for name, lr, step in (("constant", base, 100), ("cosine", cos, 150)):
        steps = np.arange(W, T, step)
        s1, s2 = momentum_areas(lr, lam=0.99, warmup_steps=W, peak_lr=peak, warmup="mpl")
        y = 2.5 + 0.65 * s1[steps] ** -0.42 - 5.4 * s2[steps]
        rl.append(Run(name, lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": W, "peak_lr": peak}))
    runs = RunSet(rl)
    res = lawfit.fit(LAW, runs, steps=range(0, 8000))
    obs = {r.run_id: r.observed().steps for r in runs}
    expect = {rid: (int(s[s < 8000].min()), int(s[s < 8000].max())) for rid, s in obs.items()}
    assert res.fitted_horizon["runs"] == expect
    assert res.fitted_steps == (min(a for a, _ in expect.values()), max(b for _, b in expect.values()))
    assert f"fitted steps       = {res.fitted_steps[0]}..{res.fitted_steps[1]}" in res.report()
    back = load_fit(json.loads(json.dumps(res.to_dict())))
    assert back.fitted_horizon == res.fitted_horizon
    # older JSON without the new fields still loads
    old = res.to_dict()
    for k in ("fitted_horizon", "warnings", "nonidentifiable"):
        old.pop(k)
    legacy = load_fit(old)
    assert legacy.fitted_steps is None and legacy.warnings == ()
    run = runs["cosine"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        inside = res.predict(run, steps=np.arange(1000, 7000, 100))  # no warning
    with pytest.warns(ExtrapolationWarning, match="beyond the fitted horizon"):
        beyond = res.predict(run, steps=np.arange(1000, 12000, 100))
    np.testing.assert_array_equal(beyond[:60], inside)  # still predicted, same values
    with pytest.warns(ExtrapolationWarning):
        back.predict(run.lr)


# -- law diagnostics -----------------------------------------------------------------------------
def test_dcpt_trend_violation_reported_and_persisted():
    from lawfit.mixtures import MixtureTable

    bad = dict(E=1.8, A=0.25, alpha=0.35, B=2.0, beta=0.35, eta=0.9, C=0.01, gamma=0.9, eps=0.03)
    law = DCPTLaw(target="general")
    N, R, D = (a.ravel() for a in np.meshgrid([0.5e9, 1.8e9, 4e9], [0.1, 0.3, 0.5, 0.7, 0.9],
                                                np.linspace(2.6e9, 26e9, 6), indexing="ij"))
    x = law.inputs(N, D, R)  # r is always r_d; the law models the general share 1 - r
    g = np.asarray(law.predict(bad, x)) * np.exp(np.random.default_rng(0).normal(0, 1e-3, N.size))
    table = MixtureTable(N=N, D=D, r=R, general=g, domain=g)
    res = lawfit.fit(law, table, init={k: [v] for k, v in bad.items()})
    assert any("dL/dr" in m for m in res.warnings), res.warnings
    diagnostics = [w.removeprefix("[law_diagnostics] ") for w in res.warnings if w.startswith("[law_diagnostics]")]
    assert diagnostics == law.diagnostics(res.params, table)  # the law's own check
    assert res.status != "ok"  # the violated trends are never a plain success
    assert "[[Warnings]]" in res.report() and "dL/dr" in res.report()
    assert load_fit(json.loads(json.dumps(res.to_dict()))).warnings == res.warnings


# -- compilation cache --------------------------------------------------------------------------
def test_enable_compilation_cache_sets_jax_config(tmp_path):
    import jax

    old = jax.config.jax_compilation_cache_dir
    try:
        folder = lawfit.enable_compilation_cache(tmp_path / "cache")
        assert folder.is_dir()
        assert jax.config.jax_compilation_cache_dir == str(folder)
    finally:
        jax.config.update("jax_compilation_cache_dir", old)
    code = "import jax, lawfit.fitting; print(jax.config.jax_compilation_cache_dir)"
    env = dict(os.environ, LAWFIT_COMPILATION_CACHE=str(tmp_path / "env"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str((tmp_path / "env").resolve())


def test_fit_many_rejects_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size"):
        fit_many(Chinchilla(), [chin_table(0), chin_table(1)], init=INIT, chunk_size="big")
