"""MLflow: the file store read directly (no mlflow needed), and the client API (``lawfit[mlflow]``).

File store layout: ``mlruns/<experiment_id>/<run_id>/metrics/<key>`` with one line per point,
``<timestamp_ms> <value> [<step>]`` (a missing step is 0, as MLflow does). Keys containing ``/``
are nested directories; the key is rebuilt from the relative path. ``params/<key>`` and
``tags/<key>`` (one value per file) go to ``meta["params"]`` / ``meta["tags"]``; the run name is
``tags/mlflow.runName`` when present, else the run folder name.

Client: ``MlflowClient().get_metric_history(run_id, key)`` for every key of the run (never
``search_runs``, which holds only the latest values).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from lawfit.io._build import RawRun
from lawfit.io._errors import MissingExtraError, ParseError

__all__ = ["is_mlflow_run_dir", "find_mlflow_runs", "read_mlflow_run_dir", "read_mlflow_client"]


def is_mlflow_run_dir(p: Path) -> bool:
    return (
        p.is_dir()
        and (p / "metrics").is_dir()
        and ((p / "meta.yaml").exists() or (p / "params").is_dir() or (p / "tags").is_dir())
    )


def find_mlflow_runs(root: Path) -> list[Path]:
    """Run directories under an ``mlruns`` folder, an experiment folder, or a run folder."""
    if is_mlflow_run_dir(root):
        return [root]
    out = []
    for metrics in sorted(root.rglob("metrics")):
        if metrics.is_dir() and is_mlflow_run_dir(metrics.parent) and ".trash" not in metrics.parts:
            out.append(metrics.parent)
    return out


def _read_text(p: Path) -> str:
    try:
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(
            f"not UTF-8 text ({e.reason})", path=p, line=1, column=e.start + 1
        ) from None


def _kv_dir(d: Path) -> dict[str, str]:
    out = {}
    if d.is_dir():
        for f in sorted(d.rglob("*")):
            if f.is_file():
                out[f.relative_to(d).as_posix()] = _read_text(f).strip()
    return out


def read_metric_file(f: Path) -> tuple[np.ndarray, np.ndarray]:
    steps, values = [], []
    for i, line in enumerate(_read_text(f).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            raise ParseError(
                f"expected '<timestamp> <value> [<step>]', got {line[:60]!r}",
                path=f,
                line=i,
            )
        try:
            value = float(parts[1])
        except ValueError:
            raise ParseError(
                f"value {parts[1][:40]!r} is not a number", path=f, line=i, column=2
            ) from None
        step = 0
        if len(parts) == 3:
            try:
                step = int(parts[2])
            except ValueError:
                raise ParseError(
                    f"step {parts[2][:40]!r} is not an integer", path=f, line=i, column=3
                ) from None
            if step < 0 or step > 2**62:
                raise ParseError(f"step {step} is out of range", path=f, line=i, column=3)
        try:
            int(parts[0])
        except ValueError:
            raise ParseError(
                f"timestamp {parts[0][:40]!r} is not an integer", path=f, line=i, column=1
            ) from None
        steps.append(step)
        values.append(value)
    return np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64)


def read_mlflow_run_dir(run_dir: Path) -> RawRun:
    tags = _kv_dir(run_dir / "tags")
    params = _kv_dir(run_dir / "params")
    name = tags.get("mlflow.runName") or run_dir.name
    raw = RawRun(
        name,
        path=str(run_dir),
        meta={
            "source": str(run_dir),
            "mlflow_run_id": run_dir.name,
            "mlflow_experiment_id": run_dir.parent.name,
            "params": params,
            "tags": {k: v for k, v in tags.items() if not k.startswith("mlflow.")},
        },
    )
    mdir = run_dir / "metrics"
    for f in sorted(mdir.rglob("*")):
        if f.is_file():
            raw.metrics[f.relative_to(mdir).as_posix()] = read_metric_file(f)
    return raw


def read_mlflow_client(
    run_ids: Iterable[str], *, client: Any | None = None, tracking_uri: str | None = None
) -> list[RawRun]:
    """RawRuns from an MLflow server via ``MlflowClient.get_metric_history``."""
    if client is None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise MissingExtraError(
                "mlflow-skinny", "mlflow", "reading MLflow runs from a server"
            ) from None
        client = MlflowClient(tracking_uri=tracking_uri)
    out = []
    for rid in run_ids:
        run = client.get_run(rid)
        data = run.data
        name = (data.tags or {}).get("mlflow.runName") or rid
        raw = RawRun(
            name,
            path=f"mlflow:{rid}",
            meta={
                "source": f"mlflow:{rid}",
                "mlflow_run_id": rid,
                "params": dict(data.params or {}),
                "tags": {k: v for k, v in (data.tags or {}).items() if not k.startswith("mlflow.")},
            },
        )
        for key in sorted(data.metrics or {}):
            hist = client.get_metric_history(rid, key)
            raw.metrics[key] = (
                np.asarray([m.step for m in hist], dtype=np.int64),
                np.asarray([m.value for m in hist], dtype=np.float64),
            )
        out.append(raw)
    return out
