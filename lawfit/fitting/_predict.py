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


def _is_schedule_spec(target: Mapping) -> bool:
    return "family" in target


def requested_steps(target: Any, steps: Any, run_ids: tuple[str, ...]) -> list[np.ndarray] | None:
    """The steps the caller asked for, per run (``None`` when the law's own selection applies:
    ``steps=None`` on runs, or tables). ``predict`` returns exactly these points."""
    if steps is None or isinstance(steps, slice):
        return None
    out = []
    for rid in run_ids:
        s = steps.get(rid) if isinstance(steps, Mapping) else steps
        if s is None:
            return None
        out.append(np.atleast_1d(np.asarray(list(s) if isinstance(s, range) else s)))
    return out


def check_steps(steps: Any) -> Any:
    """``steps`` of ``predict``: None, a ``range``/``slice``, ``{run_id: steps}`` or whole
    non-negative step numbers."""
    if steps is None or isinstance(steps, (range, slice)):
        return steps
    if isinstance(steps, Mapping):
        return {k: check_steps(v) for k, v in steps.items()}
    if isinstance(steps, (str, bytes)):
        raise ValueError(f"steps must be whole non-negative step numbers, got {steps!r}")
    try:
        a = np.atleast_1d(np.asarray(steps))
    except (TypeError, ValueError):
        raise ValueError(f"steps must be whole non-negative step numbers, got {steps!r}") from None
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"steps must be a 1-D list of whole non-negative step numbers, got {steps!r}")
    af = a.astype(np.float64)
    bad = ~np.isfinite(af) | (af < 0) | (af != np.round(af))
    if bad.any():
        raise ValueError(
            f"steps must be whole non-negative step numbers, got {a[bad][:5].tolist()}"
        )
    return a.astype(np.int64)


def prepare_target(result: Any, target: Any, steps: Any, *, metric: str | None = None):
    """``(LawInputs, run_ids or None, requested steps per run or None)`` for
    :meth:`FitResult.predict`."""
    from lawfit.laws._base import LawInputs
    from lawfit.runs import Run, RunSet, as_runset

    law = result.law
    metric = metric or result.metric
    steps = check_steps(steps)
    if isinstance(target, LawInputs):
        return target, None, None
    if isinstance(target, (list, tuple)) and target and all(isinstance(r, Run) for r in target):
        target = as_runset(target)
    if isinstance(target, RunSet):
        inputs = law.prepare(as_runset(target, argument="target"), metric=metric, steps=steps, predict=True)
        return inputs, target.ids, requested_steps(target, steps, target.ids)
    if isinstance(target, Run):
        inputs = law.prepare(RunSet([target]), metric=metric, steps=steps, predict=True)
        return inputs, None, requested_steps(target, steps, (target.run_id,))
    if isinstance(target, Mapping) and not _is_schedule_spec(target):
        return law.prepare(dict(target), metric=metric, steps=steps, predict=True), None, None
    if callable(target) or isinstance(target, Mapping):
        if steps is None or isinstance(steps, (Mapping, slice)):
            raise ValueError(
                "predict(schedule, steps): a schedule has no length; pass the steps to predict at, "
                "e.g. steps=np.arange(24000)"
            )
        steps = np.asarray(list(steps) if isinstance(steps, range) else steps)
        total = int(np.max(steps)) + 1 if steps.size else 1
        if isinstance(target, Mapping):
            from lawfit import schedules as sch

            target = sch.from_spec(dict(target))
        target = np.asarray(jax.vmap(target)(np.arange(total)), dtype=np.float64)
    if not isinstance(target, (np.ndarray, list, tuple)):  # a law's own table (MixtureTable, ...)
        return law.prepare(target, metric=metric, steps=steps, predict=True), None, None
    try:
        arr = np.asarray(target, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.zeros((0, 0))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"predict: target must be a Run, RunSet, 1-D per-step LR array, schedule, the law's "
            f"table or LawInputs, got {type(target).__name__} with shape {np.shape(arr)}"
        )
    if isinstance(steps, Mapping):
        raise ValueError("predict: steps={run_id: ...} needs runs; give an array of steps for an LR array")
    if steps is None:
        steps = np.arange(arr.size)
    elif isinstance(steps, slice):
        steps = np.arange(*steps.indices(arr.size))
    steps = np.asarray(list(steps) if isinstance(steps, range) else steps, dtype=np.int64)
    if steps.size and int(steps.max()) >= arr.size:
        raise ValueError(
            f"predict: step {int(steps.max())} is beyond the LR array (length {arr.size}, steps "
            f"0..{arr.size - 1}); pass a longer LR array or smaller steps"
        )
    run = Run("prediction", lr=arr)
    inputs = law.prepare(RunSet([run]), metric=metric, steps=steps, predict=True)
    return inputs, None, [steps]


def align(inputs: Any, values: np.ndarray, wanted: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (one per point of ``inputs``) at exactly the ``wanted`` steps of each run, in
    the order asked: ``(values [sum of wanted], run index)``, NaN where the law gave no point."""
    st, ri = np.asarray(inputs.steps), np.asarray(inputs.run_index)
    vals, idx = [], []
    for i, want in enumerate(wanted):
        sel = ri == i
        s, v = st[sel], np.asarray(values)[sel]
        order = np.argsort(s, kind="stable")
        s, v = s[order], v[order]
        pos = np.clip(np.searchsorted(s, want), 0, max(s.size - 1, 0))
        hit = (s[pos] == want) if s.size else np.zeros(want.shape, bool)
        vals.append(np.where(hit, v[pos] if s.size else np.nan, np.nan))
        idx.append(np.full(want.shape, i))
    return np.concatenate(vals) if vals else np.zeros(0), np.concatenate(idx) if idx else np.zeros(0, int)
