"""Per-step learning rates from logs: interpolation of sparse logged LR points, or a schedule spec.

Laws need the LR at *every* optimizer step ``0 .. T-1``. Logs rarely hold that:

* every step logged (``lr_source="logged"``): taken as is;
* every k steps (``lr_source="tabulated:<kind>"``): rebuilt between logged points with the rule
  of :func:`lawfit.schedules.tabulated` (a NumPy twin, tested equal),
  ``kind="linear"`` (straight lines, exact at the logged steps) or ``kind="previous"`` (each logged
  value holds until the next one, as for step-wise schedulers);
* steps before the first or after the last logged point cannot be interpolated. By default
  (``extrapolate="error"``) that raises :class:`MissingLRError` (a warmup ramp is invisible in a
  log that starts after it); ``extrapolate="hold"`` repeats the nearest logged value and records
  the held ranges in ``meta["lr_extrapolated"]``;
* a user schedule spec (``lr_source="spec"``) is evaluated by :mod:`lawfit.schedules`; logged LR
  points, when present, are checked against it (``rtol=1e-6``).

Example:
    >>> import numpy as np
    >>> from lawfit.io import rebuild_lr
    >>> rebuild_lr([0, 10], [0.0, 1.0], total_steps=11).tolist()[:3]
    [0.0, 0.1, 0.2]
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

import numpy as np

from lawfit.io._errors import ImportError, MissingLRError

__all__ = ["rebuild_lr", "lr_from_schedule", "LR_KINDS", "LR_EXTRAPOLATE"]

LR_KINDS = ("linear", "previous")
LR_EXTRAPOLATE = ("error", "hold")


def rebuild_lr(
    steps,
    values,
    total_steps: int,
    *,
    kind: str = "linear",
    extrapolate: str = "error",
    run_id: str = "<run>",
    path: str | None = None,
) -> np.ndarray:
    """The per-step LR array of length ``total_steps`` from logged ``(step, lr)`` points.

    ``steps`` must be strictly increasing non-negative integers; the result equals ``values``
    bit-exactly at the logged steps.
    """
    if kind not in LR_KINDS:
        raise ValueError(f"lr_interpolation must be one of {LR_KINDS}, got {kind!r}")
    if extrapolate not in LR_EXTRAPOLATE:
        raise ValueError(f"lr_extrapolate must be one of {LR_EXTRAPOLATE}, got {extrapolate!r}")
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if s.size == 0:
        raise MissingLRError(
            f"run {run_id!r}: no logged learning rate",
            path=path,
            hint="pass schedule=<spec> or require_lr=False",
        )
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ImportError(
            f"run {run_id!r}: logged learning rate {float(v[i])!r} at step {int(s[i])} is not a finite "
            "non-negative number",
            path=path,
            column="lr",
            hint="fix the log or pass schedule=<spec>",
        )
    total = int(total_steps)
    if s[-1] >= total:
        raise ImportError(
            f"run {run_id!r}: learning rate logged at step {int(s[-1])} but total_steps is {total}",
            path=path,
            hint="pass a larger total_steps",
        )
    if extrapolate == "error" and (s[0] > 0 or s[-1] < total - 1):
        gap = f"steps 0..{int(s[0]) - 1}" if s[0] > 0 else f"steps {int(s[-1]) + 1}..{total - 1}"
        raise MissingLRError(
            f"run {run_id!r}: the learning rate is logged only at steps {int(s[0])}..{int(s[-1])}, "
            f"so {gap} of {total} would have to be invented",
            path=path,
            hint="pass schedule=<spec> (exact), lr_extrapolate='hold' (repeat the nearest logged "
            "value, recorded in meta), or require_lr=False",
        )
    if s.size == total:  # every step logged: nothing to interpolate
        return v.copy()
    # NumPy twin of lawfit.schedules.tabulated (same rule; the tests check they agree): eager JAX
    # re-traces for every new length, ~1 s per run, too slow for folders of hundreds of runs.
    out = _numpy_tabulated(s, v, total, kind)
    out[s] = v  # exact at the logged steps
    return out


def _numpy_tabulated(s: np.ndarray, v: np.ndarray, total: int, kind: str) -> np.ndarray:
    """Reference implementation of ``lawfit.schedules.tabulated`` on the grid ``0 .. T-1``."""
    grid = np.arange(total, dtype=np.int64)
    if kind == "linear":
        return np.interp(grid.astype(np.float64), s.astype(np.float64), v)
    idx = np.clip(np.searchsorted(s, grid, side="right") - 1, 0, s.size - 1)
    return v[idx]


def lr_from_schedule(spec: Any, total_steps: int, *, run_id: str = "<run>") -> np.ndarray:
    """Evaluate a schedule spec dict (or a lawfit/optax schedule) at steps ``0 .. T-1``."""
    try:
        from lawfit import schedules as sch
    except builtins.ImportError as e:  # pragma: no cover - schedules ships with lawfit
        raise ImportError(f"run {run_id!r}: lawfit.schedules is unavailable ({e})") from None
    if isinstance(spec, Mapping):
        try:
            fn = sch.from_spec(dict(spec))
        except (TypeError, ValueError, KeyError) as e:
            raise ImportError(
                f"run {run_id!r}: invalid schedule spec {dict(spec)!r}: {e}",
                hint="see lawfit.schedules.from_spec",
            ) from None
    elif callable(spec):
        fn = spec
    else:
        raise ImportError(
            f"run {run_id!r}: schedule must be a spec dict or a schedule function, got "
            f"{type(spec).__name__}"
        )
    return np.asarray(sch.to_array(fn, int(total_steps)), dtype=np.float64)
