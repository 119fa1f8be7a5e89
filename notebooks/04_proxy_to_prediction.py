# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Proxy training -> law -> prediction, end to end on a CPU
#
# Train three tiny language models (constant, cosine, WSD) together in one vmapped JAX program,
# fit the Multi-Power Law on the constant and cosine runs, and predict the WSD run.
# `LAWFIT_NOTEBOOK_SCALE=small` trains for 300 steps; `full` for 2,000 steps with a wider model.

# %%
import os
import tempfile

import lawfit
from lawfit import proxy, schedules
from lawfit.laws import MultiPowerLaw

SMALL = os.environ.get("LAWFIT_NOTEBOOK_SCALE", "full") == "small"
T = 300 if SMALL else 2000
PEAK, W = 1e-2, 20
model = proxy.ModelConfig(width=32, depth=2, heads=2, context=32) if SMALL else \
    proxy.ModelConfig(width=128, depth=4, heads=4, context=64)

# %% [markdown]
# ## Train the three proxies
#
# `train_many` stacks runs that share a model shape and trains them in one compiled program; each
# run is written to `out/<run_id>/` in lawfit's canonical table (with its full learning-rate array),
# so `lawfit.io.read` gets back runs ready for fitting.

# %%
out = tempfile.mkdtemp(prefix="lawfit-proxy-")
base = proxy.RunConfig("x", steps=T, schedule=None, model=model, batch_size=8,
                       eval_every=20, val_sequences=128)
proxy.train_many([
    base.replace(run_id="const", schedule=schedules.constant(PEAK, warmup_steps=W)),
    base.replace(run_id="cosine", schedule=schedules.cosine(PEAK, T, end_ratio=0.1, warmup_steps=W)),
    base.replace(run_id="wsd", schedule=schedules.wsd(PEAK, T, decay_steps=T // 5, end_value=0.0,
                                                      warmup_steps=W)),
], out)
runs = lawfit.io.read(out)
print(runs)

# %% [markdown]
# ## Fit on two schedules, predict the third
#
# The Multi-Power Law is fitted on the constant and cosine runs only; the WSD run is held out and
# predicted from its schedule alone. PredE is the mean relative error on the held-out curve.

# %%
result = lawfit.fit(MultiPowerLaw(convention="repo"), runs.select(["const", "cosine"]),
                    metric="val_loss")
metrics = lawfit.evaluate(result, runs.select(["wsd"]), metric="val_loss")
print(f"WSD proxy run predicted with PredE {metrics['mean']['prede']:.4f}")
