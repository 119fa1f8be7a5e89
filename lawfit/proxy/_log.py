"""The proxy run log format, and its reader.

One directory per run:

* ``meta.json``: run metadata, written atomically (temporary file + rename) at the start and
  rewritten atomically with ``status`` at the end: ``run_id``, ``config`` (the full run config,
  schedule as its spec or as the per-step array), ``N`` (non-embedding parameters),
  ``params_total``, ``tokens_per_step``, ``total_steps``, ``schedule`` (spec or None),
  ``optimizer``, ``mixture`` ({domain: weight}), ``mixture_ratio`` (weight of the last domain),
  ``domains``, ``phase``, ``seed``, ``step_offset``, ``corpus`` and, for CPT runs, ``pt_run``,
  ``pt_lr`` (the pre-training per-step LR), ``cpt_start_step``, ``pt_domains`` (the domains
  pre-training sampled: D_pt) and ``replay_ratio`` (the CPT weight on those domains).
* ``log.jsonl``: one canonical row per line, ``{"run_id", "step", "metric", "value", "lr"}``,
  written and flushed record by record, so a run killed at any moment leaves a valid log; a reader
  ignores a partially written last line.
* ``checkpoint.npz`` + ``checkpoint.json``: the last good training state (see ``_checkpoint``).

Steps are global optimizer steps. ``loss`` (``train_loss_y`` for Schedule-Free) at step t is the
training loss of batch t measured during update t; ``val_loss`` (the mixture-weighted held-out
loss) and ``val_loss/<domain>`` at step t are measured after update t, at the evaluation point
(x for Schedule-Free; ``val_loss_y`` is the held-out loss at y). ``grad_norm`` at step t is the
global L2 norm of the minibatch gradient of update t, before clipping (the input of
:func:`lawfit.schedules.refined`). ``lr`` is ``lr[t]``.

Example:
    >>> from lawfit.proxy import read_run_dir

    ``read_run_dir("runs/const")`` returns a :class:`lawfit.runs.Run` with its LR and metrics
    (a folder written by :func:`lawfit.proxy.train`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["read_run_dir", "read_runs"]

META, LOG = "meta.json", "log.jsonl"


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1, allow_nan=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class RunLog:
    """Appends canonical records to ``log.jsonl``, flushing after every record."""

    def __init__(self, run_dir: Path, run_id: str, *, keep_before: int | None = None) -> None:
        self.path = Path(run_dir) / LOG
        self.run_id = run_id
        if keep_before is not None:
            self._truncate(keep_before)
        self._fh = open(self.path, "a")

    def _truncate(self, step: int) -> None:
        """Keep only complete records with ``step < step`` (used on resume)."""
        kept = [json.dumps(r) for r in _records(self.path) if r["step"] < step]
        tmp = self.path.with_name(LOG + ".tmp")
        with open(tmp, "w") as fh:
            fh.write("".join(line + "\n" for line in kept))
        os.replace(tmp, self.path)

    def write(self, step: int, metric: str, value: float, lr: float) -> None:
        rec = {"run_id": self.run_id, "step": int(step), "metric": metric,
               "value": float(value), "lr": float(lr)}
        self._fh.write(json.dumps(rec) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    with open(path) as fh:
        lines = fh.read().split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1:  # a partially written last line (killed mid-write)
                break
            raise ValueError(f"{path}: line {i + 1} is not valid JSON: {line[:80]!r}") from None
        out.append(rec)
    return out


def read_run_dir(path) -> Any:
    """Read one proxy run directory into a :class:`lawfit.runs.Run`.

    The LR array is rebuilt exactly: from the schedule spec (``lr_source="spec"``), else from the
    per-step array stored in ``meta.json`` (``"array"``); CPT runs prepend the pre-training LR.
    Metrics are every metric of the log (``loss``, ``val_loss``, ``val_loss/<domain>``, ...).
    """
    from lawfit.proxy._schedule import lr_array
    from lawfit.runs import Run

    path = Path(path)
    meta_path = path / META
    if not meta_path.exists():
        raise ValueError(f"{path} is not a proxy run directory: {META} is missing")
    meta = json.loads(meta_path.read_text())
    cfg = meta["config"]
    sched = cfg["schedule"]
    if isinstance(sched, dict) and set(sched) == {"lr_array"}:
        lr, source = np.asarray(sched["lr_array"], dtype=np.float64), "array"
    else:
        lr, source = lr_array(sched, int(cfg["steps"])), "spec"
    if meta.get("pt_lr") is not None:
        lr = np.concatenate([np.asarray(meta["pt_lr"], dtype=np.float64), lr])
    elif int(meta.get("step_offset", 0)):
        raise ValueError(f"{path}: run starts at step {meta['step_offset']} but meta has no pt_lr")
    by_metric: dict[str, tuple[list, list]] = {}
    for rec in _records(path / LOG):
        steps, values = by_metric.setdefault(rec["metric"], ([], []))
        steps.append(rec["step"])
        values.append(rec["value"])
    metrics = {k: (np.asarray(s), np.asarray(v)) for k, (s, v) in by_metric.items()}
    run_meta = {k: v for k, v in meta.items() if k not in ("config", "pt_lr", "run_id")}
    run_meta["config"] = {k: v for k, v in cfg.items() if k != "schedule"}
    run_meta["source"] = str(path)
    return Run(meta["run_id"], lr=lr, metrics=metrics, meta=run_meta, lr_source=source)


def read_runs(folder) -> Any:
    """Every proxy run directory directly under ``folder`` (sorted by name) as a RunSet."""
    from lawfit.runs import RunSet

    folder = Path(folder)
    dirs = sorted(p for p in folder.iterdir() if (p / META).exists()) if folder.is_dir() else []
    if not dirs:
        raise ValueError(f"no proxy run directories (with {META}) under {folder}")
    return RunSet(read_run_dir(p) for p in dirs)
