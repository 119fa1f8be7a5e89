"""``lawfit validate``: bad options are one readable error (exit 2, nothing overwritten), and the
options reach ``validate_schedules`` (the workflow itself is tested in tests/optimize)."""

import json

from typer.testing import CliRunner

import lawfit.optimize
from lawfit.cli import app
from lawfit.optimize import summarize_validation

runner = CliRunner()


def test_bad_seeds_and_existing_result_are_readable_errors(tmp_path):
    r = runner.invoke(app, ["validate", "--seeds", "0,x", "--out", str(tmp_path / "a")])
    assert r.exit_code == 2 and "--seeds '0,x' is not a comma-separated list" in r.output
    (tmp_path / "validation.json").write_text("{}")
    r = runner.invoke(app, ["validate", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "already holds a validation" in r.output
    assert (tmp_path / "validation.json").read_text() == "{}"
    r = runner.invoke(app, ["validate", "--seeds", "1", "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "seeds must be >= 2 distinct integers" in r.output


def test_options_reach_validate_schedules(tmp_path, monkeypatch):
    seen = {}

    def fake(total_steps, **kw):
        seen.update(kw, total_steps=total_steps)
        return summarize_validation({"cosine": 3.1, "wsd": 3.0}, {"cosine": [3.1, 3.2],
                                    "wsd": [3.0, 3.1]}, candidates=(), seeds=kw["seeds"],
                                    lr={"cosine": [1.0], "wsd": [1.0]})

    monkeypatch.setattr(lawfit.optimize, "validate_schedules", fake)
    r = runner.invoke(app, ["validate", "--steps", "120", "--peak-lr", "0.01", "--seeds", "3,4,5",
                            "--width", "32", "--depth", "1", "--heads", "2", "--context", "16",
                            "--batch-size", "4", "--eval-every", "10", "--uba-phi", "1.5",
                            "--optimizer", "schedule_free_sgd", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert seen["total_steps"] == 120 and seen["peak_lr"] == 0.01 and seen["warmup_steps"] == 12
    assert seen["seeds"] == (3, 4, 5) and seen["uba_phi"] == 1.5
    base = seen["base"]
    assert (base.model.width, base.model.depth, base.model.context) == (32, 1, 16)
    assert base.batch_size == 4 and base.eval_every == 10
    assert base.optimizer.name == "schedule_free_sgd"
    out = json.loads(r.stdout)
    assert out["seeds"] == [3, 4, 5] and "lr" not in out and out["kendall_tau"] == 1.0
