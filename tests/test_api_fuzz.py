"""Property tests over the public API (issue 17): whatever the input, a call either succeeds with
finite, sane results or fails with a ``ValueError`` (lawfit's documented errors subclass it) that
names the argument; never a raw KeyError / AttributeError / IndexError / TypeError from inside.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lawfit
from lawfit.laws import CMR, CPTLaw, DCPTLaw, MomentumLaw, MultiPowerLaw
from lawfit.runs import Run, RunSet, as_runset
from tests.fitting.momentum_curves import LAW, synthetic_runs

# Random exploration locally; a fixed example sequence under CI (CI=true), as tests/io does.
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=os.environ.get("CI", "").lower() in ("1", "true", "yes"))
FEW = settings(FUZZ, max_examples=6)

RUNS = synthetic_runs()
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="abcxyz_-", max_size=5), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _named(exc: BaseException, *names: str) -> None:
    assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
    if isinstance(exc, lawfit.io.ImportError):  # a file that was read: the error names the file
        assert exc.path, str(exc)
        return
    assert any(n in str(exc) for n in names), (names, str(exc))


@pytest.fixture(scope="module")
def fitted():
    return lawfit.fit(LAW, RUNS)


# -- options of fit ------------------------------------------------------------------------------
OPTIONS = {
    "delta": st.one_of(JUNK, st.floats(-1, 0)),
    "gtol": st.one_of(JUNK, st.floats(-1, -1e-12)),
    "ftol": st.one_of(JUNK, st.floats(-1, -1e-12)),
    "max_iter": st.one_of(JUNK, st.integers(-3, 0), st.floats(0.5, 9.5)),
    "num_starts": st.one_of(st.integers(-3, 0), st.text(max_size=3), st.floats(0.5, 2.5)),
    "keep": st.one_of(st.integers(-3, 0), st.text(max_size=3)),
    "screen_iter": st.one_of(st.integers(-3, 0), st.none(), st.text(max_size=3)),
    "loss": st.one_of(JUNK, st.sampled_from(["l1", "HUBER", ""])),
    "stderr": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
    "metric": st.one_of(st.none(), st.integers(), st.just("")),
    "init": st.one_of(st.integers(), st.text(max_size=3), st.lists(st.floats(), max_size=2)),
}


def _valid(name, value) -> bool:
    """Whether ``value`` happens to be a valid setting of ``name`` (then it is not a bad case)."""
    real = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    integer = isinstance(value, int) and not isinstance(value, bool)
    return {
        "delta": real and value > 0,
        "gtol": real and value >= 0,
        "ftol": real and value >= 0,
        "max_iter": integer and value >= 1,
        "num_starts": integer and value >= 1,
        "keep": value is None or integer and value >= 1,
        "screen_iter": integer and value >= 1,
        "loss": value in ("huber_log", "mse_log", "huber", "mse"),
        "stderr": isinstance(value, bool),
        "metric": value == "loss",
        "init": value is None or isinstance(value, dict) and not value,
    }[name]


@FUZZ
@given(name=st.sampled_from(sorted(OPTIONS)), data=st.data())
def test_a_bad_fit_option_is_named(name, data):
    value = data.draw(OPTIONS[name])
    if _valid(name, value):
        return
    with pytest.raises(Exception) as e:
        lawfit.fit(LAW, RUNS, **{name: value})
    _named(e.value, name)


# -- runs coercion ---------------------------------------------------------------------------
@FUZZ
@given(value=st.one_of(JUNK, st.lists(JUNK, max_size=3), st.tuples(JUNK)))
def test_as_runset_takes_runs_or_names_the_argument(value):
    try:
        out = as_runset(value, argument="runs")
    except Exception as e:  # noqa: BLE001 - the property is about which exceptions
        _named(e, "runs")
    else:
        assert isinstance(out, RunSet) and len(out) > 0


# -- law constructors ------------------------------------------------------------------------
LAWS = {
    MomentumLaw: ("lam", "warmup", "model_size", "n_scale", "lam_grid"),
    CPTLaw: ("lam", "momentum", "warmup", "size", "n_unit", "replay", "released", "shift"),
    DCPTLaw: ("target", "size_term", "cross_domain", "learnability", "n_unit", "d_unit"),
    CMR: ("kind", "target", "token_unit"),
    MultiPowerLaw: ("convention", "variant", "mode", "block_size", "block_anchor", "far_factor", "far_steps"),
}


@FUZZ
@given(cls=st.sampled_from(list(LAWS)), data=st.data())
def test_law_options_are_checked_by_name(cls, data):
    option = data.draw(st.sampled_from(LAWS[cls]))
    value = data.draw(JUNK)
    try:
        law = cls(**{option: value})
    except Exception as e:  # noqa: BLE001
        _named(e, option)
        return
    # accepted: the option is stored as given (no silent bool("no")) and the law round-trips
    assert lawfit.laws.from_spec(law.to_spec()) == law
    if option in ("model_size", "size", "released", "size_term", "cross_domain"):
        assert isinstance(value, bool), value


# -- load_fit ------------------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_load_fit_loads_or_names_the_field(fitted, data):
    d = json.loads(fitted.to_json())
    key = data.draw(st.sampled_from(sorted(d)))
    if data.draw(st.booleans()):
        d.pop(key)
    else:
        d[key] = data.draw(JUNK)
    try:
        back = lawfit.load_fit(d)
    except Exception as e:  # noqa: BLE001
        _named(e, "load_fit")
        return
    pred = back.predict(RUNS["cosine"])
    assert pred.shape == fitted.predict(RUNS["cosine"]).shape


# -- predict returns exactly the steps asked -------------------------------------------------
@FUZZ
@given(steps=st.lists(st.one_of(st.integers(-10, 13_000), st.floats(-5, 13_000)), min_size=1, max_size=20))
def test_predict_returns_every_requested_step_or_names_steps(fitted, steps):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fitted.predict(RUNS["cosine"], steps=steps)
        except Exception as e:  # noqa: BLE001
            _named(e, "steps")
            return
    assert out.shape == (len(steps),)
    ok = (np.asarray(steps) >= 1) & (np.asarray(steps) < 12_000)  # S1 = 0 at step 0: NaN there
    assert np.all(np.isfinite(out[ok]))


# -- no success with absurd parameters ---------------------------------------------------------
@FEW
@given(seed=st.integers(0, 2**16), scale=st.sampled_from([1e-3, 1.0, 1e3]), noise=st.sampled_from([0.0, 0.3]))
def test_a_successful_fit_has_finite_sane_parameters(seed, scale, noise):
    rng = np.random.default_rng(seed)
    runs = []
    for r in RUNS:
        obs = r.observed()
        y = obs.values * scale * np.exp(noise * rng.standard_normal(obs.values.size))
        runs.append(Run(r.run_id, lr=r.lr, metrics={"loss": (obs.steps, y)}, meta=dict(r.meta)))
    res = lawfit.fit(LAW, RunSet(runs), max_iter=300)
    assert res.status in ("ok", "doubtful", "unusable", "not_converged")
    assert res.success == (res.status in ("ok", "doubtful"))
    if res.success:
        assert all(math.isfinite(v) and abs(v) < 1e100 for v in res.params.values()), res.params
        assert res.quality["r2"] >= 0.5
    else:
        assert res.warnings or res.status == "not_converged"
