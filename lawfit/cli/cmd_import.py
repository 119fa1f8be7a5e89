"""``lawfit import PATHS... --out runs.parquet``: read training logs, write the canonical table.

Prints a JSON summary (runs, points, metrics, LR source per run) on stdout; bad input exits 2
with one error line naming the file, line and column.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lawfit.cli._common import emit, fail


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        paths: list[Path] = typer.Argument(..., help="Log files or directories ('-': a table on stdin)."),  # noqa: B008
        out: Path = typer.Option(..., "--out", "-o", help="Output table (.parquet or .csv)."),  # noqa: B008
        input_format: str = typer.Option(None, "--input-format", help="Log format (detected when omitted)."),
        duplicates: str = typer.Option(
            "error", help="Repeated steps of resumed runs: error | last | first | mean."
        ),
        schedule: str = typer.Option(
            None, help="Schedule spec as JSON (or @file.json) giving the exact per-step LR."
        ),
        lr_interpolation: str = typer.Option("linear", help="Sparse LR logs: linear | previous."),
        lr_extrapolate: str = typer.Option(
            "error", help="LR before/after the logged range: error | hold."
        ),
        no_lr: bool = typer.Option(False, "--no-lr", help="Import runs without any LR."),
        total_steps: int = typer.Option(None, help="Total optimizer steps of every run."),
        fmt: str = typer.Option("json", "--format", help="Summary format: json or table."),
    ) -> None:
        """Import training logs (CSV, Parquet, JSONL, W&B CSV, TensorBoard, trainer_state.json,
        mlruns, Megatron/nanotron/torchtitan/nanoGPT stdout) into one canonical run table."""
        from lawfit import io
        from lawfit.cli._data import _stdin_to_file

        options: dict = {
            "duplicates": duplicates,
            "lr_interpolation": lr_interpolation,
            "lr_extrapolate": lr_extrapolate,
            "require_lr": not no_lr,
        }
        if total_steps is not None:
            options["total_steps"] = total_steps
        if schedule:
            try:
                text = Path(schedule[1:]).read_text() if schedule.startswith("@") else schedule
                options["schedule"] = json.loads(text)
            except (OSError, ValueError) as e:
                fail(f"--schedule is not a JSON spec: {e}", "pass a JSON object or @spec.json")
        try:
            sources = [_stdin_to_file() if str(p) == "-" else str(p) for p in paths]
            runs = io.read(sources, format=input_format, **options)
            written = io.write(runs, out)
        except (io.ImportError, ValueError) as e:
            fail(str(e).splitlines()[0])  # the message names the file, line and column
        summary = {
            "out": str(written),
            "runs": len(runs),
            "points": int(sum(o.steps.size for r in runs for o in r.metrics.values())),
            "metrics": list(runs.metrics),
            "per_run": [
                {
                    "run_id": r.run_id,
                    "total_steps": r.total_steps,
                    "lr_source": r.lr_source,
                    "metrics": {m: int(o.steps.size) for m, o in r.metrics.items()},
                }
                for r in runs
            ],
        }
        if fmt == "table":
            rows = [{"run_id": r["run_id"], "total_steps": r["total_steps"], "lr_source": r["lr_source"],
                     **{f"points:{m}": n for m, n in r["metrics"].items()}} for r in summary["per_run"]]
            emit(rows, "table")
        else:
            emit(summary, fmt)
