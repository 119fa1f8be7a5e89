"""``lawfit validate``: train law-optimal and literature schedules on the proxy and check the law.

Fits the Multi-Power Law on constant / linear / WSD proxy runs, builds the law's optimum (the
default of ``lawfit optimize schedule``), its smooth optimum and best WSD, trains them with cosine,
UBA and the refined schedule for every seed, and reports predicted versus trained final loss,
Kendall tau and whether the law's schedules train no worse than the best of cosine and WSD
(``lawfit.optimize.validate_schedules``). Writes ``OUT/validation.json``.

Examples:
    lawfit validate --steps 500 --peak-lr 0.005 --seeds 0,1,2 --out validate-runs --format table
    lawfit validate --steps 120 --width 32 --depth 1 --heads 2 --context 32 --batch-size 8
"""

from __future__ import annotations

from pathlib import Path

import typer

from lawfit.cli._common import emit, fail, progress


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_cmd(
        out: Path = typer.Option(Path("validate-runs"), "--out", "-o",  # noqa: B008
                                 help="Folder for the proxy runs and validation.json (must be new)."),
        steps: int = typer.Option(500, help="Budget in optimizer steps (every schedule)."),
        peak_lr: float = typer.Option(5e-3, help="Peak learning rate (every schedule)."),
        warmup_steps: int = typer.Option(None, help="Warmup steps (default: steps // 10)."),
        seeds: str = typer.Option("0,1,2", help="Comma-separated training seeds (>= 2)."),
        uba_phi: float = typer.Option(0.5, help="phi of the (experimental) UBA schedule."),
        optimizer: str = typer.Option("adamw", help="Proxy optimizer (see 'lawfit train')."),
        width: int = typer.Option(64), depth: int = typer.Option(2), heads: int = typer.Option(4),
        context: int = typer.Option(64), batch_size: int = typer.Option(16),
        eval_every: int = typer.Option(20, help="Validation interval (the law's data points)."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Check the law's schedule ranking and its optimum by training them on the proxy."""
        from lawfit import proxy
        from lawfit.optimize import validate_schedules

        try:
            seed_list = tuple(int(s) for s in seeds.split(",") if s.strip())
        except ValueError:
            fail(f"--seeds {seeds!r} is not a comma-separated list of integers", "e.g. --seeds 0,1,2")
        if (out / "validation.json").exists():
            fail(f"{out} already holds a validation (validation.json)",
                 "choose a new --out folder (nothing was overwritten)")
        w = steps // 10 if warmup_steps is None else warmup_steps
        with progress("validate: training proxies", bar=True) as bar:
            try:
                base = proxy.RunConfig(
                    "validate", steps=steps, schedule=None, batch_size=batch_size,
                    eval_every=eval_every,
                    model=proxy.ModelConfig(width=width, depth=depth, heads=heads, context=context),
                    optimizer=proxy.OptimizerConfig(name=optimizer))
                res = validate_schedules(steps, peak_lr=peak_lr, warmup_steps=w, seeds=seed_list,
                                         base=base, out_dir=out, uba_phi=uba_phi, progress=bar)
            except proxy.TrainingDiverged as e:
                fail(str(e), "lower --peak-lr or add warmup", code=1)
            except ValueError as e:
                fail(str(e), "fix the options; 'lawfit validate --help' lists them")
        if fmt == "table":
            typer.echo(str(res))
            return
        payload = res.to_dict()
        payload.pop("lr")
        emit(payload, fmt)
