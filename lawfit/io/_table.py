"""The canonical run table: a RunSet as one long table, and back, losslessly.

Columns (one row per observation, see :mod:`lawfit.io` for the full description):

=========  =========  ==========================================================================
column     dtype      meaning
=========  =========  ==========================================================================
run_id     string     the run
step       int64      0-based optimizer step (empty / NA on the run's ``__run__`` row)
metric     string     metric name; ``"lr"`` rows hold the run's full per-step LR array
                      (one row per step ``0 .. T-1``); ``"__run__"`` is the run's metadata row
value      float64    observed value (NaN / inf kept as logged)
lr         float64    the run's LR at that step (NaN where unknown or past the LR array)
meta       string     on ``__run__`` rows only: JSON ``{"meta": {...}, "lr_source": ...,
                      "total_steps": T or null, "metrics": [names]}``; empty elsewhere
=========  =========  ==========================================================================
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from lawfit.io._build import BuildOptions, RawRun, build_run
from lawfit.io._errors import ParseError
from lawfit.runs import Run, RunSet

__all__ = ["COLUMNS", "RUN_ROW", "LR_METRIC", "runset_to_frame", "frame_to_runset"]

COLUMNS = ("run_id", "step", "metric", "value", "lr", "meta")
RUN_ROW = "__run__"
LR_METRIC = "lr"
RESERVED = (RUN_ROW, LR_METRIC)
TABLE_VERSION = 1


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"{type(o).__name__} is not JSON-able")


def encode_meta(run: Run) -> str:
    payload = {
        "meta": dict(run.meta),
        "lr_source": run.lr_source,
        "total_steps": run.total_steps,
        "metrics": list(run.metrics),
        "lawfit_table": TABLE_VERSION,
    }
    try:
        return json.dumps(payload, default=_json_default, allow_nan=True, ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"run {run.run_id!r}: metadata is not JSON-able ({e}); store numbers, strings, lists "
            "and dicts only"
        ) from None


def runset_to_frame(runset: RunSet) -> pd.DataFrame:
    """The canonical long table of ``runset`` (columns :data:`COLUMNS`)."""
    c = table_columns(runset)
    return pd.DataFrame(
        {
            "run_id": pd.array(c["run_id"], dtype=object),
            "step": pd.arrays.IntegerArray(c["step"], c["step_na"]),
            "metric": pd.array(c["metric"], dtype=object),
            "value": c["value"],
            "lr": c["lr"],
            "meta": pd.array(c["meta"], dtype=object),
        }
    )


def table_columns(runset: RunSet) -> dict[str, np.ndarray]:
    """Numpy columns of the canonical table (``step_na`` marks the ``__run__`` rows)."""
    if isinstance(runset, Run):
        runset = RunSet([runset])
    ids, steps, metrics, values, lrs, metas = [], [], [], [], [], []
    step_mask = []
    for run in runset:
        for m in run.metrics:
            if m in RESERVED:
                raise ValueError(
                    f"run {run.run_id!r} has a metric named {m!r}, which the canonical table "
                    f"reserves ({RESERVED}); rename it (the LR belongs in run.lr)"
                )
        lr = run.lr
        ids.append(np.array([run.run_id]))
        steps.append(np.zeros(1, np.int64))
        step_mask.append(np.array([True]))
        metrics.append(np.array([RUN_ROW], dtype=object))
        values.append(np.array([np.nan]))
        lrs.append(np.array([np.nan]))
        metas.append(np.array([encode_meta(run)], dtype=object))
        blocks = []
        if lr is not None:
            blocks.append((LR_METRIC, np.arange(lr.size, dtype=np.int64), lr))
        blocks += [(m, o.steps, o.values) for m, o in run.metrics.items()]
        for name, s, v in blocks:
            n = s.size
            ids.append(np.full(n, run.run_id, dtype=object))
            steps.append(s)
            step_mask.append(np.zeros(n, bool))
            metrics.append(np.full(n, name, dtype=object))
            values.append(v)
            if lr is None:
                lrs.append(np.full(n, np.nan))
            else:
                at = np.full(n, np.nan)
                inside = s < lr.size
                at[inside] = lr[s[inside]]
                lrs.append(at)
            metas.append(np.full(n, None, dtype=object))
    if not ids:
        return {
            "run_id": np.array([], dtype=object),
            "step": np.array([], dtype=np.int64),
            "step_na": np.array([], dtype=bool),
            "metric": np.array([], dtype=object),
            "value": np.array([], dtype=np.float64),
            "lr": np.array([], dtype=np.float64),
            "meta": np.array([], dtype=object),
        }
    return {
        "run_id": np.concatenate(ids).astype(object),
        "step": np.concatenate(steps).astype(np.int64),
        "step_na": np.concatenate(step_mask),
        "metric": np.concatenate(metrics),
        "value": np.concatenate(values).astype(np.float64),
        "lr": np.concatenate(lrs).astype(np.float64),
        "meta": np.concatenate(metas),
    }


# ---------------------------------------------------------------------------------------------
# frame -> RunSet


def _col(frame: pd.DataFrame, name: str, path, line_offset) -> pd.Series:
    if name not in frame.columns:
        raise ParseError(
            f"the table has no {name!r} column (columns: {list(frame.columns)[:12]})",
            path=path,
            line=1 if line_offset is not None else None,
            column=name,
            hint="a long table needs run_id, step, metric, value (and optionally lr)",
        )
    return frame[name]


def _line(i: int, line_offset: Any) -> int | None:
    """File line of frame row ``i``: ``line_offset`` is the line of row 0, or an array of lines."""
    if line_offset is None:
        return None
    if isinstance(line_offset, np.ndarray):
        return int(line_offset[i])
    return int(i) + int(line_offset)


def _float_column(series: pd.Series, name: str, path, line_offset) -> np.ndarray:
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError):
        conv = pd.to_numeric(series, errors="coerce")
        bad = conv.isna() & series.notna()
        i = int(np.argmax(bad.to_numpy()))
        raise ParseError(
            f"{series.iloc[i]!r} in numeric column {name!r} is not a number",
            path=path,
            line=_line(i, line_offset),
            column=name,
        ) from None


def _int_steps(series: pd.Series, path, line_offset, rows=None) -> np.ndarray:
    """int64 steps; whole, finite, non-negative numbers only."""
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        s = series.to_numpy(dtype=np.int64)
    else:
        f = _float_column(series, "step", path, line_offset)
        bad = ~np.isfinite(f) | (f != np.round(f)) | (np.abs(f) > 2.0**62)
        if bad.any():
            i = int(np.argmax(bad))
            raise ParseError(
                f"step {series.astype(object).iloc[i]} is not a whole number",
                path=path,
                line=_line(i if rows is None else rows[i], line_offset),
                column="step",
            )
        s = f.astype(np.int64)
    neg = s < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise ParseError(
            f"negative step {int(s[i])}; steps are 0-based optimizer steps",
            path=path,
            line=_line(i if rows is None else rows[i], line_offset),
            column="step",
        )
    return s


def _groups(codes: np.ndarray) -> list[np.ndarray]:
    """Row indices per code, codes in first-appearance order, rows in file order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def frame_to_runset(
    frame: pd.DataFrame,
    *,
    path: str | None = None,
    line_offset: int | None = None,
    **options: Any,
) -> RunSet:
    """A RunSet from a long table.

    A canonical table (with ``__run__`` rows) is rebuilt exactly: LR array, metrics, metadata and
    ``lr_source`` as written. Any other long table (columns ``run_id`` (or ``run``), ``step``,
    ``metric``, ``value`` and optionally ``lr``) goes through the importer's rules (aliases,
    repeated steps, LR rebuild); ``options`` are those of :func:`lawfit.io.read`.

    ``path`` and ``line_offset`` (line of row 0 in the file) only make error messages precise.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    frame = _normalise(frame)
    run_ids, metric = _ids(frame, path, line_offset)
    is_run_row = metric == RUN_ROW
    if is_run_row.any():
        return _canonical(frame, run_ids, metric, is_run_row, path, line_offset)
    opts = BuildOptions(**options)
    return RunSet(
        build_run(r, opts) for r in _generic_raws(frame, path=path, line_offset=line_offset)
    )


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    if "run_id" not in frame.columns and "run" in frame.columns:
        frame = frame.rename(columns={"run": "run_id"})
    return frame.reset_index(drop=True)


def _ids(frame, path, line_offset):
    run_col = _col(frame, "run_id", path, line_offset)
    metric_col = _col(frame, "metric", path, line_offset)
    for name, col in (("run_id", run_col), ("metric", metric_col)):
        bad = col.isna().to_numpy() | (col.astype(str).to_numpy() == "")
        if bad.any():
            i = int(np.argmax(bad))
            raise ParseError(f"empty {name}", path=path, line=_line(i, line_offset), column=name)
    return (
        run_col.astype(str).to_numpy(dtype=object),
        metric_col.astype(str).to_numpy(dtype=object),
    )


def _canonical(frame, run_ids, metric, is_run_row, path, line_offset) -> RunSet:
    meta_col = _col(frame, "meta", path, line_offset)
    data = np.flatnonzero(~is_run_row)
    steps = np.zeros(len(frame), dtype=np.int64)
    if data.size:
        steps[data] = _int_steps(
            _col(frame, "step", path, line_offset).iloc[data].reset_index(drop=True),
            path,
            line_offset,
            rows=data,
        )
    values = _float_column(_col(frame, "value", path, line_offset), "value", path, line_offset)
    codes, uniques = pd.factorize(run_ids)
    runs = []
    for rows in _groups(codes):
        rid = str(run_ids[rows[0]])
        head = rows[is_run_row[rows]]
        if head.size != 1:
            raise ParseError(
                f"run {rid!r} has {head.size} {RUN_ROW!r} rows; a canonical table has exactly one "
                "per run",
                path=path,
                line=_line(rows[0], line_offset),
                column="metric",
            )
        h = int(head[0])
        try:
            info = json.loads(str(meta_col.iloc[h]))
            if not isinstance(info, dict) or not isinstance(info.get("meta", {}), dict):
                raise ValueError("not a JSON object with a 'meta' object")
        except (ValueError, RecursionError) as e:
            raise ParseError(
                f"run {rid!r}: metadata is not valid: {e}",
                path=path,
                line=_line(h, line_offset),
                column="meta",
            ) from None
        body = rows[~is_run_row[rows]]
        lr = None
        mets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if body.size:
            mcodes, mnames = pd.factorize(metric[body])
            for mrows in _groups(mcodes):
                r = body[mrows]
                name = str(metric[r[0]])
                s, v = steps[r], values[r]
                if name == LR_METRIC:
                    total = info.get("total_steps")
                    if (
                        total is None
                        or s.size != int(total)
                        or not np.array_equal(s, np.arange(s.size))
                    ):
                        raise ParseError(
                            f"run {rid!r}: 'lr' rows must cover steps 0..total_steps-1 "
                            f"(total_steps={total}) exactly once, in order",
                            path=path,
                            line=_line(r[0], line_offset),
                            column="step",
                        )
                    lr = v
                else:
                    mets[name] = (s, v)
        names = info.get("metrics")
        if isinstance(names, list):  # metric order, and metrics with no points, as written
            missing = [m for m in mets if m not in names]
            if missing:
                raise ParseError(
                    f"run {rid!r}: metric {missing[0]!r} is not listed in the run's metadata",
                    path=path,
                    line=_line(h, line_offset),
                    column="meta",
                )
            empty = (np.zeros(0, np.int64), np.zeros(0, np.float64))
            mets = {str(m): mets.get(str(m), empty) for m in names}
        if lr is None and info.get("total_steps") is not None:
            raise ParseError(
                f"run {rid!r}: metadata says total_steps={info['total_steps']} but there are no "
                "'lr' rows (truncated file?)",
                path=path,
                line=_line(h, line_offset),
                column="meta",
            )
        try:
            runs.append(
                Run(
                    rid,
                    lr=lr,
                    metrics=mets,
                    meta=info.get("meta", {}),
                    lr_source=str(info.get("lr_source", "array")),
                )
            )
        except ValueError as e:
            raise ParseError(str(e), path=path, line=_line(rows[0], line_offset)) from None
    return RunSet(runs)


def _generic_raws(frame, *, path=None, line_offset=None) -> list[RawRun]:
    """RawRuns of a non-canonical long table (``run_id, step, metric, value[, lr]``)."""
    frame = _normalise(frame)
    run_ids, metric = _ids(frame, path, line_offset)
    steps = _int_steps(_col(frame, "step", path, line_offset), path, line_offset)
    values = _float_column(_col(frame, "value", path, line_offset), "value", path, line_offset)
    lr_col = None
    if "lr" in frame.columns:
        lr_col = _float_column(frame["lr"], "lr", path, line_offset)
    codes, _ = pd.factorize(run_ids)
    out = []
    for rows in _groups(codes):
        rid = str(run_ids[rows[0]])
        raw = RawRun(rid, path=path, meta={"source": path} if path else {})
        mcodes, _ = pd.factorize(metric[rows])
        for mrows in _groups(mcodes):
            r = rows[mrows]
            raw.metrics[str(metric[r[0]])] = (steps[r], values[r])
        if lr_col is not None and LR_METRIC not in raw.metrics:
            keep = rows[np.isfinite(lr_col[rows])]
            if keep.size:
                pairs = pd.DataFrame({"s": steps[keep], "v": lr_col[keep]}).drop_duplicates()
                # identical (step, lr) pairs repeat once per metric; real repeats (resumed runs)
                # stay and meet the duplicates policy
                raw.metrics[LR_METRIC] = (pairs["s"].to_numpy(), pairs["v"].to_numpy())
        out.append(raw)
    return out
