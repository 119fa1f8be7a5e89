"""``lawfit import``: JSON summary on stdout, one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
from iofixtures import write_mpl_csv
from typer.testing import CliRunner

from lawfit import io
from lawfit.cli import app


def test_import_writes_table_and_prints_summary(tmp_path):
    steps, lr, loss = write_mpl_csv(tmp_path / "a.csv")
    write_mpl_csv(tmp_path / "b.csv", seed=1)
    out = tmp_path / "runs.parquet"
    res = CliRunner().invoke(
        app, ["import", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["runs"] == 2 and summary["points"] == 2 * steps.size
    assert summary["per_run"][0]["lr_source"] == "logged"
    back = io.read(out)
    np.testing.assert_array_equal(back["a"].observed("loss").values, loss)


def test_import_bad_input_exits_2_with_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text("step,lr,loss\n0,1e-3,3.0\n1,1e-3,oops\n")
    res = CliRunner().invoke(
        app, ["import", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "o.csv")]
    )
    assert res.exit_code == 2
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and "bad.csv:3" in err[0] and "'loss'" in err[0] and "oops" in err[0]
    assert not (tmp_path / "o.csv").exists()


def test_import_with_schedule_spec(tmp_path):
    from lawfit import schedules as sch

    (tmp_path / "x.csv").write_text("step,loss\n0,3.0\n9,2.0\n")
    spec = sch.to_spec(sch.cosine(peak_value=1e-3, total_steps=10, warmup_steps=2))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    res = CliRunner().invoke(
        app,
        [
            "import",
            str(tmp_path / "x.csv"),
            "--out",
            str(tmp_path / "o.csv"),
            "--schedule",
            f"@{tmp_path / 'spec.json'}",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["per_run"][0]["lr_source"] == "spec"
