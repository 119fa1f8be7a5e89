"""Weights & Biases: the UI's CSV export, and the public API at full resolution.

**CSV export** (a chart panel's "Export CSV"): the first column is the x axis (``Step`` or any
other), then ``<run> - <metric>`` columns, each with ``__MIN`` / ``__MAX`` companions that are
smoothing bounds, not data: they are dropped (and not even parsed). The header is split at the
*last* ``" - "`` (run names may contain it) unless ``metrics=[...]`` names the metrics to expect.
``Group: <name> - <metric>`` columns become run ``Group: <name>``. Empty cells are steps a run did
not log (dropped per run). Runs are marked ``meta["possibly_downsampled"] = True`` because a panel
export may be capped by the chart's point limit.

**API** (``pip install 'lawfit[wandb]'``): ``wandb.Api().run(path)`` then, per logged key,
``run.scan_history(keys=[key, "_step"])``: complete rows (never the sampled ``history()``), and
one call per key avoids ``scan_history(keys=[...])``'s rule of returning only rows holding *every*
requested key. Keys default to the numeric keys of the run's summary (``keys=[...]`` to choose);
non-numeric values (media, histograms, tables, text) are not curves and are skipped. An empty
history for a run whose summary shows progress is an error (wandb 0.27.1-0.27.2 returned nothing
for resumed runs).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lawfit.io._build import RawRun
from lawfit.io._csvlike import decode, first_line, numeric_column, read_csv_bytes
from lawfit.io._errors import ImportError, MissingExtraError, ParseError

__all__ = [
    "is_wandb_header",
    "wandb_csv_to_raw",
    "read_wandb_api",
    "looks_like_wandb_json",
    "wandb_json_to_raw",
    "is_runs_table",
]

SEP = " - "
BOUNDS = ("__MIN", "__MAX")


def is_wandb_header(columns: Sequence[str]) -> bool:
    return len(columns) >= 2 and all(SEP in str(c) for c in columns[1:])


_RUNS_TABLE = {"name", "state", "notes", "user", "tags", "created", "runtime", "sweep", "id"}


def is_runs_table(columns: Sequence[str]) -> bool:
    """The W&B project page's runs-table export: one row per run, ``Name``, ``State``, ...
    (config and summary values, no history)."""
    low = {str(c).strip().lower() for c in columns}
    return "name" in low and len(low & _RUNS_TABLE) >= 3


def _split(header: str, metrics: Sequence[str] | None) -> tuple[str, str] | None:
    if metrics:
        for m in sorted(metrics, key=len, reverse=True):
            if header.endswith(SEP + m):
                return header[: -len(SEP + m)], m
    if SEP not in header:
        return None
    run, metric = header.rsplit(SEP, 1)
    return run, metric


def wandb_csv_to_raw(
    data: bytes, path: Path, *, lines, metrics: Sequence[str] | None = None
) -> list[RawRun]:
    header = read_csv_bytes(first_line(data), path).column_names
    keep = [c for c in header if not str(c).endswith(BOUNDS)]
    import pyarrow.csv as pacsv  # noqa: F401 - include_columns path below

    table = _read_columns(data, path, keep)
    x = keep[0]
    xs = numeric_column(table, x, path, lines)
    runs: dict[str, RawRun] = {}
    for c in keep[1:]:
        split = _split(str(c), metrics)
        if split is None:
            raise ParseError(f"header {c!r} is not '<run> - <metric>'", path=path, line=1, column=c)
        run, metric = split
        v = numeric_column(table, c, path, lines)
        logged = ~table.column(c).is_null().to_numpy(zero_copy_only=False)
        s = xs[logged]
        bad = ~np.isfinite(s) | (s != np.round(s)) | (s < 0)
        if bad.any():
            i = int(np.flatnonzero(logged)[int(np.argmax(bad))])
            raise ParseError(
                f"x value {table.column(x)[i].as_py()!r} is not a non-negative whole step",
                path=path,
                line=lines(i),
                column=x,
            )
        r = runs.setdefault(
            run,
            RawRun(
                run,
                path=str(path),
                meta={"source": str(path), "possibly_downsampled": True, "x_axis": str(x)},
            ),
        )
        if metric in r.metrics:
            raise ParseError(
                f"run {run!r} has metric {metric!r} twice", path=path, line=1, column=c
            )
        r.metrics[metric] = (s.astype(np.int64), v[logged])
    if table.num_rows == 0:
        raise ParseError("no data rows after the header", path=path, line=2)
    return list(runs.values())


def _read_columns(data: bytes, path: Path, keep: Sequence[str]) -> pa.Table:
    import io

    import pyarrow.csv as pacsv

    from lawfit.io._csvlike import _locate

    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(keep),
                column_types={c: pa.float64() for c in keep},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowException as e:
        if "conversion error" in str(e):  # text in a numeric column: re-read untyped to locate it
            from lawfit.io._csvlike import read_csv_bytes as untyped

            table = untyped(data, path).select(list(keep))
            return table
        decode(data, "utf-8", path)
        raise _locate(data, ",", path, str(e).splitlines()[0]) from None


# ---------------------------------------------------------------------------------------------
# public API


def _api(api: Any | None):
    if api is not None:
        return api
    try:
        import wandb
    except builtins.ImportError:  # the package is missing
        raise MissingExtraError("wandb", "wandb", "reading runs from the W&B API") from None
    return wandb.Api()


def read_wandb_api(
    run_paths: Iterable[str],
    *,
    keys: Sequence[str] | None = None,
    api: Any | None = None,
    page_size: int = 1000,
) -> list[RawRun]:
    """RawRuns of W&B runs (``"entity/project/run_id"``), every logged row of every key."""
    api = _api(api)
    out = []
    for path in run_paths:
        run = api.run(path)
        summary = dict(getattr(run, "summary", {}) or {})
        wanted = list(keys) if keys else _history_keys(run, summary)
        raw = RawRun(
            str(getattr(run, "name", None) or getattr(run, "id", path)),
            path=f"wandb:{path}",
            meta={
                "source": f"wandb:{path}",
                "wandb_id": str(getattr(run, "id", "")),
                "config": _jsonable(dict(getattr(run, "config", {}) or {})),
            },
        )
        total = 0
        for key in wanted:
            if key.startswith("_"):
                continue
            steps, values = [], []
            for row in run.scan_history(keys=[key, "_step"], page_size=page_size):
                v, s = row.get(key), row.get("_step")
                if v is None or s is None or isinstance(v, (dict, list, str, bool)):
                    continue
                steps.append(s)
                values.append(float(v))
            if steps:
                raw.metrics[key] = (np.asarray(steps, dtype=np.int64), np.asarray(values))
                total += len(steps)
        if total == 0 and int(summary.get("_step", 0) or 0) > 0:
            raise ImportError(
                f"W&B run {path!r}: scan_history returned no rows although the summary reports "
                f"_step={summary.get('_step')} (a known wandb 0.27.1-0.27.2 bug for resumed runs)",
                path=f"wandb:{path}",
                hint="upgrade wandb, or download the run's history artifact and read its Parquet",
            )
        out.append(raw)
    return out


def _history_keys(run: Any, summary: dict) -> list[str]:
    keys = [
        k for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    return [k for k in keys if not k.startswith("_")]


def _jsonable(d: dict) -> dict:
    import json

    out = {}
    for k, v in d.items():
        try:
            json.dumps(v)
            out[str(k)] = v
        except (TypeError, ValueError):
            out[str(k)] = repr(v)
    return out


# ---------------------------------------------------------------------------------------------
# JSON history exports


def looks_like_wandb_json(obj: Any) -> bool:
    """A W&B run exported as JSON: ``{"history": {...} or [...], "config"?, "summary"?, ...}``,
    or a bare list of history rows (``run.history().to_json(orient="records")``)."""
    if isinstance(obj, list):
        return bool(obj) and all(isinstance(r, dict) for r in obj)
    return isinstance(obj, dict) and isinstance(obj.get("history"), (dict, list))


def _key_line(text: str, key: str) -> int:
    i = text.find(f'"{key}"')
    return 1 if i < 0 else text.count("\n", 0, i) + 1


def _branch_of(config: dict) -> dict | None:
    """``resume_from=".../<base run>/ckpts/<step>"`` (llm-baselines style): the base and step."""
    src = config.get("resume_from")
    if not isinstance(src, str):
        return None
    import re

    m = re.search(r"([^/\\]+)[/\\]+ckpts?[/\\]+(\d+)[/\\]*$", src)
    if not m:
        return None
    return {"run": m.group(1), "at_step": int(m.group(2)), "from": "config.resume_from"}


def wandb_json_to_raw(obj: dict, text: str, path: Path, run_id: str) -> RawRun:
    """RawRun of a W&B JSON export. ``history`` may be a dict of groups
    (``{"train": {"iter": [...], "train_loss": [...]}, "val": {...}}``), a dict of columns
    (``{"_step": [...], "loss": [...]}``) or a list of rows (``[{"_step": 0, "loss": ...}]``); the
    step of each group is its step column (``_step``, ``iter``, ``step``...). Segments of resumed
    runs may repeat or come out of order: the points are not assumed chronological."""
    from lawfit.io._csvlike import STEP_KEYS
    from lawfit.io._errors import note

    if isinstance(obj, list):
        obj = {"history": obj}
    config = obj.get("config") if isinstance(obj.get("config"), dict) else {}
    raw = RawRun(
        run_id,
        path=str(path),
        meta={"source": str(path), "format": "wandb-json"},
        chronological=False,
    )
    if config:
        raw.meta["config"] = _jsonable(config)
        for ours, theirs in (
            ("peak_lr", ("lr", "learning_rate", "max_lr")),
            ("warmup_steps", ("warmup_steps", "warmup_iters")),
        ):
            for k in theirs:
                if isinstance(config.get(k), (int, float)) and not isinstance(config[k], bool):
                    raw.meta[ours] = config[k]
                    break
        branch = _branch_of(config)
        if branch:
            raw.meta["branch_of"] = branch
    if isinstance(obj.get("summary"), dict):
        raw.meta["summary"] = _jsonable(obj["summary"])
    if isinstance(obj.get("name"), str):
        raw.meta["wandb_name"] = obj["name"]
    hist = obj["history"]
    if isinstance(hist, list):
        keys: dict[str, None] = {}
        for row in hist:
            if not isinstance(row, dict):
                raise ParseError(
                    f"history rows must be objects, got {type(row).__name__}",
                    path=path,
                    line=_key_line(text, "history"),
                    column="history",
                )
            keys.update(dict.fromkeys(row))
        hist = {"history": {k: [row.get(k) for row in hist] for k in keys}}
    elif not any(isinstance(g, dict) for g in hist.values()):
        hist = {"history": hist}
    skipped: dict[str, int] = {}
    for group, cols in hist.items():
        if not isinstance(cols, dict):
            continue
        low = {str(k).strip().lower(): k for k in cols}
        step_key = next((low[k] for k in STEP_KEYS if k in low), None)
        data = {k: v for k, v in cols.items() if k != step_key and isinstance(v, list) and v}
        if not data:
            continue
        if step_key is None or not isinstance(cols[step_key], list):
            raise ParseError(
                f"history group {group!r} has no step column (looked for {STEP_KEYS})",
                path=path,
                line=_key_line(text, str(group)),
                column=f"history.{group}",
            )
        steps_raw = cols[step_key]
        for key, values in data.items():
            name = str(key) if key not in raw.metrics else f"{group}/{key}"
            where = {
                "path": path,
                "line": _key_line(text, str(key)),
                "column": f"history.{group}.{key}",
            }
            if len(values) != len(steps_raw):
                # values cannot be placed on steps: kept in meta, never guessed
                raw.meta.setdefault("unaligned_history", {})[f"{group}.{key}"] = [
                    v if isinstance(v, (int, float)) else None for v in values
                ]
                note(
                    raw.meta,
                    raw,
                    "inferred",
                    {
                        "what": f"history.{group}.{key} left out of the curves",
                        "from": f"{len(values)} values for {len(steps_raw)} steps "
                        f"({step_key!r}): cannot be placed (kept in meta['unaligned_history'])",
                    },
                    what=f"history.{group}.{key} not placed on steps",
                )
                continue
            s, v = [], []
            for i, (st, x) in enumerate(zip(steps_raw, values, strict=True)):
                if x is None or st is None:
                    continue
                if isinstance(x, bool) or not isinstance(x, (int, float)):
                    skipped[name] = skipped.get(name, 0) + 1
                    continue
                if (
                    isinstance(st, bool)
                    or not isinstance(st, (int, float))
                    or st != st
                    or st < 0
                    or st != int(st)
                    or st >= 2**63
                ):
                    raise ParseError(
                        f"step {str(st)[:40]} (entry {i} of {step_key!r}) is not a non-negative "
                        "whole number",
                        **{**where, "column": f"history.{group}.{step_key}"},
                    )
                try:
                    s.append(int(st))
                    v.append(float(x))
                except OverflowError:
                    raise ParseError(
                        f"value {str(x)[:40]} is too large for float64", **where
                    ) from None
            if s:
                raw.metrics[name] = (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64))
    if skipped:
        raw.meta["non_numeric_values_skipped"] = skipped
    if not raw.metrics:
        raise ParseError(
            "the W&B export holds no numeric history (final values only?)",
            path=path,
            line=_key_line(text, "history"),
            column="history",
            hint="export the run's full history (run.scan_history()), not only its summary",
        )
    return raw
