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

__all__ = ["is_wandb_header", "wandb_csv_to_raw", "read_wandb_api"]

SEP = " - "
BOUNDS = ("__MIN", "__MAX")


def is_wandb_header(columns: Sequence[str]) -> bool:
    return len(columns) >= 2 and all(SEP in str(c) for c in columns[1:])


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
