"""The fit / evaluate / predict CLI: JSON out, exit codes, and an instant --help."""

import json
import subprocess
import sys
import time

import numpy as np
from typer.testing import CliRunner

import lawfit
from lawfit.cli import app
from lawfit.datasets import MPL_TRAIN, mpl_runs
from lawfit.laws import MomentumLaw

runner = CliRunner()


def test_help_and_version_are_instant_and_do_not_import_jax():
    code = (
        "import sys, time; t = time.perf_counter(); "
        "from lawfit.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); "
        "print(r.exit_code, 'jax' in sys.modules, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    exit_code, jax_loaded, seconds = out.stdout.split()
    assert exit_code == "0" and jax_loaded == "False"
    assert float(seconds) < 1.0  # --help answers in under a second
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "lawfit.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"lawfit {lawfit.__version__}"
    assert time.perf_counter() - t < 5  # includes interpreter start-up


def test_fit_evaluate_predict_round_trip(tmp_path):
    out = tmp_path / "fit.json"
    args = ["fit", "mpl:25M", "--law", "momentum", "--option", "lam=0.999",
            "--option", "warmup=mpl", "--out", str(out)]
    for rid in MPL_TRAIN:
        args += ["--train", rid]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    # the CLI fit is the library fit
    ref = lawfit.fit(MomentumLaw(lam=0.999, warmup="mpl"), mpl_runs("25M").select(MPL_TRAIN))
    for k, v in ref.params.items():
        assert abs(payload["params"][k] - v) <= 1e-6 * abs(v)
    r = runner.invoke(app, ["evaluate", str(out), "mpl:25M", "--run", "cosine_72000"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)
    direct = lawfit.evaluate(ref, mpl_runs("25M").select(["cosine_72000"]))
    assert abs(ev["mean"]["r2"] - direct["mean"]["r2"]) < 1e-9
    spec = ('{"family":"constant","peak_value":3e-4,"warmup_steps":2160,'
            '"warmup_convention":"linspace"}')
    r = runner.invoke(app, ["predict", str(out), "--schedule", spec, "--total-steps", "24000",
                            "--steps", "5000,23999"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["predictions"]
    lr = mpl_runs("25M")["constant_24000"].lr
    expect = ref.predict(lr, steps=np.array([5000, 23999]))
    np.testing.assert_allclose([row["loss"] for row in rows], expect, rtol=1e-9)


def test_bad_input_exits_2_with_one_line_error(tmp_path):
    r = runner.invoke(app, ["evaluate", str(tmp_path / "missing.json"), "mpl:25M"])
    assert r.exit_code == 2
    assert "missing.json" in r.stderr
    r = runner.invoke(app, ["fit", str(tmp_path / "nope.csv")])
    assert r.exit_code == 2 and "nope.csv" in r.stderr
    r = runner.invoke(app, ["fit", "mpl:25M", "--law", "nolaw"])
    assert r.exit_code == 2 and "nolaw" in r.stderr
