"""Accuracy on real runs: the Schaipp et al. suite (``docs/accuracy.md``).

For every model/dataset group of ``../shared/data/schaipp`` (11 groups, 33M-360M, SlimPajama and
OpenWebText2; see :mod:`lawfit.evaluation`), each law is fitted ONCE on the constant-LR run + its
longest WSD cooldown (validation loss, peak LR of the WSD runs) and predicts

* (a) every other cooldown of the group (other horizons, same peak LR): the main task;
* (b) the group's cosine runs (2x the peak LR: cross-peak-LR transfer);
* (b') with one cosine run added to the fit (the shortest), the other cosine runs: what (b) takes;
* (c) across model sizes (``MomentumLaw(model_size=True)``): leave one size out over the
  SlimPajama llama_norm groups, fit the other sizes' constant + longest cooldown runs, predict
  the held-out size's cooldowns (its constant run is not seen either).

Target: the last logged validation loss of each held-out run (``final_val_loss`` is a different,
fuller validation pass ~1 % higher, not the curve the laws are fitted to). Scores: mean / max
|relative error|, signed mean (bias), PredE over the cooldown (mean relative error of the
held-out run's points from the branch point on), fit seconds per group (fresh process: the first
group includes compilation).

Bands: nominal 90 %; bootstrap (200 point resamples; momentum laws) widened by a model-error term
calibrated by leave-one-group-out (``lawfit.calibrate``: RMS log error of the same law's task-(a)
predictions on the OTHER groups). Coverage = fraction of held-out final losses inside the band.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/real_runs.py [--laws momentum,momentum-grid,mpl]
[--groups N] [--no-bands] [--markdown docs_table.md]``. Results are cached per law in
``/tmp/lawfit_real_runs`` (``--fresh`` ignores the cache).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import lawfit
from lawfit.evaluation import evaluate_group, schaipp_groups, summarize, task_runs
from lawfit.laws import FunctionalScalingLaw, MomentumLaw, MultiPowerLaw
from lawfit.runs import RunSet

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "schaipp"
CACHE = Path("/tmp/lawfit_real_runs")
METRIC = "val_loss"

LAWS = {
    "momentum": ("MomentumLaw() (paper: λ=0.999, warmup as η_max)", lambda: MomentumLaw()),
    "momentum-grid": ("MomentumLaw(lam='grid', warmup='mpl')", lambda: MomentumLaw(lam="grid", warmup="mpl")),
    "mpl": ("MultiPowerLaw('paper'), block fit, exact predict", lambda: MultiPowerLaw.for_fitting("paper")),
    "fsl": ("FunctionalScalingLaw(block_size=250) (new)", lambda: FunctionalScalingLaw(block_size=250)),
}
NO_REFIT = ("mpl", "fsl")  # slow fits: no (b') refit
BOOTSTRAP = ("momentum", "momentum-grid")


def fit_fn(name):
    law = LAWS[name][1]()

    def fit(runs):
        res = lawfit.fit(law, runs, metric=METRIC)
        if isinstance(res.law, MultiPowerLaw):
            res = res.replace(law=res.law.with_mode("exact"))
        return res

    return fit


def run_law(name, groups, bands):
    """Fits, predictions (a, b, b') and bootstrap draws of one law; cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}_{len(groups)}_{int(bands)}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    fit = fit_fn(name)
    out = {}
    for g in groups.values():
        t0 = time.perf_counter()
        res = fit(task_runs(g, "cooldown")[0])
        sec = time.perf_counter() - t0
        if bands and name in BOOTSTRAP:
            res = lawfit.bootstrap(res, task_runs(g, "cooldown")[0], n=200, kind="points", key=0)
        rec = {"fit": res.to_dict(), "seconds": sec,
               "a": evaluate_group(fit, g, task="cooldown", fitted=(res, sec)),
               "b": evaluate_group(fit, g, task="cosine", fitted=(res, sec))}
        if g.cosine and name not in NO_REFIT:  # (b'): one cosine run (2x LR) added to the fit
            plus = RunSet([g.constant, g.cooldowns[-1], g.cosine[0]])
            t0 = time.perf_counter()
            res2 = fit(plus)
            sec2 = time.perf_counter() - t0
            rows = evaluate_group(fit, g, task="cosine", fitted=(res2, sec2))
            rec["b+"] = [r for r in rows if r.run_id != g.cosine[0].run_id]
        out[g.name] = rec
        print(f"  {name:14s} {g.name:30s} fit {sec:6.1f} s  (a) "
              + " ".join(f"{100 * r.error:+.2f}%" for r in rec["a"]), flush=True)
    path.write_bytes(pickle.dumps(out))
    return out


def coverage(name, out, groups, level=0.9):
    """Leave-one-group-out calibrated bands for task (a): returns (rows with bands, sigmas)."""
    rows, sigmas = [], {}
    for gname, rec in out.items():
        others = [np.log(r.predicted / r.observed) for k, o in out.items() if k != gname for r in o["a"]]
        res = lawfit.calibrate(lawfit.load_fit(rec["fit"]), errors=others, source="other groups, task (a)")
        sigmas[gname] = res.model_error["scale"]
        g = groups[gname]
        for r in rec["a"]:
            run = next(c for c in g.cooldowns if c.run_id == r.run_id)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, lo, hi = res.predict(run, steps=[r.step], metric=METRIC, band=level)
            rows.append(type(r)(**{**r.__dict__, "lower": float(lo[0]), "upper": float(hi[0])}))
    boot = []
    for gname, rec in out.items():
        res = lawfit.load_fit(rec["fit"])
        if not res.draws:
            break
        for r in rec["a"]:
            run = next(c for c in groups[gname].cooldowns if c.run_id == r.run_id)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, lo, hi = res.predict(run, steps=[r.step], metric=METRIC, band=level)
            boot.append(type(r)(**{**r.__dict__, "lower": float(lo[0]), "upper": float(hi[0])}))
    return rows, sigmas, boot


def average(results, names, task):
    """Equal-weight average of the laws' predictions of each held-out run (no new fits)."""
    out = {}
    for gname in results[names[0]]:
        per = [{r.run_id: r for r in results[n][gname][task]} for n in names]
        rows = []
        for rid, r0 in per[0].items():
            pred = float(np.mean([p[rid].predicted for p in per]))
            prede = float(np.mean([p[rid].prede_cooldown for p in per]))  # a bound-free proxy
            secs = sum(p[rid].fit_seconds for p in per)
            rows.append(type(r0)(**{**r0.__dict__, "predicted": pred, "prede_cooldown": prede, "fit_seconds": secs}))
        out[gname] = rows
    return out


def logo_bands(per_group, level=0.9):
    """Task-(a) rows with model-error-only bands, sigma from the other groups (leave one out)."""
    from lawfit.fitting._calibration import widen

    q = ((1 - level) / 2, (1 + level) / 2)
    rows = []
    for gname, rs in per_group.items():
        e = [np.log(r.predicted / r.observed) for k, o in per_group.items() if k != gname for r in o]
        sigma = float(np.sqrt(np.mean(np.square(e))))
        for r in rs:
            c = np.array([r.predicted])
            lo, hi = widen(c, c, c, q, sigma)
            rows.append(type(r)(**{**r.__dict__, "lower": float(lo[0]), "upper": float(hi[0])}))
    return rows


def logo_select(per_law):
    """For each group, the law with the lowest mean |error| on the OTHER groups predicts it."""
    rows, chosen = [], {}
    for gname in next(iter(per_law.values())):
        score = {n: np.mean([abs(r.error) for k, o in pl.items() if k != gname for r in o]) for n, pl in per_law.items()}
        best = min(score, key=score.get)
        chosen[gname] = best
        rows += per_law[best][gname]
    return rows, chosen


def across_sizes(groups):
    """(c): MomentumLaw(model_size=True, lam=0.99, warmup='mpl'), leave one SlimPajama size out."""
    fam = {k: g for k, g in groups.items() if k.startswith("slimpajama/llama_norm/")}
    law = MomentumLaw(lam=0.99, warmup="mpl", model_size=True, n_scale=1e8)
    rows = []
    for held, g in fam.items():
        runs = []
        for k, o in fam.items():
            if k != held:
                tag = k.split("/")[-1]
                runs += [r.replace(run_id=f"{tag}:{r.run_id}") for r in (o.constant, o.cooldowns[-1])]
        t0 = time.perf_counter()
        res = lawfit.fit(law, RunSet(runs), metric=METRIC)
        sec = time.perf_counter() - t0
        for run in g.cooldowns:
            obs = run.observed(METRIC)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = float(np.asarray(res.predict(run, steps=obs.steps[-1:], metric=METRIC))[0])
            rows.append((held, run.run_id, p, float(obs.values[-1]), sec))
    return rows


def pct(v):
    return f"{100 * v:.2f} %"


def table(results, covs):
    lines = ["| law | task | n | mean abs error | max abs error | signed mean | PredE cooldown | fit s/group | 90 % band coverage |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, out in results.items():
        secs = [rec["seconds"] for rec in out.values()]
        for task, label in (("a", "(a) other cooldowns"), ("b", "(b) cosine, 2x LR"), ("b+", "(b') cosine, one cosine in fit")):
            rows = [r for rec in out.values() for r in rec.get(task, [])]
            if not rows:
                continue
            s = summarize(rows)
            cov = ""
            if task == "a" and name in covs:
                c, boot = covs[name]
                cov = f"{100 * c:.0f} %" + (f" (bootstrap alone {100 * boot:.0f} %)" if boot == boot else "")
            lines.append(f"| {LAWS[name][0]} | {label} | {s['n']} | {pct(s['mean_abs'])} | {pct(s['max_abs'])} | "
                         f"{100 * s['bias']:+.2f} % | {pct(s['prede_cooldown'])} | {np.median(secs):.1f} (first {secs[0]:.1f}) | {cov} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--laws", default="momentum,momentum-grid,mpl")
    ap.add_argument("--groups", type=int, default=0, help="only the first N groups (0: all)")
    ap.add_argument("--no-bands", action="store_true")
    ap.add_argument("--no-sizes", action="store_true")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--markdown", default=None)
    args = ap.parse_args(argv)
    if args.fresh and CACHE.exists():
        for f in CACHE.glob("*.pkl"):
            f.unlink()
    groups = schaipp_groups(DATA)
    if args.groups:
        groups = dict(list(groups.items())[: args.groups])
    print(f"{len(groups)} groups: {', '.join(groups)}")
    results, covs = {}, {}
    for name in args.laws.split(","):
        results[name] = run_law(name, groups, not args.no_bands)
        if not args.no_bands:
            rows, sigmas, boot = coverage(name, results[name], groups)
            c = summarize(rows)["coverage"]
            b = summarize(boot)["coverage"] if boot else float("nan")
            covs[name] = (c, b)
            print(f"  {name}: LOGO model-error sigma {100 * np.mean(list(sigmas.values())):.3f} % -> "
                  f"90 % band coverage {100 * c:.0f} % ({len(rows)} finals); bootstrap alone {100 * b:.0f} %")
    text = table(results, covs)
    if "momentum-grid" in results and "mpl" in results:
        names = ["momentum-grid", "mpl"]
        avg = {t: average(results, names, t) for t in ("a", "b")}
        cands = {n: {g: rec["a"] for g, rec in results[n].items()} for n in names}
        cands["average"] = avg["a"]
        sel, chosen = logo_select(cands)
        lines = []
        for label, rows in (("(a) other cooldowns", [r for v in avg["a"].values() for r in v]),
                            ("(b) cosine, 2x LR", [r for v in avg["b"].values() for r in v])):
            sm = summarize(logo_bands(avg["a"]) if label.startswith("(a)") else rows)
            cov = f"{100 * sm['coverage']:.0f} %" if label.startswith("(a)") else ""
            lines.append(f"| average of momentum-grid and MPL | {label} | {sm['n']} | {pct(sm['mean_abs'])} | "
                         f"{pct(sm['max_abs'])} | {100 * sm['bias']:+.2f} % | (mean of the two) {pct(sm['prede_cooldown'])} | "
                         f"both fits | {cov} |")
        sm = summarize(sel)
        lines.append(f"| leave-one-group-out choice among the three above | (a) other cooldowns | {sm['n']} | "
                     f"{pct(sm['mean_abs'])} | {pct(sm['max_abs'])} | {100 * sm['bias']:+.2f} % | | | |")
        text += "\n" + "\n".join(lines)
        text += "\n\nleave-one-group-out choices: " + ", ".join(f"{g}: {c}" for g, c in chosen.items())
    if not args.no_sizes:
        rows = across_sizes(groups)
        err = np.array([(p - y) / y for _, _, p, y, _ in rows])
        text += (f"\n\n(c) across sizes, MomentumLaw(lam=0.99, warmup='mpl', model_size=True), leave one "
                 f"SlimPajama size out: n = {err.size}, mean abs error {pct(np.mean(np.abs(err)))}, max "
                 f"{pct(np.max(np.abs(err)))}, signed mean {100 * np.mean(err):+.2f} %\n")
        for held, rid, p, y, _ in rows:
            text += f"    {held:30s} {rid:10s} predicted {p:.4f} observed {y:.4f} ({100 * (p - y) / y:+.2f} %)\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    per_group = {n: {g: [(r.run_id, round(100 * r.error, 3)) for r in rec["a"]] for g, rec in out.items()}
                 for n, out in results.items()}
    print(json.dumps(per_group, indent=None)[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
