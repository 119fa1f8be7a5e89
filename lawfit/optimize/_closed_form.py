"""The closed form of an optimized schedule: WSD with a ``(1 - p)^k`` decay to ``end_value``.

Two questions, two functions: which such schedule is *closest* to a given per-step LR
(:func:`fit_closed_form`, least squares) and which is *best* under the law
(:func:`best_closed_form`, a bounded Powell search of the predicted loss from the closest one).

Example:
    >>> import numpy as np
    >>> from lawfit.optimize import fit_closed_form
    >>> t = np.arange(100, 1000.0)
    >>> lr = np.concatenate([np.linspace(0, 1, 100), np.clip((1000 - t) / 300, 0, 1) ** 2])
    >>> cf = fit_closed_form(lr, 100)
    >>> round(cf.decay_steps), round(cf.exponent, 3)
    (300, 2.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lawfit.optimize._final_loss import final_losses, final_losses_of
from lawfit.optimize._threads import one_blas_thread
from lawfit.optimize._warmup import warmup_array

__all__ = ["ClosedForm", "fit_closed_form"]


@dataclasses.dataclass(frozen=True)
class ClosedForm:
    """WSD with a power decay: ``eta_max`` until ``decay_start``, then
    ``end_value + (eta_max - end_value) * (1 - p)^exponent`` with ``p = (t - decay_start) /
    decay_steps`` and ``decay_start = total_steps - decay_steps`` (SCHEDULES.md 4.1-4.2)."""

    total_steps: int
    warmup_steps: int
    peak_lr: float
    stable_steps: float
    decay_steps: float
    exponent: float
    end_value: float
    rmse: float = float("nan")  # RMS distance to the schedule it was fitted to, in units of peak

    @property
    def decay_start(self) -> float:
        return self.total_steps - self.decay_steps

    @property
    def decay_fraction(self) -> float:
        return self.decay_steps / self.total_steps

    def post_warmup(self) -> np.ndarray:
        t = np.arange(self.warmup_steps, self.total_steps, dtype=np.float64)
        return power_decay(t, self.total_steps, self.decay_steps, self.exponent, self.peak_lr,
                           self.end_value)

    def to_array(self, warmup: Any = "linspace") -> np.ndarray:
        """Per-step LR from step 0 (``warmup`` as in :func:`warmup_array`)."""
        return np.concatenate([warmup_array(warmup, self.warmup_steps, self.peak_lr),
                               self.post_warmup()])

    def to_schedule(self, warmup_convention: str = "linspace"):
        """The lawfit ``wsd(decay_type="power")`` schedule (decay length rounded to a step)."""
        from lawfit import schedules as sch

        return sch.wsd(self.peak_lr, self.total_steps, decay_steps=int(round(self.decay_steps)),
                       decay_type="power", power=self.exponent, end_value=self.end_value,
                       warmup_steps=self.warmup_steps, warmup_convention=warmup_convention)

    def to_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("total_steps", "warmup_steps", "peak_lr",
                                              "stable_steps", "decay_steps", "exponent",
                                              "end_value", "rmse")}


def power_decay(t, total, decay, k, peak, end):
    """``end + (peak - end) * (1 - p)^k``, ``p = clip((t - (total - decay)) / decay, 0, 1)``."""
    p = np.clip((t - (total - decay)) / max(decay, 1e-12), 0.0, 1.0)
    return end + (peak - end) * (1.0 - p) ** k


@one_blas_thread
def fit_closed_form(lr: Any, warmup_steps: int, peak_lr: float | None = None) -> ClosedForm:
    """The WSD + ``(1 - p)^k`` schedule closest (least squares on the post-warmup LR) to ``lr``.

    Grid over the decay length and exponent with the end value solved in closed form (it enters
    linearly; long decays are scored on every ``len // 512``-th step), then a bounded
    least-squares refinement of the three continuous parameters on every step.
    """
    from scipy.optimize import least_squares

    arr = np.asarray(lr, dtype=np.float64)
    total, w = arr.size, int(warmup_steps)
    peak = float(arr[w:].max() if peak_lr is None else peak_lr)
    post = arr[w:]
    t = np.arange(w, total, dtype=np.float64)
    n = total - w
    best = (np.inf, (float(n), 1.0, 0.0))
    ks = np.geomspace(0.25, 16.0, 25)[:, None]
    head = np.concatenate([[0.0], np.cumsum((peak - post) ** 2)])  # stable-part residuals
    for d in np.unique(np.geomspace(1, n, 80).round()):
        start = int(np.ceil(total - d - w))  # first post-warmup index with p > 0
        start = min(max(start, 0), n)
        stride = max(1, (n - start) // 512)
        tw, yw = t[start::stride], post[start::stride]
        p = np.clip((tw - (total - d)) / d, 0.0, 1.0)
        g = (1.0 - p[None, :]) ** ks  # [K, window]
        h = 1.0 - g
        hh = np.einsum("kj,kj->k", h, h)
        end = np.clip(np.einsum("kj,kj->k", h, yw[None, :] - peak * g) / np.maximum(hh, 1e-300),
                      0.0, peak)
        r = end[:, None] * h + peak * g - yw[None, :]
        sse = np.einsum("kj,kj->k", r, r) * stride + head[start]
        i = int(np.argmin(sse))
        if sse[i] < best[0]:
            best = (float(sse[i]), (float(d), float(ks[i, 0]), float(end[i])))
    d0, k0, e0 = best[1]

    def resid(z):
        return (power_decay(t, total, z[0], z[1], peak, z[2]) - post) / peak

    fit = least_squares(resid, [d0, k0, e0], bounds=([1.0, 1e-3, 0.0], [n, 50.0, peak]),
                        x_scale=[max(d0, 1.0), 1.0, peak], method="trf")
    d, k, end = (float(v) for v in fit.x)
    if np.sum(resid(fit.x) ** 2) > np.sum(resid([d0, k0, e0]) ** 2):
        d, k, end = d0, k0, e0
    rmse = float(np.sqrt(np.mean(resid([d, k, end]) ** 2)))
    return ClosedForm(total, w, peak, n - d, d, k, end, rmse)


def budget_objective(params: Mapping[str, float], warm: np.ndarray, post: np.ndarray,
                     peak: float, convention: str, budgets: Sequence[int],
                     weights: Sequence[float]) -> float:
    """Weighted average of L̂(b - 1) over ``budgets`` for one post-warmup schedule ``post``."""
    w = warm.size
    total = w + post.size
    out = 0.0
    for b, wt in zip(budgets, weights, strict=True):
        if wt:
            out += wt * float(final_losses_of(params, warm, post[:b - w] if b < total else post,
                                              peak, convention)[0])
    return out / float(np.sum(weights))


def best_closed_form(start: ClosedForm, target: np.ndarray, params: Mapping[str, float],
                     warm: np.ndarray, convention: str, budgets: Sequence[int],
                     weights: Sequence[float], min_lr: float) -> tuple[ClosedForm, float]:
    """``(closed form, objective)``: bounded Powell over (decay_steps, exponent, end / peak)
    of the predicted loss, from ``start``; ``rmse`` is the distance to ``target``."""
    from scipy.optimize import minimize

    total, w, peak = start.total_steps, start.warmup_steps, start.peak_lr
    n = total - w
    t = np.arange(w, total, dtype=np.float64)

    def objective(z):
        d, k, rho = z
        if tuple(budgets) == (total,):  # the usual case: only the decay needs computing
            s = min(max(int(np.floor(total - d)) + 1, w), total)
            tail = power_decay(t[s - w:], total, d, k, peak, rho * peak)
            return float(final_losses(params, warm, s - w, tail[None, :], peak, convention)[0])
        post = power_decay(t, total, d, k, peak, rho * peak)
        return budget_objective(params, warm, post, peak, convention, budgets, weights)

    lo_rho = min_lr / peak
    x0 = [start.decay_steps, min(start.exponent, 8.0), max(start.end_value / peak, lo_rho)]
    res = minimize(objective, x0, method="Powell",
                   bounds=[(1.0, float(n)), (0.05, 20.0), (lo_rho, 0.99)],
                   options={"xtol": 1e-4, "ftol": 1e-12, "maxfev": 400})
    z = res.x if res.fun <= objective(x0) else np.asarray(x0)
    d, k, rho = (float(v) for v in z)
    cf = ClosedForm(total, w, peak, n - d, d, k, rho * peak)
    rmse = float(np.sqrt(np.mean((cf.post_warmup() - np.asarray(target)[w:]) ** 2))) / peak
    return dataclasses.replace(cf, rmse=rmse), float(objective(z))
