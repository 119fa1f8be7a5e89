"""Reproduce the table of docs/laws/mpl.md, "Choosing modelling options by cross-validation".

For each model size, ``lawfit.cross_validate`` chooses among MPL fitting options by leave-one-
curve-out over the three official TRAIN curves only (score: mean held-out PredE, exact law);
the choice is refitted on the train curves and only then evaluated on the six TEST curves.
Three candidate grids: the L-BFGS iteration budget (30, 100, converged = 1000) within the "paper"
convention, within "repo", and budget x convention. Test metrics of every candidate's train refit
are printed too (for the record: they never enter a choice).

Usage: ``.venv/bin/python docs/mpl_cv_table.py`` (about 5 minutes on 2 CPU cores).
"""

from __future__ import annotations

import time

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.laws import MultiPowerLaw

BUDGETS = {"30": 30, "100": 100, "converged": 1000}
OFFICIAL = {"25M": (0.9988, 0.00110), "100M": (0.9983, 0.00142), "400M": (0.9978, 0.00168)}


def exact(law):
    return law.with_mode("exact")


def main() -> None:
    cands = {f"{c} {b}": {"law": MultiPowerLaw.for_fitting(c), "max_iter": it}
             for c in ("paper", "repo") for b, it in BUDGETS.items()}
    grids = {"paper": [k for k in cands if k.startswith("paper")],
             "repo": [k for k in cands if k.startswith("repo")], "both": list(cands)}
    for size in ("25M", "100M", "400M"):
        t0 = time.perf_counter()
        runs = mpl_runs(size)
        train, test = runs.select(MPL_TRAIN), runs.select(MPL_TEST)
        cv = lawfit.cross_validate(cands, train, score="prede", evaluate_as=exact, refit=False,
                                   stderr=False, keep=None)
        print(f"\n{size}\n{cv.report()}")
        metrics = {}
        for name, opts in cands.items():  # every candidate's train refit, scored on test
            res = lawfit.fit(opts["law"], train, max_iter=opts["max_iter"], stderr=False, keep=None)
            m = lawfit.evaluate(res.replace(law=exact(res.law)), test)["mean"]
            metrics[name] = (m["r2"], m["prede"])
            print(f"  test {name:16s} R2 {m['r2']:.5f}  PredE {m['prede']:.5f}")
        for grid, names in grids.items():
            pick = min(names, key=lambda n: cv.mean[n])
            base = f"{'repo' if grid == 'repo' else 'paper'} converged"
            (r2, pe), (r2b, peb) = metrics[pick], metrics[base]
            print(f"  grid {grid:5s}: CV picks {pick!r}: test R2 {r2:.5f} PredE {pe:.5f} "
                  f"(without: {base!r} R2 {r2b:.5f} PredE {peb:.5f}; official "
                  f"{OFFICIAL[size][0]} / {OFFICIAL[size][1]})")
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
