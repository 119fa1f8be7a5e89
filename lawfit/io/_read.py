"""``lawfit.io.read`` / ``lawfit.io.write``: format detection, dispatch, atomic lossless writing."""

from __future__ import annotations

import builtins
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from lawfit.io import _csvlike as _csv
from lawfit.io import _hf, _mlflow, _tensorboard, _textlogs, _wandb
from lawfit.io._build import BuildOptions, RawRun, build_run
from lawfit.io._errors import (
    ImportError,
    ParseError,
    UnsafeFormatError,
    UnsupportedFormatError,
)
from lawfit.io._table import frame_to_runset, table_columns
from lawfit.runs import Run, RunSet

__all__ = ["FORMATS", "read", "write", "detect_format"]

FORMATS = (
    "canonical",
    "csv",
    "parquet",
    "jsonl",
    "wandb-csv",
    "wandb-api",
    "tensorboard",
    "hf-trainer",
    "wandb-json",
    "mlflow",
    "mlflow-client",
    "proxy",
    *_textlogs.TEXT_FORMATS,
)
_UNSAFE = {
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib pickle",
    ".pt": "PyTorch pickle",
    ".pth": "PyTorch pickle",
    ".ckpt": "checkpoint (pickle)",
    ".npy": "NumPy (may hold pickled objects)",
    ".npz": "NumPy (may hold pickled objects)",
    ".dill": "dill pickle",
    ".cloudpickle": "cloudpickle",
}
_BUILD_KEYS = set(BuildOptions.__dataclass_fields__)


def _refuse_unsafe(p: Path) -> None:
    suffix = p.suffix.lower()
    if suffix in _UNSAFE:
        raise UnsafeFormatError(
            f"refusing to load a {_UNSAFE[suffix]} file: unpickling can run arbitrary code",
            path=p,
            hint="convert it where you trust it, e.g. pandas.read_pickle(path).to_parquet("
            "'runs.parquet') or .to_csv('runs.csv'), then read that file",
        )


_LFS = b"version https://git-lfs.github.com/spec/"


def _head(p: Path, n: int = 4096) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise ParseError(f"cannot read the file: {e.strerror or e}", path=p) from None


def _refuse_lfs(p: Path, head: bytes) -> None:
    """A Git LFS pointer checked out in place of the real file (``git lfs`` not run)."""
    if not head.startswith(_LFS):
        return
    text = head.decode("utf-8", "replace")
    size = next((x.split()[1] for x in text.splitlines() if x.startswith("size ")), "?")
    raise UnsupportedFormatError(
        f"this is a Git LFS pointer (a {len(head)}-byte stub for a {size}-byte file), not the "
        "log itself",
        path=p,
        line=1,
        column=1,
        hint="fetch the real file: 'git lfs install && git lfs pull --include=<this path>' in the "
        "repository (or download it from the host's 'raw'/'download' link)",
    )


def _refuse_compressed(p: Path, head: bytes) -> None:
    for magic, what, tool in (
        (b"\x1f\x8b", "gzip", "gunzip"),
        (b"PK\x03\x04", "zip", "unzip"),
        (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
    ):
        if head.startswith(magic) and "tfevents" not in p.name:
            raise UnsupportedFormatError(
                f"a {what}-compressed file",
                path=p,
                line=1,
                column=1,
                hint=f"decompress it first ({tool} {p.name}) and read the log inside",
            )


def _looks_tfrecord(head: bytes) -> bool:
    if len(head) < 12:
        return False
    try:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    except builtins.ImportError:
        return False
    import struct

    (crc,) = struct.unpack("<I", head[8:12])
    return masked_crc32c(head[:8]) == crc


def _sniff(p: Path, head: bytes) -> str | None:
    """The format from the first bytes (files whose name says nothing, or says too little)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text (a Windows redirect)
        head = head.decode("utf-16", "replace").encode("utf-8")
    if b"\x00" in head[:1024]:
        return "tensorboard" if _looks_tfrecord(head) else None
    text = head.decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    if re.match(r'\{\s*("|\})', text):  # JSON, not a Python dict print ({'loss': ...})
        first, _, rest = text.partition("\n")
        if first.rstrip().endswith("}") and rest.lstrip().startswith("{"):
            return "jsonl"
        return "json"
    if re.match(r'\[\s*(\{|\[|\]|"|-?\d|true\b|false\b|null\b|$)', text):  # not "[INFO]"
        return "json"
    return "textlog"


def _classify_json(obj: Any) -> str | None:
    if _hf.looks_like_trainer_state(obj):
        return "hf-trainer"
    if _wandb.looks_like_wandb_json(obj):
        return "wandb-json"
    return None


def _not_a_log(obj: Any) -> str:
    """Why a JSON document is no training log (for the error message)."""
    if isinstance(obj, dict):
        keys = list(obj)[:10]
        if "_wandb" in obj or ("_step" in obj and "_runtime" in obj):
            return "a W&B run summary (final values only, no curve)"
        if "architectures" in obj or "model_type" in obj:
            return "a model config.json, not a training log"
        return f"a JSON object with keys {keys}"
    return f"a JSON {type(obj).__name__}"


def detect_format(path: str | os.PathLike) -> str:
    """The format :func:`read` would use for ``path`` (a file or a directory): from the name
    where it is unambiguous, else from the content (JSON shape, CSV header, log lines)."""
    p = Path(path)
    _refuse_unsafe(p)
    if not p.exists():
        raise UnsupportedFormatError("no such file or directory", path=p)
    if p.is_dir():
        if (p / "meta.json").is_file() and (p / "log.jsonl").is_file():
            return "proxy"
        subs = [d for d in sorted(p.iterdir()) if d.is_dir()]
        if subs and all((d / "meta.json").is_file() and (d / "log.jsonl").is_file() for d in subs):
            return "proxy"
        if _mlflow.find_mlflow_runs(p) and p.name != "metrics":
            return "mlflow"
        if any(f.is_file() for f in p.rglob("*tfevents*")):
            return "tensorboard"
        if (p / "trainer_state.json").is_file():
            return "hf-trainer"
        raise UnsupportedFormatError(
            "cannot tell the log format of this directory (no meta.json+log.jsonl, mlruns, "
            "tfevents or trainer_state.json)",
            path=p,
            hint="pass the files themselves, or format=...",
        )
    head = _head(p)
    _refuse_lfs(p, head)
    _refuse_compressed(p, head)
    name = p.name.lower()
    if "tfevents" in name:
        return "tensorboard"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith((".csv", ".tsv")):
        return "csv"  # canonical / long / wide / wandb-csv decided from the header
    sniffed = _sniff(p, head)
    if sniffed == "json" or name.endswith(".json"):
        if not head.strip():
            raise ParseError("the file is empty", path=p, line=1)
        obj = _json_load(_csv.decode(_csv.load_bytes(p), "utf-8", p).decode("utf-8"), p)
        fmt = _classify_json(obj)
        if fmt is None:
            raise UnsupportedFormatError(
                f"{_not_a_log(obj)}: neither a trainer_state.json ('log_history') nor a W&B "
                "history export ('history')",
                path=p,
                line=1,
                column=1,
                hint="pass a log that holds a curve, or format=...",
            )
        return fmt
    if sniffed is not None:
        return sniffed
    raise UnsupportedFormatError(
        f"unknown file type {p.suffix or p.name!r} (binary content)",
        path=p,
        hint=f"pass format= one of {FORMATS}",
    )


def _expand(paths: Any) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    if isinstance(paths, Iterable):
        out = [Path(p) for p in paths]
        if not out:
            raise ValueError("read() needs at least one path")
        return out
    raise TypeError(f"paths must be a path or a list of paths, got {type(paths).__name__}")


def _folder_files(p: Path) -> list[Path]:
    """A plain folder of tabular files (e.g. one MPL-style CSV per run)."""
    files = sorted(
        f
        for f in p.rglob("*")
        if f.is_file()
        and f.suffix.lower() in (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".json")
    )
    return files


def read(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    format: str | None = None,  # noqa: A002 - the documented keyword
    **options: Any,
) -> RunSet:
    """Read training logs into a :class:`~lawfit.runs.RunSet`. See :mod:`lawfit.io`."""
    if format is not None and format not in FORMATS and format != "textlog":
        raise ValueError(f"format must be None (detect) or one of {FORMATS}, got {format!r}")
    build = {k: options.pop(k) for k in list(options) if k in _BUILD_KEYS}
    opts = BuildOptions(**build)
    reader = _ReaderOptions.take(options)
    if options:
        raise TypeError(f"read() got unexpected options {sorted(options)}")
    if format == "wandb-api":
        raws = _wandb.read_wandb_api(
            [str(x) for x in ([paths] if isinstance(paths, str) else paths)],
            keys=reader.keys,
            api=reader.api,
        )
        return _finish(raws, opts, [])
    if format == "mlflow-client":
        raws = _mlflow.read_mlflow_client(
            [str(x) for x in ([paths] if isinstance(paths, str) else paths)],
            client=reader.api,
            tracking_uri=reader.tracking_uri,
        )
        return _finish(raws, opts, [])
    exact: list[Run] = []
    raws: list[RawRun] = []
    for p in _expand(paths):
        _refuse_unsafe(p)
        fmt = format or _detect_or_folder(p)
        if fmt == "folder":
            files = _folder_files(p)
            if not files:
                raise UnsupportedFormatError(
                    "the directory holds no log files", path=p, hint="pass files or format=..."
                )
            for f in files:
                _guarded(f, None, reader, opts, exact, raws)
        else:
            _guarded(p, fmt, reader, opts, exact, raws)
    n = len(exact) + len(raws)
    try:
        return _finish(raws, opts, exact)
    except _UNEXPECTED as e:
        if isinstance(e, ImportError):
            raise
        raise ImportError(f"could not import {n} run(s): {type(e).__name__}: {e}") from e


# Exceptions that malformed content can trigger deep inside parsers; they are re-raised as
# ImportError naming the file, so that nothing else escapes read().
_UNEXPECTED = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    RecursionError,
    UnicodeError,
    ZeroDivisionError,
    pa.ArrowException,
    OSError,
    MemoryError,
)


def _guarded(p: Path, fmt, reader, opts, exact, raws) -> None:
    try:
        before = len(raws)
        _read_one(p, fmt, reader, opts, exact, raws)
        _drop_ignored(raws[before:], reader.ignore_columns)
    except ImportError:
        raise
    except _UNEXPECTED as e:
        raise ParseError(
            f"could not parse the file ({type(e).__name__}: {str(e)[:160]})",
            path=p,
            hint="please report this file shape; pass format=... if it was misdetected",
        ) from e


def _drop_ignored(raws: list[RawRun], ignore: Sequence[str]) -> None:
    """``ignore_columns`` for every format: logged keys left out on purpose (recorded)."""
    for r in raws:
        gone = [k for k in ignore if k in r.metrics]
        for k in gone:
            del r.metrics[k]
            r.lines.pop(k, None)
        if ignore:
            r.meta["ignored_columns"] = list(ignore)


def _detect_or_folder(p: Path) -> str:
    try:
        return detect_format(p)
    except UnsupportedFormatError:
        if p.is_dir() and _folder_files(p):
            return "folder"
        raise


def _finish(raws: list[RawRun], opts: BuildOptions, exact: list[Run]) -> RunSet:
    _dedupe_ids(raws, exact)
    for r in raws:
        r.meta.pop("run_id_from", None)
    built = []
    for raw in raws:
        run = build_run(raw, opts) if raw.metrics else None
        if run is None or not run.metrics:
            what = "only a learning rate" if run is not None else "no numeric points at all"
            raise ParseError(
                f"run {raw.run_id!r}: no curve to import ({what}; logged keys: "
                f"{sorted(raw.metrics)[:8]})",
                path=raw.path,
                hint="an LR schedule alone is lawfit.schedules.tabulated(steps, lrs)"
                if run is not None
                else "a checkpoint saved before the first log, or a file of final values only? "
                "pass the log that holds the training curve",
            )
        built.append(run)
    runs = exact + built
    ids = [r.run_id for r in runs]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup is not None:
        sources = [r.meta.get("source") for r in runs if r.run_id == dup]
        raise ImportError(
            f"run id {dup!r} comes from several inputs {sources}",
            hint="read them separately, or give distinct run_id=...",
        )
    return RunSet(runs)


def _dedupe_ids(raws: list[RawRun], exact: list[Run]) -> None:
    """Runs named after files with the same stem in different folders get path-qualified ids."""
    ids = [r.run_id for r in raws]
    clash = {i for i in ids if ids.count(i) > 1}
    if not clash:
        return
    paths = [Path(r.path) for r in raws if r.run_id in clash and r.path]
    try:
        base = Path(os.path.commonpath([str(x) for x in paths]))
    except ValueError:
        return
    for r in raws:
        if r.run_id in clash and r.path and r.meta.get("run_id_from") == "file":
            rel = Path(r.path).relative_to(base) if Path(r.path) != base else Path(r.path)
            r.run_id = rel.with_suffix("").as_posix()


class _ReaderOptions:
    __slots__ = (
        "run_id",
        "delimiter",
        "encoding",
        "run_column",
        "step_column",
        "ignore_columns",
        "metrics",
        "keys",
        "api",
        "tracking_uri",
        "allow_partial_last_line",
    )

    @classmethod
    def take(cls, options: dict) -> _ReaderOptions:
        self = cls()
        self.run_id = options.pop("run_id", None)
        self.delimiter = options.pop("delimiter", None)
        self.encoding = options.pop("encoding", "utf-8")
        self.run_column = options.pop("run_column", None)
        self.step_column = options.pop("step_column", None)
        self.ignore_columns = tuple(options.pop("ignore_columns", ()))
        self.metrics = options.pop("metrics", None)
        self.keys = options.pop("keys", None)
        self.api = options.pop("api", None)
        self.tracking_uri = options.pop("tracking_uri", None)
        self.allow_partial_last_line = bool(options.pop("allow_partial_last_line", False))
        return self


def _read_one(
    p: Path,
    fmt: str | None,
    ro: _ReaderOptions,
    opts: BuildOptions,
    exact: list[Run],
    raws: list[RawRun],
) -> None:
    if p.is_file():
        _refuse_lfs(p, _head(p))
    fmt = fmt or detect_format(p)
    if fmt == "canonical":
        fmt = "parquet" if p.suffix.lower() in (".parquet", ".pq") else "csv"
    if fmt == "proxy":
        _read_proxy(p, ro, opts, exact, raws)
    elif fmt == "tensorboard":
        root = p
        for d in _tensorboard.find_event_dirs(p):
            raws.append(_tensorboard.read_event_dir(d, root if root.is_dir() else d.parent))
    elif fmt == "mlflow":
        runs = _mlflow.find_mlflow_runs(p)
        if not runs:
            raise UnsupportedFormatError("no MLflow runs (…/<run>/metrics) found", path=p)
        raws.extend(_mlflow.read_mlflow_run_dir(r) for r in runs)
    elif fmt in ("hf-trainer", "wandb-json"):
        f = p / "trainer_state.json" if p.is_dir() else p
        _refuse_lfs(f, _head(f))
        text = _csv.decode(_csv.load_bytes(f), ro.encoding, f).decode("utf-8")
        obj = _json_load(text, f)
        found = _classify_json(obj)
        if found != fmt:
            want = (
                "a trainer_state.json ('log_history')"
                if fmt == "hf-trainer"
                else ("a W&B history export ('history')")
            )
            raise ParseError(
                f"{_not_a_log(obj)}: not {want}",
                path=f,
                line=1,
                column=1,
                hint="pass format=... for other JSON logs"
                if found is None
                else f"this is format={found!r}; leave format= out to detect it",
            )
        if fmt == "hf-trainer":
            rid = ro.run_id or (f.parent.name if f.name == "trainer_state.json" else f.stem)
            raw = _hf.trainer_state_to_raw(obj, text, f, rid)
            _hf.sibling_training_args(f, raw.meta)
            raws.append(raw)
        else:
            raw = _wandb.wandb_json_to_raw(obj, text, f, ro.run_id or f.stem)
            if ro.run_id is None:
                raw.meta["run_id_from"] = "file"
            raws.append(raw)
    elif fmt in ("textlog", *_textlogs.TEXT_FORMATS):
        data = _csv.decode(_csv.load_bytes(p), ro.encoding, p)
        text = data.decode("utf-8")
        tf = fmt if fmt != "textlog" else _textlogs.detect_text_format(text)
        if tf is None and fmt == "textlog":
            table_like = _table_fallback(data)
            if table_like is not None:  # a .txt / .log / .out that holds a table
                return _read_one(p, table_like, ro, opts, exact, raws)
        if tf is None:
            raise UnsupportedFormatError(
                "no training-log lines found (looked for Megatron, nanotron, torchtitan, nanoGPT, "
                "build-nanogpt and modded-nanogpt lines, a CSV header with a step column, and "
                "JSON lines)",
                path=p,
                hint=f"pass format= one of {_textlogs.TEXT_FORMATS} or a table format",
            )
        raw = _textlogs.read_text_log(text, p, tf, ro.run_id or p.stem)
        raws.append(raw)
    elif fmt == "parquet":
        try:
            import pyarrow.parquet as pq

            table = pq.read_table(p)
        except (pa.ArrowException, OSError) as e:
            raise ParseError(f"not a readable Parquet file ({str(e)[:120]})", path=p) from None
        _tabular(table, p, ro, opts, exact, raws, lines=lambda i: i + 1, data=None)
    elif fmt == "jsonl":
        data = _csv.decode(_csv.load_bytes(p), ro.encoding, p)
        records, numbers, dropped = _csv.read_jsonl_records(
            data, p, allow_partial_last_line=ro.allow_partial_last_line
        )
        table, lines = _csv.jsonl_to_table(records, numbers, p)
        before = len(raws)
        _tabular(table, p, ro, opts, exact, raws, lines=lines, data=None, line_array=numbers)
        if dropped:
            for r in raws[before:]:
                r.meta["partial_last_line_dropped"] = True
    elif fmt in ("csv", "canonical", "wandb-csv"):
        data = _csv.decode(_csv.load_bytes(p), ro.encoding, p, lazy=True)
        delim = ro.delimiter or _csv.sniff_delimiter(data)
        head = _csv.read_csv_bytes(_csv.first_line(data), p, delimiter=delim)

        def lines(i: int, _data=data, _d=delim) -> int:
            return _csv.row_lines(_data, _d, [i]).get(i, i + 2)

        if fmt == "wandb-csv" or (fmt == "csv" and _wandb.is_wandb_header(head.column_names)):
            raws.extend(_wandb.wandb_csv_to_raw(data, p, lines=lines, metrics=ro.metrics))
            return
        if _wandb.is_runs_table(head.column_names) and (
            _csv.find_column(head.column_names, _csv.STEP_KEYS, ro.step_column) is None
        ):
            raise UnsupportedFormatError(
                "a W&B runs table (one row per run: config and final summary values, no loss "
                "curve)",
                path=p,
                line=1,
                column=head.column_names[0],
                hint="export each run's history instead: a chart panel's 'Export CSV', "
                "wandb.Api().run(path).scan_history() (lawfit.io.read_wandb), or the run's JSON",
            )
        text = [
            c
            for c in head.column_names
            if str(c).strip().lower() in _csv.TEXT_KEYS or c == ro.run_column
        ]
        table = _csv.read_csv_bytes(data, p, delimiter=delim, text_columns=text)
        _tabular(table, p, ro, opts, exact, raws, lines=lines, data=data)
    else:  # pragma: no cover - FORMATS is checked above
        raise UnsupportedFormatError(f"format {fmt!r} cannot be read from a file", path=p)


def _table_fallback(data: bytes) -> str | None:
    """``"jsonl"`` / ``"csv"`` when a file named like a text log holds JSON lines or a table with a
    step column, else None."""
    lines = [x for x in data[:65536].decode("utf-8", "replace").splitlines() if x.strip()][:5]
    if not lines:
        return None
    if all(x.lstrip().startswith("{") for x in lines[: max(1, len(lines) - 1)]):
        return "jsonl"
    delim = _csv.sniff_delimiter(data)
    header = [c.strip().strip('"').lower() for c in lines[0].split(delim)]
    if len(header) >= 2 and any(k in header for k in _csv.STEP_KEYS):
        return "csv"
    return None


def _json_load(text: str, f: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(f"invalid JSON: {e.msg}", path=f, line=e.lineno, column=e.colno) from None
    except (ValueError, RecursionError) as e:
        raise ParseError(f"invalid JSON: {str(e)[:80]}", path=f, line=1) from None


def _tabular(table: pa.Table, p: Path, ro, opts, exact, raws, *, lines, data, line_array=None):
    cols = table.column_names
    low = {str(c).strip().lower(): c for c in cols}
    if table.num_rows == 0:
        raise ParseError("no data rows after the header", path=p, line=2)
    if "metric" in low and "value" in low:
        run_col = _csv.find_column(cols, _csv.RUN_KEYS, ro.run_column)
        known = {low[k] for k in ("metric", "value", "step", "lr", "meta") if k in low}
        known |= {run_col} if run_col is not None else set()
        extra = [c for c in cols if c not in known and c not in set(ro.ignore_columns)]
        if extra:
            raise ParseError(
                f"long table has columns besides run_id, step, metric, value, lr: {extra[:8]}",
                path=p,
                line=1,
                column=extra[0],
                hint="pass ignore_columns=[...] to leave them out on purpose",
            )
        frame = table.select(sorted(known, key=cols.index)).to_pandas()
        renames = {low[k]: k for k in ("metric", "value", "step", "lr", "meta") if k in low}
        if run_col is not None:
            renames[run_col] = "run_id"
        frame = frame.rename(columns=renames)
        offset = line_array if line_array is not None else lines
        if "run_id" not in frame.columns:
            frame["run_id"] = ro.run_id or p.stem
        is_canonical = "meta" in frame.columns and (frame["metric"] == "__run__").any()
        if is_canonical:
            exact.extend(frame_to_runset(frame, path=str(p), line_offset=offset))
        else:
            raws.extend(_long_raws(frame, p, offset))
        return
    found = _csv.table_to_raw(
        table,
        p,
        lines=lines,
        run_column=ro.run_column,
        step_column=ro.step_column,
        ignore_columns=ro.ignore_columns,
        run_id=ro.run_id,
    )
    for r in found:
        if _csv.find_column(cols, _csv.RUN_KEYS, ro.run_column) is None and ro.run_id is None:
            r.meta["run_id_from"] = "file"
    raws.extend(found)


def _long_raws(frame: pd.DataFrame, p: Path, offset) -> list[RawRun]:
    """Generic long table -> RawRuns (rules applied later by build_run)."""
    from lawfit.io._table import _generic_raws

    return _generic_raws(frame, path=str(p), line_offset=offset)


def _read_proxy(p: Path, ro, opts, exact, raws) -> None:
    dirs = (
        [p]
        if (p / "meta.json").is_file()
        else [d for d in sorted(p.iterdir()) if d.is_dir() and (d / "meta.json").is_file()]
    )
    read_run_dir = _proxy_reader()
    for d in dirs:
        if read_run_dir is not None:
            try:
                exact.append(read_run_dir(d))
            except (
                ValueError,
                KeyError,
                TypeError,
                IndexError,
                OverflowError,
                RecursionError,
            ) as e:
                if isinstance(e, ImportError):
                    raise
                raise ParseError(
                    f"invalid proxy run directory ({type(e).__name__}: {str(e)[:160]})",
                    path=d,
                    hint="meta.json must be lawfit.proxy's; log.jsonl one JSON row per line",
                ) from None
            continue
        meta_text = _csv.decode(_csv.load_bytes(d / "meta.json"), "utf-8", d / "meta.json")
        meta = _json_load(meta_text.decode("utf-8"), d / "meta.json")
        if not isinstance(meta, dict):
            raise ParseError("meta.json must hold a JSON object", path=d / "meta.json", line=1)
        f = d / "log.jsonl"
        data = _csv.decode(_csv.load_bytes(f), "utf-8", f)
        records, numbers, dropped = _csv.read_jsonl_records(data, f, allow_partial_last_line=True)
        table, lines = _csv.jsonl_to_table(records, numbers, f)
        rid = str(meta.get("run_id") or d.name)
        ro2 = _ReaderOptions.take({"run_id": rid})
        before = len(raws)
        _tabular(table, f, ro2, opts, exact, raws, lines=lines, data=None, line_array=numbers)
        for r in raws[before:]:
            r.run_id = rid if r.run_id in (f.stem, rid) else r.run_id
            r.meta.update({k: v for k, v in (meta.get("meta") or meta).items() if k != "run_id"})
            r.meta["source"] = str(d)
            if dropped:
                r.meta["partial_last_line_dropped"] = True


def _proxy_reader():
    """``lawfit.proxy.read_run_dir`` when that package is present, else None (generic JSONL)."""
    try:
        from lawfit.proxy import read_run_dir
    except (AttributeError, builtins.ImportError):
        return None
    return read_run_dir


# ---------------------------------------------------------------------------------------------
# write


def write(runset: RunSet | Run, path: str | os.PathLike, *, format: str | None = None) -> Path:  # noqa: A002
    """Write ``runset`` as the canonical table to ``path`` (``.csv`` or ``.parquet``), atomically.

    The file is written to a temporary file in the same directory and renamed over ``path`` only
    when complete, so readers never see a half-written file and a failure leaves any previous
    file intact. Floats are written with shortest round-trip precision (CSV) or as float64
    (Parquet): ``read(write(rs, p))`` reproduces every value, LR array and metadata exactly.
    """
    if isinstance(runset, Run):
        runset = RunSet([runset])
    if not isinstance(runset, RunSet):
        raise TypeError(f"write() needs a RunSet or Run, got {type(runset).__name__}")
    p = Path(path)
    fmt = format or (
        "parquet"
        if p.suffix.lower() in (".parquet", ".pq")
        else "csv"
        if p.suffix.lower() == ".csv"
        else None
    )
    if fmt not in ("csv", "parquet"):
        raise ValueError(
            f"cannot tell the output format of {str(p)!r}; use a .csv or .parquet suffix or "
            "format='csv' / 'parquet'"
        )
    c = table_columns(runset)
    if fmt == "csv":
        for col in ("run_id", "metric"):
            bad = [x for x in dict.fromkeys(c[col]) if "\n" in x or "\r" in x]
            if bad:
                raise ValueError(
                    f"{col} {bad[0]!r} contains a line break, which the CSV table does not "
                    "allow; write Parquet instead (.parquet)"
                )
    table = pa.table(
        {
            "run_id": pa.array(c["run_id"], type=pa.string()),
            "step": pa.array(c["step"], mask=c["step_na"], type=pa.int64()),
            "metric": pa.array(c["metric"], type=pa.string()),
            "value": pa.array(c["value"], type=pa.float64()),
            "lr": pa.array(c["lr"], type=pa.float64()),
            "meta": pa.array(c["meta"], type=pa.string()),
        }
    )
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        else:
            import pyarrow.parquet as pq

            table = table.replace_schema_metadata({"lawfit_table": "1"})
            pq.write_table(table, tmp)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p
