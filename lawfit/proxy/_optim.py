"""Optimizers of proxy runs, built for one step from a traced learning rate.

The learning rate of update t is ``lr[t]`` from the run's per-step array, so the optimizer is
rebuilt inside the jitted step with that scalar; its state does not depend on the LR, so runs
with different schedules share one program and vmap. Schedule-Free AdamW and SGD are optax's
``contrib.schedule_free_adamw`` / ``contrib.schedule_free_sgd`` (no built-in warmup: the schedule
supplies it); their evaluation
point is ``x = schedule_free_eval_params(state, y)`` (SCHEDULES.md section 17.4).
"""

from __future__ import annotations

import optax

from lawfit.proxy._config import SCHEDULE_FREE, OptimizerConfig

__all__ = ["make_optimizer", "eval_params"]


def make_optimizer(cfg: OptimizerConfig, lr) -> optax.GradientTransformation:
    """The optax transformation of ``cfg`` with learning rate ``lr`` (a scalar, may be traced)."""
    if cfg.name == "adamw":
        opt = optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay)
    elif cfg.name == "sgd":
        opt = optax.chain(
            optax.add_decayed_weights(cfg.weight_decay) if cfg.weight_decay else optax.identity(),
            optax.sgd(lr, momentum=cfg.momentum or None),
        )
    elif cfg.name == "schedule_free_sgd":
        opt = optax.contrib.schedule_free_sgd(lr, b1=cfg.b1, weight_decay=cfg.weight_decay or None)
    else:
        opt = optax.contrib.schedule_free_adamw(
            lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay
        )
    if cfg.clip_norm is not None:
        opt = optax.chain(optax.clip_by_global_norm(cfg.clip_norm), opt)
    return opt


def eval_params(cfg: OptimizerConfig, opt_state, params):
    """The parameters losses are evaluated at: x for Schedule-Free, else ``params`` itself."""
    if cfg.name not in SCHEDULE_FREE:
        return params
    sf_state = opt_state[-1] if cfg.clip_norm is not None else opt_state
    return optax.contrib.schedule_free_eval_params(sf_state, params)
