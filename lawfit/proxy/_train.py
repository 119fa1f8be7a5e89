"""Training loop: K proxy runs in one vmapped, jitted program, logged and checkpointed.

Runs that share a model, optimizer family, batch size, length and data (their
:meth:`RunConfig.batch_key`) are stacked along a leading axis and trained together; they may differ
in schedule (per-step LR arrays indexed by the step inside jit), peak LR, seed and mixture. The
step function is a ``lax.scan`` over ``eval_every`` updates, so there is no Python work per step:
after each scan the losses come back to the host, are logged (flushed record by record), the
held-out losses are evaluated, and checkpoints are written at ``checkpoint_every``.

Training runs in float32 with 32-bit JAX types whatever the caller's ``jax_enable_x64`` setting,
so curves are the same in every process; the batch at step t depends only on (seed, t), so a run
resumed from a checkpoint reproduces the uninterrupted curve bit for bit on CPU.

Example:
    >>> import optax
    >>> from lawfit.proxy import RunConfig, ModelConfig, train
    >>> cfg = RunConfig("demo", steps=20, schedule=optax.constant_schedule(1e-3),
    ...                 model=ModelConfig(width=32, depth=1, heads=2, context=16), batch_size=4)

    ``train(cfg, "runs")`` returns ``{"run_id": "demo", "status": "completed", ...}`` (not run here:
    it trains).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from lawfit.proxy._checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from lawfit.proxy._config import SCHEDULE_FREE, ModelConfig, OptimizerConfig, RunConfig
from lawfit.proxy._corpus import corpus_version
from lawfit.proxy._data import build_data, sample_batch
from lawfit.proxy._log import META, RunLog, write_json_atomic
from lawfit.proxy._schedule import lr_array, schedule_spec

__all__ = ["TrainingDiverged", "train", "train_many", "resume"]


class TrainingDiverged(ValueError):
    """A run's loss became NaN or infinite. ``results`` lists every run of the batch; the log up
    to the step before and the last good checkpoint are kept."""

    def __init__(self, message: str, results: list[dict]) -> None:
        super().__init__(message)
        self.results = results


# -- the compiled program -------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _program(model: ModelConfig, opt: OptimizerConfig, batch_size: int):
    import jax
    import jax.numpy as jnp
    import optax

    from lawfit.proxy._model import init_params, lm_loss, sequence_losses
    from lawfit.proxy._optim import eval_params, make_optimizer

    S = model.context

    def init_one(seed):
        params = init_params(model, seed)
        return params, make_optimizer(opt, jnp.float32(0.0)).init(params)

    def chunk_one(state, t0, lr, w, key, train, offsets, sizes, n):
        def body(carry, xs):
            t, lr_t = xs
            params, opt_state = carry
            batch = sample_batch(jax.random.fold_in(key, t), w, train, offsets, sizes, batch_size, S)
            loss, grads = jax.value_and_grad(lm_loss)(params, batch, model)
            tx = make_optimizer(opt, lr_t)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax_apply(params, updates), opt_state), (loss, optax.global_norm(grads))

        return jax.lax.scan(body, state, (t0 + jnp.arange(n, dtype=jnp.int32), lr))

    def eval_one(state, val):
        params, opt_state = state
        flat = val.reshape(-1, val.shape[-1])
        x = eval_params(opt, opt_state, params)
        at_x = sequence_losses(x, flat, model).reshape(val.shape[:2]).mean(-1)
        at_y = sequence_losses(params, flat, model).reshape(val.shape[:2]).mean(-1)
        return at_x, at_y

    optax_apply = optax.apply_updates
    chunk = jax.vmap(chunk_one, in_axes=(0, None, 0, 0, 0, None, None, None, None))
    return {
        "init": lambda seeds: _stack([init_one(s) for s in seeds]),
        "chunk": jax.jit(chunk, static_argnums=8, donate_argnums=0),
        "eval": jax.jit(jax.vmap(eval_one, in_axes=(0, None))),
        "eval_params": jax.jit(jax.vmap(lambda s: eval_params(opt, s[1], s[0]))),
    }


def _stack(states):
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def _unstack(state, k):
    import jax

    return jax.tree.map(lambda x: np.asarray(x[k]), state)


def _data_key(seed: int):
    import jax

    return jax.random.fold_in(jax.random.PRNGKey(seed), 0x5EED)


# -- metadata -------------------------------------------------------------------------------------
def _meta(cfg: RunConfig, lr: np.ndarray, extra: dict) -> dict:
    n, total = cfg.model.param_counts()
    names = cfg.domain_names
    meta = {
        "run_id": cfg.run_id,
        "format": "lawfit-proxy/1",
        "status": "running",
        "config": cfg.to_dict(lr),
        "N": n,
        "params_total": total,
        "tokens_per_step": cfg.tokens_per_step,
        "total_steps": cfg.step_offset + cfg.steps,
        "steps": cfg.steps,
        "step_offset": cfg.step_offset,
        "schedule": schedule_spec(cfg.schedule),
        "peak_lr": float(lr.max()),
        "optimizer": cfg.optimizer.name,
        "mixture": dict(zip(names, cfg.mixture, strict=True)),
        "mixture_ratio": cfg.mixture[-1],
        "domains": list(names),
        "phase": cfg.phase,
        "seed": cfg.seed,
        "data_seed": cfg.data_seed,
        "corpus": corpus_version() if "stdlib" in names else None,
        "eval_metric": "val_loss",
        "train_metric": "train_loss_y" if cfg.optimizer.name in SCHEDULE_FREE else "loss",
    }
    meta.update(extra)
    meta.update(cfg.meta)
    return meta


def _pt_info(cfg: RunConfig) -> dict:
    """CPT metadata from the run ``cfg.init_from`` points at."""
    if cfg.init_from is None:
        if cfg.step_offset:
            raise ValueError(
                f"run {cfg.run_id!r}: step_offset={cfg.step_offset} needs init_from (the run it continues)"
            )
        return {}
    src = Path(cfg.init_from)
    if not (src / META).exists() or not has_checkpoint(src):
        raise ValueError(f"run {cfg.run_id!r}: init_from={str(src)!r} is not a finished proxy run "
                         f"directory with {META} and a checkpoint")
    pm = json.loads((src / META).read_text())
    if pm.get("status") != "completed":
        raise ValueError(f"run {cfg.run_id!r}: init_from run {pm['run_id']!r} has status "
                         f"{pm.get('status')!r}; only completed runs can be continued")
    from lawfit.proxy._log import read_run_dir

    pt = read_run_dir(src)
    end = int(pm["total_steps"])
    if cfg.step_offset != end:
        raise ValueError(
            f"run {cfg.run_id!r}: step_offset={cfg.step_offset} must equal the end step {end} of "
            f"the run it continues ({pm['run_id']!r})"
        )
    if RunConfig.from_dict(pm["config"]).model != cfg.model:
        raise ValueError(f"run {cfg.run_id!r}: its model differs from the model of init_from run "
                         f"{pm['run_id']!r}; continual pre-training keeps the model")
    pt_used = {k for k, v in pm["mixture"].items() if v > 0}
    replay = sum(w for n, w in zip(cfg.domain_names, cfg.mixture, strict=True) if n in pt_used)
    return {"pt_run": pm["run_id"], "pt_lr": [float(x) for x in pt.lr], "cpt_start_step": end,
            "pt_domains": sorted(pt_used), "pt_mixture": pm["mixture"], "replay_ratio": replay}


def _diff(a: dict, b: dict, prefix="") -> list[str]:
    out = []
    for k in sorted(set(a) | set(b)):
        if k in ("meta",):
            continue
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}: logged {_short(va)} vs given {_short(vb)}")
    return out


def _short(v):
    s = json.dumps(v)
    return s if len(s) < 60 else s[:57] + "..."


# -- the loop -------------------------------------------------------------------------------------
def train_many(
    configs: Sequence[RunConfig],
    out_dir,
    *,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    raise_on_divergence: bool = True,
) -> list[dict]:
    """Train runs that share :meth:`RunConfig.batch_key` together in one vmapped program.

    Each run writes ``out_dir/<run_id>/`` (see :mod:`lawfit.proxy._log`). With ``resume=True``
    each run continues from its last checkpoint (its log is cut back to that step first); the
    given configs must equal the logged ones. Returns one summary dict per run. A run whose loss
    becomes NaN stops (its log and last good checkpoint are kept) while the others go on; then
    :class:`TrainingDiverged` is raised unless ``raise_on_divergence=False``.
    """
    import jax

    configs = list(configs)
    if not configs:
        raise ValueError("train_many: configs is empty")
    keys = {c.batch_key() for c in configs}
    if len(keys) != 1:
        raise ValueError(
            "train_many: runs trained together must share model, optimizer, steps, batch size, "
            "domains and data seed; use lawfit.proxy.sweep to group mixed configs"
        )
    ids = [c.run_id for c in configs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"train_many: run ids must be unique, got {ids}")
    with jax.enable_x64(False):
        return _train_batch(configs, Path(out_dir), resume, progress, raise_on_divergence)


def _train_batch(configs, out_dir, resume, progress, raise_on_divergence):
    import jax.numpy as jnp

    c0 = configs[0]
    K, T, E = len(configs), c0.steps, c0.eval_every
    data = build_data(c0.domains, c0.model.context, c0.val_sequences, c0.data_seed)
    prog = _program(c0.model, c0.optimizer, c0.batch_size)
    lrs = [lr_array(c.schedule, T) for c in configs]
    extras = [_pt_info(c) for c in configs]
    dirs = [out_dir / c.run_id for c in configs]
    metas = [_meta(c, lr, x) for c, lr, x in zip(configs, lrs, extras, strict=True)]

    fresh = prog["init"]([c.seed for c in configs])
    start, states = 0, None
    if resume:
        starts, states = [], []
        for c, d, m in zip(configs, dirs, metas, strict=True):
            if not (d / META).exists():
                raise ValueError(f"cannot resume run {c.run_id!r}: {d / META} does not exist")
            logged = json.loads((d / META).read_text())["config"]
            diffs = _diff(logged, m["config"])
            if diffs:
                raise ValueError(
                    f"cannot resume run {c.run_id!r} from {d}: the config differs from the logged "
                    f"one ({'; '.join(diffs)}); resume with the same config or start a new run_id"
                )
            if has_checkpoint(d):
                s, st = load_checkpoint(d, _unstack(fresh, 0))
            else:
                s, st = 0, None
            starts.append(s)
            states.append(st)
        if len(set(starts)) != 1:
            raise ValueError(f"cannot resume runs {[c.run_id for c in configs]} together: their "
                             f"checkpoints are at different steps {starts}; resume them separately")
        start = starts[0]
        if start == 0:
            states = None
    else:
        for c, d in zip(configs, dirs, strict=True):
            if (d / META).exists():
                raise ValueError(
                    f"run directory {d} already exists; pass resume=True to continue run "
                    f"{c.run_id!r}, or choose another run_id or out_dir (nothing was overwritten)"
                )
    if states is None:
        state = fresh
        if any(c.init_from for c in configs):
            state = _init_from(configs, state, prog)
    else:
        state = _stack(states)

    for d, m in zip(dirs, metas, strict=True):
        d.mkdir(parents=True, exist_ok=True)
        if not resume or not (d / META).exists():
            write_json_atomic(d / META, m)
    logs = [RunLog(d, c.run_id, keep_before=(c.step_offset + start) if resume else 0)
            for c, d in zip(configs, dirs, strict=True)]

    lr32 = np.stack(lrs).astype(np.float32)
    w = jnp.asarray(np.array([c.mixture for c in configs]), dtype=jnp.float32)
    dkeys = jnp.stack([_data_key(c.seed) for c in configs])
    train_arr, offsets, sizes = jnp.asarray(data.train), jnp.asarray(data.offsets), jnp.asarray(data.sizes)
    val = jnp.asarray(data.val)
    sf = c0.optimizer.name in SCHEDULE_FREE
    train_metric = "train_loss_y" if sf else "loss"
    names = data.names
    alive = [True] * K
    diverged: dict[int, int] = {}
    last_ckpt = [start] * K
    step = start
    at_x = None
    try:
        while step < T:
            n = min(E - step % E, T - step)
            state, (losses, gnorms) = prog["chunk"](state, jnp.int32(step), lr32[:, step : step + n], w,
                                                    dkeys, train_arr, offsets, sizes, n)
            at_x, at_y = prog["eval"](state, val)
            losses, gnorms = np.asarray(losses), np.asarray(gnorms)
            at_x, at_y = np.asarray(at_x), np.asarray(at_y)
            end = step + n - 1
            for k, c in enumerate(configs):
                if not alive[k]:
                    continue
                off, log, lr = c.step_offset, logs[k], lrs[k]
                bad = ~np.isfinite(losses[k])
                n_ok = int(np.argmax(bad)) if bad.any() else n
                for i in range(n_ok):
                    log.write(off + step + i, train_metric, losses[k, i], lr[step + i])
                    log.write(off + step + i, "grad_norm", gnorms[k, i], lr[step + i])
                if n_ok < n or not np.all(np.isfinite(at_x[k])):
                    alive[k] = False
                    diverged[k] = off + step + n_ok
                    continue
                vx = float(np.dot(at_x[k], c.mixture))
                log.write(off + end, "val_loss", vx, lr[end])
                if sf:
                    log.write(off + end, "val_loss_y", float(np.dot(at_y[k], c.mixture)), lr[end])
                if len(names) > 1:
                    for j, name in enumerate(names):
                        log.write(off + end, f"val_loss/{name}", at_x[k, j], lr[end])
            step += n
            if step == T or (c0.checkpoint_every and step % c0.checkpoint_every == 0):
                for k in range(K):
                    if alive[k]:
                        save_checkpoint(dirs[k], step, _unstack(state, k))
                        last_ckpt[k] = step
            if progress is not None:
                progress(step, T)
            if not any(alive):
                break
    finally:
        for log in logs:
            log.close()

    if at_x is None:  # nothing left to train (resumed a finished run)
        at_x = np.asarray(prog["eval"](state, val)[0])
    results = []
    for k, (c, d, m) in enumerate(zip(configs, dirs, metas, strict=True)):
        res = {"run_id": c.run_id, "run_dir": str(d), "steps": c.steps, "N": m["N"]}
        if k in diverged:
            res.update(status="diverged", diverged_step=diverged[k],
                       last_checkpoint_step=c.step_offset + last_ckpt[k] if last_ckpt[k] else None)
        else:
            res.update(status="completed", final_val_loss=float(np.dot(at_x[k], c.mixture)))
        m = dict(json.loads((d / META).read_text()), **{k2: v for k2, v in res.items()
                                                        if k2 not in ("run_id", "run_dir")})
        write_json_atomic(d / META, m)
        results.append(res)
    if diverged and raise_on_divergence:
        msgs = [
            f"run {configs[k].run_id!r}: loss is not finite at step {s}; its log up to step "
            f"{s - 1} and its last good checkpoint "
            f"(step {configs[k].step_offset + last_ckpt[k] if last_ckpt[k] else 'none'}) are kept in {dirs[k]}"
            for k, s in diverged.items()
        ]
        raise TrainingDiverged("training diverged: " + "; ".join(msgs)
                               + " (lower the peak LR or add warmup)", results)
    return results


def _init_from(configs, state, prog):
    import jax
    import jax.numpy as jnp

    params, opt_states = [], []
    for k, c in enumerate(configs):
        own = _unstack(state, k)
        if c.init_from is None:
            params.append(own[0])
            opt_states.append(own[1])
            continue
        _, st = load_checkpoint(Path(c.init_from), own)
        if c.reset_optimizer:
            # start from the evaluation point (x for Schedule-Free) with a fresh optimizer
            st_b = jax.tree.map(lambda x: jnp.asarray(x)[None], st)
            params.append(_unstack(prog["eval_params"](st_b), 0))
            opt_states.append(None)
        else:
            params.append(st[0])
            opt_states.append(st[1])
    from lawfit.proxy._optim import make_optimizer

    tx = make_optimizer(configs[0].optimizer, jnp.float32(0.0))
    opts = [o if o is not None else tx.init(jax.tree.map(jnp.asarray, params[k]))
            for k, o in enumerate(opt_states)]
    return _stack(params), _stack(opts)


def train(config: RunConfig, out_dir, *, resume: bool = False,
          progress: Callable[[int, int], None] | None = None) -> dict:
    """Train one run (see :func:`train_many`); returns its summary dict."""
    return train_many([config], out_dir, resume=resume, progress=progress)[0]


def resume(run_dirs, *, progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Continue killed runs from their last checkpoints, using the configs in their ``meta.json``.

    Runs given together must share a batch key and checkpoint step (they do when they were trained
    together); give one directory or a list.
    """
    if isinstance(run_dirs, (str, Path)):
        run_dirs = [run_dirs]
    dirs = [Path(d) for d in run_dirs]
    configs = []
    for d in dirs:
        if not (d / META).exists():
            raise ValueError(f"cannot resume {d}: {META} does not exist")
        configs.append(RunConfig.from_dict(json.loads((d / META).read_text())["config"]))
    parents = {d.parent for d in dirs}
    if len(parents) != 1:
        raise ValueError(f"resume: run directories must share one parent folder, got {sorted(map(str, parents))}")
    return train_many(configs, parents.pop(), resume=True, progress=progress)

