"""``lawfit train``: train one proxy run or a sweep, from a config file or flags.

CONFIG is a JSON or TOML file holding one run (the keys of ``lawfit.proxy.RunConfig``) or a sweep
``{"runs": [run, ...]}`` (optionally ``"defaults": {...}`` merged into every run). The schedule is
a lawfit schedule spec (``{"family": "cosine", ...}``) or a per-step ``{"lr_array": [...]}``.
Without a file, flags describe one run; ``--schedule`` takes a spec as JSON.
A progress bar is drawn on stderr only when stderr is a terminal (or
LAWFIT_PROGRESS=always); the JSON summary goes to stdout.

Examples:
    lawfit train --steps 200 --schedule '{"family": "cosine", "peak_value": 0.01, "total_steps": 200}'
    lawfit train sweep.toml --out runs --backend local
    lawfit train --resume runs/const
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from lawfit.cli._common import emit, fail, progress


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(f"config file {str(path)!r} does not exist", "give a .json or .toml run/sweep config")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except (ValueError, json.JSONDecodeError) as e:
        fail(f"config file {str(path)!r} is not valid {path.suffix.lstrip('.') or 'JSON'}: {e}",
             "see the examples in 'lawfit train --help'")


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train_cmd(
        config: Path = typer.Argument(None, help="JSON/TOML run or sweep config ({'runs': [...]})."),  # noqa: B008
        out: Path = typer.Option(Path("runs"), "--out", "-o", help="Folder for run directories."),  # noqa: B008
        run_id: str = typer.Option("proxy", help="Run id (flags mode)."),
        steps: int = typer.Option(200, help="Optimizer steps (flags mode)."),
        schedule: str = typer.Option(None, help="Schedule spec as JSON (flags mode)."),
        optimizer: str = typer.Option("adamw", help="adamw, sgd, schedule_free_adamw or schedule_free_sgd."),
        width: int = typer.Option(64), depth: int = typer.Option(2), heads: int = typer.Option(4),
        context: int = typer.Option(64), batch_size: int = typer.Option(16),
        domains: str = typer.Option("stdlib", help="Comma-separated domain names."),
        mixture: str = typer.Option(None, help="Comma-separated weights, one per domain."),
        seed: int = typer.Option(0), eval_every: int = typer.Option(10),
        checkpoint_every: int = typer.Option(0),
        backend: str = typer.Option("local", help="Sweep backend: local or ray."),
        max_batch: int = typer.Option(16, help="Runs per vmapped batch in a sweep."),
        resume: Path = typer.Option(None, help="Continue the killed run in this directory."),  # noqa: B008
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Train small proxy language models and log their loss curves."""
        from lawfit import proxy

        with progress("train: optimizer steps", bar=True) as bar:
            try:
                if resume is not None:
                    results = proxy.resume(resume, progress=bar)
                else:
                    if config is not None:
                        spec = _load(config)
                        if "runs" in spec:
                            defaults = spec.get("defaults", {})
                            cfgs = [proxy.RunConfig.from_dict({**defaults, **r}) for r in spec["runs"]]
                        else:
                            cfgs = [proxy.RunConfig.from_dict(spec)]
                    else:
                        if schedule is None:
                            fail("give a config file or --schedule",
                                 'e.g. --schedule \'{"family": "constant", "peak_value": 0.003}\'')
                        try:
                            sched = json.loads(schedule)
                        except json.JSONDecodeError as e:
                            fail(f"--schedule is not valid JSON: {e}",
                                 'e.g. --schedule \'{"family": "cosine", "peak_value": 0.01, "total_steps": 200}\'')
                        names = tuple(d.strip() for d in domains.split(",") if d.strip())
                        mix = None if mixture is None else tuple(float(x) for x in mixture.split(","))
                        cfgs = [proxy.RunConfig(
                            run_id, steps=steps, schedule=sched, batch_size=batch_size, domains=names,
                            mixture=mix, seed=seed, eval_every=eval_every,
                            checkpoint_every=checkpoint_every,
                            model=proxy.ModelConfig(width=width, depth=depth, heads=heads, context=context),
                            optimizer=proxy.OptimizerConfig(name=optimizer))]
                    results = proxy.sweep(cfgs, out, backend=backend, max_batch=max_batch, progress=bar)
            except (ValueError, TypeError) as e:
                fail(str(e), "fix the run config; 'lawfit train --help' lists the options")
        emit(results if len(results) > 1 else results[0], fmt)
        if any(r.get("status") == "diverged" for r in results):
            raise typer.Exit(1)

