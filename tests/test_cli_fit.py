"""The fit / evaluate / predict CLI: JSON out, exit codes, and an instant --help."""

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import lawfit
from lawfit import io
from lawfit.cli import app
from lawfit.datasets import MPL_TRAIN, mpl_runs
from lawfit.laws import MomentumLaw

runner = CliRunner()


def test_help_and_version_do_not_import_jax():
    """--help / --version (of the app and of every command) never import JAX: that is what keeps
    them instant (checked without timing: timings are for benchmarks/)."""
    helps = [[], ["fit"], ["evaluate"], ["predict"], ["import"], ["train"], ["app"], ["schedules"],
             ["schedules", "show"], ["optimize"], ["optimize", "schedule"], ["optimize", "mixture"],
             ["optimize", "cpt"]]
    code = (
        "import sys, json; from lawfit.cli import app; from typer.testing import CliRunner; "
        f"codes = [CliRunner().invoke(app, a + ['--help']).exit_code for a in {helps!r}]; "
        "v = CliRunner().invoke(app, ['--version']); "
        "print(json.dumps([codes, v.exit_code, v.stdout, 'jax' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    codes, v_code, v_out, jax_loaded = json.loads(out.stdout)
    assert codes == [0] * len(helps) and v_code == 0
    assert v_out.strip() == f"lawfit {lawfit.__version__}"
    assert jax_loaded is False
    r = subprocess.run([sys.executable, "-m", "lawfit.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"lawfit {lawfit.__version__}"


def test_usage_errors_are_one_line_plus_hint_exit_2():
    """Through the console entry point, click's usage errors read like lawfit's own errors."""
    for args, word in ((["fit", "--bogus"], "--bogus"), (["optimize", "mixture", "f.json"], "--usage"),
                       (["predict", "f.json", "--schedule", "cosine", "--total-steps", "many"], "--total-steps")):
        r = subprocess.run([sys.executable, "-m", "lawfit.cli", *args], capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2, r.stderr
        assert len(lines) == 2 and lines[0].startswith("error: ") and word in lines[0], r.stderr
        assert lines[1].startswith("hint: ") and "--help" in lines[1]
        assert r.stdout == ""


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
    # the same runs as a canonical table on stdin ('-'), as a table for people
    table = tmp_path / "cos.csv"
    io.write(mpl_runs("25M").select(["cosine_72000"]), table)
    r = runner.invoke(app, ["evaluate", str(out), "-", "--format", "table"], input=table.read_text())
    assert r.exit_code == 0, r.output
    head, first, mean = r.stdout.strip().splitlines()
    assert head.split()[0] == "run_id" and first.split()[0] == "cosine_72000" and mean.split()[0] == "mean"
    r2_col = head.split().index("r2")
    assert float(mean.split()[r2_col]) == pytest.approx(direct["mean"]["r2"], rel=1e-5)
    spec = ('{"family":"constant","peak_value":3e-4,"warmup_steps":2160,'
            '"warmup_convention":"linspace"}')
    r = runner.invoke(app, ["predict", str(out), "--schedule", spec, "--total-steps", "24000",
                            "--steps", "5000,23999"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["predictions"]
    # the library's extrapolation warning reaches stderr as one readable line, not a traceback-ish one
    assert [ln for ln in r.stderr.splitlines() if "extrapolation" in ln][0].startswith("warning: ")
    lr = mpl_runs("25M")["constant_24000"].lr
    expect = ref.predict(lr, steps=np.array([5000, 23999]))
    np.testing.assert_allclose([row["loss"] for row in rows], expect, rtol=1e-9)
    r = runner.invoke(app, ["predict", str(out), "--schedule", spec, "--total-steps", "24000",
                            "--steps", "5000,23999", "--format", "table"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0].split() == ["step", "lr", "loss"] and len(lines) == 3
    assert float(lines[2].split()[2]) == pytest.approx(expect[1], rel=1e-5)


def test_bad_input_exits_2_with_one_line_error(tmp_path):
    r = runner.invoke(app, ["evaluate", str(tmp_path / "missing.json"), "mpl:25M"])
    assert r.exit_code == 2
    assert "missing.json" in r.stderr
    r = runner.invoke(app, ["fit", str(tmp_path / "nope.csv")])
    assert r.exit_code == 2 and "nope.csv" in r.stderr
    r = runner.invoke(app, ["fit", "mpl:25M", "--law", "nolaw"])
    assert r.exit_code == 2 and "nolaw" in r.stderr
