# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. Fit the Multi-Power Law and the momentum law to the official MPL curves
#
# The curves come through `lawfit.datasets.mpl_runs` (downloaded once and hash-checked;
# `LAWFIT_DATA_SOURCE` points at a local copy). Fit on the official train split (constant, cosine, two-stage), predict the six held-out
# schedules, and compare with the published numbers (LAWS.md sections 11.1-11.3).
# `LAWFIT_NOTEBOOK_SCALE=small` (the test suite) uses the 25M model only; `full` runs all sizes.

# %%
import os

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.laws import MomentumLaw, MultiPowerLaw

SMALL = os.environ.get("LAWFIT_NOTEBOOK_SCALE", "full") == "small"
SIZES = ["25M"] if SMALL else ["25M", "100M", "400M"]
PUBLISHED_PAPER_R2 = {"25M": 0.9975, "100M": 0.9982, "400M": 0.9971}  # paper Table 1, MPL
PUBLISHED_REPO_R2 = {"25M": 0.99880, "100M": 0.99830, "400M": 0.99776}  # repo README

# %% [markdown]
# ## Multi-Power Law, paper convention
# The default law fits on a block layout it chooses itself (its rigorous error bound stays below
# a tenth of the data's noise, see `result.layout`); predictions and metrics use the exact law.

# %%
mpl_results = {}
for size in SIZES:
    runs = mpl_runs(size)
    result = lawfit.fit(MultiPowerLaw(convention="paper"), runs.select(MPL_TRAIN))
    test = lawfit.evaluate(result, runs.select(MPL_TEST))["mean"]
    mpl_results[size] = result
    print(f"{size}: test R2 {test['r2']:.5f} (paper {PUBLISHED_PAPER_R2[size]}, "
          f"repo early-stopped fit {PUBLISHED_REPO_R2[size]}), PredE {test['prede']:.5f}")
    assert test["r2"] > 0.995

print(mpl_results[SIZES[-1]].report())

# %% [markdown]
# ## Momentum law, lambda chosen on the train curves

# %%
for size in SIZES:
    runs = mpl_runs(size)
    result = lawfit.fit(MomentumLaw(lam="grid", warmup="mpl"), runs.select(MPL_TRAIN))
    test = lawfit.evaluate(result, runs.select(MPL_TEST))["mean"]
    print(f"{size}: lambda {result.law.options()['lam']}, test R2 {test['r2']:.5f}, "
          f"PredE {test['prede']:.5f}")
    assert test["r2"] > 0.995

# %% [markdown]
# ## Predict a held-out schedule
# The fitted MPL predicts the 72K-step cosine run that it never saw.

# %%
size = SIZES[-1]
run = mpl_runs(size)["cosine_72000"]
obs = run.observed("loss")
pred = mpl_results[size].predict(run)
print(f"cosine_72000 final loss: observed {obs.values[-1]:.4f}, predicted {pred[-1]:.4f}")
