"""Hugging Face Trainer ``trainer_state.json`` (saved in every checkpoint directory).

``log_history`` is a list of heterogeneous dicts, dispatched on their keys:

* training entries (``loss``, ``learning_rate``, ``grad_norm``, ``epoch``, ``step``): metrics
  ``loss``, ``grad_norm``, ``epoch``... and the LR points;
* evaluation entries (any ``eval_*`` key): metrics ``eval_loss`` (aliased to ``val_loss``),
  ``eval_*``; their ``epoch`` is not a training metric and is kept as ``eval_epoch``;
* the final summary entry (``train_runtime`` / ``train_loss`` ...): never a curve point; its
  values go to ``meta["train_summary"]``;
* entries without a ``step`` (``predict_*`` / ``test_*`` results) go to
  ``meta["entries_without_step"]``.

Several evaluation sets log several entries at one step; their shared ``epoch`` (kept as
``eval_epoch``) is the same value, merged without loss by the default ``duplicates="auto"``. The
first LR is logged at ``logging_steps``, never at step 0: the default ``lr_extrapolate="auto"``
recognises the linear warmup (or a constant LR) from the logged values and says so
(``meta["inferred"]``). ``training_args.bin`` is a pickle and is never read.

Non-numeric values (rare free-text fields) are not curves and are skipped. Top-level fields (``global_step``, ``max_steps``, ``logging_steps``, ``eval_steps``...) go to
``meta``. Steps are the Trainer's ``global_step`` (completed optimizer steps), kept as logged.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lawfit.io._build import RawRun
from lawfit.io._errors import ParseError

__all__ = ["looks_like_trainer_state", "trainer_state_to_raw", "sibling_training_args"]

#: JSON dumps of TrainingArguments some projects save next to trainer_state.json (never the pickle
#: ``training_args.bin``)
ARGS_FILES = ("training_args.json", "train_args.json", "args.json")

_TOP = (
    "global_step",
    "max_steps",
    "logging_steps",
    "eval_steps",
    "save_steps",
    "num_train_epochs",
    "train_batch_size",
    "total_flos",
    "best_metric",
    "best_model_checkpoint",
)
_SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second")


def looks_like_trainer_state(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("log_history"), list)


def _line_of_entry(text: str, index: int) -> int | None:
    """Best-effort line of the ``index``-th entry of log_history (for error messages)."""
    start = text.find('"log_history"')
    if start < 0:
        return None
    depth, k = 0, -1
    for m in re.finditer(r"[{}\[\]]", text[start:]):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if ch == "{" and depth == 2:
                k += 1
                if k == index:
                    return text.count("\n", 0, start + m.start()) + 1
        else:
            depth -= 1
            if depth == 0:
                break
    return None


def trainer_state_to_raw(obj: dict, text: str, path: Path, run_id: str) -> RawRun:
    raw = RawRun(run_id, path=str(path), meta={"source": str(path), "step_unit": "global_step"})
    for k in _TOP:
        if k in obj and isinstance(obj[k], (int, float, str, type(None))):
            raw.meta[k] = obj[k]
    points: dict[str, tuple[list[int], list[float], list[int]]] = {}
    for i, entry in enumerate(obj["log_history"]):
        where = {"path": path, "line": _line_of_entry(text, i), "column": f"log_history[{i}]"}
        if not isinstance(entry, dict):
            raise ParseError(f"entry is {type(entry).__name__}, not an object", **where)
        if any(k in entry for k in _SUMMARY_KEYS) or "train_loss" in entry:
            raw.meta["train_summary"] = {
                k: v for k, v in entry.items() if isinstance(v, (int, float, str, type(None)))
            }
            continue
        step = entry.get("step")
        if step is None:  # predict_* / test_* results: no place on the curve, kept in meta
            raw.meta.setdefault("entries_without_step", []).append(
                {k: v for k, v in entry.items() if isinstance(v, (int, float, str, type(None)))}
            )
            continue
        if (
            isinstance(step, bool)
            or not isinstance(step, (int, float))
            or (isinstance(step, float) and not math.isfinite(step))
            or (step < 0 or step != int(step))
        ):
            raise ParseError(f"'step' is {step!r}, not a non-negative whole number", **where)
        if step >= 2**63:
            raise ParseError(f"'step' {str(step)[:40]} is too large for an int64 step", **where)
        is_eval = any(str(k).startswith("eval_") for k in entry)
        for key, v in entry.items():
            if key == "step":
                continue
            name = "eval_epoch" if (is_eval and key == "epoch") else str(key)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                if isinstance(v, str):
                    continue  # free text fields (rare) are not metrics
                raise ParseError(f"value of {key!r} is {json.dumps(v)[:40]}, not a number", **where)
            try:
                fv = float(v)
            except OverflowError:
                raise ParseError(f"value of {key!r} is too large for float64", **where) from None
            s, vals, idx = points.setdefault(name, ([], [], []))
            s.append(int(step))
            vals.append(fv)
            idx.append(i)
    for name, (s, v, idx) in points.items():
        raw.metrics[name] = (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64))
        raw.lines[name] = lambda k, _idx=idx: _line_of_entry(text, _idx[k])
    return raw


def sibling_training_args(state_path: Path, meta: dict) -> None:
    """Peak LR, warmup and scheduler from a JSON dump of the TrainingArguments next to the state
    file (``meta["training_args"]``; ``peak_lr`` / ``warmup_steps`` then guide the LR inference).
    ``training_args.bin`` is a pickle: it is only noted, never opened."""
    folder = state_path.parent
    if (folder / "training_args.bin").is_file():
        meta["training_args_bin"] = "present, not read (a pickle)"
    for name in ARGS_FILES:
        f = folder / name
        if not f.is_file() or f.stat().st_size > 10_000_000:
            continue
        try:
            args = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeError):
            continue  # a side file: the log itself is what is imported
        if not isinstance(args, dict):
            continue
        keep = ("learning_rate", "warmup_steps", "warmup_ratio", "lr_scheduler_type", "max_steps")
        found = {k: args[k] for k in keep if isinstance(args.get(k), (int, float, str))}
        if found:
            meta["training_args"] = {"file": name, **found}
            lr = found.get("learning_rate")
            if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0:
                meta.setdefault("peak_lr", lr)
            w = found.get("warmup_steps")
            if isinstance(w, int) and not isinstance(w, bool) and w > 0:
                meta.setdefault("warmup_steps", w)
        return
