"""Bad input over the Python API, ``load_fit`` and the CLI: every case gets a clear error that
names what is wrong (never a raw KeyError / AttributeError / IndexError, never a traceback on the
command line), and unusable fits never look like a success (issue 17).

Each Python case is ``(call, words)``: the call must raise ``ValueError`` (or a documented lawfit
error, all ``ValueError`` subclasses) whose message contains every word of ``words``.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

import lawfit
from lawfit.cli import app
from lawfit.fitting import FitError, fit_many
from lawfit.laws import CMR, Chinchilla, CPTLaw, DCPTLaw, MomentumLaw, MultiPowerLaw
from lawfit.optimize import MPL_REPO_PARAMS, compare, optimize_schedule, search_family
from lawfit.runs import Run, RunSet
from tests.fitting.momentum_curves import LAW, TRUTH, synthetic_runs

RUNS = synthetic_runs()
RAW_ERRORS = (KeyError, AttributeError, IndexError)


@pytest.fixture(scope="module")
def fitted():
    return lawfit.fit(LAW, RUNS)


@pytest.fixture(scope="module")
def fit_dict(fitted):
    return json.loads(fitted.to_json())


def _mutate(d, change):
    d = json.loads(json.dumps(d))
    change(d)
    return d


API_CASES = {
    # -- runs coercion (one helper: lawfit.runs.as_runset) -----------------------------------
    "fit empty list": (lambda f: lawfit.fit(LAW, []), ["runs", "empty"]),
    "fit None": (lambda f: lawfit.fit(LAW, None), ["runs", "NoneType"]),
    "fit missing path": (lambda f: lawfit.fit(LAW, "no/such/runs.csv"), ["runs", "no file"]),
    "fit list of ints": (lambda f: lawfit.fit(LAW, [1, 2]), ["runs[0]", "int"]),
    "fit a dict": (lambda f: lawfit.fit(LAW, {"a": 1}), ["runs"]),
    "fit empty RunSet": (lambda f: lawfit.fit(LAW, RunSet([])), ["runs", "empty"]),
    "fit unknown law": (lambda f: lawfit.fit("nolaw", RUNS), ["unknown law", "nolaw"]),
    "fit law not a law": (lambda f: lawfit.fit(3, RUNS), ["law must be"]),
    # -- fit options ------------------------------------------------------------------------
    "delta negative": (lambda f: lawfit.fit(LAW, RUNS, delta=-1), ["delta", "> 0"]),
    "delta zero": (lambda f: lawfit.fit(LAW, RUNS, delta=0), ["delta"]),
    "delta nan": (lambda f: lawfit.fit(LAW, RUNS, delta=float("nan")), ["delta"]),
    "gtol negative": (lambda f: lawfit.fit(LAW, RUNS, gtol=-1), ["gtol"]),
    "ftol string": (lambda f: lawfit.fit(LAW, RUNS, ftol="1e-9"), ["ftol"]),
    "max_iter string": (lambda f: lawfit.fit(LAW, RUNS, max_iter="10"), ["max_iter", "integer"]),
    "max_iter zero": (lambda f: lawfit.fit(LAW, RUNS, max_iter=0), ["max_iter"]),
    "max_iter float": (lambda f: lawfit.fit(LAW, RUNS, max_iter=10.5), ["max_iter"]),
    "num_starts zero": (lambda f: lawfit.fit(LAW, RUNS, num_starts=0), ["num_starts"]),
    "loss unknown": (lambda f: lawfit.fit(LAW, RUNS, loss="l1"), ["loss", "huber_log"]),
    "metric empty": (lambda f: lawfit.fit(LAW, RUNS, metric=""), ["metric"]),
    "metric absent": (lambda f: lawfit.fit(LAW, RUNS, metric="val_loss"), ["val_loss", "constant"]),
    "init not a mapping": (lambda f: lawfit.fit(LAW, RUNS, init=[1.0]), ["init", "mapping"]),
    "init unknown name": (lambda f: lawfit.fit(LAW, RUNS, init={"Q": 1.0}), ["init", "Q"]),
    "init outside bounds": (lambda f: lawfit.fit(LAW, RUNS, init={"alpha": 9.0}), ["init['alpha']"]),
    "bounds reversed": (lambda f: lawfit.fit(LAW, RUNS, bounds={"A": (2, 1)}), ["bounds['A']"]),
    "bounds not a pair": (lambda f: lawfit.fit(LAW, RUNS, bounds={"A": 3}), ["bounds['A']", "pair"]),
    "fixed outside bounds": (lambda f: lawfit.fit(LAW, RUNS, fixed={"alpha": -1}), ["fixed['alpha']"]),
    "stderr not bool": (lambda f: lawfit.fit(LAW, RUNS, stderr="yes"), ["stderr"]),
    "keep zero": (lambda f: lawfit.fit(LAW, RUNS, keep=0), ["keep"]),
    "key negative": (lambda f: lawfit.fit(LAW, RUNS, key=-3), ["key"]),
    "weights unknown run": (lambda f: lawfit.fit(LAW, RUNS, weights={"zz": 1.0}), ["weights", "zz"]),
    "weights negative": (lambda f: lawfit.fit(LAW, RUNS, weights={"cosine": -1.0}), ["weights"]),
    # -- fit_many, bootstrap, cross_validate --------------------------------------------------
    "fit_many string": (lambda f: fit_many(LAW, "runs"), ["datasets"]),
    "fit_many empty set": (lambda f: fit_many(LAW, [RUNS, []]), ["datasets[1]", "empty"]),
    "fit_many gtol": (lambda f: fit_many(LAW, [RUNS], gtol=-1), ["gtol"]),
    "bootstrap n zero": (lambda f: lawfit.bootstrap(f, RUNS, n=0), ["n", ">= 1"]),
    "bootstrap n float": (lambda f: lawfit.bootstrap(f, RUNS, n=2.5), ["n"]),
    "bootstrap kind": (lambda f: lawfit.bootstrap(f, RUNS, kind="blocks"), ["kind"]),
    "bootstrap not a result": (lambda f: lawfit.bootstrap({"A": 1}, RUNS), ["result", "FitResult"]),
    "cv score": (lambda f: lawfit.cross_validate({"a": {}}, RUNS, law=LAW, score="acc"), ["score"]),
    "cv candidate delta": (lambda f: lawfit.cross_validate({"a": {"delta": -1}}, RUNS, law=LAW),
                           ["candidate 'a'", "delta"]),
    "cv refit": (lambda f: lawfit.cross_validate({"a": {}}, RUNS, law=LAW, refit="no"), ["refit"]),
    # -- law constructors ----------------------------------------------------------------------
    "momentum lam list": (lambda f: MomentumLaw(lam=[0.9]), ["lam"]),
    "momentum lam 1": (lambda f: MomentumLaw(lam=1.0), ["lam"]),
    "momentum model_size str": (lambda f: MomentumLaw(model_size="no"), ["model_size"]),
    "momentum warmup": (lambda f: MomentumLaw(warmup="linear"), ["warmup"]),
    "momentum n_scale": (lambda f: MomentumLaw(n_scale=-1), ["n_scale"]),
    "dcpt n_unit str": (lambda f: DCPTLaw(n_unit="abc"), ["n_unit"]),
    "dcpt target": (lambda f: DCPTLaw(target="both"), ["target"]),
    "dcpt size_term": (lambda f: DCPTLaw(size_term=1), ["size_term"]),
    "cpt lam": (lambda f: CPTLaw(lam="x"), ["lam"]),
    "cpt released": (lambda f: CPTLaw(released="yes"), ["released"]),
    "cmr kind": (lambda f: CMR(kind="nope"), ["kind"]),
    "cmr token_unit": (lambda f: CMR(token_unit=0), ["token_unit"]),
    "mpl convention": (lambda f: MultiPowerLaw(convention="nope"), ["convention"]),
    "mpl block_size": (lambda f: MultiPowerLaw(block_size=0), ["block_size"]),
    # -- predict -------------------------------------------------------------------------------
    "predict negative steps": (lambda f: f.predict(RUNS["cosine"], steps=[-5]), ["steps"]),
    "predict fractional steps": (lambda f: f.predict(RUNS["cosine"], steps=[1.5]), ["steps"]),
    "predict schedule no steps": (lambda f: f.predict(lambda s: 3e-4), ["steps"]),
    "predict 2-D target": (lambda f: f.predict(np.ones((3, 3))), ["target"]),
    "predict beyond LR array": (lambda f: f.predict(np.full(100, 3e-4), steps=[500]), ["step 500"]),
    "predict band": (lambda f: f.predict(RUNS["cosine"], band=2.0), ["band"]),
    "chinchilla table": (lambda f: Chinchilla.table([1e9], [-1]), ["D"]),
    # -- optimize ------------------------------------------------------------------------------
    "optimize total_steps": (lambda f: optimize_schedule(_mpl(), 0, warmup_steps=0, peak_lr=3e-4),
                             ["total_steps"]),
    "optimize warmup": (lambda f: optimize_schedule(_mpl(), 100, warmup_steps=100, peak_lr=3e-4),
                        ["warmup_steps"]),
    "optimize peak_lr": (lambda f: optimize_schedule(_mpl(), 100, warmup_steps=1, peak_lr=-1),
                         ["peak_lr"]),
    "search_family str": (lambda f: search_family(_mpl(), "1000", warmup_steps=1, peak_lr=3e-4),
                          ["total_steps"]),
    "compare total_steps": (lambda f: compare(_mpl(), {"a": np.ones(10)}, -1), ["total_steps"]),
}


def _mpl():
    return lawfit.FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS["400M"])


LOAD_CASES = {
    "not a dict": (lambda d: [1, 2], ["load_fit", "list"]),
    "no format": (lambda d: _mutate(d, lambda x: x.pop("format")), ["not a lawfit fit"]),
    "future format": (lambda d: _mutate(d, lambda x: x.update(format="lawfit.FitResult/99")),
                      ["FitResult/99", "not supported"]),
    "no params": (lambda d: _mutate(d, lambda x: x.pop("params")), ["params", "missing"]),
    "missing parameter": (lambda d: _mutate(d, lambda x: x["params"].pop("C")), ["params", "['C']"]),
    "extra parameter": (lambda d: _mutate(d, lambda x: x["params"].update(Z=1.0)), ["params", "Z"]),
    "params int": (lambda d: _mutate(d, lambda x: x.update(params=3)), ["params", "object"]),
    "param a word": (lambda d: _mutate(d, lambda x: x["params"].update(A="abc")), ["params.A", "number"]),
    "no law": (lambda d: _mutate(d, lambda x: x.pop("law")), ["law", "missing"]),
    "unknown law": (lambda d: _mutate(d, lambda x: x["law"].update(name="nolaw")), ["law", "nolaw"]),
    "bad law option": (lambda d: _mutate(d, lambda x: x["law"]["options"].update(lam=[0.9])), ["law", "lam"]),
    "law options list": (lambda d: _mutate(d, lambda x: x["law"].update(options=[1])), ["law.options"]),
    "covariance shape": (lambda d: _mutate(d, lambda x: x.update(covariance=[[1.0]])), ["covariance", "shape"]),
    "starts scalar": (lambda d: _mutate(d, lambda x: x["starts"].update(init=5)), ["starts.init"]),
    "starts missing": (lambda d: _mutate(d, lambda x: x["starts"].pop("final")), ["starts", "final"]),
    "bounds single": (lambda d: _mutate(d, lambda x: x["bounds"].update(A=[1.0])), ["bounds.A"]),
    "status unknown": (lambda d: _mutate(d, lambda x: x.update(status="great")), ["status"]),
    "success string": (lambda d: _mutate(d, lambda x: x.update(success="yes")), ["success"]),
    "horizon string": (lambda d: _mutate(d, lambda x: x.update(fitted_horizon={"steps": "a"})),
                       ["fitted_horizon.steps"]),
    "warnings int": (lambda d: _mutate(d, lambda x: x.update(warnings=3)), ["warnings"]),
    "draws unknown": (lambda d: _mutate(d, lambda x: x.update(draws={"Q": [1.0]})), ["draws", "Q"]),
}


def _check(exc: BaseException, words: list[str]) -> None:
    assert not isinstance(exc, RAW_ERRORS), f"raw {type(exc).__name__}: {exc}"
    assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
    for w in words:
        assert w in str(exc), (w, str(exc))


@pytest.mark.parametrize("name", list(API_CASES))
def test_python_api_bad_input_is_a_named_error(name, fitted):
    call, words = API_CASES[name]
    with pytest.raises(Exception) as e:
        call(fitted)
    _check(e.value, words)


@pytest.mark.parametrize("name", list(LOAD_CASES))
def test_load_fit_validates_the_artifact(name, fit_dict, tmp_path):
    make, words = LOAD_CASES[name]
    bad = make(fit_dict)
    with pytest.raises(Exception) as e:
        lawfit.load_fit(bad)
    _check(e.value, words)
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(Exception) as e:  # the same from a file
        lawfit.load_fit(path)
    _check(e.value, words)


def test_load_fit_refuses_pickles_and_binary(tmp_path, fitted):
    p = tmp_path / "fit.pkl"
    p.write_bytes(pickle.dumps({"format": "lawfit.FitResult/1"}))
    with pytest.raises(ValueError, match="never loads pickles"):
        lawfit.load_fit(p)
    p.write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match="not a UTF-8 JSON"):
        lawfit.load_fit(p)
    with pytest.raises(ValueError, match="no file"):
        lawfit.load_fit(tmp_path / "absent.json")
    with pytest.raises(ValueError, match="source must be"):
        lawfit.load_fit(3)
    back = lawfit.load_fit(json.loads(fitted.to_json()))  # the good artifact still loads
    assert back.params == fitted.params and back.status == fitted.status


# -- CLI -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, fit_dict):
    root = tmp_path_factory.mktemp("cli")
    good = root / "fit.json"
    good.write_text(json.dumps(fit_dict))
    (root / "fit.pkl").write_bytes(pickle.dumps(fit_dict))
    (root / "missing_param.json").write_text(json.dumps(_mutate(fit_dict, lambda x: x["params"].pop("A"))))
    return root


CLI_CASES = [
    ["schedules", "show", "wsd", "--total-steps", "-5"],
    ["schedules", "show", "{not json"],
    ["schedules", "show", '{"family": "nope"}'],
    ["schedules", "show", "nofamily"],
    ["fit", "no/such/file.csv"],
    ["fit", "mpl:25M", "--law", "nolaw"],
    ["fit", "mpl:25M", "--law", "momentum", "--option", "lam=[0.9]"],
    ["fit", "mpl:25M", "--law", "momentum", "--option", 'model_size="no"'],
    ["fit", "mpl:25M", "--law", "momentum", "--train", "nope"],
    ["fit", "mpl:25M", "--law", "momentum", "--metric", "nope"],
    ["fit", "mpl:999M"],
    ["evaluate", "{root}/fit.pkl", "mpl:25M"],
    ["evaluate", "{root}/missing_param.json", "mpl:25M"],
    ["predict", "{root}/fit.json", "--schedule", "wsd", "--steps", "1,a"],
    ["predict", "{root}/fit.json", "--schedule", "wsd", "--total-steps", "-3"],
    ["optimize", "schedule", "{root}/fit.json", "--total-steps", "0", "--warmup-steps", "0", "--peak-lr", "1e-3"],
]


@pytest.mark.parametrize("args", CLI_CASES, ids=[" ".join(a[:3]) + f" #{i}" for i, a in enumerate(CLI_CASES)])
def test_cli_bad_input_exits_2_without_traceback(args, cli_files):
    args = [a.replace("{root}", str(cli_files)) for a in args]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, (args, r.exit_code, r.output, r.exception)
    assert "Traceback" not in r.output and r.stderr.startswith("error: "), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)


def test_cli_debug_shows_the_exception():
    r = CliRunner().invoke(app, ["--debug", "schedules", "show", '{"family": "cosine", "peak_value": "x"}'])
    plain = CliRunner().invoke(app, ["schedules", "show", '{"family": "cosine", "peak_value": "x"}'])
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    assert r.exit_code != 0


# -- unusable fits never look like a success ------------------------------------------------
def _constant_lr_run():
    lr = np.full(6000, 3e-4)
    steps = np.arange(200, 6000, 100)
    s1 = np.cumsum(lr)[steps]
    y = TRUTH["L0"] + TRUTH["A"] * s1 ** -TRUTH["alpha"]
    return Run("flat", lr=lr, metrics={"loss": (steps, y)}, meta={"warmup_steps": 0})


def _rising_runs():  # loss that rises with training: no schedule law describes it
    rng = np.random.default_rng(0)
    out = []
    for r in RUNS:
        obs = r.observed()
        out.append(r.replace(metrics={"loss": (obs.steps, 2.0 + 1e-4 * obs.steps + 0.05 * rng.random(obs.steps.size))}))
    return RunSet(out)


def _one_size_chinchilla():  # one model size: A and alpha cannot be told apart from E
    D = np.geomspace(1e9, 1e11, 12)
    y = 1.7 + 400 / 1e9**0.34 + 410 / D**0.28
    return Chinchilla.table(np.full(D.size, 1e9), D, y * np.exp(np.random.default_rng(1).normal(0, 1e-3, D.size)))


UNUSABLE = {
    "momentum on one constant-LR run (C not identified)": (LAW, lambda: _constant_lr_run()),
    "momentum on rising losses (wrong law)": (LAW, _rising_runs),
    "chinchilla with one model size": (Chinchilla(), _one_size_chinchilla),
}


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_unusable_fits_carry_a_warning_and_a_non_success_status(name):
    law, data = UNUSABLE[name]
    res = lawfit.fit(law, data())
    assert res.status in ("unusable", "not_converged"), (res.status, res.warnings)
    assert not res.success and res.warnings
    assert res.status in res.report()
    with pytest.raises(FitError):
        lawfit.fit(law, data(), throw=True)


def test_a_good_fit_is_ok(fitted):
    assert fitted.status == "ok" and fitted.success and fitted.warnings == ()
    assert fitted.quality["r2"] > 0.999 and fitted.quality["issues"] == []
