"""``lawfit schedules``: list, show and plot learning-rate schedules.

SPEC is a JSON object (``'{"family": "cosine", "peak_value": 3e-4, "total_steps": 1000}'``), a
path to a JSON file holding one, or a family name (its example arguments, see ``list``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from lawfit.cli._common import emit, fail

EXAMPLE_TOTAL_STEPS = 1000  # family examples are designed for runs of this length

sub = typer.Typer(help="Learning-rate schedules: list families, show and plot specs.",
                  no_args_is_help=True)


def _parse(spec_or_name: str) -> tuple[dict[str, Any], bool]:
    """(spec, is_example) from a JSON string, a JSON file or a family name."""
    from lawfit import schedules as sch
    from lawfit.schedules._core import family_info

    text = spec_or_name.strip()
    if text.startswith("{"):
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as e:
            fail(f"SPEC is not valid JSON: {e}", "quote the JSON object in single quotes")
        return spec, False
    path = Path(text)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            fail(f"spec file {text!r} does not exist", "give a JSON spec, a .json file or a family name")
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            fail(f"spec file {text!r} is not valid JSON: {e}", "`lawfit schedules show NAME` prints a valid spec")
        return spec, False
    try:
        info = family_info(text)
    except ValueError as e:
        fail(str(e), "run `lawfit schedules list` to see the families")
    del sch
    return {"family": info.name, **info.example}, True


def _build(spec_or_name: str, total_steps: int | None):
    from lawfit import schedules as sch
    from lawfit.schedules._core import nominal_total_steps

    if total_steps is not None and total_steps < 1:
        fail(f"--total-steps must be a positive number of steps, got {total_steps}", "e.g. --total-steps 1000")
    spec, is_example = _parse(spec_or_name)
    try:
        schedule = sch.from_spec(spec)
    except ValueError as e:
        fail(str(e), "fix the spec; `lawfit schedules show NAME` prints a valid example")
    total = total_steps or nominal_total_steps(schedule.spec)
    if total is None:
        if not is_example:
            fail(f"the spec of family {schedule.family!r} has no run length",
                 "pass --total-steps N")
        total = EXAMPLE_TOTAL_STEPS
    return schedule, total


@sub.command("list")
def list_(fmt: str = typer.Option("json", "--format", help="json or table")) -> None:
    """List schedule families with a one-line summary and example arguments."""
    from lawfit import schedules as sch

    rows = []
    for name in sch.families():
        info = sch.family_info(name)
        rows.append({"family": name, "summary": info.summary, "example": info.example})
    emit(rows, fmt)


@sub.command("show")
def show(
    spec_or_name: str = typer.Argument(..., metavar="SPEC_OR_NAME"),
    total_steps: int | None = typer.Option(None, "--total-steps", help="run length to evaluate"),
    fmt: str = typer.Option("json", "--format", help="json or table"),
) -> None:
    """Print the full spec and summary values of a schedule."""
    import numpy as np

    from lawfit import schedules as sch

    schedule, total = _build(spec_or_name, total_steps)
    lr = sch.to_array(schedule, total)
    marks = sorted({0, total // 4, total // 2, (3 * total) // 4, total - 1} - {-1})
    payload = {
        "spec": schedule.spec,
        "total_steps": total,
        "first": float(lr[0]) if total else None,
        "last": float(lr[-1]) if total else None,
        "max": float(np.max(lr)) if total else None,
        "min": float(np.min(lr)) if total else None,
        "sum": float(np.sum(lr)),
        "values": {str(t): float(lr[t]) for t in marks if 0 <= t < total},
    }
    if fmt == "table":
        rows = [{"key": k, "value": v} for k, v in payload.items() if k not in ("spec", "values")]
        rows += [{"key": f"spec.{k}", "value": v} for k, v in payload["spec"].items()]
        rows += [{"key": f"lr[{t}]", "value": v} for t, v in payload["values"].items()]
        emit(rows, "table")
    else:
        emit(payload, fmt)


@sub.command("plot")
def plot(
    specs: list[str] = typer.Argument(..., metavar="SPEC...", help="specs or names"),  # noqa: B008
    out: Path = typer.Option(..., "--out", help="HTML file to write"),  # noqa: B008
    total_steps: int | None = typer.Option(None, "--total-steps", help="run length to draw"),
    log_y: bool = typer.Option(False, "--log-y", help="logarithmic LR axis"),
    cdn: bool = typer.Option(False, "--cdn", help="load plotly.js from its CDN (smaller file, "
                             "needs internet to view) instead of embedding it"),
    fmt: str = typer.Option("json", "--format", help="json or table"),
) -> None:
    """Draw one or more schedules into an HTML file (needs plotly: pip install 'lawfit[app]')."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        fail("plotting needs plotly", "pip install 'lawfit[app]'")
    from lawfit.plot import schedules as draw

    built = [_build(s, total_steps) for s in specs]
    named: dict[str, Any] = {}
    for s, _ in built:
        name = s.family
        k = 2
        while name in named:
            name, k = f"{s.family} ({k})", k + 1
        named[name] = s
    fig = draw(named, max(t for _, t in built), log_y=log_y)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(out), include_plotlyjs="cdn" if cdn else True)
    payload = {"out": str(out), "schedules": [s.spec for s, _ in built]}
    emit([{"out": str(out), "schedule": s.spec} for s, _ in built] if fmt == "table" else payload, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(sub, name="schedules")
