"""Named readers: :func:`lawfit.io.read` with the format fixed (same options, same errors).

Example:
    >>> from lawfit import io
    >>> io.read_tensorboard  # doctest: +ELLIPSIS
    <function read_tensorboard at ...>
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from lawfit.io._read import read
from lawfit.runs import RunSet

__all__ = [
    "read_table",
    "read_wandb_csv",
    "read_wandb",
    "read_tensorboard",
    "read_trainer_state",
    "read_mlruns",
    "read_mlflow",
    "read_text_log",
]

Paths = str | os.PathLike | Sequence[str | os.PathLike]


def read_table(paths: Paths, **options: Any) -> RunSet:
    """CSV / TSV / Parquet / JSONL: canonical, long (``run_id, step, metric, value``) or wide
    (``step`` + one column per metric, e.g. ``step,lr,loss``) tables."""
    return read(paths, **options)


def read_wandb_csv(paths: Paths, **options: Any) -> RunSet:
    """A W&B panel CSV export (``<run> - <metric>`` columns; ``__MIN``/``__MAX`` dropped)."""
    return read(paths, format="wandb-csv", **options)


def read_wandb(run_paths: str | Sequence[str], *, api: Any = None, **options: Any) -> RunSet:
    """W&B runs ``"entity/project/run_id"`` via the public API, every logged row of every key
    (``pip install 'lawfit[wandb]'``); ``keys=[...]`` restricts the metrics read."""
    return read(run_paths, format="wandb-api", api=api, **options)


def read_tensorboard(paths: Paths, **options: Any) -> RunSet:
    """TensorBoard event files or log dirs, every scalar (``pip install 'lawfit[tensorboard]'``)."""
    return read(paths, format="tensorboard", **options)


def read_trainer_state(paths: Paths, **options: Any) -> RunSet:
    """Hugging Face ``trainer_state.json`` files (or checkpoint dirs holding one)."""
    return read(paths, format="hf-trainer", **options)


def read_mlruns(paths: Paths, **options: Any) -> RunSet:
    """An MLflow file store (``mlruns/`` folder, experiment or run folder); no mlflow needed."""
    return read(paths, format="mlflow", **options)


def read_mlflow(run_ids: str | Sequence[str], *, client: Any = None, **options: Any) -> RunSet:
    """MLflow runs by id through ``MlflowClient.get_metric_history``
    (``pip install 'lawfit[mlflow]'``); ``tracking_uri=`` selects the server."""
    return read(run_ids, format="mlflow-client", api=client, **options)


def read_text_log(paths: Paths, framework: str | None = None, **options: Any) -> RunSet:
    """Megatron-LM / nanotron / torchtitan / nanoGPT stdout (``framework`` detected if None)."""
    return read(paths, format=framework or "textlog", **options)
