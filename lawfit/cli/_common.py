"""Helpers shared by CLI commands: output formatting and error reporting."""

import json
import sys
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
    return "" if v is None else str(v)


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
