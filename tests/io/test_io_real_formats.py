"""Logs as users have them (issue 16): each format imports with default options, what was
inferred is said (InferenceWarning) and recorded (``meta["inferred"]``), truncation is reported,
and files without a loss curve get a clear lawfit error.

Every sample is synthetic and written here, in the shape the tools write (no public file copied).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from iofixtures import megatron_lines, write_tb_events
from typer.testing import CliRunner

from lawfit import io
from tests.conftest import shared_path


def read_quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", io.InferenceWarning)
        return io.read(path, **kw)


# -- 1, 2: Hugging Face trainer_state.json ------------------------------------------------------


def hf_linear_lr(step, peak, warmup, total):
    """transformers.get_linear_schedule_with_warmup: lr_lambda(s) * peak (closed form)."""
    if step < warmup:
        return peak * step / warmup
    return peak * max(0.0, (total - step) / (total - warmup))


def write_trainer_state(path, *, total=100, warmup=30, every=10, peak=5e-4, eval_sets=("a", "b")):
    hist = []
    for s in range(every, total + 1, every):
        hist.append(
            {
                "epoch": s / total,
                "grad_norm": 1.0,
                "learning_rate": hf_linear_lr(s, peak, warmup, total),
                "loss": 4.0 - s / total,
                "step": s,
            }
        )
        if s % (2 * every) == 0:
            for k, name in enumerate(eval_sets):  # several evaluation sets: several entries
                hist.append(
                    {
                        "epoch": s / total,
                        f"eval_{name}_loss": 3.9 - s / total + k,
                        f"eval_{name}_runtime": 1.5,
                        "step": s,
                    }
                )
    hist.append(
        {
            "epoch": 1.0,
            "step": total,
            "total_flos": 1e15,
            "train_loss": 3.5,
            "train_runtime": 100.0,
            "train_samples_per_second": 3.2,
        }
    )
    hist.append({"predict_loss": 3.1, "predict_runtime": 2.0})  # no step
    state = {
        "best_metric": None,
        "epoch": 1.0,
        "eval_steps": 2 * every,
        "global_step": total,
        "log_history": hist,
        "logging_steps": every,
        "max_steps": total,
        "num_train_epochs": 1,
        "total_flos": 1e15,
        "train_batch_size": 8,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2, sort_keys=True))


def test_trainer_state_imports_with_defaults_warmup_inferred(tmp_path):
    write_trainer_state(tmp_path / "ckpt" / "trainer_state.json")
    with pytest.warns(
        io.InferenceWarning, match=r"trainer_state\.json.*steps 0\.\.9.*linear warmup"
    ):
        run = io.read(tmp_path / "ckpt" / "trainer_state.json")["ckpt"]
    truth = np.array([hf_linear_lr(s, 5e-4, 30, 100) for s in range(101)])
    np.testing.assert_allclose(run.lr, truth, rtol=1e-12, atol=1e-20)  # warmup exact, not held
    assert run.meta["inferred"][0]["what"] == "the LR at steps 0..9"
    # several eval sets at one step: both kept, their shared epoch merged without loss
    assert run.observed("eval_a_loss").steps.tolist() == [20, 40, 60, 80, 100]
    assert run.observed("eval_b_loss").values[0] == pytest.approx(3.9 - 0.2 + 1)
    assert run.meta["duplicates"]["eval_epoch"]["identical_merged"] == 5
    assert run.meta["entries_without_step"] == [{"predict_loss": 3.1, "predict_runtime": 2.0}]
    assert "train_loss" not in run.metrics and run.meta["train_summary"]["train_loss"] == 3.5
    with pytest.raises(io.MissingLRError, match=r"steps 0\.\.9"):
        io.read(tmp_path / "ckpt" / "trainer_state.json", lr_extrapolate="error")


def test_trainer_state_constant_lr_is_held_and_said(tmp_path):
    hist = [
        {"learning_rate": 1e-4, "loss": 3.0 - s / 100, "step": s, "epoch": 0.1} for s in (5, 10)
    ]
    (tmp_path / "state.json").write_text(json.dumps({"log_history": hist}))  # renamed: sniffed
    assert io.detect_format(tmp_path / "state.json") == "hf-trainer"
    with pytest.warns(io.InferenceWarning, match="constant"):
        run = io.read(tmp_path / "state.json")["state"]
    assert run.lr.tolist() == [1e-4] * 11


# -- 3: Lightning CSVLogger metrics.csv ------------------------------------------------------


def test_lightning_metrics_csv_rows_sharing_a_step(tmp_path):
    rows = ["epoch,lr-AdamW,step,train_loss_epoch,train_loss_step,val_loss"]
    truth = {}
    for epoch in range(2):
        for k in range(2):
            s = epoch * 100 + 50 * k + 49
            rows.append(f",{1e-3 * (1 - s / 400)!r},{s},,,")  # LearningRateMonitor row
            rows.append(f"{epoch},,{s},,{4.0 - s / 100!r},")
            truth[s] = 4.0 - s / 100
        end = epoch * 100 + 99
        rows.append(f"{epoch},,{end},,,{3.9 - end / 100!r}")  # validation row at the same step
        rows.append(f"{epoch},,{end},{3.95 - end / 100!r},,")  # epoch-end row at the same step
    (tmp_path / "metrics.csv").write_text("\n".join(rows) + "\n")
    run = read_quiet(tmp_path / "metrics.csv")["metrics"]
    assert run.meta["aliases"] == {"loss": "train_loss_step", "lr": "lr-AdamW"}
    assert run.observed("loss").steps.tolist() == sorted(truth)
    assert run.observed("loss").values.tolist() == [truth[s] for s in sorted(truth)]
    assert run.observed("val_loss").steps.tolist() == [99, 199]
    assert run.observed("train_loss_epoch").values.size == 2
    assert run.meta["duplicates"]["epoch"]["identical_merged"] == 4  # epoch repeated, same value


# -- 4, 9: text formats ------------------------------------------------------------------------


def test_build_nanogpt_stdout_and_log_txt(tmp_path):
    def lr(it, warm=10, peak=6e-4):  # build-nanogpt get_lr during warmup
        return peak * (it + 1) / warm

    out = [
        "using device: cuda",
        "total desired batch size: 524288",
        "validation loss: 10.9502",
        "HellaSwag accuracy: 2497/10042=0.2487",
    ]
    for s in range(5):
        out.append(
            f"step {s:5d} | loss: {11 - s * 0.1:.6f} | lr {lr(s):.4e} | norm: 15.4118 | "
            f"dt: 388.90ms | tok/sec: 1348111.86"
        )
    (tmp_path / "stdout.txt").write_text("\n".join(out) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every step logs its LR: nothing to infer
        run = io.read(tmp_path / "stdout.txt")["stdout"]
    assert run.meta["text_log"] == "build-nanogpt" and run.lr_source == "logged"
    assert run.lr.tolist() == [float(f"{lr(s):.4e}") for s in range(5)]
    assert run.observed("loss").values.tolist() == [float(f"{11 - s * 0.1:.6f}") for s in range(5)]
    assert run.observed("val_loss").steps.tolist() == [0]
    (tmp_path / "log.txt").write_text(
        "0 val 10.9502\n0 hella 0.2487\n0 train 10.955010\n1 train 10.883858\n250 val 6.1\n"
    )
    log = read_quiet(tmp_path / "log.txt")["log"]
    assert log.observed("loss").values.tolist() == [10.95501, 10.883858]
    assert log.observed("val_loss").steps.tolist() == [0, 250]
    assert "schedule=" in log.meta["lr_unavailable"]  # no LR printed: said, not fatal


def test_modded_nanogpt_declared_total(tmp_path):
    text = (
        "import torch\n# the training script is printed first\n"
        + "\n".join(
            ["step:0/4 val_loss:10.8258 train_time:0ms step_avg:nanms"]
            + [
                f"step:{s}/4 train_loss:{11 - s:.4f} train_time:{30 * s}ms step_avg:30.00ms"
                for s in range(1, 5)
            ]
            + ["step:4/4 val_loss:6.5000 train_time:120ms step_avg:30.00ms"]
        )
        + "\n"
    )
    (tmp_path / "a1b2.txt").write_text(text)
    run = read_quiet(tmp_path / "a1b2.txt")["a1b2"]
    assert run.meta["text_log"] == "modded-nanogpt" and run.meta["declared_total_steps"] == 4
    assert run.observed("loss").steps.tolist() == [0, 1, 2, 3]  # step:N is lawfit step N-1
    assert run.observed("val_loss").steps.tolist() == [3]
    assert run.meta["initial_values"]["val_loss"] == 10.8258  # before any update: kept


def test_megatron_declared_total_is_the_run_length(tmp_path):
    text, truth = megatron_lines(total=50, every=10)
    (tmp_path / "m.log").write_text(text)
    run = read_quiet(tmp_path / "m.log")["m"]
    assert run.total_steps == 50 and run.lr.size == 50  # iteration 50/50 -> 50 steps, not 51
    assert run.observed("loss").steps[-1] == 49


def test_megatron_cut_mid_line_is_reported_not_half_parsed(tmp_path):
    text, truth = megatron_lines(total=40, every=10)
    cut = text.rstrip("\n")
    cut = cut[: cut.rindex("lm loss: ") + len("lm loss: 2.1")]  # killed while printing
    (tmp_path / "k.log").write_text(cut)
    with pytest.warns(io.TruncationWarning, match=r"k\.log.*cut mid-line"):
        run = read_quiet(tmp_path / "k.log")["k"]
    assert run.observed("loss").steps.tolist() == [9, 19, 29]  # the cut line is not read
    assert run.meta["truncated"][0]["line"] == len(cut.splitlines())


def test_tensorboard_cut_mid_record_warns(tmp_path):
    write_tb_events(tmp_path / "r", n=50)
    f = next((tmp_path / "r").glob("*tfevents*"))
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.warns(io.TruncationWarning, match="mid-record"):
        run = io.read(tmp_path / "r")["r"]
    assert run.meta["truncated"][0]["file"] == f.name
    assert run.observed("loss").steps.size == 49


# -- 5: Git LFS pointers -----------------------------------------------------------------------

LFS = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 8812345\n"
)


@pytest.mark.parametrize(
    "name",
    ["events.out.tfevents.1700000000.host.1.0", "metrics.csv", "trainer_state.json", "train.log"],
)
def test_git_lfs_pointer_is_named(tmp_path, name):
    (tmp_path / name).write_text(LFS)
    with pytest.raises(io.UnsupportedFormatError, match=r"Git LFS pointer.*8812345.*git lfs pull"):
        io.read(tmp_path / name)
    with pytest.raises(io.UnsupportedFormatError, match="Git LFS pointer"):
        io.read(tmp_path / name, format="tensorboard")


# -- 7: text columns ------------------------------------------------------------------------------


def test_constant_text_columns_are_metadata(tmp_path):
    (tmp_path / "s.csv").write_text(
        "run,step,lr,loss,schedule,model_size\n"
        "a,0,1e-3,4.0,wsd,124M\na,1,1e-3,3.0,wsd,124M\nb,0,2e-3,4.1,cosine,350M\nb,1,1e-3,3.1,cosine,350M\n"
    )
    with pytest.warns(io.InferenceWarning, match=r"s\.csv.*text columns"):
        rs = io.read(tmp_path / "s.csv")
    assert rs["a"].meta["schedule"] == "wsd" and rs["b"].meta["model_size"] == "350M"
    assert rs["a"].meta["metadata_columns"] == ["schedule", "model_size"]
    assert set(rs["a"].metrics) == {"loss"}
    (tmp_path / "v.csv").write_text("step,lr,loss,note\n0,1e-3,4.0,start\n1,1e-3,3.0,spike\n")
    with pytest.raises(io.ParseError, match=r"v\.csv:2: column 'note'.*ignore_columns"):
        io.read(tmp_path / "v.csv")  # varies within the run: not metadata, never dropped
    assert "note" not in read_quiet(tmp_path / "v.csv", ignore_columns=["note"])["v"].metrics


# -- 4: W&B exports ----------------------------------------------------------------------------


def test_wandb_runs_table_gets_a_clear_error(tmp_path):
    (tmp_path / "wandb_export_2024-05-01.csv").write_text(
        "Name,State,Notes,User,Tags,Created,Runtime,Sweep,lr,train/loss\n"
        "fluent-sun-12,finished,-,me,,2024-05-01T10:00:00.000Z,3600,,0.001,3.21\n"
        "brisk-moon-13,crashed,-,me,,2024-05-01T11:00:00.000Z,1200,,0.002,3.40\n"
    )
    with pytest.raises(io.UnsupportedFormatError, match=r"W&B runs table.*no loss curve"):
        io.read(tmp_path / "wandb_export_2024-05-01.csv")


def test_wandb_json_history_export_segments(tmp_path):
    seg1 = {"iter": [50, 100, 150], "train_loss": [4.0, 3.5, 3.25], "train_lr": [1e-4, 2e-4, 3e-4]}
    # a resumed run's history: the later segment first, the overlap logged twice
    hist = {
        "train": {
            k: seg1[k][1:] + v
            for k, v in {
                "iter": [50, 100],
                "train_loss": [4.0, 3.5001],
                "train_lr": [1e-4, 2e-4],
            }.items()
        },
        "val": {"iter": [100, 0], "val_loss": [3.6, 10.9], "val_acc": [0.3]},
    }
    (tmp_path / "run1").write_text(
        json.dumps(
            {
                "config": {"lr": 3e-4, "warmup_steps": 150},
                "summary": {"iter": 150},
                "name": "run1",
                "history": hist,
            }
        )
    )
    assert io.detect_format(tmp_path / "run1") == "wandb-json"  # no suffix: sniffed
    with pytest.warns(io.InferenceWarning) as record:
        run = io.read(tmp_path / "run1")["run1"]
    text = " ".join(str(w.message) for w in record)
    assert "out of order" in text and "val_acc" in text and len(record) == 3  # both said
    assert run.observed("loss").steps.tolist() == [50, 100, 150]
    assert run.observed("loss").values.tolist() == [4.0, (3.5 + 3.5001) / 2, 3.25]
    assert run.meta["duplicates"]["loss"]["averaged_steps"] == 1
    assert run.observed("val_loss").steps.tolist() == [0, 100]
    assert run.meta["unaligned_history"]["val.val_acc"] == [0.3]  # cannot be placed: kept
    assert run.meta["peak_lr"] == 3e-4 and run.meta["config"]["warmup_steps"] == 150


def test_json_that_is_no_log_is_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["GPT2"], "n_embd": 768}))
    with pytest.raises(io.UnsupportedFormatError, match=r"config\.json:1.*model config"):
        io.read(tmp_path / "config.json")
    (tmp_path / "wandb-summary.json").write_text(
        json.dumps({"_step": 10, "_runtime": 5, "loss": 3})
    )
    with pytest.raises(io.UnsupportedFormatError, match="W&B run summary"):
        io.read(tmp_path / "wandb-summary.json")


def test_table_in_a_txt_and_jsonl_in_a_log_are_sniffed(tmp_path):
    (tmp_path / "loss.txt").write_text("step,lr,loss\n0,1e-3,4.0\n1,1e-3,3.5\n")
    assert io.read(tmp_path / "loss.txt")["loss"].observed("loss").values.tolist() == [4.0, 3.5]
    (tmp_path / "train.log").write_text(
        '{"step": 0, "lr": 0.001, "loss": 4.0}\n{"step": 1, "lr": 0.001, "loss": 3.5}\n'
    )
    assert io.read(tmp_path / "train.log")["train"].lr.tolist() == [1e-3, 1e-3]


# -- issue 17: no silent re-sort -----------------------------------------------------------------


def test_steps_going_back_are_never_silently_sorted(tmp_path):
    (tmp_path / "o.csv").write_text("step,lr,loss\n0,1,4\n20,1,3\n10,1,3.5\n30,1,2\n")
    with pytest.raises(io.ParseError, match=r"o\.csv:4: column .*goes back from 20 to 10"):
        io.read(tmp_path / "o.csv", duplicates="error")
    with pytest.warns(io.InferenceWarning, match=r"o\.csv.*resumed run.*line 4"):
        run = io.read(tmp_path / "o.csv")["o"]
    # a restart at step 10 supersedes the point logged at step 20 before it; recorded
    assert run.observed("loss").steps.tolist() == [0, 10, 30]
    assert run.meta["duplicates"]["loss"]["superseded"] == 1


# -- 8: joining a WSD cooldown to its base run, on the real Schaipp runs ------------------------

BASE = (
    "openwebtext2_llama_norm_nlayers10_nhead8_lr0.001_sched_wsd_warmup300_iter17500_bs50x2"
    "_ws2_seed0_data_seed1337"
)
COOL = "ann0.2_" + BASE.replace("iter17500", "iter12500")


def tidy(logs: pd.DataFrame, stem: str, column: str) -> pd.Series:
    sub = logs[logs["file"] == stem + ".json"].dropna(subset=[column])
    return sub.set_index("iter")[column]


def test_join_cooldown_to_base_on_real_schaipp_runs():
    raw = shared_path("data", "schaipp", "raw")
    logs = pd.read_csv(shared_path("data", "schaipp", "logs.csv"))
    rs = read_quiet([raw / f"{BASE}.json", raw / f"{COOL}.json"])
    base, cool = rs[BASE], rs[COOL]
    assert cool.meta["branch_of"] == {"run": BASE, "at_step": 10000, "from": "config.resume_from"}
    joined = io.join_branch(base, cool)  # one call: the branch point comes from the cooldown
    assert joined.meta["joined"]["at_step"] == 10000
    val = joined.observed("val_loss")
    ref_base, ref_cool = tidy(logs, BASE, "val_loss"), tidy(logs, COOL, "val_loss")
    ref = pd.concat([ref_base[ref_base.index < 10000], ref_cool])  # the README's recipe
    np.testing.assert_array_equal(val.steps, ref.index.to_numpy())
    np.testing.assert_allclose(val.values, ref.to_numpy(), rtol=1e-12)
    lr_cool = tidy(logs, COOL, "train_lr")
    np.testing.assert_array_equal(joined.lr[lr_cool.index.to_numpy()], lr_cool.to_numpy())
    lr_base = tidy(logs, BASE, "train_lr")
    before = lr_base[lr_base.index < 10000]
    np.testing.assert_array_equal(joined.lr[before.index.to_numpy()], before.to_numpy())
    assert joined.total_steps == 12501 and np.all(np.diff(joined.lr[10000:]) <= 0)
    # the cooldown's own LR before its branch point was inferred, and never reaches the join
    assert cool.meta["inferred"][0]["what"] == "the LR at steps 0..10049"
    both = io.join_branches(rs)
    assert [r.run_id for r in both] == [BASE, f"{BASE}+{COOL}"]


def test_every_raw_schaipp_export_imports_with_defaults_and_matches_the_tidy_table():
    raw = shared_path("data", "schaipp", "raw")
    logs = pd.read_csv(shared_path("data", "schaipp", "logs.csv"))
    runs_csv = pd.read_csv(shared_path("data", "schaipp", "runs.csv")).set_index("file")
    files = sorted(raw.rglob("*.json"))
    rs = read_quiet(raw)  # the folder, as a user would pass it
    assert len(rs) == len(files) == logs["file"].nunique()
    for f in files:
        key = f.relative_to(raw).as_posix()
        run = rs[f.stem]
        # the tidy table averaged every copy of a re-logged step; we merge exact copies first and
        # average the distinct values: equal where nothing was re-logged, within 1e-4 elsewhere
        clean = runs_csv.loc[key, "n_duplicate_log_entries_averaged"] == 0
        for ours, theirs in (("val_loss", "val_loss"), ("loss", "train_loss")):
            ref = logs[logs["file"] == key].dropna(subset=[theirs]).set_index("iter")[theirs]
            got = run.observed(ours)
            np.testing.assert_array_equal(got.steps, ref.index.to_numpy(), err_msg=key)
            np.testing.assert_allclose(
                got.values, ref.to_numpy(), rtol=1e-12 if clean else 1e-4, err_msg=key
            )
        lr = logs[logs["file"] == key].dropna(subset=["train_lr"]).set_index("iter")["train_lr"]
        np.testing.assert_allclose(run.lr[lr.index.to_numpy()], lr.to_numpy(), rtol=1e-12)


# -- 10: the CLI options --------------------------------------------------------------------------


def test_cli_ignore_column_lr_hold_and_join(tmp_path):
    from lawfit.cli import app

    (tmp_path / "r.csv").write_text("step,lr,loss,noise\n5,1e-3,4.0,a\n6,2e-3,3.5,b\n")
    out = tmp_path / "o.parquet"
    res = CliRunner().invoke(
        app,
        [
            "import",
            str(tmp_path / "r.csv"),
            "--out",
            str(out),
            "--ignore-column",
            "noise",
            "--lr-hold",
        ],
    )
    assert res.exit_code == 0, res.output
    run = io.read(out)["r"]
    assert run.lr.tolist()[:6] == [1e-3] * 6 and "noise" not in run.metrics
    assert run.meta["ignored_columns"] == ["noise"]
    raw = shared_path("data", "schaipp", "raw")
    res = CliRunner().invoke(
        app,
        [
            "import",
            str(raw / f"{BASE}.json"),
            str(raw / f"{COOL}.json"),
            "--out",
            str(tmp_path / "j.csv"),
            "--join-branches",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert [r["run_id"] for r in summary["per_run"]] == [BASE, f"{BASE}+{COOL}"]
    assert "warning:" in res.stderr and "inferred" in summary["per_run"][1]


def test_json_list_of_history_rows(tmp_path):
    rows = [{"_step": s, "train/loss": 4.0 - s / 10, "train/learning_rate": 1e-3} for s in range(3)]
    (tmp_path / "history.json").write_text(json.dumps(rows))
    run = io.read(tmp_path / "history.json")["history"]
    assert run.observed("loss").values.tolist() == [4.0, 3.9, 3.8]
    assert run.lr.tolist() == [1e-3] * 3 and run.lr_source == "logged"


def test_megatron_run_extended_on_resume_takes_the_longest_total(tmp_path):
    a, _ = megatron_lines(total=20, every=10)
    b, _ = megatron_lines(total=40, every=10)
    tail = [x for x in b.splitlines() if "iteration       30/" in x or "iteration       40/" in x]
    (tmp_path / "ext.log").write_text(a + "\n".join(tail) + "\n")
    with pytest.warns(io.InferenceWarning, match=r"ext\.log.*declared total changes"):
        run = io.read(tmp_path / "ext.log", lr_extrapolate="hold")["ext"]
    assert run.total_steps == 40 and run.meta["declared_totals"] == [20, 40]


def test_files_without_a_curve_get_a_clear_error(tmp_path):
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": [], "global_step": 0}))
    with pytest.raises(io.ParseError, match=r"trainer_state\.json: run .*no curve to import"):
        io.read(tmp_path / "trainer_state.json")
    (tmp_path / "lr.csv").write_text("step,lr\n0,1e-3\n1,1e-3\n")
    with pytest.raises(io.ParseError, match=r"lr\.csv: .*only a learning rate"):
        io.read(tmp_path / "lr.csv")


def test_timestamp_column_is_kept_as_seconds(tmp_path):
    (tmp_path / "t.csv").write_text(
        "timestamp,epoch,global_step,train_loss,val_loss\n"
        "2025-12-05 03:49:39,1,500,4.5,4.6\n2025-12-05 03:50:39,2,1000,4.0,4.2\n"
    )
    with pytest.warns(io.InferenceWarning, match="date-time"):
        run = io.read(tmp_path / "t.csv", require_lr=False)["t"]
    assert run.observed("timestamp").values.tolist() == [1764906579.0, 1764906639.0]
    assert run.observed("loss").steps.tolist() == [500, 1000]


def test_megatron_tensorboard_vs_samples_tags_are_not_steps(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    w = EventFileWriter(str(tmp_path / "tb"))
    for it in range(1, 6):
        loss, lr = 10.0 / it, 1e-4 * it
        for tag, x, step in [
            ("lm loss", loss, it),
            ("lm loss vs samples", loss, it * 512),
            ("learning-rate", lr, it),
            ("learning-rate vs samples", lr, it * 512),
        ]:
            value = summary_pb2.Summary.Value(tag=tag, simple_value=x)
            w.add_event(
                event_pb2.Event(
                    step=step, wall_time=1.0, summary=summary_pb2.Summary(value=[value])
                )
            )
    w.close()
    run = read_quiet(tmp_path / "tb")["tb"]
    assert run.total_steps == 6  # not 5 * 512 + 1
    assert run.observed("consumed samples").values.tolist() == [512.0 * i for i in range(1, 6)]
    assert run.observed("consumed samples").steps.tolist() == [1, 2, 3, 4, 5]
    assert sorted(run.meta["x_axis_tags"]) == ["learning-rate vs samples", "lm loss vs samples"]


def test_utf16_log_and_megatron_validation_on_a_named_set(tmp_path):
    text, truth = megatron_lines(total=40, every=10)
    text = text.replace(
        "validation loss at iteration 20 |", "validation loss at iteration 20 on validation set |"
    )
    (tmp_path / "win.log").write_bytes(text.encode("utf-16"))  # BOM + UTF-16LE
    run = read_quiet(tmp_path / "win.log")["win"]
    assert run.observed("loss").values.tolist() == [v for _, _, v in truth]
    assert run.observed("val_loss").steps.tolist() == [19, 39]


def test_compressed_logs_are_named(tmp_path):
    import gzip

    (tmp_path / "train.log.gz").write_bytes(
        gzip.compress(b"step 1, loss: 3.0\nstep 2, loss: 2.0\n")
    )
    with pytest.raises(io.UnsupportedFormatError, match=r"train\.log\.gz:1.*gzip.*gunzip"):
        io.read(tmp_path / "train.log.gz")


def test_trainer_state_uses_a_json_args_dump_never_the_pickle(tmp_path):
    ckpt = tmp_path / "checkpoint-30"
    hist = [{"learning_rate": 1e-4 * (1 - s / 40), "loss": 3.0, "step": s} for s in (10, 20, 30)]
    ckpt.mkdir()
    (ckpt / "trainer_state.json").write_text(json.dumps({"log_history": hist}))
    (ckpt / "training_args.json").write_text(
        json.dumps({"learning_rate": 1e-4, "warmup_steps": 0, "lr_scheduler_type": "linear"})
    )
    (ckpt / "training_args.bin").write_bytes(b"\x80\x04not really a pickle")
    run = read_quiet(ckpt)["checkpoint-30"]
    assert run.meta["training_args"]["lr_scheduler_type"] == "linear"
    assert run.meta["training_args_bin"] == "present, not read (a pickle)"
    # the decaying LR continued back to step 0, capped at the peak from the args: exact here
    np.testing.assert_allclose(run.lr, [1e-4 * (1 - s / 40) for s in range(31)], rtol=1e-12)


def test_read_each_imports_what_it_can_and_lists_every_failure(tmp_path):
    write_trainer_state(tmp_path / "ok" / "trainer_state.json")
    (tmp_path / "m.log").write_text(megatron_lines(total=20, every=10)[0])
    (tmp_path / "lfs.csv").write_text(LFS)
    (tmp_path / "bad.csv").write_text("step,lr,loss\n0,1e-3,3.5\n1,1e-3,oops\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.log").write_text(megatron_lines(total=20, every=10)[0])
    paths = [
        tmp_path / "ok" / "trainer_state.json",
        tmp_path / "m.log",
        tmp_path / "lfs.csv",
        tmp_path / "bad.csv",
        tmp_path / "sub" / "m.log",
    ]
    report = io.read_each(paths)
    assert report.runs.ids == ("ok", "m")
    assert [type(e).__name__ for e in report.failures.values()] == [
        "UnsupportedFormatError",
        "ParseError",
        "ImportError",
    ]
    assert "Git LFS" in str(report.failures[str(tmp_path / "lfs.csv")])
    assert "bad.csv:3" in str(report.failures[str(tmp_path / "bad.csv")])
    assert "already imported" in str(report.failures[str(tmp_path / "sub" / "m.log")])
    assert any("linear warmup" in n for n in report.notes)
