"""Second half of docs/validate.md: refit the law on the SAME fit runs of a finished validation
with another MPL convention, train that fit's law schedules (free-form optimum, smooth optimum,
best WSD) for the same seeds, and summarise all schedules under the new fit.

    PYTHONPATH=$PWD python docs/validate_refit.py OUT_DIR [CONVENTION]
"""

import sys
import time
from pathlib import Path

from lawfit import proxy
from lawfit.fitting import fit as fit_law
from lawfit.laws import MultiPowerLaw
from lawfit.optimize import ValidationResult, compare, summarize_validation
from lawfit.optimize._validate import _final, _train, law_schedules
from lawfit.runs import RunSet

out = Path(sys.argv[1])
conv = sys.argv[2] if len(sys.argv) > 2 else "paper"
t0 = time.perf_counter()
first = ValidationResult.from_json(out / "validation.json")
T, W, peak = (first.config[k] for k in ("total_steps", "warmup_steps", "peak_lr"))
seeds = first.seeds
names = [r["name"] for r in first.rows]
in_fit = [r["name"] for r in first.rows if r["in_fit"]]
runs = {n: [proxy.read_run_dir(out / f"{n}-s{s}") for s in seeds] for n in names}
fit = fit_law(MultiPowerLaw(convention=conv), RunSet([r for n in in_fit for r in runs[n]]),
              metric="val_loss")
new = {f"{k}_{conv}": v for k, v in law_schedules(fit, T, peak, W).items()}
c = first.config["run"]
base = proxy.RunConfig("validate", steps=T, schedule=None, batch_size=c["batch_size"],
                       eval_every=c["eval_every"], model=c["model"], optimizer=c["optimizer"],
                       domains=tuple(c["domains"]), data_seed=c["data_seed"])
runs.update(_train(new, seeds, base, out, None))
lrs = {n: rs[0].lr for n, rs in runs.items()}
pred = {r["name"]: r["final_loss"] for r in compare(fit, lrs, T).rows}
res = summarize_validation(
    pred, {n: [_final(r) for r in rs] for n, rs in runs.items()}, baselines=("cosine", "wsd"),
    candidates=tuple(new) + ("optimum", "smooth_optimum", "best_wsd"), in_fit=tuple(in_fit),
    seeds=seeds, config={**first.config, "law": f"MultiPowerLaw(convention={conv!r})"},
    fit={"params": {k: float(v) for k, v in fit.params.items()}},
    lr={n: [float(x) for x in a] for n, a in lrs.items()})
res.to_json(out / f"validation_{conv}.json")
print(res)
print(f"fit params: {res.fit['params']}")
print(f"wall time {time.perf_counter() - t0:.0f} s")
