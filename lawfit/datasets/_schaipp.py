"""The runs of Schaipp, Hägele et al. (ICML 2025; MIT): W&B history exports, fetched on demand.

76 runs of Llama-style models (33M-210M) on SlimPajama / OpenWebText2, cosine and WSD at several
horizons, from the per-run JSON files of ``fabian-sp/lr-scheduling``'s ``data/`` folder (commit
8ace3a3). Each file becomes one :class:`~lawfit.runs.Run`:

* metrics ``val_loss`` (every 50-200 steps, the cleaner target) and ``train_loss`` (every ~50
  steps, single batches), points at steps ``< iterations`` (the LR array's length); a step logged
  twice by a resumed run gets the mean of its values, as in the authors' tidy tables;
* the LR array (length ``iterations``) is the logged ``train_lr`` interpolated linearly, with
  ``lr[0] = 0``; for cooldown files, which start after the warmup, the peak ``lr`` of the config
  is added at ``warmup_steps`` and at the cooldown start ``iterations * (1 - wsd_fract_decay)``;
* ``meta``: the run's scalar config (``lr``, ``iterations``, ``scheduler``, ``wsd_fract_decay``...),
  ``N`` (the summary's ``parameters``), ``tokens_per_step``, ``first_logged_step``, ``file``.

Cooldown files (``ann*``, ``wsd_fract_decay > 0``) hold only the cooldown, branched from the
constant-LR run of the same configuration; join them with that run before fitting.

Example:
    >>> from lawfit.datasets import SCHAIPP_FILES, schaipp_runs
    >>> len(SCHAIPP_FILES)
    76

    ``schaipp_runs(SCHAIPP_FILES[:2])`` downloads two files on first use (not run here).
"""

from __future__ import annotations

import json
import os

import numpy as np

from lawfit.datasets._fetch import fetch, registry
from lawfit.runs import Run, RunSet

__all__ = ["SCHAIPP_FILES", "schaipp_runs"]

_PREFIX = "schaipp/raw/"
SCHAIPP_FILES = tuple(k[len(_PREFIX):] for k in registry() if k.startswith(_PREFIX))


def schaipp_runs(files=None, *, source: str | os.PathLike | None = None, progress=True) -> RunSet:
    """The Schaipp et al. runs (all, or the given names of :data:`SCHAIPP_FILES`) as a RunSet.

    ``source`` / ``progress``: see :func:`lawfit.datasets.fetch`."""
    names = list(SCHAIPP_FILES if files is None else files)
    unknown = [f for f in names if f not in SCHAIPP_FILES]
    if unknown:
        raise ValueError(f"unknown Schaipp et al. file(s) {unknown[:3]}; see lawfit.datasets.SCHAIPP_FILES")
    return RunSet(_read(name, fetch(_PREFIX + name, source=source, progress=progress)) for name in names)


def _read(name: str, path) -> Run:
    # TODO(issue 16): lawfit.io.read(path, format="wandb-json") once that importer is merged
    doc = json.loads(path.read_text())
    cfg, hist = doc["config"], doc["history"]
    T, warm, peak = int(cfg["iterations"]), int(cfg["warmup_steps"]), float(cfg["lr"])
    train, val = hist["train"], hist["val"]
    metrics = {"val_loss": _points(val["iter"], val["val_loss"], T),
               "train_loss": _points(train["iter"], train["train_loss"], T)}
    steps, lrs = _points(train["iter"], train["train_lr"], T)
    # a cooldown file starts after the warmup: the LR was the peak from the warmup's end until
    # the cooldown began at T - fract * T
    decay_start = T - round(float(cfg.get("wsd_fract_decay") or 0) * T)
    held = [x for x in dict.fromkeys((warm, decay_start)) if x < int(min(train["iter"]))]
    steps, lrs = np.concatenate([held, steps]), np.concatenate([[peak] * len(held), lrs])
    steps, lrs = np.concatenate([[0], steps[steps > 0]]), np.concatenate([[0.0], lrs[steps > 0]])
    meta = {k: v for k, v in cfg.items() if isinstance(v, (int, float, str, bool)) or v is None}
    first = int(min(*train["iter"], *val["iter"]))
    meta.update(N=float(doc["summary"]["parameters"]), file=name, first_logged_step=first,
                tokens_per_step=int(cfg["batch_size"] * cfg["acc_steps"] * cfg["world_size"]
                                    * cfg["sequence_length"]),
                peak_lr=peak, source=_PREFIX + name)
    meta["lr_interpolation"] = "linear"
    lr = np.interp(np.arange(T), steps, lrs)  # exact at the logged steps
    run_id = name.rsplit("/", 1)[-1].removesuffix(".json")
    return Run(run_id, lr=lr, metrics=metrics, meta=meta, lr_source="tabulated:linear")


def _points(steps, values, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Logged ``(step, value)`` pairs below the horizon (``None``: not logged), sorted; a step
    logged twice (a resumed run) gets the mean of its values."""
    pairs = [(int(s), float(v)) for s, v in zip(steps, values, strict=True) if v is not None and s < T]
    s, v = np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs])
    uniq, inv = np.unique(s, return_inverse=True)
    return uniq, np.bincount(inv, weights=v) / np.bincount(inv)
