"""Proxy training speed: lawfit.proxy vs a minimal hand-written JAX loop, and K vmapped runs vs K
sequential runs.

1. One run: tokens/s of ``lawfit.proxy.train`` (scan over eval_every steps, on-device batch
   sampling, per-step LR array, flushed log, held-out evaluation) against a plain loop of the
   same model and optimizer: ``jax.jit`` step with ``optax.adamw`` + clipping, batches
   pre-generated on the device, one Python iteration per step, no logging. Both after compilation.
2. K runs that differ in seed and peak LR: one ``train_many`` (vmapped) against K ``train`` calls.

Run: ``.venv/bin/python benchmarks/proxy.py [--quick]``. Prints times and ratios.
"""

from __future__ import annotations

import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lawfit import proxy, schedules

QUICK = "--quick" in sys.argv


def hand_loop(model, batch_size, steps, lr_fn):
    """The baseline: a minimal JAX training loop of the same model."""
    params = proxy.init_params(model, seed=0)
    tx = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(lr_fn, b1=0.9, b2=0.95, eps=1e-8))
    opt_state = tx.init(params)
    data = jnp.asarray(proxy.domain_tokens("stdlib").astype(np.int32))
    rng = np.random.default_rng(0)
    starts = rng.integers(0, data.shape[0] - model.context - 1, size=(steps, batch_size))
    batches = data[jnp.asarray(starts)[..., None] + jnp.arange(model.context + 1)]

    @jax.jit
    def step(params, opt_state, batch):
        loss, grads = jax.value_and_grad(proxy.lm_loss)(params, batch, model)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    params, opt_state, loss = step(params, opt_state, batches[0])  # compile
    jax.block_until_ready(loss)
    t = time.perf_counter()
    for i in range(steps):
        params, opt_state, loss = step(params, opt_state, batches[i])
    jax.block_until_ready(loss)
    return time.perf_counter() - t


def lawfit_run(cfg, out):
    proxy.train(cfg.replace(run_id="warm"), out)  # compile
    t = time.perf_counter()
    proxy.train(cfg, out)
    return time.perf_counter() - t


def one_run():
    model = proxy.ModelConfig(width=64, depth=2, heads=4, context=64)
    B, T = 16, 100 if QUICK else 400
    sched = schedules.cosine(3e-3, T, end_ratio=0.1, warmup_steps=20)
    cfg = proxy.RunConfig("bench", steps=T, schedule=sched, model=model, batch_size=B,
                          eval_every=100, val_sequences=16)
    tokens = T * B * model.context
    with jax.enable_x64(False):
        base = min(hand_loop(model, B, T, sched) for _ in range(2))
    lf = min(lawfit_run(cfg.replace(run_id=f"b{i}"), tempfile.mkdtemp()) for i in range(2))
    n, total = model.param_counts()
    print(f"one run: model N={n:,} (total {total:,}), batch {B}x{model.context}, {T} steps")
    print(f"  hand-written loop : {base:7.2f} s  {tokens / base:10.0f} tokens/s")
    print(f"  lawfit.proxy.train: {lf:7.2f} s  {tokens / lf:10.0f} tokens/s  ratio {lf / base:.2f}x")
    return base, lf


def k_runs(K):
    model = proxy.ModelConfig(width=32, depth=2, heads=2, context=32)
    T = 40 if QUICK else 100
    cfgs = [proxy.RunConfig(f"k{i}", steps=T, schedule=schedules.constant(1e-3 * (1 + i % 4)),
                            seed=i, model=model, batch_size=8, eval_every=T, val_sequences=16)
            for i in range(K)]
    out = tempfile.mkdtemp()
    proxy.train_many([c.replace(run_id="w" + c.run_id) for c in cfgs], out)  # compile K
    proxy.train(cfgs[0].replace(run_id="w1"), out)  # compile K = 1
    t = time.perf_counter()
    proxy.train_many(cfgs, out)
    vm = time.perf_counter() - t
    t = time.perf_counter()
    for c in cfgs:
        proxy.train(c.replace(run_id="s" + c.run_id), out)
    seq = time.perf_counter() - t
    print(f"K={K:2d}: vmapped {vm:6.2f} s, sequential {seq:6.2f} s, speed-up {seq / vm:.2f}x")
    return vm, seq


if __name__ == "__main__":
    print(f"devices: {jax.devices()}")
    one_run()
    for K in (1, 4, 16):
        k_runs(K)
