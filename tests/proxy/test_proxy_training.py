"""Training behaviour: divergence handling, Schedule-Free logging, continual pre-training,
resume checks and the CLI (tiny runs, shared compiled programs)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lawfit import proxy, schedules


def test_nan_loss_stops_and_keeps_log_and_checkpoint(tmp_path, tiny):
    lr = np.full(80, 1e-3)
    lr[45:] = 1e9  # blows up after the checkpoint at step 40
    cfg = proxy.RunConfig("boom", steps=80, schedule=lr, checkpoint_every=20, **tiny)
    with pytest.raises(proxy.TrainingDiverged, match=r"run 'boom': loss is not finite at step (\d+)") as e:
        proxy.train(cfg, tmp_path)
    res = e.value.results[0]
    s = res["diverged_step"]
    assert 45 < s <= 60 and str(s) in str(e.value)
    assert res["last_checkpoint_step"] == 40
    run = proxy.read_run_dir(tmp_path / "boom")
    assert run.observed("loss").steps.tolist() == list(range(s))
    assert np.all(np.isfinite(run.observed("loss").values))
    meta = json.loads((tmp_path / "boom" / "meta.json").read_text())
    assert meta["status"] == "diverged" and meta["diverged_step"] == s
    with np.load(tmp_path / "boom" / "checkpoint.npz", allow_pickle=False) as z:
        assert int(z["step"]) == 40


def test_existing_run_is_not_overwritten_and_resume_checks_config(tmp_path, tiny):
    cfg = proxy.RunConfig("r", steps=20, schedule=schedules.constant(1e-3), **tiny)
    proxy.train(cfg, tmp_path)
    before = (tmp_path / "r" / "log.jsonl").read_text()
    with pytest.raises(ValueError, match="already exists"):
        proxy.train(cfg, tmp_path)
    with pytest.raises(ValueError, match=r"cannot resume run 'r'.*batch_size: logged 4 vs given 8"):
        proxy.train(cfg.replace(batch_size=8), tmp_path, resume=True)
    with pytest.raises(ValueError, match="peak_value"):
        proxy.train(cfg.replace(schedule=schedules.constant(2e-3)), tmp_path, resume=True)
    assert (tmp_path / "r" / "log.jsonl").read_text() == before
    # resuming a finished run changes nothing
    proxy.train(cfg, tmp_path, resume=True)
    assert (tmp_path / "r" / "log.jsonl").read_text() == before


def test_schedule_free_logs_train_loss_at_y_and_val_loss_at_x(tmp_path, tiny):
    cfg = proxy.RunConfig("sf", steps=60, schedule=schedules.constant(5e-3, warmup_steps=10),
                          optimizer=proxy.OptimizerConfig(name="schedule_free_adamw", b1=0.9), **tiny)
    proxy.train(cfg, tmp_path)
    run = proxy.read_run_dir(tmp_path / "sf")
    assert {"train_loss_y", "val_loss", "val_loss_y"} <= set(run.metric_names)
    assert "loss" not in run.metric_names and run.meta["eval_metric"] == "val_loss"
    x, y = run.observed("val_loss").values, run.observed("val_loss_y").values
    assert np.all(np.abs(x - y) > 1e-4)  # the two evaluation points differ
    assert x[-1] < x[0]


def test_continual_pretraining_logs_both_domains(tmp_path, tiny):
    T_pt, T_cpt = 60, 40
    pt = proxy.RunConfig("pt", steps=T_pt, domains=("stdlib", "hmm"), mixture=(1.0, 0.0),
                         schedule=schedules.cosine(1e-2, T_pt, end_ratio=0.1, warmup_steps=10), **tiny)
    cont = proxy.RunConfig("cpt", steps=T_cpt, domains=("stdlib", "hmm"), mixture=(0.25, 0.75),
                           schedule=schedules.cosine(5e-3, T_cpt, end_ratio=0.1, warmup_steps=10),
                           seed=1, **tiny)
    out = proxy.cpt(pt, cont, tmp_path)
    assert out["continual"][0]["status"] == "completed"
    runs = proxy.read_runs(tmp_path)
    p, c = runs["pt"], runs["cpt"]
    for r in (p, c):
        assert {"val_loss/stdlib", "val_loss/hmm"} <= set(r.metric_names)
    assert c.meta["phase"] == "cpt" and c.meta["cpt_start_step"] == T_pt
    assert c.meta["mixture"] == {"stdlib": 0.25, "hmm": 0.75} and c.meta["pt_run"] == "pt"
    assert c.meta["replay_ratio"] == 0.25 and c.meta["pt_domains"] == ["stdlib"]
    np.testing.assert_array_equal(c.lr[:T_pt], p.lr)
    assert c.total_steps == T_pt + T_cpt
    steps = c.observed("val_loss/hmm").steps
    assert steps.min() >= T_pt and steps.max() == T_pt + T_cpt - 1
    # the new domain improves in CPT, the pre-training domain is not what is trained on
    hmm_pt_end = p.observed("val_loss/hmm").values[-1]
    hmm_cpt_end = c.observed("val_loss/hmm").values[-1]
    assert hmm_cpt_end < hmm_pt_end - 0.1
    # CPT starts from the pre-trained model: its first losses are near the PT end, not at init
    assert c.observed("val_loss/stdlib").values[0] < p.observed("val_loss/stdlib").values[0]


def test_cli_train_flags_and_sweep_file(tmp_path, tiny):
    from lawfit.cli import app

    runner = CliRunner()
    spec = json.dumps(schedules.constant(3e-3).spec)
    args = ["train", "--out", str(tmp_path), "--run-id", "cli", "--steps", "20", "--schedule", spec,
            "--width", "32", "--depth", "2", "--heads", "2", "--context", "32", "--batch-size", "4",
            "--eval-every", "20"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["run_id"] == "cli" and summary["status"] == "completed"
    sweep = {"defaults": {"steps": 20, "eval_every": 20, "batch_size": 4, "val_sequences": 128,
                          "model": tiny["model"].to_dict()},
             "runs": [{"run_id": f"s{i}", "schedule": schedules.constant(1e-3 * (i + 1)).spec, "seed": i}
                      for i in range(2)]}
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    r = runner.invoke(app, ["train", str(tmp_path / "sweep.json"), "--out", str(tmp_path / "sw")])
    assert r.exit_code == 0, r.output
    assert [x["run_id"] for x in json.loads(r.stdout)] == ["s0", "s1"]
    assert proxy.read_runs(tmp_path / "sw").ids == ("s0", "s1")
    r = runner.invoke(app, args[:-2] + ["--heads", "3"])
    assert r.exit_code == 2 and "heads=3 does not divide" in r.output
