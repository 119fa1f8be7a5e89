"""A schedule from logged ``(step, lr)`` points, exact at the logged steps.

``kind="linear"`` interpolates linearly between logged points; ``kind="previous"`` holds the
last logged value (a step function, right for loggers that record the LR every k steps of a
schedule that is constant in between). Before the first logged step the first value is used,
after the last one the last value. At every logged step the logged value is returned exactly.

Example:
    >>> from lawfit.schedules import tabulated, to_array
    >>> to_array(tabulated([0, 2, 4], [1.0, 0.5, 0.25]), 6).tolist()
    [1.0, 0.75, 0.5, 0.375, 0.25, 0.25]
    >>> to_array(tabulated([0, 2, 4], [1.0, 0.5, 0.25], kind="previous"), 6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from lawfit.schedules import _checks as C
from lawfit.schedules._core import family

__all__ = ["tabulated"]


@family("tabulated", example={"steps": [0, 100, 500, 1000], "values": [0.0, 3e-4, 3e-4, 3e-5]})
def tabulated(steps: Any, values: Any, kind: str = "linear"):
    """A schedule from logged (step, lr) points, linear or previous-value interpolation."""
    xs = np.asarray(steps)
    ys = np.asarray(values)
    if xs.ndim != 1 or xs.size == 0 or not np.issubdtype(xs.dtype, np.number):
        raise ValueError(f"steps must be a non-empty 1-D list of numbers, got {steps!r}")
    if ys.shape != xs.shape or not np.issubdtype(ys.dtype, np.number):
        raise ValueError(
            f"values must be a list of numbers of the same length as steps ({xs.size}), "
            f"got shape {ys.shape}"
        )
    xs = xs.astype(np.float64)
    ys = ys.astype(np.float64)
    if not np.all(np.isfinite(xs)) or np.any(xs < 0):
        raise ValueError(f"steps must be finite and >= 0; first offender {xs[~(xs >= 0)][:1]!r}")
    if np.any(np.diff(xs) <= 0):
        i = int(np.argmax(np.diff(xs) <= 0))
        raise ValueError(
            f"steps must be strictly increasing; steps[{i}]={xs[i]} then steps[{i + 1}]="
            f"{xs[i + 1]} (sort and de-duplicate the log first)"
        )
    if not np.all(np.isfinite(ys)):
        i = int(np.argmax(~np.isfinite(ys)))
        raise ValueError(f"values must be finite; values[{i}]={ys[i]!r} at step {xs[i]}")
    kind = C.choice("kind", kind, ("linear", "previous"))
    n = xs.size

    def fn(t: Any) -> Any:
        xp = jnp.asarray(xs, dtype=t.dtype)
        fp = jnp.asarray(ys, dtype=t.dtype)
        if n == 1:
            return jnp.full_like(t, ys[0])
        i = jnp.clip(jnp.searchsorted(xp, t, side="right") - 1, 0, n - 1)
        if kind == "previous":
            return fp[i]
        j = jnp.minimum(i, n - 2)
        frac = (t - xp[j]) / (xp[j + 1] - xp[j])
        v = fp[j] + frac * (fp[j + 1] - fp[j])
        v = jnp.where(t >= xp[-1], fp[-1], v)
        return jnp.where(t <= xp[0], fp[0], v)

    return fn
