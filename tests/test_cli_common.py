"""Conventions shared by every command: progress on stderr only on a terminal (or when forced),
``--format table`` everywhere, ``-`` for stdin, one-line errors; and ``optimize schedule``."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lawfit import io
from lawfit.cli import app
from lawfit.cli._common import PROGRESS_ENV, progress
from lawfit.fitting import FitResult
from lawfit.laws import MultiPowerLaw
from lawfit.optimize import MPL_REPO_PARAMS, optimize_schedule
from lawfit.runs import Run, RunSet

runner = CliRunner()
T, W, PEAK = 2000, 200, 3e-4


def test_progress_bar_only_when_forced(monkeypatch, capsys):
    monkeypatch.setenv(PROGRESS_ENV, "never")
    with progress("train: optimizer steps", bar=True) as p:
        p(3, 10)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(PROGRESS_ENV, "auto")  # pytest's stderr is not a terminal
    with progress("train: optimizer steps", bar=True) as p:
        p(3, 10)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(PROGRESS_ENV, "always")
    with progress("train: optimizer steps", bar=True) as p:
        p(3, 10)
        p.stage("train: second batch")
        p(7, 10)
    err = capsys.readouterr().err
    assert "\x1b[" in err and "train: optimizer steps" in err  # the first frame
    assert "train: second batch" in err and "7/10" in err  # the last frame
    monkeypatch.setenv(PROGRESS_ENV, "sometimes")
    with pytest.raises(Exception) as e:  # typer.Exit(2) with a one-line error
        progress("x")
    assert getattr(e.value, "exit_code", None) == 2
    assert "LAWFIT_PROGRESS='sometimes'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def mpl_fit(tmp_path_factory):
    path = tmp_path_factory.mktemp("mpl") / "fit.json"
    FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS["400M"]).to_json(path)
    return path


def test_optimize_schedule_is_the_library_and_has_a_table(mpl_fit, tmp_path):
    args = ["optimize", "schedule", str(mpl_fit), "--total-steps", str(T), "--warmup-steps", str(W),
            "--peak-lr", str(PEAK)]
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "lr.csv")], env={PROGRESS_ENV: "always"})
    assert r.exit_code == 0, r.output
    assert f"optimize a {T}-step schedule" in r.stderr  # the forced spinner
    out = json.loads(r.stdout)
    lib = optimize_schedule(FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS["400M"]),
                            T, warmup_steps=W, peak_lr=PEAK)
    assert out["predicted_final_loss"] == pytest.approx(lib.final_loss, rel=1e-9)
    lr = np.loadtxt(tmp_path / "lr.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(lr[:, 1], lib.lr, rtol=1e-9, atol=1e-15)
    r = runner.invoke(app, [*args, "--format", "table"], env={PROGRESS_ENV: "auto"})
    assert r.exit_code == 0 and r.stderr == "" and "\x1b[" not in r.stdout
    rows = dict(line.split(None, 1) for line in r.stdout.strip().splitlines()[1:])
    assert float(rows["predicted_final_loss"]) == pytest.approx(lib.final_loss, rel=1e-5)
    assert any(k.startswith("closed_form.") for k in rows)


def test_import_from_stdin_as_table(tmp_path):
    steps = np.arange(0, 100, 10)
    run = Run("a", lr=np.full(100, 1e-3), metrics={"loss": (steps, 3.0 - 0.001 * steps)})
    path = io.write(RunSet([run]), tmp_path / "a.csv")
    r = runner.invoke(app, ["import", "-", "--out", str(tmp_path / "o.parquet"), "--format", "table"],
                      input=path.read_text())
    assert r.exit_code == 0, r.output
    head, row = r.stdout.strip().splitlines()
    assert head.split() == ["run_id", "total_steps", "lr_source", "points:loss"]
    assert row.split()[0] == "a" and row.split()[-1] == str(steps.size)
    back = io.read(tmp_path / "o.parquet")
    np.testing.assert_array_equal(back["a"].observed("loss").values, 3.0 - 0.001 * steps)


def test_errors_are_one_line_plus_hint(mpl_fit, tmp_path):
    cases = [
        (["fit", "mpl:7M"], "mpl:7M"),
        (["fit", "-"], "stdin is empty"),
        (["predict", str(mpl_fit), "--schedule", "cosine", "--steps", "1,x"], "--steps"),
        (["optimize", "schedule", str(tmp_path / "no.json"), "--total-steps", "10", "--warmup-steps", "1",
          "--peak-lr", "1e-3"], "no.json"),
        (["optimize", "cpt", str(mpl_fit), str(mpl_fit), "--pt-schedule", str(tmp_path / "none.csv"),
          "--peak-lrs", "1e-4", "--cpt-steps", "100"], "none.csv"),
    ]
    for args, word in cases:
        r = runner.invoke(app, args, input="")
        lines = r.stderr.strip().splitlines()
        assert r.exit_code == 2, (args, r.output)
        assert lines[0].startswith("error: ") and word in lines[0], r.stderr
        assert len(lines) == 2 and lines[1].startswith("hint: "), r.stderr
        assert r.stdout == ""


def test_fit_that_did_not_converge_exits_1(monkeypatch, tmp_path):
    """Exit code 1 means 'the fit did not converge': the CLI maps the library's verdict."""
    import lawfit

    def unconverged(law, runs, **kw):
        return FitResult(law=law, params=dict(MPL_REPO_PARAMS["400M"]), n_converged=0, success=False)

    monkeypatch.setattr(lawfit, "fit", unconverged)
    out = tmp_path / "fit.json"
    r = runner.invoke(app, ["fit", "mpl:25M", "--law", "mpl", "--convention", "repo", "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["converged"] == 0 and out.exists()  # the result is still written
    lines = r.stderr.strip().splitlines()
    assert lines[-2] == "error: no start of the fit converged" and lines[-1].startswith("hint: ")
