"""``lawfit fit``, ``lawfit evaluate`` and ``lawfit predict`` (``lawfit optimize schedule``: cmd_optimize).

All numerics come from the library; this module only parses arguments and formats output.
JSON on stdout by default (``--format table`` for people); exit codes 0 ok (status ``ok`` or
``doubtful``, warnings on stderr), 1 fit did not converge or is unusable, 2 bad input.
"""

import json
from pathlib import Path

import typer

from lawfit.cli import EXIT_NOT_CONVERGED
from lawfit.cli._common import clean, emit, fail, progress, warnings_to_stderr
from lawfit.cli._data import load_fit as _load
from lawfit.cli._data import read_data


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
        fail(f"cannot build law {name!r} with {kwargs}: {e}", f"laws: {list(laws.names())}")


def register(app: typer.Typer) -> None:
    @app.command("fit")
    def fit_cmd(
        runs: str = typer.Argument(..., help="Log file/folder, mixture table (.csv/.parquet with "
                                   "N,D,r,general,domain), '-' for stdin, or mpl:25M|100M|400M."),
        law: str = typer.Option("mpl", "--law", help="Law name: mpl, momentum, chinchilla, cpt, dcpt, cmr, fsl."),
        convention: str = typer.Option(None, "--convention", help="MPL convention: paper, repo, tissue."),
        option: list[str] = typer.Option([], "--option", help="Extra law option KEY=VALUE (repeatable), "  # noqa: B006, B008
                                         "e.g. target=general for dcpt."),
        train: list[str] = typer.Option([], "--train", help="Run ids to fit (default: all)."),  # noqa: B006, B008
        metric: str = typer.Option("loss", "--metric"),
        bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Add N bootstrap draws (uncertainty "
                                      "for predictions and planners)."),
        bootstrap_kind: str = typer.Option("runs", "--bootstrap-kind", help="Resample whole 'runs' or 'points'."),
        seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap resampling."),
        out: Path = typer.Option(None, "--out", help="Write the fit as JSON here."),  # noqa: B008
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Fit a law to runs (or a mixture table) and print the parameters; --out writes the fit."""
        import warnings

        import lawfit

        if bootstrap_kind not in ("runs", "points"):
            fail(f"--bootstrap-kind {bootstrap_kind!r} is not runs or points")
        data = read_data(runs)
        is_table = not hasattr(data, "ids")
        if is_table and train:
            fail("--train selects runs; a mixture table has rows", "drop --train (fit every row)")
        opts = list(option) + ([f"convention={convention}"] if convention else [])
        the_law = _law(law, opts)
        try:
            sel = data.select(train) if train else data
            with progress(f"fit {law}: compiling + solving the multi-start L-BFGS") as bar, \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = lawfit.fit(the_law, sel, metric=metric)
                if bootstrap:
                    bar.stage(f"bootstrap: {bootstrap} refits ({bootstrap_kind})")
                    result = lawfit.bootstrap(result, sel, n=bootstrap, kind=bootstrap_kind, key=seed)
        except (KeyError, ValueError) as e:
            fail(str(e).strip("'\""), "check run ids with 'lawfit import', the metric name and the law")
        notes = list(dict.fromkeys([str(w.message) for w in caught] + list(result.warnings)))
        for n in notes:
            typer.echo(f"warning: {n}", err=True)
        if out is not None:
            result.to_json(out)
        payload = {
            "law": the_law.to_spec(),
            "params": result.params,
            "stderr": getattr(result, "stderr", None),
            "objective": getattr(result, "objective", None),
            "status": result.status,
            "success": bool(result.success),
            "converged": int(result.n_converged),
            "bootstrap_draws": bootstrap,
            "warnings": notes,
            # how the fit was computed (chosen from the data; the points used are in the --out file)
            "layout": {k: v for k, v in (getattr(result, "layout", None) or {}).items() if k not in ("points", "tried")}
            or None,
        }
        payload.update({"rows": len(sel)} if is_table else {"runs": list(sel.ids)})
        if fmt == "table":
            typer.echo(result.report())
        else:
            emit(clean(payload), fmt)
        if result.status == "not_converged":
            typer.echo("error: no start of the fit converged" if not result.n_converged else
                       "error: the best start of the fit did not converge", err=True)
            typer.echo("hint: check the data, or fix/bound parameters in Python (lawfit.fit)", err=True)
            raise typer.Exit(EXIT_NOT_CONVERGED)
        if result.status == "unusable":
            typer.echo("error: the fit converged but is unusable (status unusable; see the warnings)", err=True)
            typer.echo("hint: add runs that identify the parameters, or choose another law", err=True)
            raise typer.Exit(EXIT_NOT_CONVERGED)

    @app.command("evaluate")
    def evaluate_cmd(
        fit: str = typer.Argument(..., help="Fit JSON written by 'lawfit fit --out'."),
        runs: str = typer.Argument(..., help="Runs to evaluate on (file, folder, mixture table, '-', mpl:SIZE)."),
        only: list[str] = typer.Option([], "--run", help="Run ids to evaluate (default all)."),  # noqa: B006, B008
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Per-run and mean R^2, MAE, RMSE, PredE, WorstE of a fit on runs."""
        import lawfit

        result = _load(fit)
        rs = read_data(runs)
        if only and not hasattr(rs, "ids"):
            fail("--run selects runs; a mixture table has rows", "drop --run (evaluate every row)")
        try:
            with warnings_to_stderr():
                ev = lawfit.evaluate(result, rs.select(only) if only else rs)
        except (KeyError, ValueError) as e:
            fail(str(e).strip("'\""), "check the run ids (--run) and that the runs have the fit's metric")
        emit(clean(ev) if fmt == "json" else [*ev["runs"], {"run_id": "mean", **ev["mean"]}], fmt)

    @app.command("predict")
    def predict_cmd(
        fit: str = typer.Argument(..., help="Fit JSON written by 'lawfit fit --out'."),
        schedule: str = typer.Option(..., "--schedule", help="Schedule spec (JSON or file) or a family name."),
        total_steps: int = typer.Option(None, "--total-steps", help="Run length (if the spec has none)."),
        steps: str = typer.Option(None, "--steps", help="Comma-separated steps (default: every 1% of the run)."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
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
            try:
                at = np.array([int(s) for s in steps.split(",")], dtype=np.int64)
            except ValueError:
                fail(f"--steps {steps!r} is not a comma-separated list of integers", "e.g. --steps 1000,23999")
        else:
            at = np.unique(np.linspace(0, int(total) - 1, 101).astype(np.int64))
            w = int(np.argmax(lr >= lr.max())) if lr.max() > 0 else 0
            at = at[at >= w] if result.law.options().get("convention", "paper") != "repo" else at
        try:
            with warnings_to_stderr():
                pred = result.predict(lr, steps=at)
        except (IndexError, ValueError) as e:
            fail(str(e), f"steps must lie in 0..{int(total) - 1}")
        rows = [{"step": int(s), "lr": float(lr[s]), "loss": float(v)} for s, v in zip(at, pred, strict=True)]
        emit(rows if fmt == "table" else clean({"schedule": spec, "predictions": rows}), fmt)
