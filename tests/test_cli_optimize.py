"""``lawfit optimize mixture`` and ``lawfit optimize cpt`` end to end: synthetic data from known
D-CPT / CPT parameters -> ``lawfit fit`` -> the planner commands, compared with the generating
law's optimum (brute force) and with the library planners on the same fits."""

import json
import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from typer.testing import CliRunner

import lawfit
from lawfit import io
from lawfit.cli import app
from lawfit.fitting import FitResult
from lawfit.laws import CPTLaw
from lawfit.optimize import cpt_lr, dcpt_compute_optimal, dcpt_max_domain_ratio, plan_cpt
from lawfit.runs import Run, RunSet

runner = CliRunner()
NO_PROGRESS = {"LAWFIT_PROGRESS": "auto"}  # auto: silent, as CliRunner's stderr is not a terminal

# -- D-CPT ----------------------------------------------------------------------------------------
GENERAL = dict(E=1.8, A=0.25, alpha=0.35, B=0.35, beta=0.35, eta=0.2, C=0.12, gamma=0.9, eps=0.03)
DOMAIN = dict(E=1.2, A=0.3, alpha=0.3, B=0.5, beta=0.3, eta=0.25, C=0.25, gamma=0.6, eps=0.05)
N_PLAN, D_PLAN = 1.8e9, 1e10
DRAWS = 20


def L(p, N, D, r):
    """The D-CPT form L3 written out independently (N, D in units of 1e9)."""
    N, D = N / 1e9, D / 1e9
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] * r ** p["eta"] / D ** p["beta"] + p["C"] / (r + p["eps"]) ** p["gamma"]


def invoke(*args, **kw):
    return runner.invoke(app, [str(a) for a in args], env=NO_PROGRESS, **kw)


@pytest.fixture(scope="module")
def dcpt(tmp_path_factory):
    """A noisy mixture table from known parameters, fitted by the CLI (general via stdin)."""
    tmp = tmp_path_factory.mktemp("dcpt")
    sizes, tokens = np.array([0.5e9, 1.8e9, 4e9]), np.linspace(2.6e9, 26e9, 10)
    ratios = np.array([0, 0.1, 0.2, 1 / 3, 0.5, 2 / 3, 0.8, 0.9, 1.0])
    N, R, D = (a.ravel() for a in np.meshgrid(sizes, ratios, tokens, indexing="ij"))
    rng = np.random.default_rng(7)
    g = L(GENERAL, N, D, 1 - R) * np.exp(rng.normal(0, 0.003, N.size))
    d = L(DOMAIN, N, D, R) * np.exp(rng.normal(0, 0.003, N.size))
    text = "N,D,r,general,domain\n" + "".join(
        ",".join(repr(float(v)) for v in row) + "\n" for row in zip(N, D, R, g, d, strict=True))
    table = tmp / "table.csv"
    table.write_text(text)
    fits = {}
    for target, source, stdin in (("general", "-", text), ("domain", table, None)):
        fits[target] = tmp / f"{target}.json"
        mode = "auto" if target == "general" else "always"
        args = ["fit", str(source), "--law", "dcpt", "--option", f"target={target}", "--bootstrap", str(DRAWS),
                "--bootstrap-kind", "points", "--out", str(fits[target])]
        r = runner.invoke(app, args, input=stdin, env={"LAWFIT_PROGRESS": mode})
        assert r.exit_code == 0, r.output
        payload = json.loads(r.stdout)
        assert payload["rows"] == N.size and payload["bootstrap_draws"] == DRAWS and payload["converged"] > 0
        if mode == "auto":
            assert "\x1b[" not in r.stdout + r.stderr  # no progress escape codes off a terminal
        else:  # forced: the stage names, first and last frame, on stderr only
            assert "fit dcpt: compiling" in r.stderr and f"bootstrap: {DRAWS} refits" in r.stderr
            assert "\x1b[" not in r.stdout
    return {**fits, "table": table}


def test_max_ratio_recovers_generating_optimum(dcpt):
    r = invoke("optimize", "mixture", dcpt["general"], dcpt["domain"], "--usage", "max-ratio",
               "--threshold", 0.03, "--model-size", N_PLAN, "--tokens", D_PLAN)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    grid = np.linspace(0, 1, 1_000_001)
    lg = L(GENERAL, N_PLAN, D_PLAN, 1 - grid)
    best = grid[np.flatnonzero((lg - lg[0]) / lg[0] <= 0.03)[-1]]
    assert abs(out["ratio"] - best) < 0.01
    assert out["bootstrap_draws"] == DRAWS and out["interval"][0] <= out["ratio"] <= out["interval"][1]
    assert out["predicted"]["degradation"] == pytest.approx(0.03, rel=1e-6)
    # the CLI is the library planner on the saved fits
    lib = dcpt_max_domain_ratio(lawfit.load_fit(dcpt["general"]), N=N_PLAN, D=D_PLAN, threshold=0.03,
                                domain_fit=lawfit.load_fit(dcpt["domain"]))
    assert out["ratio"] == lib.ratio and out["predicted"]["domain"] == lib.predicted["domain"]


def test_limited_domain_recovers_generating_optimum(dcpt):
    r = invoke("optimize", "mixture", dcpt["domain"], "--usage", "limited-domain",
               "-N", N_PLAN, "--domain-tokens", 5e9)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    grid = np.linspace(0.01, 1, 990_001)
    best = grid[np.argmin(L(DOMAIN, N_PLAN, 5e9 / grid, grid))]
    assert abs(out["ratio"] - best) < 0.01
    assert out["predicted"]["total_tokens"] == pytest.approx(5e9 / out["ratio"])
    assert out["interval"] is not None and out["bootstrap_draws"] == DRAWS


def test_compute_optimal_near_generating_optimum_and_table(dcpt):
    C, ratio = 6 * N_PLAN * D_PLAN, 0.5
    r = invoke("optimize", "mixture", dcpt["domain"], "--usage", "compute-optimal", "--ratio", ratio,
               "--compute", C)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    f = lambda logn: L(DOMAIN, math.exp(logn), C / (6 * math.exp(logn)), ratio)  # noqa: E731
    opt = minimize_scalar(f, bounds=(math.log(1e7), math.log(1e12)), method="bounded", options={"xatol": 1e-12})
    assert 6 * out["N"] * out["D"] == pytest.approx(C, rel=1e-12)
    # regret of the planned (N, D) under the generating law
    assert f(math.log(out["N"])) - opt.fun < 1e-3
    lib = dcpt_compute_optimal(lawfit.load_fit(dcpt["domain"]), ratio=ratio, compute=C)
    assert out["N"] == lib.N and out["interval_N"] == list(lib.interval_N)
    # both fits at once, as a table for people
    r = invoke("optimize", "mixture", dcpt["general"], dcpt["domain"], "--usage", "compute-optimal",
               "--ratio", ratio, "--compute", C, "--format", "table")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["usage", "target", "N"] and len(lines) == 3
    assert {ln.split()[1] for ln in lines[1:]} == {"general", "domain"}


def test_mixture_progress_is_drawn_only_when_forced(dcpt):
    args = ["optimize", "mixture", str(dcpt["domain"]), "--usage", "limited-domain", "-N", "1.8e9",
            "--domain-tokens", "5e9"]
    quiet = runner.invoke(app, args, env={"LAWFIT_PROGRESS": "auto"})
    assert quiet.exit_code == 0 and quiet.stderr == "" and "\x1b[" not in quiet.stdout
    loud = runner.invoke(app, args, env={"LAWFIT_PROGRESS": "always"})
    assert loud.exit_code == 0, loud.output
    assert "optimize mixture: limited-domain" in loud.stderr and "\x1b[" in loud.stderr
    assert json.loads(loud.stdout)["ratio"] == json.loads(quiet.stdout)["ratio"]  # stdout stays clean


def _error_lines(r):
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2, r.output
    assert len(lines) in (1, 2) and lines[0].startswith("error: "), r.stderr
    assert len(lines) == 1 or lines[1].startswith("hint: ")
    return lines


def test_mixture_bad_input(dcpt, tmp_path):
    lines = _error_lines(invoke("optimize", "mixture", dcpt["general"], "--usage", "max-ratio", "-N", 1e9, "-D", 1e10))
    assert "--threshold" in lines[0]
    lines = _error_lines(invoke("optimize", "mixture", dcpt["general"], "--usage", "best"))
    assert "'best'" in lines[0] and "max-ratio" in lines[0]
    lines = _error_lines(invoke("optimize", "mixture", dcpt["general"], "--usage", "limited-domain",
                                "-N", 1e9, "--domain-tokens", 1e9))
    assert "target=domain" in lines[0]
    lines = _error_lines(invoke("optimize", "mixture", dcpt["general"], dcpt["general"], "--usage", "max-ratio",
                                "--threshold", 0.03, "-N", 1e9, "-D", 1e10))
    assert "two fits of the 'general' loss" in lines[0]
    lines = _error_lines(invoke("optimize", "mixture", dcpt["domain"], "--usage", "compute-optimal",
                                "--ratio", 1.5, "--compute", 1e20))
    assert "ratio" in lines[0] and "1.5" in lines[0]
    lines = _error_lines(invoke("optimize", "mixture", tmp_path / "none.json", "--usage", "max-ratio"))
    assert "none.json" in lines[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("N,D,r,general\n1e9,1e10,0.5,2.5\n1e9,1e10,1.5,2.4\n")
    lines = _error_lines(invoke("fit", bad, "--law", "dcpt", "--option", "target=general"))
    assert "'r'" in lines[0] and "row 1" in lines[0] and "1.5" in lines[0]
    lines = _error_lines(invoke("evaluate", dcpt["general"], bad))
    assert "'r'" in lines[0] and "row 1" in lines[0]
    lines = _error_lines(invoke("evaluate", dcpt["general"], dcpt["table"], "--run", "x"))
    assert "mixture table" in lines[0]


def test_evaluate_on_a_mixture_table(dcpt):
    r = invoke("evaluate", dcpt["domain"], dcpt["table"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    from lawfit.cli._data import read_mixture_table

    lib = lawfit.evaluate(lawfit.load_fit(dcpt["domain"]), read_mixture_table(dcpt["table"]))
    assert out["mean"]["r2"] == pytest.approx(lib["mean"]["r2"], rel=1e-12)
    assert out["mean"]["rmse"] < 0.02  # 0.3% noise on losses around 2


# -- CPT ------------------------------------------------------------------------------------------
PT = dict(L0=3.057, A=0.490, alpha=0.497, C1=0.299, C2=0.298, B=0.366, E=28.0, beta=0.189)
CPT = dict(L0=3.024, A=0.412, alpha=0.677, C1=0.278, C2=0.324, B=-0.666, E=5662.0, beta=0.146)
PEAK, W, T_PT = 2e-4, 200, 8000
PEAKS = "5e-5,1e-4,1.5e-4,2e-4,3e-4"
POTENTIALS = "0,0.25,0.5,1"
LAMBDAS = [0.2, 0.5, 0.8]


def pt_lr():
    lr = np.full(T_PT, PEAK)
    lr[:W] = np.linspace(PEAK / W, PEAK, W)
    return lr


@pytest.fixture(scope="module")
def cpt(tmp_path_factory):
    """Noisy PT+CPT curves of both losses from the Setting A constants, fitted by the CLI."""
    tmp = tmp_path_factory.mktemp("cpt")
    law, rng, runs = CPTLaw(), np.random.default_rng(11), []
    for pot in (0.0, 0.3, 1.0):
        for peak in (1e-4, 2e-4):
            lr = pt_lr()
            k = 2000
            lr[-k:] = PEAK * (pot + (1 - pot) * 0.5 * (1 + np.cos(np.pi * np.arange(1, k + 1) / k)))
            full = np.r_[lr, cpt_lr(lr[-1], peak, 4000, decay="constant")]
            steps = np.arange(W, full.size, 250)
            run = Run(f"p{pot}-{peak}", lr=full, metrics={"v": (steps, np.ones(steps.size))},
                      meta={"cpt_start_step": T_PT})
            x = law.prepare(run, metric="v").x
            metrics = {name: (steps, np.asarray(law.predict(p, x)) * np.exp(rng.normal(0, 0.002, steps.size)))
                       for name, p in (("val_pt", PT), ("val_cpt", CPT))}
            runs.append(run.replace(metrics=metrics))
    table = io.write(RunSet(runs), tmp / "runs.csv")
    fits = {}
    for metric in ("val_pt", "val_cpt"):
        fits[metric] = tmp / f"{metric}.json"
        r = invoke("fit", table, "--law", "cpt", "--metric", metric, "--bootstrap", 8,
                   "--bootstrap-kind", "points", "--seed", 2, "--out", fits[metric])
        assert r.exit_code in (0, 1), r.output
        assert r.exit_code == 0, r.stderr
    lr_csv = tmp / "pt_lr.csv"
    np.savetxt(lr_csv, np.c_[np.arange(T_PT), pt_lr()], delimiter=",", header="step,lr", comments="",
               fmt=["%d", "%.17g"])
    return fits["val_pt"], fits["val_cpt"], lr_csv


def test_cpt_plan_recovers_generating_choice(cpt):
    pt_json, cpt_json, lr_csv = cpt
    r = invoke("optimize", "cpt", pt_json, cpt_json, "--pt-schedule", lr_csv, "--peak-lrs", PEAKS,
               "--cpt-steps", 3000, "--loss-potentials", POTENTIALS, "--lambdas", ",".join(map(str, LAMBDAS)))
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["candidates"] == 5 * 4 and out["bootstrap_draws"] == 8
    peaks = [float(v) for v in PEAKS.split(",")]
    pots = [float(v) for v in POTENTIALS.split(",")]
    truth = plan_cpt(FitResult(law=CPTLaw(), params=PT), FitResult(law=CPTLaw(), params=CPT), pt_lr=pt_lr(),
                     peak_lrs=peaks, cpt_steps=[3000], loss_potentials=pots, lambdas=LAMBDAS)
    lib = plan_cpt(lawfit.load_fit(pt_json), lawfit.load_fit(cpt_json), pt_lr=pt_lr(), peak_lrs=peaks,
                   cpt_steps=[3000], loss_potentials=pots, lambdas=LAMBDAS)
    pareto = {p["index"] for p in out["pareto"]}
    assert pareto == set(lib.pareto)
    for got, want, same in zip(out["choices"], truth.choices, lib.choices, strict=True):
        assert got["index"] == same.index and got["L_pt"] == same.L_pt and got["agreement"] == same.agreement
        assert got["index"] in pareto
        # regret under the generating law of the plan chosen from the CLI's fits
        true_obj = want.lambda1 * truth.L_pt + (1 - want.lambda1) * truth.L_cpt
        assert true_obj[got["index"]] - true_obj[want.index] < 2e-3
        assert got["interval_L_pt"][0] <= got["interval_L_pt"][1]
    # the Pareto front is non-dominated
    a = np.array([p["L_pt"] for p in out["pareto"]])
    b = np.array([p["L_cpt"] for p in out["pareto"]])
    assert all(not np.any((a < a[i]) & (b < b[i])) for i in range(a.size))


def test_cpt_table_and_bad_input(cpt):
    pt_json, cpt_json, lr_csv = cpt
    r = invoke("optimize", "cpt", pt_json, cpt_json, "--pt-schedule", lr_csv, "--peak-lrs", "1e-4,2e-4",
               "--cpt-steps", 3000, "--lambdas", "0,1", "--format", "table")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].split()[:2] == ["lambda1", "loss_potential"]
    assert "Pareto front" in r.stdout
    lines = _error_lines(invoke("optimize", "cpt", pt_json, cpt_json, "--pt-schedule", lr_csv,
                                "--peak-lrs", "1e-4,fast", "--cpt-steps", 3000))
    assert "'fast'" in lines[0]
    lines = _error_lines(invoke("optimize", "cpt", pt_json, cpt_json, "--pt-schedule", lr_csv,
                                "--peak-lrs", "1e-4", "--cpt-steps", 3000, "--replay-ratios", "0.2"))
    assert "replay" in lines[0]
    lines = _error_lines(invoke("optimize", "cpt", pt_json, cpt_json, "--pt-schedule", lr_csv,
                                "--peak-lrs", "1e-4", "--cpt-steps", 3000, "--loss-potentials", "1.5"))
    assert "loss potential" in lines[0]


# -- schedule -------------------------------------------------------------------------------------
def test_optimize_schedule_draws_a_progress_bar_on_stderr(tmp_path):
    """The bar is fed by the library's progress callback (its last frame: the last phase at
    100/100) on stderr; stdout stays the plain JSON of the library's answer."""
    from lawfit.laws import MultiPowerLaw
    from lawfit.optimize import MPL_REPO_PARAMS, SCHEDULE_PHASES, optimize_schedule

    fit = FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS["100M"])
    fit.to_json(tmp_path / "fit.json")
    args = ["optimize", "schedule", tmp_path / "fit.json", "--total-steps", 3000, "--warmup-steps", 150,
            "--peak-lr", 3e-4]
    r = runner.invoke(app, [str(a) for a in args], env={"LAWFIT_PROGRESS": "always"})
    assert r.exit_code == 0, r.output
    assert f"schedule: {SCHEDULE_PHASES[-1]}" in r.stderr and "100/100" in r.stderr
    lib = optimize_schedule(fit, 3000, warmup_steps=150, peak_lr=3e-4)
    assert json.loads(r.stdout)["predicted_final_loss"] == pytest.approx(lib.final_loss, rel=1e-12)
    quiet = invoke(*args)
    assert quiet.exit_code == 0 and quiet.stderr == ""
