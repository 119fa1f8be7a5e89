# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. Find the best schedule for a new budget
#
# With the Multi-Power Law parameters published for the 400M model (repository convention), find
# the best 24,000-step schedule free-form and within the WSD family, and see how much is lost by
# simpler choices. `LAWFIT_NOTEBOOK_SCALE=small` keeps the family grid small.

# %%
import os

from lawfit import schedules
from lawfit.laws import MultiPowerLaw
from lawfit.optimize import (
    MPL_REPO_PARAMS,
    compare,
    optimize_schedule,
    schedule_sensitivity,
    search_family,
)

SMALL = os.environ.get("LAWFIT_NOTEBOOK_SCALE", "full") == "small"
T, W, PEAK = 24000, 2160, 3e-4
model = (MultiPowerLaw(convention="repo"), MPL_REPO_PARAMS["400M"])

# %% [markdown]
# ## Free-form optimum (smooth decay) and its closed form

# %%
opt = optimize_schedule(model, T, warmup_steps=W, peak_lr=PEAK, smooth=True)
print(f"optimized final loss {opt.final_loss:.5f}")
print("closest WSD + (1-p)^k closed form:", opt.closed_form.to_dict())

# %% [markdown]
# ## The best of the usual families, and a ranking

# %%
family = search_family(model, T, warmup_steps=W, peak_lr=PEAK)
print(family)
table = compare(
    model,
    {
        "constant": schedules.constant(PEAK, warmup_steps=W, warmup_convention="linspace"),
        "cosine": schedules.cosine(PEAK, T, end_ratio=0.1, warmup_steps=W, warmup_convention="linspace"),
        "optimized": opt.lr,
    },
    T,
)
for row in table.rows:
    print(row)

# %% [markdown]
# ## Sensitivity: what the simple closed form and a +-20% decay length cost

# %%
if not SMALL:
    print(schedule_sensitivity(model, T, warmup_steps=W, peak_lr=PEAK))
