"""Every reader on realistic fixtures the tests write themselves, against the values written."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from iofixtures import (
    loss_curve,
    lr_cosine,
    megatron_lines,
    write_mlruns,
    write_mpl_csv,
    write_tb_events,
    write_trainer_state,
    write_wandb_csv,
)

from lawfit import io


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f).encode())
        h.update(f.read_bytes())
        h.update(str(f.stat().st_mtime_ns).encode())
    return h.hexdigest()


def read_unchanged(path, *args, **kw):
    """io.read, asserting the source is byte-identical (and not even touched) afterwards."""
    before = tree_hash(Path(path))
    out = io.read(path, *args, **kw)
    assert tree_hash(Path(path)) == before
    return out


# -- CSV / MPL style -------------------------------------------------------------------------------


def test_mpl_style_csv_every_step_is_logged_lr(tmp_path):
    steps, lr, loss = write_mpl_csv(tmp_path / "cosine_200.csv")
    rs = read_unchanged(tmp_path / "cosine_200.csv")
    run = rs["cosine_200"]
    assert run.lr_source == "logged"
    np.testing.assert_array_equal(run.lr, lr)
    np.testing.assert_array_equal(run.observed("loss").steps, steps)
    np.testing.assert_array_equal(run.observed("loss").values, loss)  # bit-exact


def test_mpl_style_sparse_lr_linear_rebuild_matches_schedules_tabulated(tmp_path):
    from lawfit import schedules as sch

    steps, lr, loss = write_mpl_csv(tmp_path / "r.csv", total=201, every=25)
    run = read_unchanged(tmp_path / "r.csv")["r"]
    assert run.lr_source == "tabulated:linear"
    assert run.meta["lr_logged_points"] == steps.size
    np.testing.assert_array_equal(run.lr[steps], lr[steps])  # exact at the logged steps
    ref = np.interp(np.arange(201.0), steps.astype(float), lr[steps])  # independent reference
    np.testing.assert_allclose(run.lr, ref, rtol=0, atol=1e-18)
    ref2 = sch.to_array(sch.tabulated(steps, lr[steps]), 201)
    np.testing.assert_allclose(run.lr, ref2, rtol=1e-14, atol=1e-20)
    prev = io.read(tmp_path / "r.csv", lr_interpolation="previous")["r"]
    ref3 = sch.to_array(sch.tabulated(steps, lr[steps], kind="previous"), 201)
    np.testing.assert_array_equal(prev.lr, ref3)
    assert prev.lr_source == "tabulated:previous"


def test_sparse_lr_starting_late_needs_a_choice(tmp_path):
    write_mpl_csv(tmp_path / "late.csv", total=200, every=1)
    text = (tmp_path / "late.csv").read_text().splitlines()
    (tmp_path / "late.csv").write_text("\n".join([text[0]] + text[51:]) + "\n")  # from step 50
    with pytest.raises(io.MissingLRError, match=r"late\.csv.*steps 0\.\.49.*schedule="):
        io.read(tmp_path / "late.csv", lr_extrapolate="error")
    # default: inferred (the cosine falls; no peak known: the first value held), said and recorded
    with pytest.warns(io.InferenceWarning, match=r"late\.csv.*steps 0\.\.49"):
        auto = io.read(tmp_path / "late.csv")["late"]
    assert auto.meta["inferred"][0]["what"] == "the LR at steps 0..49"
    assert np.all(auto.lr[:50] == auto.lr[50]) and auto.meta["lr_extrapolated"] == [[0, 49]]
    held = io.read(tmp_path / "late.csv", lr_extrapolate="hold")["late"]
    assert held.meta["lr_extrapolated"] == [[0, 49]]
    assert np.all(held.lr[:50] == held.lr[50])
    spec = {"family": "constant", "value": 1e-3}
    try:
        from lawfit import schedules as sch

        sch.from_spec(spec)
    except Exception:  # noqa: BLE001
        spec = sch.to_spec(sch.constant(1e-3))
    with pytest.raises(io.ImportError, match="schedule spec gives"):
        io.read(tmp_path / "late.csv", schedule=spec)  # disagrees with the logged cosine
    ok = io.read(tmp_path / "late.csv", schedule=spec, check_schedule=False)["late"]
    assert ok.lr_source == "spec" and ok.meta["schedule"] == spec
    np.testing.assert_array_equal(ok.lr, np.full(200, 1e-3))
    none = io.read(tmp_path / "late.csv", require_lr=False)["late"]
    assert none.lr is None and none.lr_source == "none" and "lr_logged" in none.metrics


def test_no_lr_at_all_requires_a_spec(tmp_path):
    (tmp_path / "x.csv").write_text("step,loss\n0,3.0\n10,2.5\n")
    with pytest.raises(io.MissingLRError, match=r"x\.csv.*no learning rate.*schedule="):
        io.read(tmp_path / "x.csv", require_lr=True)
    with pytest.warns(io.InferenceWarning, match=r"x\.csv.*no LR"):
        default = io.read(tmp_path / "x.csv")["x"]
    assert default.lr is None and "schedule=" in default.meta["lr_unavailable"]
    assert io.read(tmp_path / "x.csv", require_lr=False)["x"].lr is None
    from lawfit import schedules as sch

    spec = sch.to_spec(sch.cosine(peak_value=1e-3, total_steps=11, warmup_steps=2))
    run = io.read(tmp_path / "x.csv", schedule=spec)["x"]
    np.testing.assert_allclose(run.lr, sch.to_array(sch.from_spec(spec), 11))
    assert run.lr_source == "spec"


def test_long_csv_with_run_column_and_lr_column(tmp_path):
    rows = ["run,step,metric,value,lr"]
    lr = lr_cosine(5)
    for r in ("a", "b"):
        for s in range(5):
            rows.append(f"{r},{s},loss,{3 - s / 10!r},{float(lr[s])!r}")
            if s % 2 == 0:
                rows.append(f"{r},{s},val_loss,{3.1 - s / 10!r},{float(lr[s])!r}")
    (tmp_path / "long.csv").write_text("\n".join(rows) + "\n")
    rs = read_unchanged(tmp_path / "long.csv")
    assert rs.ids == ("a", "b")
    np.testing.assert_array_equal(rs["b"].lr, lr)
    assert rs["a"].observed("val_loss").steps.tolist() == [0, 2, 4]


def test_folder_of_mpl_csvs_with_clashing_stems(tmp_path):
    for size in ("25", "100"):
        (tmp_path / f"csv_{size}").mkdir()
        write_mpl_csv(tmp_path / f"csv_{size}" / "cosine.csv", seed=int(size))
    rs = read_unchanged(tmp_path)
    assert set(rs.ids) == {"csv_25/cosine", "csv_100/cosine"}


def test_shared_mpl_folder_with_exact_specs(tmp_path):
    from lawfit import schedules as sch
    from lawfit.datasets import mpl_runs

    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "mpl" / "curves" / "csv_400"
    if not folder.exists():
        pytest.skip(f"{folder} is not available on this machine")
    rs = read_unchanged(
        folder,
        schedule=lambda rid: sch.mpl_spec(rid),
        total_steps=lambda rid: sch.mpl_total_steps(rid),
    )
    ref = mpl_runs("400M")
    for run in ref:
        got = rs[run.run_id]
        np.testing.assert_allclose(got.lr, run.lr, rtol=1e-12, atol=1e-18)
        np.testing.assert_array_equal(got.observed("loss").values, run.observed("loss").values)


# -- W&B ---------------------------------------------------------------------------------------------


def test_wandb_csv_export(tmp_path):
    truth = write_wandb_csv(tmp_path / "export.csv")
    rs = read_unchanged(tmp_path / "export.csv", require_lr=False)
    assert set(rs.ids) == set(truth)
    for rid, (steps, values) in truth.items():
        run = rs[rid]
        assert run.meta["possibly_downsampled"] is True
        assert run.meta["aliases"] == {"loss": "train/loss"}
        np.testing.assert_array_equal(run.observed("loss").steps, steps)
        np.testing.assert_array_equal(run.observed("loss").values, values)
        assert not any("__MIN" in m or "__MAX" in m for m in run.metrics)


def test_wandb_csv_ambiguous_split_resolved_by_metrics(tmp_path):
    (tmp_path / "e.csv").write_text('Step,"run - loss - smooth"\n1,2.0\n')
    assert io.read(tmp_path / "e.csv", require_lr=False).ids == ("run - loss",)
    rs = io.read(tmp_path / "e.csv", require_lr=False, metrics=["loss - smooth"])
    assert rs.ids == ("run",) and "loss - smooth" in rs["run"].metrics


class _FakeRun:
    def __init__(self, rows, summary, name="fake-run-1"):
        self._rows, self.summary, self.name, self.id = rows, summary, name, "abc123"
        self.config = {"lr": 3e-4, "obj": object()}
        self.calls = []

    def history(self, *a, **k):  # the sampled API must never be used
        raise AssertionError("history() is sampled; importers must use scan_history")

    def scan_history(self, keys=None, page_size=1000, min_step=None, max_step=None):
        self.calls.append(tuple(keys or ()))
        for row in self._rows:  # W&B semantics: only rows holding every requested key
            if keys is None or all(k in row for k in keys):
                yield dict(row)


class _FakeApi:
    def __init__(self, runs):
        self.runs = runs

    def run(self, path):
        return self.runs[path]


def test_wandb_api_full_resolution_per_key():
    rows = []
    for s in range(100):
        row = {"_step": s, "train/loss": 4 - s / 100, "train/learning_rate": 1e-3}
        if s % 25 == 24:
            row["eval/loss"] = 4.1 - s / 100
        rows.append(row)
    fake = _FakeRun(
        rows, {"_step": 99, "train/loss": 3.01, "eval/loss": 3.12, "train/learning_rate": 1e-3}
    )
    rs = io.read(["ent/proj/abc123"], format="wandb-api", api=_FakeApi({"ent/proj/abc123": fake}))
    run = rs["fake-run-1"]
    assert run.observed("loss").steps.size == 100  # not the 4 rows that also hold eval/loss
    assert run.observed("val_loss").steps.tolist() == [24, 49, 74, 99]
    assert run.lr_source == "logged" and run.lr.size == 100
    assert all(len(c) == 2 and c[1] == "_step" for c in fake.calls)  # one key per call


def test_wandb_api_empty_history_with_progress_is_an_error():
    fake = _FakeRun([], {"_step": 500, "train/loss": 2.0})
    with pytest.raises(io.ImportError, match="0.27"):
        io.read(["e/p/r"], format="wandb-api", api=_FakeApi({"e/p/r": fake}))


def test_wandb_api_without_package_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake_import(name, *a, **k):
        if name == "wandb":
            raise ImportError("no wandb")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(io.MissingExtraError, match=r"lawfit\[wandb\]"):
        io.read(["e/p/r"], format="wandb-api")


# -- TensorBoard -------------------------------------------------------------------------------------


def test_tensorboard_keeps_every_scalar_including_tensor_scalars(tmp_path):
    steps, loss, lr = write_tb_events(tmp_path / "tb" / "run1", n=12_000)
    rs = read_unchanged(tmp_path / "tb")
    run = rs["run1"]
    assert run.observed("loss").steps.size == 12_000  # > the 10,000-point reservoir
    np.testing.assert_array_equal(run.observed("loss").values, loss)
    np.testing.assert_array_equal(run.lr, lr)  # new-style float64 tensor scalars, exact
    assert run.lr_source == "logged"
    assert run.meta["tensorboard_value_kinds"] == {
        "lm loss": "simple_value",
        "learning-rate": "tensor",
    }
    assert run.meta["aliases"] == {"loss": "lm loss", "lr": "learning-rate"}


def test_tensorboard_truncated_last_record_is_reported(tmp_path):
    write_tb_events(tmp_path / "r", n=50)
    f = next((tmp_path / "r").glob("*tfevents*"))
    f.write_bytes(f.read_bytes()[:-7])
    run = io.read(tmp_path / "r", require_lr=False)["r"]
    assert run.meta["truncated_event_files"] == [f.name]
    assert run.observed("loss").steps.size == 49


# -- Hugging Face ------------------------------------------------------------------------------------


def test_hf_trainer_state_train_and_eval_apart(tmp_path):
    ckpt = tmp_path / "checkpoint-50"
    ckpt.mkdir()
    hist = write_trainer_state(ckpt / "trainer_state.json")
    rs = read_unchanged(ckpt, lr_extrapolate="hold")
    run = rs["checkpoint-50"]
    train = [h for h in hist if "loss" in h]
    evals = [h for h in hist if "eval_loss" in h]
    assert run.observed("loss").steps.tolist() == [h["step"] for h in train]
    assert run.observed("loss").values.tolist() == [h["loss"] for h in train]
    assert run.observed("val_loss").values.tolist() == [h["eval_loss"] for h in evals]
    assert "train_loss" not in run.metrics  # the final summary is not a curve point
    assert run.meta["train_summary"]["train_loss"] == 3.3
    assert run.meta["logging_steps"] == 5
    np.testing.assert_array_equal(
        run.lr[[h["step"] for h in train]], [h["learning_rate"] for h in train]
    )
    assert "eval_epoch" in run.metrics and run.meta["lr_extrapolated"] == [[0, 4]]


# -- MLflow ------------------------------------------------------------------------------------------


def test_mlflow_file_store(tmp_path):
    truth = write_mlruns(tmp_path)
    rs = read_unchanged(tmp_path / "mlruns")
    assert set(rs.ids) == set(truth)
    for name, (_steps, loss, lr) in truth.items():
        run = rs[name]
        np.testing.assert_array_equal(run.observed("loss").values, loss)  # key "train/loss"
        np.testing.assert_array_equal(run.lr, lr)
        assert run.meta["params"] == {"peak_lr": "0.0003"}
        assert run.meta["tags"] == {"team": "pretrain"}


def test_mlflow_old_lines_without_step_default_to_zero(tmp_path):
    write_mlruns(tmp_path, n_steps=3)
    f = next((tmp_path / "mlruns").rglob("metrics/train/loss"))
    f.write_text("1700000000000 2.5\n")
    rs = io.read(tmp_path / "mlruns", require_lr=False)
    assert any(r.observed("loss").steps.tolist() == [0] for r in rs)


def test_mlflow_client_with_fake_client():
    class M:
        def __init__(self, step, value):
            self.step, self.value, self.key, self.timestamp = step, value, "k", 0

    class Data:
        metrics = {"loss": 2.0, "lr": 1e-3}
        params = {"bs": "8"}
        tags = {"mlflow.runName": "srv-run"}

    class Client:
        def get_run(self, rid):
            return type("R", (), {"data": Data})()

        def get_metric_history(self, rid, key):
            return [M(s, (3.0 - s / 10) if key == "loss" else 1e-3) for s in range(5)]

    rs = io.read(["r1"], format="mlflow-client", api=Client())
    assert rs["srv-run"].observed("loss").steps.tolist() == [0, 1, 2, 3, 4]
    assert rs["srv-run"].lr_source == "logged"


# -- text logs ---------------------------------------------------------------------------------------


def test_megatron_stdout(tmp_path):
    text, truth = megatron_lines()
    (tmp_path / "train.log").write_text(text)
    run = read_unchanged(tmp_path / "train.log", lr_extrapolate="hold")["train"]
    # iteration N of T is lawfit step N - 1; the run has the declared T = 40 steps (not 41)
    assert run.observed("loss").steps.tolist() == [s - 1 for s, _, _ in truth]
    assert run.observed("loss").values.tolist() == [v for _, _, v in truth]
    assert run.lr[[s - 1 for s, _, _ in truth]].tolist() == [lr for _, lr, _ in truth]
    assert run.total_steps == 40 and run.lr.size == 40
    assert run.meta["declared_total_steps"] == 40 and run.meta["step_offset"] == -1
    assert run.observed("val_loss").steps.tolist() == [19, 39]
    assert run.meta["text_log"] == "megatron"


def test_megatron_restart_is_resolved_and_reported(tmp_path):
    text, _ = megatron_lines(restart_at=20)
    (tmp_path / "r.log").write_text(text)
    # strict: the step going back is named with its line (the 8th iteration line is line 12)
    with pytest.raises(io.ParseError, match=r"r\.log:\d+: column .*goes back from 39 to 29"):
        io.read(tmp_path / "r.log", lr_extrapolate="hold", duplicates="error")
    run = io.read(tmp_path / "r.log", lr_extrapolate="hold", duplicates="last")["r"]
    assert run.meta["duplicates"]["policy"] == "last"
    assert run.observed("loss").steps.tolist() == [9, 19, 29, 39]
    # an identical re-log merges without loss; a restart with other values is a resumed run:
    # the restarted values win, a warning says so
    same = io.read(tmp_path / "r.log", lr_extrapolate="hold")["r"]
    assert same.meta["duplicates"]["loss"]["identical_merged"] == 2
    lines = text.splitlines()
    seen = set()
    for i, line in enumerate(lines):
        if "iteration" in line and "/" in line:
            it = line.split("iteration")[1].split("/")[0].strip()
            if it in seen:  # the re-logged iterations get another loss
                lines[i] = line.replace("lm loss: ", "lm loss: 9")
            seen.add(it)
    (tmp_path / "r.log").write_text("\n".join(lines) + "\n")
    with pytest.warns(io.InferenceWarning, match=r"r\.log.*resumed run"):
        auto = io.read(tmp_path / "r.log", lr_extrapolate="hold")["r"]
    assert auto.observed("loss").steps.tolist() == [9, 19, 29, 39]
    assert auto.observed("loss").values[2] > 90 and auto.observed("loss").values[1] < 90
    rep = auto.meta["duplicates"]["loss"]
    assert rep["restarts"][0]["step"] == 29 and rep["superseded"] == 2
    assert "iteration       30/" in lines[rep["restarts"][0]["line"] - 1]


def test_other_text_logs(tmp_path):
    (tmp_path / "titan.log").write_text(
        "\x1b[31mstep:  1  \x1b[32mloss: 10.8765  \x1b[33mgrad_norm:  3.1400  "
        "memory: 12.30GiB(15.6%)  tps: 1,234  tflops: 12.3  mfu: 4.5%\x1b[39m\n"
        "step:  2  loss: 9.5  grad_norm:  2.1  memory: 12.30GiB(15.6%)  tps: 1,300\n"
        "some warning line\n"
    )
    t = io.read(tmp_path / "titan.log", require_lr=False)["titan"]
    assert t.observed("loss").values.tolist() == [10.8765, 9.5]
    assert t.observed("tps").values.tolist() == [1234.0, 1300.0]
    (tmp_path / "gpt.txt").write_text(
        "step 0: train loss 10.9, val loss 10.95\niter 0: loss 10.9000, time 123.45ms, mfu -100.00%\n"
        "iter 1: loss 10.5000, time 100.00ms, mfu 30.00%\nstep 2: train loss 9.9, val loss 9.95\n"
    )
    g = io.read(tmp_path / "gpt.txt", require_lr=False)["gpt"]
    assert g.observed("loss").steps.tolist() == [0, 1]
    assert g.observed("val_loss").values.tolist() == [10.95, 9.95]
    (tmp_path / "nt.log").write_text(
        "[INFO] iteration: 1 / 10 | consumed_tokens: 4.1K | elapsed_time_per_iteration_ms: 8.51K"
        " | tokens_per_sec: 481 | global_batch_size: 8 | lm_loss: 10.8 | lr: 0.0003 | "
        "model_tflops_per_gpu: 1.2 | grad_norm: 0.5\n"
    )
    n = io.read(tmp_path / "nt.log", lr_extrapolate="hold", total_steps=2)["nt"]
    assert n.observed("loss").values.tolist() == [10.8]
    assert n.lr.tolist() == [3e-4, 3e-4]
    assert n.observed("consumed_tokens").values.tolist() == [4100.0]


# -- proxy run directories ---------------------------------------------------------------------------


def test_proxy_dir_generic_long_jsonl_with_partial_last_line(tmp_path, monkeypatch):
    d = tmp_path / "runs" / "const"
    d.mkdir(parents=True)
    (d / "meta.json").write_text(json.dumps({"run_id": "const", "N": 1000}))
    lines = [
        json.dumps({"step": s, "metric": m, "value": v, "lr": 1e-3})
        for s in range(4)
        for m, v in (("loss", 3.0 - s / 10), ("val_loss", 3.2))
    ]
    (d / "log.jsonl").write_text("\n".join(lines) + '\n{"step": 4, "met')
    import lawfit.io._read as r

    monkeypatch.setattr(r, "_proxy_reader", lambda: None)  # the generic JSONL path
    rs = read_unchanged(tmp_path / "runs")
    run = rs["const"]
    assert run.meta["partial_last_line_dropped"] is True and run.meta["N"] == 1000
    assert run.observed("val_loss").steps.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(run.lr, np.full(4, 1e-3))


# -- safety, aliases, surgery, units -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".pt", ".joblib", ".npy"])
def test_pickles_are_refused_with_a_safe_alternative(tmp_path, suffix):
    p = tmp_path / f"runs{suffix}"

    class Boom:
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())

    p.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(io.UnsafeFormatError, match=r"runs\..*to_parquet"):
        io.read(p)
    assert not (tmp_path / "pwned").exists()


def test_alias_override_and_opt_out(tmp_path):
    (tmp_path / "a.csv").write_text("step,my_lr,objective\n0,1e-3,3.0\n1,1e-3,2.9\n")
    run = io.read(tmp_path / "a.csv", aliases={"lr": ["my_lr"], "loss": ["objective"]})["a"]
    assert run.lr_source == "logged" and run.observed("loss").values.tolist() == [3.0, 2.9]
    assert run.meta["aliases"] == {"lr": "my_lr", "loss": "objective"}
    (tmp_path / "b.csv").write_text("step,lr,train/loss\n0,1e-3,3.0\n")
    kept = io.read(tmp_path / "b.csv", aliases=False, require_lr=False)["b"]
    assert set(kept.metrics) == {"lr", "train/loss"} and kept.lr is None


def test_resume_policies_against_hand_computed(tmp_path):
    # steps 0..3 logged, crash, resume from step 2 (steps 2, 3 logged again), continue to 5
    (tmp_path / "res.csv").write_text(
        "step,lr,loss\n0,1,4.0\n1,1,3.0\n2,1,2.5\n3,1,2.25\n2,1,2.75\n3,1,2.0\n4,1,1.5\n5,1,1.0\n"
    )
    expect = {
        "last": [4.0, 3.0, 2.75, 2.0, 1.5, 1.0],
        "first": [4.0, 3.0, 2.5, 2.25, 1.5, 1.0],
        "mean": [4.0, 3.0, 2.625, 2.125, 1.5, 1.0],
    }
    for policy, values in expect.items():
        run = io.read(tmp_path / "res.csv", duplicates=policy)["res"]
        assert run.observed("loss").values.tolist() == values
        assert run.meta["duplicates"]["merged_steps"] == {"loss": 2, "lr": 2}
        assert run.meta["duplicates"]["policy"] == policy
    # strict: no silent re-sort; the line of the first step going back is named
    with pytest.raises(io.ParseError, match=r"res\.csv:6: column .*from 3 to 2"):
        io.read(tmp_path / "res.csv", duplicates="error")
    # default: a resumed run, the restarted segment supersedes steps >= 2 of the first one
    with pytest.warns(io.InferenceWarning, match="resumed run"):
        auto = io.read(tmp_path / "res.csv")["res"]
    assert auto.observed("loss").values.tolist() == expect["last"]
    assert auto.meta["duplicates"]["loss"]["restarts"] == [
        {"line": 6, "step": 2, "after_step": 3, "superseded": 2}
    ]
    assert auto.meta["duplicates"]["lr"]["identical_merged"] == 2  # same LR re-logged: no loss


def test_join_branch_wsd_cooldown():
    from lawfit.runs import Run

    base = Run(
        "stable",
        lr=np.full(100, 1e-3),
        metrics={"loss": (np.arange(0, 100, 10), np.linspace(4, 3, 10))},
        meta={"N": 5},
    )
    cool_lr = np.r_[np.full(80, 1e-3), np.linspace(1e-3, 1e-5, 40)]
    cool = Run("cool", lr=cool_lr, metrics={"loss": (np.arange(80, 120, 10), [3.0, 2.9, 2.8, 2.7])})
    j = io.join_branch(base, cool, at_step=80)
    assert j.run_id == "stable+cool" and j.lr.size == 120
    np.testing.assert_array_equal(j.lr[:80], base.lr[:80])
    np.testing.assert_array_equal(j.lr[80:], cool_lr[80:])
    assert j.observed("loss").steps.tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]
    assert j.meta["joined"]["base_points_after"] == 2 and j.meta["N"] == 5
    early = Run("c2", lr=cool_lr, metrics={"loss": ([70, 90], [3.0, 2.9])})
    with pytest.raises(ValueError, match="before at_step=80"):
        io.join_branch(base, early, at_step=80)


def test_step_unit_conversion(tmp_path):
    (tmp_path / "tok.csv").write_text("step,lr,loss\n0,1,3\n1024,1,2\n2048,1,1\n")
    run = io.read(
        tmp_path / "tok.csv", step_unit="tokens", tokens_per_step=1024, lr_interpolation="previous"
    )["tok"]
    assert run.observed("loss").steps.tolist() == [0, 1, 2] and run.meta["step_unit"] == "tokens"
    with pytest.raises(io.ImportError, match="not a whole number of steps"):
        io.read(tmp_path / "tok.csv", step_unit="tokens", tokens_per_step=1000)


def test_curve_of_known_law_survives_import(tmp_path):
    """A loss curve from a known formula, written as JSONL, comes back to 1 ulp."""
    steps = np.arange(0, 300, 3)
    loss = loss_curve(steps, seed=3)
    lines = [
        json.dumps({"step": int(s), "loss": float(v), "lr": 1e-3})
        for s, v in zip(steps, loss, strict=False)
    ]
    (tmp_path / "k.jsonl").write_text("\n".join(lines) + "\n")
    run = io.read(tmp_path / "k.jsonl", lr_interpolation="previous")["k"]
    np.testing.assert_array_equal(run.observed("loss").values, loss)


def test_proxy_dir_delegates_to_lawfit_proxy(tmp_path, monkeypatch):
    from lawfit.runs import Run

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text("{}")
        (tmp_path / name / "log.jsonl").write_text("")
    seen = []

    def fake(d):
        seen.append(Path(d).name)
        return Run(Path(d).name, lr=np.ones(2), metrics={"loss": ([1], [2.0])})

    import lawfit.io._read as r

    monkeypatch.setattr(r, "_proxy_reader", lambda: fake)
    assert io.detect_format(tmp_path) == "proxy"
    assert io.read(tmp_path).ids == ("a", "b") and seen == ["a", "b"]


def test_real_proxy_run_dir_round_trips_through_io(tmp_path):
    proxy_log = pytest.importorskip("lawfit.proxy._log")
    d = tmp_path / "runs" / "p1"
    d.mkdir(parents=True)
    lr = lr_cosine(6)
    proxy_log.write_json_atomic(
        d / "meta.json",
        {"run_id": "p1", "config": {"schedule": {"lr_array": lr.tolist()}, "steps": 6}, "N": 1234},
    )
    log = proxy_log.RunLog(d, "p1")
    for s in range(6):
        log.write(s, "loss", 4.0 - s / 7, lr[s])
    log.close()
    rs = read_unchanged(tmp_path / "runs")
    run = rs["p1"]
    np.testing.assert_array_equal(run.lr, lr)
    assert run.meta["N"] == 1234
    np.testing.assert_array_equal(run.observed("loss").values, [4.0 - s / 7 for s in range(6)])
    back = io.read(io.write(rs, tmp_path / "t.parquet"))
    np.testing.assert_array_equal(back["p1"].lr, lr)


def test_delimiters_bom_and_encodings(tmp_path):
    (tmp_path / "semi.csv").write_text("step;lr;loss\n0;1e-3;3.5\n1;1e-3;3.25\n")
    assert io.read(tmp_path / "semi.csv")["semi"].observed("loss").values.tolist() == [3.5, 3.25]
    (tmp_path / "tab.tsv").write_text("step\tlr\tloss\n0\t1e-3\t3.5\n")
    assert io.read(tmp_path / "tab.tsv")["tab"].lr.tolist() == [1e-3]
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfstep,lr,loss\n0,1e-3,3.5\n")
    assert io.read(tmp_path / "bom.csv")["bom"].lr_source == "logged"
    (tmp_path / "latin.csv").write_bytes(
        "step,lr,loss,notes\n0,1e-3,3.5,1\n".encode("latin-1").replace(
            b"notes", "notés".encode("latin-1")
        )
    )
    with pytest.raises(io.ParseError, match=r"latin\.csv:1: column \d+: byte .*encoding="):
        io.read(tmp_path / "latin.csv")
    run = io.read(tmp_path / "latin.csv", encoding="latin-1")["latin"]
    assert "notés" in run.metrics


def test_text_in_numeric_column_names_line_and_column(tmp_path):
    (tmp_path / "t.csv").write_text("step,lr,loss\n0,1e-3,3.5\n\n1,1e-3,diverged\n")
    with pytest.raises(io.ParseError, match=r"t\.csv:4: column 'loss': 'diverged' is not a number"):
        io.read(tmp_path / "t.csv")
    (tmp_path / "n.csv").write_text("step,lr,loss\n0,1e-3,3.5\n-5,1e-3,3.0\n")
    with pytest.raises(io.ParseError, match=r"n\.csv:3: column 'step'"):
        io.read(tmp_path / "n.csv")


def test_nan_and_inf_rules(tmp_path):
    # empty cell = not logged (dropped for that metric); the text nan/inf = a logged value (kept)
    (tmp_path / "n.csv").write_text("step,lr,loss,val\n0,1,3.0,\n1,1,nan,2.0\n2,1,inf,\n")
    run = io.read(tmp_path / "n.csv")["n"]
    obs = run.observed("loss")
    assert obs.steps.tolist() == [0, 1, 2] and np.isnan(obs.values[1]) and obs.values[2] == np.inf
    assert run.observed("val").steps.tolist() == [1]
    (tmp_path / "badlr.csv").write_text("step,lr,loss\n0,1,3.0\n1,nan,2.0\n")
    with pytest.raises(io.ImportError, match=r"badlr\.csv.*learning rate nan at step 1"):
        io.read(tmp_path / "badlr.csv")


def test_parquet_and_jsonl_long_and_wide(tmp_path):
    import pandas as pd

    lr = lr_cosine(4)
    long = pd.DataFrame(
        {
            "run": ["a"] * 4,
            "step": range(4),
            "metric": ["loss"] * 4,
            "value": [4.0, 3.0, 2.5, 2.25],
            "lr": lr,
        }
    )
    long.to_parquet(tmp_path / "long.parquet")
    assert io.read(tmp_path / "long.parquet")["a"].lr.tolist() == lr.tolist()
    wide = pd.DataFrame({"step": range(4), "lr": lr, "loss": [4.0, 3.0, 2.5, 2.25]})
    wide.to_parquet(tmp_path / "wide.parquet")
    assert io.read(tmp_path / "wide.parquet")["wide"].observed("loss").values[-1] == 2.25
    (tmp_path / "live.jsonl").write_text('{"step": 0, "lr": 1, "loss": 3}\n{"step": 1, "lr"')
    with pytest.raises(io.ParseError, match=r"live\.jsonl:2: column \d+: invalid JSON.*truncated"):
        io.read(tmp_path / "live.jsonl")
    run = io.read(tmp_path / "live.jsonl", allow_partial_last_line=True)["live"]
    assert run.meta["partial_last_line_dropped"] is True and run.lr.tolist() == [1.0]


def test_tensorboard_without_package_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def fake_import(name, *a, **k):
        if name.startswith("tensorboard"):
            raise ImportError("no tensorboard")
        return real(name, *a, **k)

    (tmp_path / "events.out.tfevents.1.h").write_bytes(b"\x00" * 16)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(io.MissingExtraError, match=r"lawfit\[tensorboard\]"):
        io.read(tmp_path)


def test_schedule_may_be_a_lawfit_schedule_or_per_run_callable(tmp_path):
    from lawfit import schedules as sch

    (tmp_path / "x.csv").write_text("step,loss\n0,3.0\n9,2.0\n")
    fn = sch.cosine(peak_value=1e-3, total_steps=10, warmup_steps=2)
    run = io.read(tmp_path / "x.csv", schedule=fn)["x"]
    np.testing.assert_array_equal(run.lr, sch.to_array(fn, 10))
    assert run.meta["schedule"] == sch.to_spec(fn)
    per_run = io.read(tmp_path / "x.csv", schedule=lambda rid: sch.to_spec(fn))["x"]
    np.testing.assert_array_equal(per_run.lr, run.lr)
    with pytest.raises(io.ImportError, match="schedule callable failed"):
        io.read(tmp_path / "x.csv", schedule=lambda rid: 1 / 0)


def test_named_readers_match_read(tmp_path):
    write_wandb_csv(tmp_path / "w.csv")
    a = io.read_wandb_csv(tmp_path / "w.csv", require_lr=False)
    assert a.ids == io.read(tmp_path / "w.csv", require_lr=False).ids
    write_tb_events(tmp_path / "tb", n=20)
    assert io.read_tensorboard(tmp_path / "tb")["tb"].lr.size == 20
    write_mlruns(tmp_path / "ml")
    assert set(io.read_mlruns(tmp_path / "ml" / "mlruns").ids) == {"run-a", "run-b"}
    write_trainer_state(tmp_path / "trainer_state.json")
    assert io.read_trainer_state(tmp_path / "trainer_state.json", require_lr=False).ids
    text, _ = megatron_lines()
    (tmp_path / "m.out").write_text(text)
    assert io.read_text_log(tmp_path / "m.out", "megatron", require_lr=False)["m"].metrics
    with pytest.raises(io.ImportError, match="no torchtitan log lines"):
        io.read_text_log(tmp_path / "m.out", "torchtitan", require_lr=False)
    (tmp_path / "t.csv").write_text("step,lr,loss\n0,1,2\n")
    assert io.read_table(tmp_path / "t.csv")["t"].lr_source == "logged"


def test_tensorboard_matches_event_accumulator_with_no_sampling(tmp_path):
    """Independent reference: TensorBoard's own EventAccumulator keeping everything."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    write_tb_events(tmp_path / "r", n=10_500)
    ea = EventAccumulator(str(tmp_path / "r"), size_guidance={"scalars": 0, "tensors": 0})
    ea.Reload()
    ref = {}
    for tag in ea.Tags()["scalars"]:  # classic simple_value scalars
        ev = ea.Scalars(tag)
        ref[tag] = ([e.step for e in ev], [e.value for e in ev])
    for tag in ea.Tags()["tensors"]:  # new-style tensor scalars
        ev = ea.Tensors(tag)
        ref[tag] = (
            [e.step for e in ev],
            [float(tensor_util.make_ndarray(e.tensor_proto)) for e in ev],
        )
    run = io.read(tmp_path / "r", aliases=False, require_lr=False)["r"]
    assert set(ref) == set(run.metrics) == {"lm loss", "learning-rate"}
    for tag, (steps, values) in ref.items():
        assert run.metrics[tag].steps.tolist() == steps
        assert run.metrics[tag].values.tolist() == values
    sampled = EventAccumulator(str(tmp_path / "r"))  # the default reservoir drops points
    sampled.Reload()
    assert len(sampled.Scalars("lm loss")) < 10_500 == run.metrics["lm loss"].steps.size


def test_long_table_extra_columns_are_refused_not_dropped(tmp_path):
    (tmp_path / "l.csv").write_text(
        "run_name,step,metric,value,wall_time\nx,0,loss,3.0,1.5\nx,1,loss,2.0,2.5\n"
    )
    with pytest.raises(io.ParseError, match=r"l\.csv:1: column 'wall_time'.*ignore_columns"):
        io.read(tmp_path / "l.csv", require_lr=False)
    rs = io.read(tmp_path / "l.csv", require_lr=False, ignore_columns=["wall_time"])
    assert rs.ids == ("x",) and rs["x"].observed("loss").values.tolist() == [3.0, 2.0]


def test_megatron_log_with_a_step_beyond_int64_names_the_line(tmp_path):
    from lawfit import io as lio

    path = tmp_path / "train.log"
    path.write_text(
        " iteration        1/     100 | lm loss: 3.0 | learning rate: 1.0E-04 |\n"
        " iteration 99999999999999999999/     100 | lm loss: 2.9 | learning rate: 1.0E-04 |\n"
    )
    with pytest.raises(lio.ImportError) as err:
        lio.read(path, format="megatron")
    assert err.value.line == 2 and "int64" in str(err.value)


HUGE = "9" * 5000  # beyond CPython's 4,300-digit int() limit (found by the fuzz suite)


@pytest.mark.parametrize(
    "line",
    [
        f" iteration {HUGE}/ 1000 | learning rate: 1.0E-03 | lm loss: 4.0E+00 |",
        f" iteration {2**63}/ 1000 | learning rate: 1.0E-03 | lm loss: 4.0E+00 |",  # 19 digits
        f" iteration 10/ {HUGE} | learning rate: 1.0E-03 | lm loss: 4.0E+00 |",
        f" validation loss at iteration {HUGE} | lm loss value: 3.9E+00 |",
        f"iteration: {HUGE} / 1000 | lr: 1.0E-03 | lm_loss: 4.0 |",
        f"step: {HUGE}  loss:  4.0000  memory: 1.0GiB",
        f"iter {HUGE}: loss 4.0000, time 10.00ms, mfu 1.00%",
        f"step {HUGE}: train loss 4.0000, val loss 4.1000",
    ],
)
def test_text_log_absurd_step_is_a_located_parse_error(tmp_path, line):
    path = tmp_path / "train.log"
    ok = {"validation": " iteration 1/ 10 | learning rate: 1.0E-03 | lm loss: 4.0E+00 |\n"}
    path.write_text(ok["validation"] * line.startswith(" validation") + line + "\n")
    with pytest.raises(io.ParseError) as err:
        io.read(path)
    assert (
        err.value.line in (1, 2) and "too large" in str(err.value) and str(path) in str(err.value)
    )


@pytest.mark.parametrize("step", ["1e999", "-1e999", str(10**400), str(2**63), "1.5", "-3"])
def test_trainer_state_bad_step_is_a_located_parse_error(tmp_path, step):
    path = tmp_path / "trainer_state.json"
    path.write_text(
        '{"global_step": 10, "log_history": [\n'
        '  {"step": 5, "loss": 3.0, "learning_rate": 1e-3},\n'
        f'  {{"step": {step}, "loss": 2.9, "learning_rate": 1e-3}}\n]}}\n'
    )
    with pytest.raises(io.ParseError) as err:
        io.read(path)
    assert err.value.column == "log_history[1]" and err.value.line == 3, str(err.value)
