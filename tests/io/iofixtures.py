"""Realistic log fixtures written by the tests themselves (one writer per format)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def lr_cosine(total: int, peak: float = 3e-4, warmup: int = 10, end: float = 3e-5) -> np.ndarray:
    t = np.arange(total, dtype=np.float64)
    lr = np.where(
        t < warmup,
        peak * t / max(warmup, 1),
        end + 0.5 * (peak - end) * (1 + np.cos(np.pi * (t - warmup) / (total - warmup))),
    )
    return lr


def loss_curve(steps: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 2.0 + 8.0 * (1.0 + steps) ** -0.3 + 0.01 * rng.standard_normal(steps.size)


def write_mpl_csv(path: Path, total: int = 200, every: int = 1, seed: int = 0) -> tuple:
    lr = lr_cosine(total)
    steps = np.arange(0, total, every)
    loss = loss_curve(steps, seed)
    lines = ["step,lr,loss"] + [
        f"{s},{float(lr[s])!r},{float(v)!r}" for s, v in zip(steps, loss, strict=False)
    ]
    path.write_text("\n".join(lines) + "\n")
    return steps, lr, loss


def write_wandb_csv(path: Path) -> dict:
    """A panel export: two runs (one name contains ' - '), a group, __MIN/__MAX companions,
    and empty cells where a run logged nothing."""
    runs = {"playful-sun-1763": 12, "lr 3e-4 - wsd": 9, "Group: sweep-a": 7}
    header = ["Step"]
    for r in runs:
        header += [f"{r} - train/loss", f"{r} - train/loss__MIN", f"{r} - train/loss__MAX"]
    rows = []
    truth: dict[str, tuple[list, list]] = {r: ([], []) for r in runs}
    for step in range(0, 24, 2):
        row = [str(step)]
        for k, (r, n) in enumerate(runs.items()):
            if step // 2 < n:
                v = 4.0 - 0.05 * step - 0.1 * k + 1 / 3
                truth[r][0].append(step)
                truth[r][1].append(v)
                row += [repr(v), repr(v - 0.5), repr(v + 0.5)]
            else:
                row += ["", "", ""]
        rows.append(row)
    text = ",".join(f'"{c}"' for c in header) + "\n" + "\n".join(",".join(r) for r in rows)
    path.write_text(text + "\n")
    return truth


def write_trainer_state(path: Path, total: int = 50, log_every: int = 5, eval_every: int = 20):
    lr = lr_cosine(total + 1, warmup=0)
    hist = []
    for step in range(log_every, total + 1, log_every):
        hist.append(
            {
                "epoch": round(step / total, 4),
                "grad_norm": 1.0 / step,
                "learning_rate": float(lr[step]),
                "loss": float(loss_curve(np.array([step]))[0]),
                "step": step,
            }
        )
        if step % eval_every == 0:
            hist.append(
                {
                    "epoch": round(step / total, 4),
                    "eval_loss": 3.0 - step / 1000,
                    "eval_runtime": 1.5,
                    "eval_samples_per_second": 100.0,
                    "eval_steps_per_second": 12.5,
                    "step": step,
                }
            )
    hist.append(
        {
            "epoch": 1.0,
            "step": total,
            "total_flos": 1.2e15,
            "train_loss": 3.3,
            "train_runtime": 120.5,
            "train_samples_per_second": 30.0,
            "train_steps_per_second": 0.4,
        }
    )
    state = {
        "best_metric": None,
        "best_model_checkpoint": None,
        "epoch": 1.0,
        "eval_steps": eval_every,
        "global_step": total,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": hist,
        "logging_steps": log_every,
        "max_steps": total,
        "num_train_epochs": 1,
        "save_steps": 500,
        "total_flos": 1.2e15,
        "train_batch_size": 8,
        "trial_name": None,
        "trial_params": None,
    }
    path.write_text(json.dumps(state, indent=2))
    return hist


def write_mlruns(root: Path, n_steps: int = 30) -> dict:
    """mlruns/<exp>/<run>/{meta.yaml, metrics/<key>, params/<key>, tags/<key>}."""
    exp = root / "mlruns" / "123456789"
    exp.mkdir(parents=True)
    (exp / "meta.yaml").write_text("experiment_id: '123456789'\nname: demo\n")
    truth = {}
    for name, seed in (("run-a", 0), ("run-b", 1)):
        rid = f"{seed:032x}"
        d = exp / rid
        (d / "metrics" / "train").mkdir(parents=True)
        (d / "params").mkdir()
        (d / "tags").mkdir()
        (d / "meta.yaml").write_text(f"run_id: {rid}\nrun_name: {name}\n")
        steps = np.arange(n_steps)
        loss = loss_curve(steps, seed)
        lr = lr_cosine(n_steps)
        ts = 1_700_000_000_000
        (d / "metrics" / "train" / "loss").write_text(
            "".join(f"{ts + s} {float(v)!r} {s}\n" for s, v in zip(steps, loss, strict=False))
        )
        (d / "metrics" / "lr").write_text(
            "".join(f"{ts + s} {float(v)!r} {s}\n" for s, v in zip(steps, lr, strict=False))
        )
        (d / "params" / "peak_lr").write_text("0.0003")
        (d / "tags" / "mlflow.runName").write_text(name)
        (d / "tags" / "team").write_text("pretrain")
        truth[name] = (steps, loss, lr)
    return truth


def megatron_lines(total: int = 40, every: int = 10, restart_at: int | None = None) -> tuple:
    lr = lr_cosine(total + 1)
    out = [
        "using world size: 8",
        "> building GPT model ...",
        "\x1b[32m[after training is done]\x1b[0m",
    ]
    steps = list(range(every, total + 1, every))
    if restart_at is not None:
        steps = steps + [s for s in steps if s > restart_at]
    truth = []
    for s in steps:
        loss = 10.0 / (1 + s) + 2
        out.append(
            f"[2024-05-01 12:00:{s % 60:02d}] iteration {s:8d}/{total:8d} | consumed samples: "
            f"{s * 512:12d} | elapsed time per iteration (ms): 412.3 | learning rate: "
            f"{lr[s]:.6E} | global batch size:   512 | lm loss: {loss:.6E} | loss scale: 1.0 | "
            "grad norm: 0.812 | number of skipped iterations:   0 | number of nan iterations:   0 |"
        )
        truth.append((s, float(f"{lr[s]:.6E}"), float(f"{loss:.6E}")))
        if s % 20 == 0:
            out.append(
                f" validation loss at iteration {s} | lm loss value: {loss + 0.1:.6E} | "
                f"lm loss PPL: {np.exp(loss + 0.1):.6E} | "
            )
    return "\n".join(out) + "\n", truth


def write_tb_events(logdir: Path, n: int = 12_000, new_style_lr: bool = True) -> tuple:
    """Event file with classic simple_value loss and tensor-style LR scalars (n > 10,000 to show
    no reservoir sampling)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar import metadata as scalar_meta
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    logdir.mkdir(parents=True, exist_ok=True)
    w = EventFileWriter(str(logdir))
    steps = np.arange(n)
    loss = loss_curve(steps).astype(np.float32).astype(np.float64)
    lr = lr_cosine(n)
    md = scalar_meta.create_summary_metadata(display_name="", description="")
    for s in steps:
        vals = [summary_pb2.Summary.Value(tag="lm loss", simple_value=float(loss[s]))]
        if new_style_lr:
            vals.append(
                summary_pb2.Summary.Value(
                    tag="learning-rate",
                    metadata=md,
                    tensor=tensor_util.make_tensor_proto(np.float64(lr[s])),
                )
            )
        w.add_event(
            event_pb2.Event(
                step=int(s), wall_time=time.time(), summary=summary_pb2.Summary(value=vals)
            )
        )
    w.close()
    return steps, loss, lr
