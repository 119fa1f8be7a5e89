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
    run_codes, steps, metric_codes, values, lrs, step_mask = [], [], [], [], [], []
    vocab: dict[str, int] = {RUN_ROW: 0, LR_METRIC: 1}
    heads, head_meta = [], []
    n_rows = 0
    for k, run in enumerate(runset):
        for m in run.metrics:
            if m in RESERVED:
                raise ValueError(
                    f"run {run.run_id!r} has a metric named {m!r}, which the canonical table "
                    f"reserves ({RESERVED}); rename it (the LR belongs in run.lr)"
                )
        lr = run.lr
        heads.append(n_rows)
        head_meta.append(encode_meta(run))
        blocks = [(RUN_ROW, np.zeros(1, np.int64), np.array([np.nan]))]
        if lr is not None:
            blocks.append((LR_METRIC, np.arange(lr.size, dtype=np.int64), lr))
        blocks += [(m, o.steps, o.values) for m, o in run.metrics.items()]
        for name, st, v in blocks:
            n = st.size
            code = vocab.setdefault(name, len(vocab))
            run_codes.append(np.full(n, k, dtype=np.int64))
            metric_codes.append(np.full(n, code, dtype=np.int64))
            steps.append(st)
            step_mask.append(np.full(n, name == RUN_ROW))
            values.append(v)
            at = np.full(n, np.nan)
            if lr is not None and name != RUN_ROW:
                inside = st < lr.size
                at[inside] = lr[st[inside]]
            lrs.append(at)
            n_rows += n
    ids = np.array([r.run_id for r in runset] or [""], dtype=object)
    names = np.array(list(vocab), dtype=object)
    meta = np.full(n_rows, None, dtype=object)
    if heads:
        meta[np.asarray(heads)] = np.array(head_meta, dtype=object)

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

    return {
        "run_id": ids[cat(run_codes, np.int64)],
        "step": cat(steps, np.int64),
        "step_na": cat(step_mask, bool),
        "metric": names[cat(metric_codes, np.int64)],
        "value": cat(values, np.float64),
        "lr": cat(lrs, np.float64),
        "meta": meta,
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
    if callable(line_offset):
        return int(line_offset(int(i)))
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
    line_offset: Any = None,
    **options: Any,
) -> RunSet:
    """A RunSet from a long table.

    A canonical table (with ``__run__`` rows) is rebuilt exactly: LR array, metrics, metadata and
    ``lr_source`` as written. Any other long table (columns ``run_id`` (or ``run``), ``step``,
    ``metric``, ``value`` and optionally ``lr``) goes through the importer's rules (aliases,
    repeated steps, LR rebuild); ``options`` are those of :func:`lawfit.io.read`.

    ``path`` and ``line_offset`` (the file line of row 0, an array of lines, or a function of the
    row) only make error messages precise.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    frame = _normalise(frame)
    run_codes, run_names, mcodes, mnames = _codes(frame, path, line_offset)
    if RUN_ROW in set(mnames):
        return _canonical(frame, run_codes, run_names, mcodes, mnames, path, line_offset)
    opts = BuildOptions(**options)
    raws = _generic_raws(frame, path=path, line_offset=line_offset)
    return RunSet(build_run(r, opts) for r in raws)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    if "run_id" not in frame.columns and "run" in frame.columns:
        frame = frame.rename(columns={"run": "run_id"})
    return frame.reset_index(drop=True)


def _codes(frame, path, line_offset):
    """Integer codes (first-appearance order) and names of the run_id and metric columns."""
    out = []
    for name in ("run_id", "metric"):
        col = _col(frame, name, path, line_offset)
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        names = [("" if u is None else str(u)) for u in np.asarray(uniques, dtype=object)]
        bad = codes < 0
        if "" in names:
            bad |= codes == names.index("")
        if bad.any():
            i = int(np.argmax(bad))
            raise ParseError(f"empty {name}", path=path, line=_line(i, line_offset), column=name)
        out += [np.asarray(codes, dtype=np.int64), names]
    return tuple(out)


def _canonical(frame, run_codes, run_names, mcodes, mnames, path, line_offset) -> RunSet:
    meta_col = _col(frame, "meta", path, line_offset)
    head_code = mnames.index(RUN_ROW)
    is_run_row = mcodes == head_code
    data = np.flatnonzero(~is_run_row)
    steps = np.zeros(len(frame), dtype=np.int64)
    step_col = _col(frame, "step", path, line_offset)
    if data.size == len(frame):
        steps = _int_steps(step_col, path, line_offset)
    elif data.size:
        sub = step_col.iloc[data].reset_index(drop=True)
        steps[data] = _int_steps(sub, path, line_offset, rows=data)
    values = _float_column(_col(frame, "value", path, line_offset), "value", path, line_offset)
    lr_code = mnames.index(LR_METRIC) if LR_METRIC in mnames else -1
    runs = []
    for rows in _groups(run_codes):
        rid = run_names[run_codes[rows[0]]]
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
            for mrows in _groups(mcodes[body]):
                r = body[mrows]
                code = int(mcodes[r[0]])
                name = mnames[code]
                s, v = steps[r], values[r]
                if code == lr_code:
                    total = info.get("total_steps")
                    if (
                        not isinstance(total, int)
                        or s.size != total
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
    run_codes, run_names, mcodes, mnames = _codes(frame, path, line_offset)
    steps = _int_steps(_col(frame, "step", path, line_offset), path, line_offset)
    values = _float_column(_col(frame, "value", path, line_offset), "value", path, line_offset)
    lr_col = None
    if "lr" in frame.columns:
        lr_col = _float_column(frame["lr"], "lr", path, line_offset)
    out = []
    for rows in _groups(run_codes):
        rid = run_names[run_codes[rows[0]]]
        raw = RawRun(rid, path=path, meta={"source": path} if path else {})
        for mrows in _groups(mcodes[rows]):
            r = rows[mrows]
            raw.metrics[mnames[mcodes[r[0]]]] = (steps[r], values[r])
            if line_offset is not None:  # source line of each point, for error messages
                raw.lines[mnames[mcodes[r[0]]]] = lambda k, _r=r: _line(_r[k], line_offset)
        if lr_col is not None and LR_METRIC not in raw.metrics:
            keep = rows[np.isfinite(lr_col[rows])]
            if keep.size:
                pairs = pd.DataFrame({"s": steps[keep], "v": lr_col[keep]}).drop_duplicates()
                # identical (step, lr) pairs repeat once per metric; real repeats (resumed runs)
                # stay and meet the duplicates policy
                raw.metrics[LR_METRIC] = (pairs["s"].to_numpy(), pairs["v"].to_numpy())
        out.append(raw)
    return out
