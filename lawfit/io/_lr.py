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

__all__ = ["rebuild_lr", "lr_from_schedule", "infer_lr_edges", "LR_KINDS", "LR_EXTRAPOLATE"]

LR_KINDS = ("linear", "previous")
LR_EXTRAPOLATE = ("auto", "error", "hold")


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
    if extrapolate == "auto":
        extrapolate = "hold"  # rebuild_lr alone holds; read() infers the edges (infer_lr_edges)
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


def infer_lr_edges(steps, values, total_steps: int, meta: dict) -> tuple[np.ndarray | None, list]:
    """The LR before the first and after the last logged point, inferred (``lr_extrapolate="auto"``).

    Before the first logged step ``s0`` the line through the first two logged points
    ``(s0, v0), (s1, v1)`` is followed back:

    * it rises and reaches zero near step 0 (within ``max(2, s0 / 10)`` steps): a **linear
      warmup** (HF Trainer logs its first LR at ``logging_steps``, inside the warmup):
      ``max(0, line)``;
    * it is flat: the LR was **constant**: ``v0``;
    * it falls (the log starts inside a decay, e.g. a cooldown branch): ``min(line, peak)`` where
      the peak is ``meta["peak_lr"]`` (from the run's config), else ``v0`` held;
    * one logged point only: ``v0`` held.

    After the last logged step the last value is held. Returns the array for steps ``0..s0-1``
    (None if ``s0 == 0``) and ``[{"what", "from"}]`` items for ``meta["inferred"]``.

    Example:
        >>> head, why = infer_lr_edges([10, 20, 30], [1e-4, 2e-4, 3e-4], 31, {})
        >>> head[[0, 5, 9]].tolist(), why[0]["what"]
        ([0.0, 5e-05, 9e-05], 'the LR at steps 0..9')
    """
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    total = int(total_steps)
    out: list = []
    head = None
    s0, v0 = int(s[0]), float(v[0])
    if s0 > 0:
        grid = np.arange(s0, dtype=np.float64)
        if s.size < 2:
            head, why = np.full(s0, v0), f"held the only logged LR {v0:.6g} (step {s0})"
        else:
            s1, v1 = int(s[1]), float(v[1])
            slope = (v1 - v0) / (s1 - s0)
            scale = max(abs(v0), abs(v1), 1e-300)
            pts = f"the logged LR at steps {s0} and {s1} ({v0:.6g}, {v1:.6g})"
            peak = meta.get("peak_lr")
            if abs(v1 - v0) <= 1e-9 * scale:
                head, why = np.full(s0, v0), f"{pts} is constant: held"
            elif slope > 0 and abs(s0 - v0 / slope) <= max(2.0, 0.1 * s0):
                head = np.maximum(0.0, v0 + slope * (grid - s0))
                why = (
                    f"{pts} lies on a line reaching zero at step {s0 - v0 / slope:.3g}: a linear "
                    "warmup from 0, continued back"
                )
            elif slope < 0 and isinstance(peak, (int, float)) and peak > 0:
                head = np.minimum(v0 + slope * (grid - s0), float(peak))
                why = (
                    f"{pts} falls: the decay line continued back, capped at the peak LR {peak:.6g}"
                )
            else:
                head, why = (
                    np.full(s0, v0),
                    f"{pts}: no warmup or decay recognised, first value held",
                )
        out.append({"what": f"the LR at steps 0..{s0 - 1}", "from": why})
    sl = int(s[-1])
    if sl < total - 1:
        out.append(
            {
                "what": f"the LR at steps {sl + 1}..{total - 1}",
                "from": f"held the last logged LR {float(v[-1]):.6g} (step {sl})",
            }
        )
    return head, out


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
