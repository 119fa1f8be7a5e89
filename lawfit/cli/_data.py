"""Reading the data a command works on: runs (any log lawfit imports; a dataset of
:mod:`lawfit.datasets`: ``proxy:w64`` bundled, ``mpl:400M`` fetched on first use; ``-`` for
stdin) or a D-CPT/CMR mixture table (CSV/Parquet with columns ``N, D, r`` and ``general`` and/or ``domain``, see :class:`lawfit.mixtures.MixtureTable`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lawfit.cli._common import fail

MIXTURE_KEYS = {"N", "D", "r"}
MIXTURE_COLUMNS = ("N", "D", "r", "general", "domain", "K", "k1", "k2", "base_general", "base_domain")
RUNS_HINT = ("give a log file, a folder, a mixture table (.csv with N,D,r,general,domain), '-', "
             "proxy:w64 (bundled curves) or mpl:400M (downloaded once)")
DATASET_HINT = "datasets: proxy:w32, proxy:w48, proxy:w64 (bundled); mpl:25M, mpl:100M, mpl:400M"


def _stdin_to_file() -> str:
    import tempfile

    data = sys.stdin.read()
    if not data.strip():
        fail("stdin is empty", "pipe a table into '-', e.g. cat runs.csv | lawfit fit -")
    suffix = ".jsonl" if data.lstrip().startswith("{") else ".csv"
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as fh:
        fh.write(data)
    return fh.name


def _columns(path: Path) -> list[str]:
    """The column names of a CSV or Parquet file ([] for anything else)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8", errors="replace") as fh:
                return [c.strip() for c in fh.readline().strip().split(",")]
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
    except (OSError, ValueError):
        return []
    return []


def is_mixture_table(path: Path) -> bool:
    cols = set(_columns(path))
    return MIXTURE_KEYS <= cols and "step" not in cols and "run_id" not in cols


def read_mixture_table(path: Path) -> Any:
    """A :class:`lawfit.mixtures.MixtureTable` from a CSV/Parquet file (optional ``row_id``)."""
    import pandas as pd

    from lawfit.mixtures import MixtureTable

    try:
        frame = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError) as e:
        fail(f"cannot read mixture table {path}: {e}".splitlines()[0])
    unknown = [c for c in frame.columns if c not in (*MIXTURE_COLUMNS, "row_id")]
    if unknown:
        fail(f"mixture table {path}: unknown column(s) {unknown}",
             f"allowed columns: {', '.join(MIXTURE_COLUMNS)}, row_id")
    kw = {}
    for c in frame.columns:
        if c == "row_id":
            continue
        try:
            kw[c] = pd.to_numeric(frame[c]).to_numpy(dtype="float64")
        except (TypeError, ValueError) as e:
            fail(f"mixture table {path}: column {c!r} is not numeric ({e})")
    ids = tuple(str(v) for v in frame["row_id"]) if "row_id" in frame.columns else ()
    try:
        return MixtureTable(**kw, row_ids=ids)
    except (TypeError, ValueError) as e:
        fail(f"mixture table {path}: {e}", "N and D are raw counts, r the domain share in [0, 1]")


def read_data(source: str) -> Any:
    """A RunSet, or a MixtureTable when ``source`` is a mixture table (see module docstring)."""
    from lawfit import io

    if source.startswith(("mpl:", "proxy:")):
        from lawfit import datasets

        name, size = source.split(":", 1)
        try:
            return (datasets.mpl_runs if name == "mpl" else datasets.proxy_runs)(size)
        except datasets.DatasetError as e:
            fail(f"{source}: {e}", f"set {datasets.ENV_SOURCE} to a local copy, or use proxy:w64")
        except (KeyError, ValueError) as e:
            fail(f"{source}: {e}".strip("'\""), DATASET_HINT)
    path = Path(_stdin_to_file() if source == "-" else source)
    if not path.exists():
        fail(f"no such file or folder: {source}", RUNS_HINT)
    if path.is_file() and is_mixture_table(path):
        return read_mixture_table(path)
    try:
        return io.read(str(path))
    except (io.ImportError, ValueError) as e:
        fail(str(e).splitlines()[0], RUNS_HINT)


def load_fit(path: str) -> Any:
    """A :class:`lawfit.FitResult` from a JSON file written by ``lawfit fit --out``."""
    from lawfit import load_fit as _load

    if not Path(path).is_file():
        fail(f"no such fit file: {path}", "pass a JSON file written by 'lawfit fit --out'")
    try:
        result = _load(path)
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"cannot load fit {path}: {e}", "pass a JSON file written by 'lawfit fit --out'")
    if result.quality is not None and result.status in ("unusable", "not_converged"):
        import typer

        typer.echo(f"warning: the fit in {path} has status {result.status!r}; its numbers are not "
                   "reliable (see its warnings)", err=True)
    return result
