"""Refined schedule from a previous run's gradient norms (SCHEDULES.md section 14).

Defazio, Cutkosky, Mehta, Mishchenko, "When, Why and How Much? Adaptive Learning Rate Scheduling
by Refinement" (arXiv 2310.07831), reference code ``facebookresearch/adaptive_scheduling``
``find_closed_form_schedule``. With the per-step gradient norms ``G_0..G_{n-1}`` of the steps after
the warmup (median-filtered over ``median_window`` steps first, as the paper does)::

    w_t   = G_t^(-2)
    r_t   = w_t * sum_{s > t} w_s               (so r_{n-1} = 0)
    eta   = peak * r_t / max(r)                 W <= t < T = W + n;  end value 0 after T

Constant ``G`` gives linear decay to zero (``r_t ∝ n - 1 - t``); a gradient norm that grows
towards the end of training gives an earlier, steeper anneal. Between integer steps the value is
interpolated linearly. The warmup (``warmup_steps`` W, default 0) rises to the refined value at
step W (so the schedule is continuous); ``grad_norms`` holds the post-warmup steps only.

Example:
    >>> from lawfit.schedules import refined, to_array
    >>> to_array(refined([1.0, 1.0, 1.0, 1.0, 1.0], 1.0, median_window=1), 6).tolist()
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    >>> to_array(refined([1.0, 1.0, 2.0], 1.0, median_window=1), 3).tolist()  # w = 1, 1, 1/4
    [1.0, 0.2, 0.0]
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from lawfit.schedules import _checks as C
from lawfit.schedules import _warmup
from lawfit.schedules._core import family

__all__ = ["refined", "refined_weights"]


def refined_weights(grad_norms: Any, median_window: int = 1) -> np.ndarray:
    """The refined shape ``r_t = w_t * sum_{s > t} w_s`` with ``w = G^-2`` (not normalised)."""
    g = np.asarray(grad_norms, dtype=np.float64)
    if median_window > 1:
        from scipy.ndimage import median_filter

        g = median_filter(g, size=median_window, mode="nearest")
    w = g**-2.0
    tail = np.cumsum(w[::-1])[::-1]  # tail[t] = sum_{s >= t} w_s
    return w * np.append(tail[1:], 0.0)


@family("refined", example={"grad_norms": [1.0, 0.8, 0.7, 0.7, 0.75, 0.8, 0.9, 1.0],
                            "peak_value": 3e-4, "median_window": 1})
def refined(
    grad_norms: Any,
    peak_value: float,
    *,
    median_window: int | None = None,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_convention: str = "t/W",
    warmup_shape: str = "linear",
):
    """Refined schedule (Defazio et al.): ``w_t * sum_{s>t} w_s``, ``w = G^-2``, scaled to the peak.

    ``median_window`` (odd; default ``None``: about 2 % of the steps, odd) smooths the norms.
    """
    g = np.asarray(grad_norms)
    if g.ndim != 1 or g.size < 2 or not np.issubdtype(g.dtype, np.number):
        raise ValueError(
            f"grad_norms must be a 1-D list of at least 2 numbers (one per post-warmup step), "
            f"got shape {g.shape}"
        )
    g = g.astype(np.float64)
    if not np.all(np.isfinite(g)) or np.any(g <= 0):
        i = int(np.argmax(~(np.isfinite(g) & (g > 0))))
        raise ValueError(
            f"grad_norms must be finite and > 0; grad_norms[{i}]={float(g[i])!r} (drop or repair "
            "diverged steps before refining)"
        )
    peak = C.peak(peak_value)
    w = _warmup.check(warmup_steps, init_value, peak, warmup_convention, warmup_shape)
    n = g.size
    if median_window is None:
        k = 2 * (n // 100) + 1
    else:
        k = C.int_at_least("median_window", median_window, 1)
        if k % 2 == 0:
            raise ValueError(f"median_window must be odd (a centred window), got {median_window!r}")
    r = refined_weights(g, k)
    values = peak * r / r.max()
    if w.init > values[0]:
        raise ValueError(
            f"init_value={init_value!r} is above the refined schedule's first value {values[0]!r}; "
            "the warmup must rise to it (lower init_value)"
        )
    w = w._replace(peak=float(values[0]))  # the warmup rises to the refined start: continuous
    W, T = w.steps, w.steps + n

    def fn(t: Any) -> Any:
        xp = jnp.arange(W, T, dtype=t.dtype)
        v = jnp.interp(t, xp, jnp.asarray(values, dtype=t.dtype))  # 0 from step T - 1 on
        return _warmup.apply(w, t, v)

    return fn
