"""Learning-rate schedules for proxy runs, resolved to exact per-step arrays.

A run's schedule may be a lawfit schedule (a callable with ``.spec``), a spec dict
(``lawfit.schedules.from_spec``), any optax schedule ``step -> lr`` or an explicit per-step array.
Training indexes the float32 copy of the array by the step inside jit, so runs with different
schedules vmap together; the float64 array is what the log and :class:`lawfit.runs.Run` record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["lr_array"]


def schedule_spec(schedule: Any) -> dict | None:
    """The JSON spec of ``schedule`` when it has one (a spec dict or a lawfit schedule)."""
    if isinstance(schedule, Mapping):
        return dict(schedule)
    spec = getattr(schedule, "spec", None)
    if isinstance(spec, Mapping):
        return dict(spec)
    return None


def _spec_total(spec: Mapping) -> int | None:
    for key in ("total_steps", "T"):
        v = spec.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    return None


def lr_array(schedule: Any, total_steps: int) -> np.ndarray:
    """The float64 per-step LR ``[lr(0), ..., lr(T-1)]`` of ``schedule``.

    Raises ``ValueError`` when an explicit array or a spec's ``total_steps`` disagrees with the
    run length, or when a value is negative or not finite.

    Example:
        >>> import optax
        >>> lr_array(optax.constant_schedule(1e-3), 3).tolist()
        [0.001, 0.001, 0.001]
    """
    T = int(total_steps)
    if isinstance(schedule, (list, tuple, np.ndarray)) or hasattr(schedule, "__array__") and not callable(schedule):
        arr = np.asarray(schedule, dtype=np.float64)
        if arr.ndim != 1 or arr.shape[0] != T:
            raise ValueError(
                f"schedule: an explicit LR array must have one value per step, got shape "
                f"{arr.shape} for a run of steps={T}; pass exactly {T} values"
            )
    else:
        spec = schedule_spec(schedule)
        if spec is not None:
            spec_T = _spec_total(spec)
            if spec_T is not None and spec_T != T:
                raise ValueError(
                    f"schedule: the schedule is defined for total_steps={spec_T} but the run has "
                    f"steps={T}; make them equal (a schedule longer or shorter than the run is "
                    "almost always a mistake)"
                )
        if isinstance(schedule, Mapping):
            from lawfit import schedules as sch

            schedule = sch.from_spec(dict(schedule))
        if not callable(schedule):
            raise ValueError(
                f"schedule must be a lawfit schedule, a spec dict, an optax schedule or a "
                f"per-step array, got {type(schedule).__name__}"
            )
        arr = _evaluate(schedule, T)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"schedule: lr[{i}] = {arr[i]!r} is not a finite non-negative learning rate")
    return arr


def _evaluate(fn: Any, T: int) -> np.ndarray:
    try:
        from lawfit import schedules as sch

        to_array = getattr(sch, "to_array", None)
    except ImportError:  # pragma: no cover - the schedules package is always there
        to_array = None
    if to_array is not None:
        return np.asarray(to_array(fn, T), dtype=np.float64)
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        return np.asarray(jax.vmap(fn)(jnp.arange(T)), dtype=np.float64)
