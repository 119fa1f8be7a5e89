"""``lawfit fit``, ``lawfit evaluate``, ``lawfit predict`` and ``lawfit optimize schedule``.

All numerics come from the library; this module only parses arguments and formats output.
JSON on stdout by default (``--format table`` for people); exit codes 0 ok, 1 fit did not
converge, 2 bad input.
"""

import json
import sys
from pathlib import Path

import typer

from lawfit.cli import EXIT_NOT_CONVERGED
from lawfit.cli._common import emit, fail

LAW_OPTIONS = {
    "mpl": ("convention", "variant", "mode"),
    "momentum": ("lam", "warmup"),
    "chinchilla": (),
    "cpt": (),
    "dcpt": ("target",),
    "cmr": ("kind",),
}


def _read_runs(path: str):
    """A RunSet from a log file/folder (``-``: a canonical table on stdin) or the bundled data
    (``mpl:400M``)."""
    from lawfit import io

    if path.startswith("mpl:"):
        from lawfit.datasets import mpl_runs

        return mpl_runs(path.split(":", 1)[1])
    if path == "-":
        import tempfile

        data = sys.stdin.read()
        suffix = ".jsonl" if data.lstrip().startswith("{") else ".csv"
        with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as fh:
            fh.write(data)
        path = fh.name
    if not Path(path).exists():
        fail(f"no such file or folder: {path}", "give a log file, a folder, '-' or mpl:400M")
    return io.read(path)


def _law(name: str, options: list[str]):
    from lawfit import laws

    kwargs = {}
    for item in options:
        if "=" not in item:
            fail(f"--option {item!r} is not KEY=VALUE", "e.g. --option convention=paper")
        key, value = item.split("=", 1)
        try:
            kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            kwargs[key] = value
    try:
        return laws.get(name, **kwargs)
    except (TypeError, ValueError) as e:
        fail(f"cannot build law {name!r} with {kwargs}: {e}", f"laws: {list(LAW_OPTIONS)}")


def _load(path: str):
    from lawfit import load_fit

    try:
        return load_fit(path)
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load fit {path}: {e}", "pass a JSON file written by 'lawfit fit --out'")


def register(app: typer.Typer) -> None:
    @app.command("fit")
    def fit_cmd(
        runs: str = typer.Argument(..., help="Log file/folder, '-' for stdin, or mpl:25M|100M|400M."),
        law: str = typer.Option("mpl", "--law", help="Law name: mpl, momentum, chinchilla, ..."),
        convention: str = typer.Option(None, "--convention", help="MPL convention: paper, repo, tissue."),
        option: list[str] = typer.Option([], "--option", help="Extra law option KEY=VALUE (repeatable)."),  # noqa: B006, B008
        train: list[str] = typer.Option([], "--train", help="Run ids to fit (default: all)."),  # noqa: B006, B008
        metric: str = typer.Option("loss", "--metric"),
        out: Path = typer.Option(None, "--out", help="Write the fit as JSON here."),  # noqa: B008
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Fit a law to runs and print the parameters (and write the fit with --out)."""
        import lawfit

        rs = _read_runs(runs)
        opts = list(option) + ([f"convention={convention}"] if convention else [])
        the_law = _law(law, opts)
        try:
            sel = rs.select(train) if train else rs
            result = lawfit.fit(the_law, sel, metric=metric)
        except (KeyError, ValueError) as e:
            fail(str(e).strip("'\""), "check run ids with 'lawfit import' and the metric name")
        if out is not None:
            result.to_json(out)
        payload = {
            "law": the_law.to_spec(),
            "params": result.params,
            "stderr": getattr(result, "stderr", None),
            "objective": getattr(result, "objective", None),
            "converged": int(getattr(result, "n_converged", 0)),
            "runs": list(sel.ids),
        }
        if fmt == "table":
            typer.echo(result.report())
        else:
            emit(payload, fmt)
        if not payload["converged"]:
            raise typer.Exit(EXIT_NOT_CONVERGED)

    @app.command("evaluate")
    def evaluate_cmd(
        fit: str = typer.Argument(..., help="Fit JSON written by 'lawfit fit --out'."),
        runs: str = typer.Argument(..., help="Runs to evaluate on (file, folder, '-', mpl:SIZE)."),
        only: list[str] = typer.Option([], "--run", help="Run ids to evaluate (default all)."),  # noqa: B006, B008
        fmt: str = typer.Option("json", "--format"),
    ) -> None:
        """Per-run and mean R^2, MAE, RMSE, PredE, WorstE of a fit on runs."""
        import lawfit

        result = _load(fit)
        rs = _read_runs(runs)
        try:
            ev = lawfit.evaluate(result, rs.select(only) if only else rs)
        except (KeyError, ValueError) as e:
            fail(str(e).strip("'\""))
        emit(ev if fmt == "json" else [*ev["runs"], {"run_id": "mean", **ev["mean"]}], fmt)

    @app.command("predict")
    def predict_cmd(
        fit: str = typer.Argument(..., help="Fit JSON written by 'lawfit fit --out'."),
        schedule: str = typer.Option(..., "--schedule", help="Schedule spec (JSON or file) or a family name."),
        total_steps: int = typer.Option(None, "--total-steps", help="Run length (if the spec has none)."),
        steps: str = typer.Option(None, "--steps", help="Comma-separated steps (default: every 1% of the run)."),
        fmt: str = typer.Option("json", "--format"),
    ) -> None:
        """Predict the loss of a schedule nobody has trained."""
        import numpy as np

        from lawfit import schedules as sch
        from lawfit.cli.cmd_schedules import _build

        result = _load(fit)
        sched, total = _build(schedule, total_steps)
        spec = dict(sched.spec)
        try:
            lr = sch.to_array(sched, int(total))
        except (TypeError, ValueError) as e:
            fail(f"bad schedule: {e}", "see 'lawfit schedules show NAME'")
        if steps:
            at = np.array([int(s) for s in steps.split(",")], dtype=np.int64)
        else:
            at = np.unique(np.linspace(0, int(total) - 1, 101).astype(np.int64))
            w = int(np.argmax(lr >= lr.max())) if lr.max() > 0 else 0
            at = at[at >= w] if result.law.options().get("convention", "paper") != "repo" else at
        try:
            pred = result.predict(lr, steps=at)
        except ValueError as e:
            fail(str(e))
        rows = [{"step": int(s), "lr": float(lr[s]), "loss": float(v)} for s, v in zip(at, pred, strict=True)]
        emit(rows if fmt == "table" else {"schedule": spec, "predictions": rows}, fmt)

    optimize = typer.Typer(help="Choose schedules (and mixtures / CPT plans) from fitted laws.")
    app.add_typer(optimize, name="optimize")

    @optimize.command("schedule")
    def optimize_schedule_cmd(
        fit: str = typer.Argument(..., help="MPL fit JSON written by 'lawfit fit --law mpl --out'."),
        total_steps: int = typer.Option(..., "--total-steps"),
        warmup_steps: int = typer.Option(..., "--warmup-steps"),
        peak_lr: float = typer.Option(..., "--peak-lr"),
        smooth: bool = typer.Option(False, "--smooth", help="Restrict to smooth decays."),
        out: Path = typer.Option(None, "--out", help="Write the per-step schedule as CSV here."),  # noqa: B008
        fmt: str = typer.Option("json", "--format"),
    ) -> None:
        """Free-form schedule optimization under the Multi-Power Law, with its closed form."""
        import numpy as np

        from lawfit.optimize import optimize_schedule

        result = _load(fit)
        try:
            opt = optimize_schedule(
                result, total_steps, warmup_steps=warmup_steps, peak_lr=peak_lr, smooth=smooth
            )
        except ValueError as e:
            fail(str(e))
        if out is not None:
            np.savetxt(out, np.c_[np.arange(len(opt.lr)), opt.lr], delimiter=",",
                       header="step,lr", comments="", fmt=["%d", "%.17g"])
        payload = {
            "predicted_final_loss": float(opt.final_loss),
            "closed_form": opt.closed_form.to_dict() if opt.closed_form is not None else None,
            "warnings": list(getattr(opt, "warnings", ())),
        }
        emit(payload, fmt)


