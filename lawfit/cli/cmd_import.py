"""``lawfit import PATHS... --out runs.parquet``: read training logs, write the canonical table.

Prints a JSON summary (runs, points, metrics, LR source per run, and what was inferred or found
truncated) on stdout; importer warnings go to stderr; bad input exits 2 with one error line naming
the file, line and column.
"""

from __future__ import annotations

import json
import warnings
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
            "auto",
            help="Repeated / out-of-order steps: auto (exact repeats merged, resumed runs "
            "resolved and reported) | error | last | first | mean.",
        ),
        schedule: str = typer.Option(
            None, help="Schedule spec as JSON (or @file.json) giving the exact per-step LR."
        ),
        lr_interpolation: str = typer.Option("linear", help="Sparse LR logs: linear | previous."),
        lr_extrapolate: str = typer.Option(
            "auto",
            help="LR before/after the logged range: auto (warmup/constant/decay inferred and "
            "reported) | hold | error.",
        ),
        lr_hold: bool = typer.Option(
            False, "--lr-hold", help="Hold the first/last logged LR (same as --lr-extrapolate hold)."
        ),
        ignore_column: list[str] = typer.Option(  # noqa: B008
            None, "--ignore-column", help="Leave this column / logged key out (repeatable)."
        ),
        require_lr: bool = typer.Option(
            False, "--require-lr", help="Fail on a run without any LR (default: warn, import)."
        ),
        no_lr: bool = typer.Option(False, "--no-lr", help="Import runs without any LR."),
        join_branches: bool = typer.Option(
            False,
            "--join-branches",
            help="Join each branch run (meta branch_of, e.g. a WSD cooldown) to its base run.",
        ),
        total_steps: int = typer.Option(None, help="Total optimizer steps of every run."),
        fmt: str = typer.Option("json", "--format", help="Summary format: json or table."),
    ) -> None:
        """Import training logs (CSV, Parquet, JSONL, W&B CSV/JSON, TensorBoard, trainer_state.json,
        Lightning metrics.csv, mlruns, Megatron/nanotron/torchtitan/nanoGPT/build-nanogpt/
        modded-nanogpt stdout) into one canonical run table."""
        from lawfit import io
        from lawfit.cli._data import _stdin_to_file

        if lr_hold and lr_extrapolate not in ("auto", "hold"):
            fail("--lr-hold contradicts --lr-extrapolate " + lr_extrapolate)
        options: dict = {
            "duplicates": duplicates,
            "lr_interpolation": lr_interpolation,
            "lr_extrapolate": "hold" if lr_hold else lr_extrapolate,
            "require_lr": False if no_lr else (True if require_lr else None),
        }
        if ignore_column:
            options["ignore_columns"] = list(ignore_column)
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
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", io.InferenceWarning)
                warnings.simplefilter("always", io.TruncationWarning)
                runs = io.read(sources, format=input_format, **options)
            if join_branches:
                runs = io.join_branches(runs)
            written = io.write(runs, out)
        except (io.ImportError, ValueError) as e:
            fail(str(e).splitlines()[0])  # the message names the file, line and column
        for w in caught:
            typer.echo(f"warning: {w.message}", err=True)
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
                    **{k: r.meta[k] for k in ("inferred", "truncated") if k in r.meta},
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
