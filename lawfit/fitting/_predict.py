"""Compiled predictions for fitted laws, and turning prediction targets into ``LawInputs``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from lawfit.fitting._solve import _Holder, law_key

__all__ = ["predict_program", "prepare_target", "predict_draws"]


@functools.lru_cache(maxsize=64)
def _predict(holder: _Holder):
    return jax.jit(holder.law.predict)


def predict_program(law: Any):
    """``jit(law.predict)``, shared by every result of laws with the same trace key."""
    key = law_key(law)
    return _predict(_Holder(law, key))


@functools.lru_cache(maxsize=64)
def _predict_many(holder: _Holder):
    return jax.jit(jax.vmap(holder.law.predict, in_axes=(0, None)))


def predict_draws(result: Any, inputs: Any) -> np.ndarray:
    """``[n_draws, P]`` predictions at every bootstrap draw (one vmapped call)."""
    names = result.law.param_names
    n = len(next(iter(result.draws.values())))
    stacked = {
        k: np.asarray(result.draws[k], np.float64)
        if k in result.draws
        else np.full(n, result.params[k], np.float64)
        for k in names
    }
    key = law_key(result.law)
    return np.asarray(_predict_many(_Holder(result.law, key))(stacked, inputs.x))


def prepare_target(result: Any, target: Any, steps: Any, *, metric: str | None = None):
    """``(LawInputs, run_ids or None)`` for :meth:`FitResult.predict`."""
    from lawfit.laws._base import LawInputs
    from lawfit.runs import Run, RunSet

    law = result.law
    metric = metric or result.metric
    if isinstance(target, LawInputs):
        return target, None
    if isinstance(target, RunSet):
        return law.prepare(target, metric=metric, steps=steps, predict=True), target.ids
    if isinstance(target, Run):
        return law.prepare(RunSet([target]), metric=metric, steps=steps, predict=True), None
    if callable(target) or isinstance(target, Mapping):
        if steps is None:
            raise ValueError(
                "predict(schedule, steps): a schedule has no length; pass the steps to predict at, "
                "e.g. steps=np.arange(24000)"
            )
        total = int(np.max(np.asarray(steps))) + 1
        if isinstance(target, Mapping):
            from lawfit import schedules as sch

            target = sch.from_spec(dict(target))
        lr = np.asarray(jax.vmap(target)(np.arange(total)), dtype=np.float64) if not isinstance(
            target, np.ndarray
        ) else target
        target = lr
    arr = np.asarray(target, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(
            f"predict: expected a Run, RunSet, 1-D per-step LR array, schedule or LawInputs, got "
            f"{type(target).__name__} with shape {arr.shape}"
        )
    if steps is None:
        steps = np.arange(arr.size)
    run = Run("prediction", lr=arr)
    return law.prepare(RunSet([run]), metric=metric, steps=np.asarray(steps), predict=True), None
