"""CSV, TSV, Parquet and JSONL readers (canonical tables, long tables, one-file-per-run tables).

Shapes recognised (column names matched case-insensitively):

* **canonical** (written by :func:`lawfit.io.write`): exact round trip;
* **long**: ``run_id`` (or ``run``, ``run_name``), ``step``, ``metric``, ``value`` and optionally
  ``lr``;
* **wide**: a step column (``step``, ``_step``, ``iter``, ``iteration``, ``global_step``,
  ``train/global_step``, ``trainer/global_step``) and one column per metric, e.g. the Multi-Power
  Law files ``step,lr,loss``. Without a run column the whole file is one run named after the file
  (stem); with one, rows are grouped by it.

Empty cells mean "not logged at this step" and are skipped per metric; the text ``nan`` / ``inf``
is a logged value and is kept. Numbers parse to the nearest float64 (``1e400`` is ``inf``). Every
other column must be numeric: a text cell raises :class:`ParseError` naming the line and column
(``ignore_columns=[...]`` to skip a column on purpose).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from lawfit.io._build import RawRun
from lawfit.io._errors import ParseError

__all__ = ["STEP_KEYS", "RUN_KEYS", "read_csv_bytes", "table_to_raw", "read_jsonl_records"]

STEP_KEYS = (
    "step",
    "_step",
    "steps",
    "iter",
    "iteration",
    "global_step",
    "train/global_step",
    "trainer/global_step",
)
RUN_KEYS = ("run_id", "run", "run_name")


def load_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ParseError(f"cannot read the file: {e.strerror or e}", path=path, line=None) from None
    if not data or data.isspace():
        raise ParseError("the file is empty", path=path, line=1)
    return data


def first_line(data: bytes) -> bytes:
    """The header line (with its newline), without copying the rest of the file."""
    i = data.find(b"\n")
    return data if i < 0 else data[: i + 1]


def decode(data: bytes, encoding: str, path: Path, *, lazy: bool = False) -> bytes:
    """UTF-8 bytes of ``data`` (BOM removed); a bad byte raises with its line and column.

    With ``lazy=True`` and a UTF-8 encoding the bytes are returned unchecked: Arrow validates
    them while parsing, and :func:`read_csv_bytes` calls :func:`decode` to locate a failure.
    """
    enc = encoding.lower().replace("_", "-")
    utf8 = enc in ("utf-8", "utf8", "utf-8-sig")
    if utf8 and data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM (Windows '>')
        enc, encoding, utf8, lazy = "utf-16", "utf-16", False, False
    if data.startswith(b"\xef\xbb\xbf") and utf8:
        data = data[3:]
    if lazy and utf8:
        decode(first_line(data), encoding, path)  # the header becomes Python strings: check it
        return data
    try:
        text = data.decode("utf-8" if enc in ("utf-8", "utf8", "utf-8-sig") else encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ParseError(
            f"byte {data[e.start : e.start + 1]!r} is not valid {encoding} (mixed encodings?)",
            path=path,
            line=line,
            column=col,
            hint="pass encoding='latin-1' (or the file's encoding), or re-save the file as UTF-8",
        ) from None
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    if "\x00" in text:
        i = text.index("\x00")
        raise ParseError(
            "NUL byte in a text file (binary or corrupt file?)",
            path=path,
            line=text.count("\n", 0, i) + 1,
            column=i - (text.rfind("\n", 0, i) + 1) + 1,
        )
    return data if enc in ("utf-8", "utf8", "utf-8-sig") else text.encode("utf-8")


def sniff_delimiter(data: bytes) -> str:
    head = first_line(data)
    counts = {d: head.count(d.encode()) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 and counts[","] == 0 else ","


def _python_rows(data: bytes, delimiter: str):
    """(line number, row) per non-empty CSV record, by the csv module (error path only)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield reader.line_num, e
            return
        if row:
            yield reader.line_num, row


def row_lines(data: bytes, delimiter: str, rows: Sequence[int]) -> dict[int, int]:
    """File line numbers of data rows (0-based, header excluded)."""
    want = set(int(r) for r in rows)
    out: dict[int, int] = {}
    for k, (line, _row) in enumerate(_python_rows(data, delimiter)):
        if k - 1 in want:
            out[k - 1] = line
            if len(out) == len(want):
                break
    return out


def _locate(data: bytes, delimiter: str, path: Path, arrow_message: str) -> ParseError:
    width = None
    for line, row in _python_rows(data, delimiter):
        if isinstance(row, Exception):
            return ParseError(f"malformed CSV: {row}", path=path, line=line)
        if width is None:
            width = len(row)
            continue
        if len(row) != width:
            return ParseError(
                f"expected {width} fields (as in the header), got {len(row)}",
                path=path,
                line=line,
                column=min(len(row), width) + 1,
                hint="truncated line or wrong delimiter? pass delimiter=... if not ','",
            )
    return ParseError(f"malformed CSV ({arrow_message})", path=path, line=1)


TEXT_KEYS = (*RUN_KEYS, "metric", "meta")


def read_csv_bytes(
    data: bytes, path: Path, *, delimiter: str | None = None, text_columns: Sequence[str] = ()
) -> pa.Table:
    """Parse UTF-8 CSV bytes with Arrow (fast path); failures are located line by line.

    ``text_columns`` are read as strings whatever they look like (run id ``00`` stays ``00``).
    """
    delim = delimiter or sniff_delimiter(data)
    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=[],
                false_values=[],
                column_types={c: pa.string() for c in text_columns},
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as e:
        decode(data, "utf-8", path)  # a bad byte is the likeliest cause: name its line
        raise _locate(data, delim, path, str(e).splitlines()[0]) from None


def _lower_index(columns: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in columns:
        out.setdefault(str(c).strip().lower(), c)
    return out


def find_column(columns: Sequence[str], keys: Sequence[str], given: str | None = None):
    if given is not None:
        return given if given in columns else None
    low = _lower_index(columns)
    for k in keys:
        if k in low:
            return low[k]
    return None


def numeric_column(table: pa.Table, name: str, path: Path, lines) -> np.ndarray:
    """float64 values of a column, NaN for empty cells; text raises with line and column."""
    col = table.column(name)
    t = col.type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t):
        return (
            col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            if not (pa.types.is_null(t))
            else np.full(len(col), np.nan)
        )
    vals = col.to_pylist()
    for i, v in enumerate(vals):
        if v is None:
            continue
        try:
            float(str(v))
        except ValueError:
            raise ParseError(
                f"{str(v)[:40]!r} is not a number",
                path=path,
                line=lines(i),
                column=name,
                hint="fix the cell, or pass ignore_columns=[...] to skip a non-numeric column",
            ) from None
    # numbers Arrow could not type (e.g. a column mixing ints and 'inf'): parse in Python
    return np.array([np.nan if v is None else float(str(v)) for v in vals], dtype=np.float64)


def table_to_raw(
    table: pa.Table,
    path: Path,
    *,
    lines,
    run_column: str | None = None,
    step_column: str | None = None,
    ignore_columns: Sequence[str] = (),
    run_id: str | None = None,
) -> list[RawRun]:
    """RawRuns of a wide table (step column + one column per metric, optional run column)."""
    cols = [c for c in table.column_names if c not in set(ignore_columns)]
    if len(set(cols)) != len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise ParseError(
            f"column {dup!r} appears twice in the header", path=path, line=1, column=dup
        )
    step_col = find_column(cols, STEP_KEYS, step_column)
    by_epoch = (
        step_col is None and step_column is None and find_column(cols, ("epoch",)) is not None
    )
    if by_epoch:  # one row per epoch (hand-written loggers): the epoch is the x axis
        step_col = find_column(cols, ("epoch",))
    if step_col is None:
        raise ParseError(
            f"no step column (looked for {step_column or STEP_KEYS}); columns are {cols[:12]}",
            path=path,
            line=1,
            hint="pass step_column=..., or delimiter=... if the header was not split",
        )
    run_col = find_column(cols, RUN_KEYS, run_column)
    if run_column is not None and run_col is None:
        raise ParseError(f"no run column {run_column!r}", path=path, line=1, column=run_column)
    steps_f = numeric_column(table, step_col, path, lines)
    bad = (
        ~np.isfinite(steps_f)
        | (steps_f != np.round(steps_f))
        | (steps_f < 0)
        | (np.abs(steps_f) > 2.0**62)
    )
    if bad.any():
        i = int(np.argmax(bad))
        raw = table.column(step_col)[i].as_py()
        what = "missing" if raw is None else f"{raw!r} is not a non-negative whole number"
        raise ParseError(f"step {what}", path=path, line=lines(i), column=step_col)
    steps = steps_f.astype(np.int64)
    metric_cols = [c for c in cols if c not in (step_col, run_col)]
    if not metric_cols:
        raise ParseError(f"no metric columns besides {step_col!r}", path=path, line=1)
    if table.num_rows == 0:
        raise ParseError("no data rows after the header", path=path, line=2)
    if run_col is None:
        groups = [(run_id or path.stem, np.arange(table.num_rows))]
    else:
        ids = table.column(run_col).to_pylist()
        for i, r in enumerate(ids):
            if r is None or str(r) == "":
                raise ParseError("empty run id", path=path, line=lines(i), column=run_col)
        codes, uniq = pd.factorize(pd.Series([str(r) for r in ids], dtype=object))
        groups = [(str(uniq[c]), np.flatnonzero(codes == c)) for c in range(len(uniq))]
    values: dict[str, np.ndarray] = {}
    text_meta: list[str] = []
    times: list[str] = []
    for c in metric_cols:
        try:
            values[c] = numeric_column(table, c, path, lines)
        except ParseError:
            if _constant_per_run(table.column(c), groups):
                text_meta.append(c)  # e.g. schedule='wsd', model_size='124M': run metadata
                continue
            seconds = _datetime_seconds(table.column(c))
            if seconds is None:
                raise
            values[c] = seconds  # timestamps: seconds since 1970-01-01 UTC, recorded
            times.append(c)
    metric_cols = [c for c in metric_cols if c not in text_meta]
    if not metric_cols:
        raise ParseError(
            f"no numeric metric columns besides {step_col!r} (text columns {text_meta[:8]})",
            path=path,
            line=1,
        )
    out = []
    for rid, rows in groups:
        raw = RawRun(rid, path=str(path), meta={"source": str(path)})
        for c in metric_cols:
            v = values[c][rows]
            logged = ~_is_null(table.column(c), rows)
            raw.metrics[str(c)] = (steps[rows][logged], v[logged])
            idx = rows[logged]
            raw.lines[str(c)] = lambda k, _idx=idx: lines(int(_idx[k]))
        if text_meta:
            _text_columns_to_meta(raw, table, text_meta, rows)
        if times:
            from lawfit.io._errors import note

            raw.meta["datetime_columns"] = {str(c): "seconds since 1970-01-01 UTC" for c in times}
            note(
                raw.meta,
                raw,
                "inferred",
                {
                    "what": f"columns {list(map(str, times))} as times",
                    "from": "every cell is a date-time: kept as seconds since 1970-01-01 UTC",
                },
                what="date-time columns",
            )
        if by_epoch:
            from lawfit.io._errors import note

            raw.meta["step_unit"] = "epoch"
            note(
                raw.meta,
                raw,
                "inferred",
                {
                    "what": "the x axis: epochs",
                    "from": f"no step column; column {step_col!r} "
                    "used as the step (pass step_column=... or step_unit=... if that is wrong)",
                },
                what="epochs as steps",
            )
        out.append(raw)
    return out


def _datetime_seconds(col: pa.ChunkedArray) -> np.ndarray | None:
    """Seconds since 1970-01-01 UTC when every non-empty cell is an ISO-8601 date-time."""
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):  # typed by Arrow
        cells = pd.Series(col.cast(pa.timestamp("us")).to_pandas())
        stamps = cells.dt.tz_localize("UTC") if cells.dt.tz is None else cells.dt.tz_convert("UTC")
    else:
        cells = pd.Series(col.to_pylist(), dtype=object)
        filled = cells.dropna()
        if filled.empty or not filled.map(lambda x: isinstance(x, str) and x[:4].isdigit()).all():
            return None
        try:
            stamps = pd.to_datetime(cells, format="ISO8601", utc=True)
        except (ValueError, TypeError, OverflowError):
            return None
    return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64)


def _constant_per_run(col: pa.ChunkedArray, groups) -> bool:
    """A text column with one value per run (empty cells aside): run metadata, not a metric."""
    vals = col.to_pylist()
    for _, rows in groups:
        seen = {str(vals[i]) for i in rows if vals[i] is not None}
        if len(seen) > 1:
            return False
    return True


def _text_columns_to_meta(raw: RawRun, table: pa.Table, names: Sequence[str], rows) -> None:
    from lawfit.io._errors import note

    taken = {}
    for c in names:
        vals = [v for v in (table.column(c)[int(i)].as_py() for i in rows) if v is not None]
        if vals:
            key = str(c) if str(c) not in raw.meta else f"column:{c}"
            raw.meta[key] = str(vals[0])
            taken[str(c)] = str(vals[0])
    raw.meta["metadata_columns"] = list(map(str, names))
    note(
        raw.meta,
        raw,
        "inferred",
        {
            "what": f"text columns {list(map(str, names))} as run metadata",
            "from": f"each holds one value per run ({taken}); pass ignore_columns=[...] to leave "
            "them out",
        },
        what="constant text columns taken as run metadata",
    )


def _is_null(col: pa.ChunkedArray, rows: np.ndarray) -> np.ndarray:
    mask = col.is_null().to_numpy(zero_copy_only=False)
    return mask if rows.size == mask.size else mask[rows]


def read_jsonl_records(
    data: bytes, path: Path, *, allow_partial_last_line: bool = False
) -> tuple[list[dict[str, Any]], np.ndarray, bool]:
    """JSON objects per line (blank lines skipped) with their line numbers.

    A last line without a newline that does not parse is an error, unless
    ``allow_partial_last_line`` (a log being written); then it is dropped and reported.
    """
    text = data.decode("utf-8")
    lines = text.split("\n")
    records, numbers = [], []
    dropped = False
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError) as e:
            last = k == len(lines) - 1 and not text.endswith("\n")
            if last and allow_partial_last_line:
                dropped = True
                break
            raise ParseError(
                f"invalid JSON: {getattr(e, 'msg', e)}"
                + (" (truncated last line?)" if last else ""),
                path=path,
                line=k + 1,
                column=getattr(e, "colno", None),
            ) from None
        if not isinstance(rec, dict):
            raise ParseError(
                f"each line must be a JSON object, got {type(rec).__name__}",
                path=path,
                line=k + 1,
                column=1,
            )
        records.append(rec)
        numbers.append(k + 1)
    if not records:
        raise ParseError("no JSON records", path=path, line=1)
    return records, np.asarray(numbers, dtype=np.int64), dropped


def jsonl_to_table(records, numbers, path: Path) -> tuple[pa.Table, Any]:
    """A wide Arrow table from JSON records; values must be numbers, null or (run) strings."""
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    cols: dict[str, list] = {k: [] for k in keys}
    for i, r in enumerate(records):
        for k in keys:
            v = r.get(k)
            if isinstance(v, bool) or isinstance(v, (dict, list)):
                raise ParseError(
                    f"value {json.dumps(v)[:40]} of key {k!r} is not a number",
                    path=path,
                    line=int(numbers[i]),
                    column=k,
                )
            if isinstance(v, int) and abs(v) > 2**62:
                try:
                    v = float(v)
                except OverflowError:
                    raise ParseError(
                        f"integer of key {k!r} is too large for a float64",
                        path=path,
                        line=int(numbers[i]),
                        column=k,
                    ) from None
            cols[k].append(v)
    arrays = {}
    for k, vals in cols.items():
        kinds = {type(v) for v in vals if v is not None}
        if kinds <= {int}:
            arrays[k] = pa.array(vals, type=pa.int64())
        elif kinds <= {int, float}:
            arrays[k] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
        else:
            arrays[k] = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
    return pa.table(arrays), lambda i: int(numbers[i])
