"""Helpers shared by CLI commands: output formatting and error reporting."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from lawfit.cli import EXIT_BAD_INPUT


def fail(message: str, hint: str = "", code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one readable error line (plus an optional hint) on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    if hint:
        typer.echo(f"hint: {hint}", err=True)
    raise typer.Exit(code)


def emit(payload: Any, fmt: str = "json") -> None:
    """Write ``payload`` to stdout as JSON (default) or as a plain table for people."""
    if fmt == "json":
        typer.echo(json.dumps(payload, indent=2, default=_json_default))
        return
    if fmt != "table":
        fail(f"unknown --format {fmt!r}", "use --format json or --format table")
    rows = payload if isinstance(payload, list) else [payload]
    if rows and isinstance(rows[0], dict):
        cols = list(dict.fromkeys(k for r in rows for k in r))
        widths = {c: max(len(c), *(len(_cell(r.get(c))) for r in rows)) for c in cols}
        typer.echo("  ".join(c.ljust(widths[c]) for c in cols))
        for r in rows:
            typer.echo("  ".join(_cell(r.get(c)).ljust(widths[c]) for c in cols))
    else:
        for r in rows:
            typer.echo(str(r))


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, default=_json_default)
    return "-" if v is None else str(v)


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def is_terminal() -> bool:
    """True when stderr is an interactive terminal (progress bars stay silent otherwise)."""
    return sys.stderr.isatty()


def clean(obj: Any) -> Any:
    """``obj`` with NumPy values as Python ones and non-finite floats as ``None`` (strict JSON)."""
    import math

    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy scalars and arrays
        return clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Library warnings raised inside as ``warning: ...`` lines on stderr (once each), instead of
    Python's ``file:line: Category: ...`` format."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for msg in dict.fromkeys(str(w.message) for w in caught):
        typer.echo(f"warning: {msg}", err=True)


# -- progress on stderr ---------------------------------------------------------------------------
PROGRESS_ENV = "LAWFIT_PROGRESS"  # "auto" (default: only on a terminal), "always" or "never"


def progress_enabled() -> bool:
    """Whether progress is drawn: ``LAWFIT_PROGRESS=always|never``, else only on a terminal."""
    import os

    mode = os.environ.get(PROGRESS_ENV, "auto").strip().lower()
    if mode not in ("auto", "always", "never"):
        fail(f"{PROGRESS_ENV}={mode!r} is not a progress mode", f"set {PROGRESS_ENV} to auto, always or never")
    return mode == "always" or (mode == "auto" and is_terminal())


def _console():
    from rich.console import Console

    return Console(stderr=True, force_terminal=True)


class _Silent:
    """The do-nothing progress used when stderr is not a terminal."""

    def __enter__(self) -> "_Silent":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def stage(self, text: str) -> None:
        """Rename the current stage."""

    def __call__(self, done: int, total: int) -> None:
        """A ``progress(done, total)`` callback (as taken by :func:`lawfit.proxy.sweep`)."""


class _Spinner(_Silent):
    """A spinner with the stage name and the elapsed time (work inside jitted code)."""

    def __init__(self, text: str, bar: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if bar:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns.append(TimeElapsedColumn())
        self._p = Progress(*columns, console=_console(), transient=True)
        self._task = self._p.add_task(text, total=None)

    def __enter__(self) -> "_Spinner":
        self._p.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._p.stop()

    def stage(self, text: str) -> None:
        self._p.update(self._task, description=text)

    def __call__(self, done: int, total: int) -> None:
        self._p.update(self._task, completed=done, total=total)


def progress(text: str, *, bar: bool = False) -> Any:
    """A context manager drawing ``text`` with a spinner and the elapsed time on stderr (with
    ``bar``, also a bar fed by calling it as ``progress(done, total)``), or doing nothing when
    stderr is not a terminal (see :func:`progress_enabled`).

    Example:
        >>> with progress("fit: compiling + solving the multi-start L-BFGS") as p:
        ...     p.stage("bootstrap: 100 refits")
    """
    return _Spinner(text, bar) if progress_enabled() else _Silent()


# the ``lawfit optimize ...`` group: commands are added by the cmd_* modules, cmd_optimize mounts it
optimize = typer.Typer(help="Choose schedules, mixtures and CPT plans from fitted laws.",
                       no_args_is_help=True)
