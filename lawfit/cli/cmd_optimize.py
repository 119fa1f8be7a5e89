"""``lawfit optimize schedule`` (free-form MPL schedule), ``lawfit optimize mixture`` (the three
D-CPT usages) and ``lawfit optimize cpt`` (the CPT balance planner).

Thin wrappers of :func:`lawfit.optimize.optimize_schedule` (with a progress bar on stderr fed by
its ``progress`` callback), :func:`lawfit.optimize.dcpt_max_domain_ratio`,
:func:`lawfit.optimize.dcpt_limited_domain_ratio`, :func:`lawfit.optimize.dcpt_compute_optimal`
and :func:`lawfit.optimize.plan_cpt`: arguments in, the planner's answer (with its bootstrap
interval when the fits carry draws, ``lawfit fit --bootstrap N``) out as JSON or a table.

Examples:
    lawfit optimize schedule fit.json --total-steps 24000 --warmup-steps 2160 --peak-lr 3e-4
    lawfit fit table.csv --law dcpt --option target=general --bootstrap 100 --out general.json
    lawfit fit table.csv --law dcpt --option target=domain --bootstrap 100 --out domain.json
    lawfit optimize mixture general.json domain.json --usage max-ratio --threshold 0.03 \\
        --model-size 1.8e9 --tokens 1e10
    lawfit optimize cpt pt.json cpt.json --pt-schedule '{"family": "constant", ...}' \\
        --pt-steps 8000 --peak-lrs 1e-4,2e-4 --cpt-steps 3000 --loss-potentials 0,0.5,1
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer

from lawfit.cli._common import clean, emit, fail, optimize, progress, warnings_to_stderr
from lawfit.cli._data import load_fit

USAGES = ("max-ratio", "limited-domain", "compute-optimal")


def _floats(text: str | None, name: str, *, none_ok: bool = False) -> list[Any]:
    """``"1e-4,2e-4"`` -> [1e-4, 2e-4]; ``none`` -> None where allowed."""
    if text is None:
        return [None]
    out: list[Any] = []
    for item in text.split(","):
        item = item.strip()
        if none_ok and item.lower() == "none":
            out.append(None)
            continue
        try:
            out.append(float(item))
        except ValueError:
            extra = " or none" if none_ok else ""
            fail(f"{name} {text!r}: {item!r} is not a number{extra}", f"e.g. {name} 0.1,0.2")
    return out


def _interval(iv: Any) -> list[float] | None:
    return None if iv is None else [float(iv[0]), float(iv[1])]


def _n_draws(*fits: Any) -> int:
    sizes = [len(next(iter(f.draws.values()))) for f in fits if f is not None and f.draws]
    return min(sizes) if sizes else 0


# -- schedule -------------------------------------------------------------------------------------
@optimize.command("schedule")
def schedule_cmd(
    fit: str = typer.Argument(..., help="MPL fit JSON written by 'lawfit fit --law mpl --out'."),
    total_steps: int = typer.Option(..., "--total-steps"),
    warmup_steps: int = typer.Option(..., "--warmup-steps"),
    peak_lr: float = typer.Option(..., "--peak-lr"),
    smooth: bool = typer.Option(True, "--smooth/--staircase",
                                help="Smooth optimum (default) or the per-step staircase optimum."),
    out: Path = typer.Option(None, "--out", help="Write the per-step schedule as CSV here."),  # noqa: B008
    fmt: str = typer.Option("json", "--format", help="json or table."),
) -> None:
    """Free-form schedule optimization under the Multi-Power Law, with its closed form."""
    import numpy as np

    from lawfit.optimize import optimize_schedule

    result = load_fit(fit)
    try:
        with progress(f"optimize a {total_steps}-step schedule", bar=True) as bar, \
                warnings_to_stderr():
            def report(fraction: float, phase: str) -> None:
                bar.stage(f"optimize a {total_steps}-step schedule: {phase}")
                bar(round(100 * fraction), 100)  # percent

            opt = optimize_schedule(result, total_steps, warmup_steps=warmup_steps,
                                    peak_lr=peak_lr, smooth=smooth, progress=report)
    except (TypeError, ValueError) as e:
        fail(str(e), "the fit must be a Multi-Power Law fit ('lawfit fit --law mpl')")
    if out is not None:
        np.savetxt(out, np.c_[np.arange(len(opt.lr)), opt.lr], delimiter=",",
                   header="step,lr", comments="", fmt=["%d", "%.17g"])
    payload = {
        "predicted_final_loss": float(opt.final_loss),
        "closed_form": opt.closed_form.to_dict(),
        "warnings": list(opt.warnings),
    }
    if fmt == "table":
        rows = [{"key": "predicted_final_loss", "value": payload["predicted_final_loss"]}]
        rows += [{"key": f"closed_form.{k}", "value": v} for k, v in payload["closed_form"].items()]
        rows += [{"key": "warning", "value": w} for w in payload["warnings"]]
        emit(clean(rows), "table")
    else:
        emit(clean(payload), fmt)


# -- mixture --------------------------------------------------------------------------------------
def _dcpt_fits(paths: list[str]) -> dict[str, Any]:
    from lawfit.laws import DCPTLaw

    if not 1 <= len(paths) <= 2:
        fail(f"give one or two D-CPT fits (general and/or domain), got {len(paths)}",
             "lawfit optimize mixture general.json domain.json --usage ...")
    fits: dict[str, Any] = {}
    for p in paths:
        res = load_fit(p)
        if not isinstance(res.law, DCPTLaw):
            fail(f"{p} is a fit of {res.law!r}, not of the D-CPT law",
                 "fit a mixture table with 'lawfit fit TABLE --law dcpt --option target=general|domain'")
        if res.law.target in fits:
            fail(f"two fits of the {res.law.target!r} loss ({fits[res.law.target][0]} and {p})",
                 "give one general and/or one domain fit")
        fits[res.law.target] = (p, res)
    return {t: r for t, (_, r) in fits.items()}


def _require(usage: str, **values: Any) -> None:
    missing = [f"--{k.replace('_', '-')}" for k, v in values.items() if v is None]
    if missing:
        fail(f"--usage {usage} needs {', '.join(missing)}", "see 'lawfit optimize mixture --help'")


def _mixture_payload(usage: str, plan: Any, coverage: float, draws: int) -> dict[str, Any]:
    return {
        "usage": usage,
        "ratio": plan.ratio,
        "interval": _interval(plan.interval),
        "coverage": coverage,
        "bootstrap_draws": draws,
        "predicted": plan.predicted,
        "violations": list(plan.violations),
        "details": plan.details,
    }


def _compute_payload(target: str, plan: Any, coverage: float, draws: int) -> dict[str, Any]:
    return {
        "usage": "compute-optimal",
        "target": target,
        "N": plan.N,
        "D": plan.D,
        "loss": plan.loss,
        "interval_N": _interval(plan.interval_N),
        "interval_D": _interval(plan.interval_D),
        "coverage": coverage,
        "bootstrap_draws": draws,
        "violations": list(plan.violations),
        "details": plan.details,
    }


def _table_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for k, v in payload.items():
        if isinstance(v, dict):
            rows += [{"key": f"{k}.{kk}", "value": vv} for kk, vv in v.items()]
        elif isinstance(v, list) and k == "violations":
            rows += [{"key": "violation", "value": s} for s in v]
        else:
            rows.append({"key": k, "value": v})
    return rows


@optimize.command("mixture")
def mixture_cmd(
    fits: list[str] = typer.Argument(..., metavar="FIT", help="One or two D-CPT fit JSONs "  # noqa: B008
                                     "('lawfit fit TABLE --law dcpt --option target=general|domain --out')."),
    usage: str = typer.Option(..., "--usage", help="max-ratio | limited-domain | compute-optimal."),
    threshold: float = typer.Option(None, "--threshold", help="max-ratio: allowed relative "
                                    "general-loss degradation, e.g. 0.03."),
    model_size: float = typer.Option(None, "--model-size", "-N", help="Model parameters N (raw count)."),
    tokens: float = typer.Option(None, "--tokens", "-D", help="max-ratio: CPT tokens D (raw count)."),
    domain_tokens: float = typer.Option(None, "--domain-tokens", help="limited-domain: domain tokens available."),
    ratio: float = typer.Option(None, "--ratio", help="compute-optimal: the domain share r_d in [0, 1]."),
    compute: float = typer.Option(None, "--compute", help="compute-optimal: FLOPs budget (C = 6 N D)."),
    reference_loss: float = typer.Option(None, "--reference-loss", help="max-ratio: general loss "
                                         "before CPT (default: the fit at r_d = 0)."),
    r_max: float = typer.Option(1.0, "--r-max", help="max-ratio: largest domain share searched "
                                "(use the largest share in the data)."),
    r_min: float = typer.Option(0.01, "--r-min", help="limited-domain: smallest domain share searched."),
    coverage: float = typer.Option(0.9, "--coverage", help="Coverage of the bootstrap interval."),
    fmt: str = typer.Option("json", "--format", help="json or table."),
) -> None:
    """Plan the domain mixture ratio of continual pre-training from fitted D-CPT laws."""
    from lawfit import optimize as opt

    if usage not in USAGES:
        fail(f"--usage {usage!r} is not one of {', '.join(USAGES)}",
             "max-ratio (general-loss budget), limited-domain (few domain tokens), "
             "compute-optimal (N, D at a ratio)")
    if not 0 < coverage < 1:
        fail(f"--coverage {coverage!r} must be in (0, 1)", "e.g. --coverage 0.9")
    by_target = _dcpt_fits(fits)
    general, domain = by_target.get("general"), by_target.get("domain")
    try:
        with progress(f"optimize mixture: {usage}"), warnings_to_stderr():
            if usage == "max-ratio":
                _require(usage, threshold=threshold, model_size=model_size, tokens=tokens)
                if general is None:
                    fail("--usage max-ratio needs the general-loss fit (target=general)",
                         "lawfit fit TABLE --law dcpt --option target=general --out general.json")
                plan = opt.dcpt_max_domain_ratio(
                    general, N=model_size, D=tokens, threshold=threshold, reference_loss=reference_loss,
                    domain_fit=domain, coverage=coverage, r_max=r_max)
                payload: Any = _mixture_payload(usage, plan, coverage, _n_draws(general))
            elif usage == "limited-domain":
                _require(usage, model_size=model_size, domain_tokens=domain_tokens)
                if domain is None:
                    fail("--usage limited-domain needs the domain-loss fit (target=domain)",
                         "lawfit fit TABLE --law dcpt --option target=domain --out domain.json")
                plan = opt.dcpt_limited_domain_ratio(
                    domain, N=model_size, domain_tokens=domain_tokens, r_min=r_min,
                    general_fit=general, coverage=coverage)
                payload = _mixture_payload(usage, plan, coverage, _n_draws(domain))
            else:
                _require(usage, ratio=ratio, compute=compute)
                payload = [
                    _compute_payload(t, opt.dcpt_compute_optimal(f, ratio=ratio, compute=compute,
                                                                 coverage=coverage), coverage, _n_draws(f))
                    for t, f in by_target.items()
                ]
    except ValueError as e:
        fail(str(e), "see 'lawfit optimize mixture --help'")
    if isinstance(payload, dict) and not math.isfinite(payload["ratio"]):
        typer.echo("warning: no domain share satisfies the constraint (ratio is null)", err=True)
    if fmt == "table":
        if isinstance(payload, list):
            emit(clean([{k: v for k, v in p.items() if k not in ("details", "violations")} for p in payload]), "table")
        else:
            emit(clean(_table_rows(payload)), "table")
    else:
        emit(clean(payload if isinstance(payload, dict) or len(payload) > 1 else payload[0]), fmt)


# -- CPT ------------------------------------------------------------------------------------------
def _pt_lr(schedule: str, steps: int | None):
    """The PT phase's per-step LR: a CSV with an ``lr`` column, or a schedule spec / name."""
    import numpy as np

    from lawfit import schedules as sch
    from lawfit.cli.cmd_schedules import _build

    path = Path(schedule)
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            fail(f"--pt-schedule file {schedule!r} does not exist", "a CSV with an lr column, or a schedule spec")
        try:
            table = np.genfromtxt(path, delimiter=",", names=True)
            lr = np.atleast_1d(np.asarray(table["lr"], dtype=np.float64))
        except (ValueError, KeyError, IndexError) as e:
            fail(f"--pt-schedule {schedule!r} has no numeric 'lr' column ({e})",
                 "write it with 'lawfit optimize schedule --out' (columns step,lr)")
        return lr
    sched, total = _build(schedule, steps)
    try:
        return np.asarray(sch.to_array(sched, int(total)), dtype=np.float64)
    except (TypeError, ValueError) as e:
        fail(f"bad --pt-schedule: {e}", "see 'lawfit schedules show NAME'")


def _meta(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        if "=" not in item:
            fail(f"--meta {item!r} is not KEY=VALUE", "e.g. --meta N=1e8")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def _cpt_payload(plan: Any, draws: int, coverage: float) -> dict[str, Any]:
    choices = [
        {
            "lambda1": c.lambda1,
            **c.candidate,
            "index": c.index,
            "L_pt": c.L_pt,
            "L_cpt": c.L_cpt,
            "objective": c.objective,
            "agreement": c.agreement,
            "interval_L_pt": _interval(c.interval_L_pt),
            "interval_L_cpt": _interval(c.interval_L_cpt),
        }
        for c in plan.choices
    ]
    pareto = [{"index": i, **plan.candidates[i], "L_pt": float(plan.L_pt[i]), "L_cpt": float(plan.L_cpt[i])}
              for i in plan.pareto]
    return {"choices": choices, "pareto": pareto, "candidates": len(plan.candidates),
            "bootstrap_draws": draws, "coverage": coverage, "warnings": list(plan.warnings),
            "details": plan.details}


@optimize.command("cpt")
def cpt_cmd(
    pt_fit: str = typer.Argument(..., metavar="PT_FIT", help="CPT-law fit of the D_pt (general) loss."),
    cpt_fit: str = typer.Argument(..., metavar="CPT_FIT", help="CPT-law fit of the D_cpt (domain) loss."),
    pt_schedule: str = typer.Option(..., "--pt-schedule", help="The pre-training LR: a schedule spec "
                                    "(JSON or file), a family name, or a CSV with an lr column."),
    pt_steps: int = typer.Option(None, "--pt-steps", help="Pre-training length (if the spec has none)."),
    peak_lrs: str = typer.Option(..., "--peak-lrs", help="Candidate CPT peak LRs, comma-separated."),
    cpt_steps: str = typer.Option(..., "--cpt-steps", help="Candidate CPT lengths, comma-separated."),
    loss_potentials: str = typer.Option("none", "--loss-potentials", help="Candidate loss potentials "
                                        "(final/peak PT LR, 0..1; none keeps the PT LR), comma-separated."),
    replay_ratios: str = typer.Option("none", "--replay-ratios", help="Candidate replay ratios (D_pt "
                                      "share; needs replay fits), comma-separated."),
    lambdas: str = typer.Option("0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1", "--lambdas",
                                help="Weights lambda1 of L_pt (L_cpt gets 1 - lambda1)."),
    pt_anneal_steps: int = typer.Option(None, "--pt-anneal-steps", help="PT annealing length for "
                                        "loss potentials (default 10% of PT)."),
    cpt_warmup: int = typer.Option(100, "--cpt-warmup", help="CPT re-warmup steps."),
    cpt_decay: str = typer.Option("cosine", "--cpt-decay", help="CPT decay: cosine or constant."),
    cpt_final_ratio: float = typer.Option(0.1, "--cpt-final-ratio", help="CPT final LR / peak (cosine)."),
    meta: list[str] = typer.Option([], "--meta", help="Run metadata KEY=VALUE for the fits, e.g. N=1e8."),  # noqa: B006, B008
    coverage: float = typer.Option(0.9, "--coverage", help="Coverage of the bootstrap intervals."),
    fmt: str = typer.Option("json", "--format", help="json or table."),
) -> None:
    """Plan continual pre-training (loss potential, peak LR, steps, replay) from two CPT-law fits."""
    from lawfit.optimize import plan_cpt

    if not 0 < coverage < 1:
        fail(f"--coverage {coverage!r} must be in (0, 1)", "e.g. --coverage 0.9")
    f_pt, f_cpt = load_fit(pt_fit), load_fit(cpt_fit)
    lr = _pt_lr(pt_schedule, pt_steps)
    steps = _floats(cpt_steps, "--cpt-steps")
    if any(s != int(s) or s <= 0 for s in steps):
        fail(f"--cpt-steps {cpt_steps!r} must be positive integers", "e.g. --cpt-steps 2000,4000")
    try:
        with progress("optimize cpt: scoring the candidate plans"), warnings_to_stderr():
            plan = plan_cpt(
                f_pt, f_cpt, pt_lr=lr, peak_lrs=_floats(peak_lrs, "--peak-lrs"),
                cpt_steps=[int(s) for s in steps],
                loss_potentials=_floats(loss_potentials, "--loss-potentials", none_ok=True),
                replay_ratios=_floats(replay_ratios, "--replay-ratios", none_ok=True),
                lambdas=_floats(lambdas, "--lambdas"), pt_anneal_steps=pt_anneal_steps,
                cpt_warmup=cpt_warmup, cpt_decay=cpt_decay, cpt_final_ratio=cpt_final_ratio,
                meta=_meta(meta), coverage=coverage)
    except (KeyError, ValueError) as e:
        fail(str(e).strip("'\""), "PT_FIT and CPT_FIT are 'lawfit fit RUNS --law cpt --metric ... --out' files")
    payload = _cpt_payload(plan, _n_draws(f_pt, f_cpt), coverage)
    if fmt == "table":
        emit(clean([{k: v for k, v in c.items() if not k.startswith("interval")} for c in payload["choices"]]), "table")
        typer.echo("")
        typer.echo(f"Pareto front ({len(payload['pareto'])} of {payload['candidates']} candidates):")
        emit(clean(payload["pareto"]), "table")
    else:
        emit(clean(payload), fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(optimize, name="optimize")
