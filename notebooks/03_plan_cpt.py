# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. Plan a continual pre-training run
#
# Mixture ratio with the D-CPT law, then loss potential, CPT peak LR and replay with the CPT law.
# The sweep below is synthetic (a D-CPT-shaped table with 0.3% noise) so the notebook runs
# anywhere; replace `table` by `MixtureTable.from_runs(...)` of your own sweep.
# `LAWFIT_NOTEBOOK_SCALE=small` uses fewer bootstrap draws.

# %%
import os

import numpy as np

import lawfit
from lawfit.fitting import FitResult
from lawfit.laws import CPTLaw, DCPTLaw
from lawfit.mixtures import MixtureTable
from lawfit.optimize import dcpt_limited_domain_ratio, dcpt_max_domain_ratio, plan_cpt

SMALL = os.environ.get("LAWFIT_NOTEBOOK_SCALE", "full") == "small"
N_BOOT = 8 if SMALL else 100

GENERAL = dict(E=1.8, A=0.25, alpha=0.35, B=0.35, beta=0.35, eta=0.2, C=0.12, gamma=0.9, eps=0.03)
DOMAIN = dict(E=1.2, A=0.3, alpha=0.3, B=0.5, beta=0.3, eta=0.25, C=0.25, gamma=0.6, eps=0.05)


def law_value(p, N, D, r):
    N, D = N / 1e9, D / 1e9
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] * r ** p["eta"] / D ** p["beta"] \
        + p["C"] / (r + p["eps"]) ** p["gamma"]


sizes = np.array([0.5e9, 1.8e9, 4e9])
ratios = np.array([0, 0.1, 0.2, 1 / 3, 0.5, 2 / 3, 0.8, 0.9, 1.0])
tokens = np.linspace(2.6e9, 26e9, 10)
N, R, D = (a.ravel() for a in np.meshgrid(sizes, ratios, tokens, indexing="ij"))
rng = np.random.default_rng(0)
table = MixtureTable(
    N=N, D=D, r=R,
    general=law_value(GENERAL, N, D, 1 - R) * np.exp(rng.normal(0, 0.003, N.size)),
    domain=law_value(DOMAIN, N, D, R) * np.exp(rng.normal(0, 0.003, N.size)),
)

# %% [markdown]
# ## Fit D-CPT for the general and the domain loss, with bootstrap uncertainty

# %%
fits = {}
for target in ("general", "domain"):
    res = lawfit.fit(DCPTLaw(target=target), table)
    fits[target] = lawfit.bootstrap(res, table, n=N_BOOT, kind="points", key=0)
    print(target, {k: round(v, 4) for k, v in res.params.items()})

# %% [markdown]
# ## Usage 1: the largest domain share within a 3% general-loss degradation

# %%
plan1 = dcpt_max_domain_ratio(fits["general"], N=1.8e9, D=1e10, threshold=0.03)
print(plan1)

# %% [markdown]
# ## Usage 2: the best domain share with 5B domain tokens

# %%
plan2 = dcpt_limited_domain_ratio(fits["domain"], N=1.8e9, domain_tokens=5e9)
print(plan2)

# %% [markdown]
# ## CPT law: loss potential and CPT peak LR by the balance objective
# The laws below use the published Setting A fits (LAWS.md 6.10).

# %%
PT = dict(L0=3.057, A=0.490, alpha=0.497, C1=0.299, C2=0.298, B=0.366, E=28.0, beta=0.189)
CPT = dict(L0=3.024, A=0.412, alpha=0.677, C1=0.278, C2=0.324, B=-0.666, E=5662.0, beta=0.146)
peak, warmup, pt_steps = 2e-4, 200, 8000
pt_lr = np.full(pt_steps, peak)
pt_lr[:warmup] = np.linspace(peak / warmup, peak, warmup)
plan = plan_cpt(
    FitResult(law=CPTLaw(), params=PT), FitResult(law=CPTLaw(), params=CPT), pt_lr=pt_lr,
    peak_lrs=[5e-5, 1e-4, 2e-4, 3e-4], cpt_steps=[3000], loss_potentials=[0.0, 0.25, 0.5, 1.0],
    lambdas=[0.0, 0.5, 1.0],
)
print(plan)
