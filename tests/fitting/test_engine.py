"""The fitting engine: transforms, objective, recovery, results, serialisation, bad input,
bootstrap and batched fits. References: numpy re-implementations and synthetic data with known
parameters."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from momentum_curves import LAW, TRUTH, synthetic_runs

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.fitting import FitError, FitResult, fit_many, load_fit
from lawfit.fitting._transforms import resolve, to_natural, to_unconstrained
from lawfit.runs import Run, RunSet


@pytest.fixture(scope="module")
def clean_fit():
    return lawfit.fit(LAW, synthetic_runs())


@pytest.fixture(scope="module")
def mpl_fit():
    runs = mpl_runs("400M")
    return lawfit.fit(LAW, runs.select(MPL_TRAIN)), runs


# -- transforms -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transform,lo,hi,x",
    [
        ("identity", -math.inf, math.inf, -3.2),
        ("identity", 1.0, math.inf, 4.0),
        ("identity", -math.inf, 2.0, -7.0),
        ("log", 0.0, math.inf, 1e-3),
        ("log", 0.5, math.inf, 600.0),
        ("log", 0.0, 10.0, 0.01),
        ("log", 1e-3, 1e3, 5.0),
        ("logit", 0.01, 0.999, 0.3),
        ("neglog", -math.inf, 0.0, -4.0),
        ("neglog", -5.0, -1.0, -2.0),
    ],
)
def test_transform_round_trip_and_bounds(transform, lo, hi, x):
    kind, a, b = resolve(transform, lo, hi)
    z = to_unconstrained(x, kind, a, b)
    assert float(to_natural(z, kind, a, b)) == pytest.approx(x, rel=1e-12)
    for zz in (-40.0, 40.0):
        v = float(to_natural(zz, kind, a, b))
        assert lo <= v <= hi


def test_transform_rejects_bad_specs():
    with pytest.raises(ValueError, match="lower >= 0"):
        resolve("log", -1.0, math.inf)
    with pytest.raises(ValueError, match="finite bounds"):
        resolve("logit", 0.0, math.inf)


# -- objective and recovery -------------------------------------------------------------------
def huber_sum(y, yhat, delta=1e-3):
    r = np.log(yhat) - np.log(y)
    a = np.abs(r)
    return float(np.sum(np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))))


def test_objective_is_summed_huber_of_log_residuals(mpl_fit):
    res, runs = mpl_fit
    train = runs.select(MPL_TRAIN)
    pred = res.predict(train)
    y = np.concatenate([r.observed().values for r in train])
    yhat = np.concatenate([pred[r.run_id] for r in train])
    assert res.objective == pytest.approx(huber_sum(y, yhat), rel=1e-10)
    # LAWS.md 11.3 reports 2.72e-4 at λ = 0.99 for 400M; a converged fit is at least as good
    assert res.objective <= 2.72e-4 * 1.005
    assert res.success and res.n_converged >= 1


def test_noiseless_recovery(clean_fit):
    for k, v in TRUTH.items():
        assert abs(clean_fit.params[k] - v) / v <= 1e-6, (k, clean_fit.params[k])


def test_noisy_recovery_within_stderr():
    res = lawfit.fit(LAW, synthetic_runs(noise=4e-4, seed=3))
    for k, v in TRUTH.items():
        se = res.stderr[k]
        assert 0 < se < 0.2 * abs(v)
        assert abs(res.params[k] - v) <= 4 * se, (k, res.params[k], v, se)


def test_fixed_bounds_init_and_weights():
    runs = synthetic_runs()
    res = lawfit.fit(LAW, runs, fixed={"alpha": TRUTH["alpha"]}, init={"L0": [2.0, 3.0]},
                     bounds={"C": (0.1, 100.0)}, weights={"cosine": 2.0})
    assert res.params["alpha"] == TRUTH["alpha"] and res.fixed == {"alpha": TRUTH["alpha"]}
    assert res.covariance_names == ("L0", "A", "C")
    assert res.bounds["C"] == (0.1, 100.0)
    assert abs(res.params["C"] - TRUTH["C"]) / TRUTH["C"] < 1e-6
    assert set(res.starts.init[:, 0]) == {2.0, 3.0}


def test_num_starts_jitter(clean_fit):
    res = lawfit.fit(LAW, synthetic_runs(), num_starts=40, key=1)
    assert res.starts.init.shape == (40, 4)
    # the first 32 are the law's grid, the 8 extra are jittered copies inside the bounds
    np.testing.assert_array_equal(res.starts.init[:32], clean_fit.starts.init)
    assert np.all((res.starts.init[:, 2] > 0) & (res.starts.init[:, 2] < 3))
    assert res.params == pytest.approx(clean_fit.params, rel=1e-6)


# -- metrics ----------------------------------------------------------------------------------
def test_evaluate_matches_numpy_formulas(mpl_fit):
    res, runs = mpl_fit
    test = runs.select(MPL_TEST)
    ev = lawfit.evaluate(res, test)
    pred = res.predict(test)
    rows = []
    for run in test:
        y = run.observed().values
        yhat = pred[run.run_id]
        rows.append({
            "r2": 1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2),
            "mae": np.mean(np.abs(y - yhat)),
            "rmse": np.sqrt(np.mean((y - yhat) ** 2)),
            "prede": np.mean(np.abs(y - yhat) / y),
            "worste": np.max(np.abs(y - yhat) / y),
        })
    for k in ("r2", "mae", "rmse", "prede", "worste"):
        for got, ref in zip(ev["runs"], rows, strict=True):
            assert got[k] == pytest.approx(ref[k], rel=1e-12)
        assert ev["mean"][k] == pytest.approx(np.mean([r[k] for r in rows]), rel=1e-12)
    assert [r["run_id"] for r in ev["runs"]] == list(MPL_TEST)
    # the MTL refit at λ = 0.99 (LAWS.md 11.3, MPL-style, 400M) prints R² 0.9940, RMSE 0.0118
    # (tolerance: ±1 in the last printed digit)
    assert ev["mean"]["r2"] == pytest.approx(0.9940, abs=1.5e-4)
    assert ev["mean"]["rmse"] == pytest.approx(0.0118, abs=1.5e-4)


# -- results ----------------------------------------------------------------------------------
def test_load_fit_round_trip_bit_identical(mpl_fit, tmp_path):
    res, runs = mpl_fit
    d = json.loads(json.dumps(res.to_dict()))
    assert d["versions"]["lawfit"] == lawfit.__version__ and "jax" in d["versions"]
    res2 = load_fit(d)
    path = tmp_path / "fit.json"
    res.to_json(path)
    res3 = load_fit(path)
    for other in (res2, res3):
        assert isinstance(other, FitResult) and other.law == res.law
        assert other.params == res.params
        for name in ("cosine_72000", "wsdcon_3"):
            np.testing.assert_array_equal(other.predict(runs[name]), res.predict(runs[name]))
        np.testing.assert_array_equal(other.starts.final, res.starts.final)
        np.testing.assert_array_equal(other.covariance, res.covariance)
    with pytest.raises(ValueError, match="not a lawfit fit"):
        load_fit({"params": {}})


def test_predict_targets(mpl_fit):
    res, runs = mpl_fit
    run = runs["cosine_24000"]
    by_run = res.predict(run)
    assert by_run.shape == run.observed().steps.shape
    by_array = res.predict(run.lr, steps=run.observed().steps)
    np.testing.assert_allclose(by_array, by_run, rtol=1e-13)
    full = res.predict(run.lr)
    assert full.shape == (run.lr.size,)
    with pytest.raises(ValueError, match="bootstrap"):
        res.predict(run, band=0.9)


def test_report_and_throw_when_nothing_converges():
    runs = synthetic_runs()
    res = lawfit.fit(LAW, runs, max_iter=1, num_starts=3, key=0)
    assert res.starts.init.shape == (3, 4)  # a random subset of the 32-start grid
    assert not res.success and res.n_converged == 0
    text = res.report()
    assert "NO START CONVERGED" in text and "status             = not_converged" in text
    with pytest.raises(FitError, match="NO START CONVERGED"):
        lawfit.fit(LAW, runs, max_iter=1, num_starts=3, key=0, throw=True)


def test_report_success(mpl_fit):
    text = mpl_fit[0].report()
    assert "status             = ok" in text and "L0" in text and "+/-" in text and "lam=0.99" in text


# -- bad input --------------------------------------------------------------------------------
def _run(values, steps=(600, 700, 800, 900, 1000)):
    lr = np.full(2000, 1e-3)
    return RunSet([Run("r1", lr=lr, metrics={"loss": (list(steps), values)}, meta={"warmup_steps": 0})])


@pytest.mark.parametrize(
    "values,pattern",
    [
        ([3.0, np.nan, 2.8, 2.7, 2.6], r"run 'r1', metric 'loss', step 700: value nan"),
        ([3.0, 2.9, -1.0, 2.7, 2.6], r"run 'r1', metric 'loss', step 800: value -1.0"),
        ([3.0, 2.9, 2.8, 0.0, 2.6], r"finite and positive.*step 900: value 0.0"),
        ([3.0, 2.9, 2.8, np.inf, 2.6], r"step 900: value inf"),
    ],
)
def test_bad_observations(values, pattern):
    with pytest.raises(ValueError, match=pattern):
        lawfit.fit(LAW, _run(values))


def test_bad_names_and_init():
    runs = synthetic_runs()
    with pytest.raises(ValueError, match=r"fixed.*\['D'\].*\['L0', 'A', 'alpha', 'C'\]"):
        lawfit.fit(LAW, runs, fixed={"D": 1.0})
    with pytest.raises(ValueError, match=r"bounds.*\['beta'\]"):
        lawfit.fit(LAW, runs, bounds={"beta": (0, 1)})
    with pytest.raises(ValueError, match=r"init.*\['gamma'\]"):
        lawfit.fit(LAW, runs, init={"gamma": 0.5})
    with pytest.raises(ValueError, match=r"init\['alpha'\] = 5.0.*bounds \[0.0, 3.0\]"):
        lawfit.fit(LAW, runs, init={"alpha": 5.0})
    with pytest.raises(ValueError, match=r"init\['C'\] = 200.0.*\[0.1, 100.0\]"):
        lawfit.fit(LAW, runs, init={"C": 200.0}, bounds={"C": (0.1, 100.0)})
    with pytest.raises(ValueError, match=r"fixed\['alpha'\] = -1.0 is outside"):
        lawfit.fit(LAW, runs, fixed={"alpha": -1.0})
    with pytest.raises(ValueError, match="loss must be one of"):
        lawfit.fit(LAW, runs, loss="l1")


def test_too_few_points():
    with pytest.raises(ValueError, match=r"only 3 weighted point\(s\) for 4 free parameters"):
        lawfit.fit(LAW, _run([3.0, 2.9, 2.8], steps=(600, 700, 800)))


# -- bootstrap and batches --------------------------------------------------------------------
def test_bootstrap_runs_and_points(clean_fit):
    runs = synthetic_runs(noise=4e-4, seed=5)
    res = lawfit.fit(LAW, runs)
    for kind in ("points", "runs"):
        b = lawfit.bootstrap(res, runs, n=24, kind=kind, key=2)
        assert b.bootstrap_info["n"] == 24 and b.bootstrap_info["kind"] == kind
        assert set(b.draws) == set(TRUTH)
        assert all(np.asarray(v).shape == (24,) for v in b.draws.values())
        assert b.params == res.params
        if kind == "points":
            assert np.nanstd(b.draws["L0"]) > 0
            p, lo, hi = b.predict(runs["cosine"], band=0.9)
            assert np.all(lo <= hi) and np.all(lo <= p + 1e-3) and np.all(p - 1e-3 <= hi)
            assert "bootstrap 95%" in b.report()
            again = load_fit(json.loads(json.dumps(b.to_dict())))
            np.testing.assert_array_equal(again.draws["C"], b.draws["C"])
    with pytest.raises(ValueError, match=r"kind must be one of \['runs', 'points'\]"):
        lawfit.bootstrap(res, runs, n=4, kind="blocks")


def test_fit_many_matches_single_fits():
    sets = [synthetic_runs(params={**TRUTH, "L0": v}) for v in (2.2, 2.5, 2.9)]
    many = fit_many(LAW, sets, stderr=False)
    for res, v in zip(many, (2.2, 2.5, 2.9), strict=True):
        assert res.success and abs(res.params["L0"] - v) / v < 1e-6


def test_fit_many_sharded_over_two_cpu_devices():
    code = textwrap.dedent(
        """
        import jax, numpy as np, sys
        sys.path.insert(0, HERE)
        from test_engine import synthetic_runs, TRUTH, LAW
        from lawfit.fitting import fit_many
        assert jax.local_device_count() == 2, jax.devices()
        sets = [synthetic_runs(params={**TRUTH, "L0": v}) for v in (2.2, 2.5, 2.9)]
        out = fit_many(LAW, sets, stderr=False)
        print([round(r.params["L0"], 8) for r in out])
        """
    ).replace("HERE", repr(os.path.dirname(__file__)))
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[2.2, 2.5, 2.9]"


# -- compiler options ---------------------------------------------------------------------------
def test_compiler_options_change_compilation_not_results(clean_fit):
    """The engine default (classic CPU loop emitters) and XLA's own defaults give the same fit."""
    import jax

    from lawfit.fitting._solve import CPU_COMPILER_OPTIONS, resolve_compiler_options

    expected = CPU_COMPILER_OPTIONS if jax.default_backend() == "cpu" else {}
    assert resolve_compiler_options(None) == expected
    xla_default = lawfit.fit(LAW, synthetic_runs(), compiler_options={}, stderr=False)
    assert xla_default.objective == pytest.approx(clean_fit.objective, rel=1e-10, abs=1e-300)
    for name, value in clean_fit.params.items():
        assert xla_default.params[name] == pytest.approx(value, rel=1e-8)


@pytest.mark.parametrize("bad", [[("xla_cpu_use_fusion_emitters", False)], {1: True}, "fast"])
def test_compiler_options_must_be_a_mapping(bad):
    with pytest.raises(ValueError, match="compiler_options"):
        lawfit.fit(LAW, synthetic_runs(), compiler_options=bad)


# -- vmapped or sequential starts ----------------------------------------------------------------
def test_vectorized_and_sequential_starts_agree():
    """``vectorize=True`` (vmapped lanes) and ``False`` (``lax.map``) solve the same problems."""
    import jax

    from lawfit.fitting._solve import resolve_vectorize

    assert resolve_vectorize(None) is (jax.default_backend() != "cpu")
    runs = synthetic_runs(noise=2e-3, seed=3)
    fits = {v: lawfit.fit(LAW, runs, vectorize=v, stderr=False) for v in (True, False)}
    a, b = fits[True], fits[False]
    assert a.success and b.success
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    for name, value in a.params.items():
        assert b.params[name] == pytest.approx(value, rel=1e-5)
    # every start ends at the same objective either way (the same iterations, up to rounding)
    ok = (a.starts.status == 0) & (b.starts.status == 0)
    assert ok.sum() >= len(ok) // 2
    np.testing.assert_allclose(a.starts.objective[ok], b.starts.objective[ok], rtol=1e-7)


def test_vectorize_in_fit_many_and_bootstrap_agree():
    runs = synthetic_runs(noise=2e-3, seed=4)
    a, b = (lawfit.fitting.fit_many(LAW, [runs, runs], vectorize=v, stderr=False) for v in (True, False))
    for ra, rb in zip(a, b, strict=True):
        assert ra.objective == pytest.approx(rb.objective, rel=1e-9)
    base = lawfit.fit(LAW, runs, stderr=False)
    ba, bb = (lawfit.bootstrap(base, runs, n=6, kind="points", key=1, vectorize=v) for v in (True, False))
    assert set(ba.draws) == set(bb.draws) and ba.draws
    for name in ba.draws:
        np.testing.assert_allclose(ba.draws[name], bb.draws[name], rtol=1e-5)


@pytest.mark.parametrize("bad", ["auto", 1, "yes"])
def test_vectorize_must_be_bool_or_none(bad):
    with pytest.raises(ValueError, match="vectorize"):
        lawfit.fit(LAW, synthetic_runs(), vectorize=bad)
