# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 6. Does the law's best schedule train best? The closed loop on a CPU
#
# `validate_schedules` fits the Multi-Power Law on constant, linear and WSD proxy runs (every
# seed), builds the law's schedules (the free-form optimum that `optimize_schedule` returns by
# default, its smooth optimum, the best WSD), trains them next to cosine, UBA and the refined
# schedule (from the linear runs' logged gradient norms), and compares predicted with trained
# final losses. `LAWFIT_NOTEBOOK_SCALE=small` uses a tiny model, 60 steps and 2 seeds (a smoke
# test, not evidence); `full` is the default proxy size, 500 steps and 3 seeds (docs/validate.md,
# about an hour on 2 busy CPU cores).

# %%
import os
import tempfile

from lawfit import proxy
from lawfit.optimize import validate_schedules

SMALL = os.environ.get("LAWFIT_NOTEBOOK_SCALE", "full") == "small"
T = 60 if SMALL else 500
SEEDS = (0, 1) if SMALL else (0, 1, 2)
PEAK = 1e-2 if SMALL else 5e-3
if SMALL:
    base = proxy.RunConfig("v", steps=T, schedule=None, batch_size=4, eval_every=10,
                           val_sequences=32,
                           model=proxy.ModelConfig(width=16, depth=1, heads=2, context=16))
else:
    base = proxy.RunConfig("v", steps=T, schedule=None, eval_every=20)  # default proxy size

# %% [markdown]
# ## Train, fit, optimize, train again
#
# Runs are written to `out/<schedule>-s<seed>/` (readable with `lawfit.io.read`), the summary to
# `out/validation.json`. Every schedule shares the warmup, the peak LR and the budget.

# %%
out = tempfile.mkdtemp(prefix="lawfit-validate-")
result = validate_schedules(T, peak_lr=PEAK, warmup_steps=T // 10, seeds=SEEDS, base=base,
                            out_dir=out)
print(result)

# %% [markdown]
# ## Read the verdict
#
# Kendall tau compares the law's ranking with the trained one (1 = identical order). Each law
# schedule is "no worse" than the best of cosine and WSD when its mean trained loss is within one
# pooled seed standard deviation; the paired difference (same seed = same initialisation and
# batch order) is the sharper comparison.

# %%
print(result.to_frame().round(4).to_string(index=False))
for name, v in result.verdicts.items():
    print(name, "no worse" if v["no_worse"] else "worse", f"{v['margin']:+.4f}")
