"""`lawfit schedules list/show/plot` (typer CliRunner) and lawfit.plot.schedules."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lawfit import schedules as sch
from lawfit.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_list_json_and_table():
    res = invoke("schedules", "list")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["family"] for r in rows] == sch.families()
    for r in rows:  # every example builds
        sch.from_spec({"family": r["family"], **r["example"]})
    table = invoke("schedules", "list", "--format", "table")
    assert table.exit_code == 0 and "wsd_s" in table.stdout and "family" in table.stdout


def test_show_name_spec_and_file(tmp_path):
    res = invoke("schedules", "show", "wsd")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["spec"]["family"] == "wsd" and out["total_steps"] == 1000
    spec = {"family": "cosine", "peak_value": 1.0, "total_steps": 10, "end_ratio": 0.1}
    res = invoke("schedules", "show", json.dumps(spec))
    out = json.loads(res.stdout)
    lr = sch.to_array(spec, 10)
    assert out["values"]["5"] == lr[5] and out["sum"] == pytest.approx(lr.sum())
    path = tmp_path / "s.json"
    path.write_text(json.dumps(spec))
    res = invoke("schedules", "show", str(path), "--total-steps", "20", "--format", "table")
    assert res.exit_code == 0 and "spec.family" in res.stdout and "lr[19]" in res.stdout


@pytest.mark.parametrize(
    ("arg", "words"),
    [("cosinus", "unknown schedule family"),
     ('{"family": "cosine", "peak_value": 1.0', "not valid JSON"),
     ('{"family": "cosine", "peak_value": 1.0, "total_steps": 10, "end_value": 2.0}',
      "end_value"),
     ('{"family": "constant", "peak_value": 1.0}', "--total-steps"),
     ("missing.json", "does not exist")],
)
def test_show_bad_input_exits_2(arg, words):
    res = invoke("schedules", "show", arg)
    assert res.exit_code == 2
    assert words in res.output


def test_plot_writes_html(tmp_path):
    out = tmp_path / "sched.html"
    res = invoke("schedules", "plot", "cosine", '{"family": "wsd", "peak_value": 3e-4, '
                 '"total_steps": 500, "decay_fraction": 0.2}', "--out", str(out))
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "plotly" in html.lower() and len(html) > 100_000  # plotly.js embedded
    assert json.loads(res.stdout)["out"] == str(out)


def test_plot_schedules_figure():
    from lawfit.plot import schedules as draw

    a = sch.cosine(3e-4, 300, warmup_steps=30)
    b = {"family": "rex", "peak_value": 2e-4, "total_steps": 200}
    fig = draw([a, b])
    assert [t.name for t in fig.data] == ["cosine", "rex"]
    np.testing.assert_allclose(fig.data[0].y, sch.to_array(a, 300))
    fig = draw({"x": a}, 5000, max_points=100, log_y=True)
    assert len(fig.data[0].x) <= 100 and fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="total_steps"):
        draw(sch.constant(1.0))
