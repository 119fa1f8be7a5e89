"""Free-form learning-rate schedule optimization under the Multi-Power Law.

Problem (LAWS.md 5.1, MPL paper Eq. 19): with the warmup ``lr[0..W-1]`` and the peak ``eta_max``
fixed, find the post-warmup schedule ``eta_W >= eta_{W+1} >= ... >= eta_{T-1}`` in
``[min_lr, eta_max]`` that minimises the MPL-predicted loss -- at the final step, or a weighted
average over several budgets ``b`` (the loss at step ``b - 1`` of the same run, the WSD-S use case),
optionally under a cap on the total LR area ``Σ_t lr[t]``.

Parametrization (instead of the paper's clipped Adam on the decrements, LAWS.md 5.2)::

    eta_t = min_lr + (eta_max - min_lr) * exp(-Σ_{k<=t} u_k),     u_k >= 0

Every ``u >= 0`` is a feasible non-increasing schedule and every feasible schedule above
``min_lr`` has one ``u``; the only constraints are the simple bounds ``u >= 0``, handled exactly by
L-BFGS-B (scipy) with the JAX gradient of an O(T) suffix-sum objective. ``u`` is the log-decrement,
so a decay of any depth has O(1) coordinates (well conditioned, no floor clipping). The solve is
multilevel: the ``u`` of blocks of steps first (each spread evenly over its block), then per step,
each level warm-started from the previous one. The LR-area cap uses an augmented Lagrangian around
the same solver.

What the exact law prefers: per step, the MPL credits a decrement ``d_j`` with
``G(lr[j]^(-gamma) * S_j)`` evaluated at the LR *after* it, which rewards large single-step drops.
The unrestricted per-step optimum is therefore usually a staircase (for the 400M repo parameters:
stable until step 21611, then 4 drops to 30 %, 5 %, 0.9 % and 0.3 % of the peak, predicted loss
2.68674 vs 2.68905 for the paper's smooth optimum). ``smooth=True`` restricts the search to
schedules that are geometric within blocks (the smooth optimum, 2.68905 at 512 blocks). Whether a
staircase really trains better is outside what the law was validated on (LAWS.md 4.1 scope).

The result carries the per-step schedule and its closest closed form: WSD with a
``(1 - p)^k`` decay to ``end_value`` (:func:`fit_closed_form`; WSDSC is ``k = 1.5``, end 0).

Example:
    >>> from lawfit.optimize import optimize_schedule, MPL_REPO_PARAMS
    >>> res = optimize_schedule(MPL_REPO_PARAMS["400M"], 24000, warmup_steps=2160,
    ...                         peak_lr=3e-4, convention="repo")
    >>> res.final_loss < 2.689
    True
"""

from __future__ import annotations

import dataclasses
import functools
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lawfit._validate import check_horizon
from lawfit._x64 import x64
from lawfit.optimize._predict import MPL_PARAM_NAMES, final_loss_fn, resolve_mpl

__all__ = ["ClosedForm", "ScheduleOptResult", "optimize_schedule", "fit_closed_form",
           "warmup_array"]


# ------------------------------------------------------------------------------- closed form
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
        return _power_decay(t, self.total_steps, self.decay_steps, self.exponent, self.peak_lr,
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


def _power_decay(t, total, decay, k, peak, end):
    p = np.clip((t - (total - decay)) / max(decay, 1e-12), 0.0, 1.0)
    return end + (peak - end) * (1.0 - p) ** k


def fit_closed_form(lr: Any, warmup_steps: int, peak_lr: float | None = None) -> ClosedForm:
    """The WSD + ``(1 - p)^k`` schedule closest (least squares on the post-warmup LR) to ``lr``.

    Grid over the decay length and exponent with the end value solved in closed form (it enters
    linearly), then a bounded least-squares refinement of the three continuous parameters.
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
        tw, yw = t[start:], post[start:]
        p = np.clip((tw - (total - d)) / d, 0.0, 1.0)
        g = (1.0 - p[None, :]) ** ks  # [K, window]
        h = 1.0 - g
        hh = np.einsum("kj,kj->k", h, h)
        end = np.clip(np.einsum("kj,kj->k", h, yw[None, :] - peak * g) / np.maximum(hh, 1e-300),
                      0.0, peak)
        r = end[:, None] * h + peak * g - yw[None, :]
        sse = np.einsum("kj,kj->k", r, r) + head[start]
        i = int(np.argmin(sse))
        if sse[i] < best[0]:
            best = (float(sse[i]), (float(d), float(ks[i, 0]), float(end[i])))
    d0, k0, e0 = best[1]

    def resid(z):
        return (_power_decay(t, total, z[0], z[1], peak, z[2]) - post) / peak

    fit = least_squares(resid, [d0, k0, e0], bounds=([1.0, 1e-3, 0.0], [n, 50.0, peak]),
                        x_scale=[max(d0, 1.0), 1.0, peak], method="trf")
    d, k, end = (float(v) for v in fit.x)
    if np.sum(resid(fit.x) ** 2) > np.sum(resid([d0, k0, e0]) ** 2):
        d, k, end = d0, k0, e0
    rmse = float(np.sqrt(np.mean(resid([d, k, end]) ** 2)))
    return ClosedForm(total, w, peak, n - d, d, k, end, rmse)


# ------------------------------------------------------------------------------- warmup
def warmup_array(warmup: Any, warmup_steps: int, peak_lr: float) -> np.ndarray:
    """The fixed warmup ``lr[0..W-1]``: ``"linspace"`` (``linspace(0, peak, W)``, the MPL data),
    ``"linear"`` (``peak * t / W``), ``"constant"`` (``peak``) or an explicit array of length W."""
    w = int(warmup_steps)
    if isinstance(warmup, str):
        if warmup == "linspace":
            return np.linspace(0.0, peak_lr, w)
        if warmup == "linear":
            return peak_lr * np.arange(w, dtype=np.float64) / max(w, 1)
        if warmup == "constant":
            return np.full(w, float(peak_lr))
        raise ValueError(
            f"warmup must be 'linspace', 'linear', 'constant' or an array, got {warmup!r}"
        )
    arr = np.asarray(warmup, dtype=np.float64)
    if arr.shape != (w,):
        raise ValueError(f"warmup array must have shape ({w},) (warmup_steps), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > peak_lr * (1 + 1e-12):
        raise ValueError(f"warmup array values must lie in [0, peak_lr={peak_lr}]")
    return arr


# ------------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True)
class ScheduleOptResult:
    """Outcome of :func:`optimize_schedule`.

    Attributes:
        lr: optimized per-step LR from step 0 (warmup included), length ``total_steps``.
        objective: the minimised (weighted budget-average) predicted loss.
        final_loss: predicted loss at step ``total_steps - 1``.
        budget_losses: ``{budget: predicted loss at step budget - 1}``.
        initial_objective: objective of the starting schedule.
        closed_form: the best WSD + ``(1 - p)^k`` schedule by the same objective, found by a
            local (Powell) search started at ``closed_form_fit``; ``closed_form_loss`` its
            objective.
        closed_form_fit: the WSD + ``(1 - p)^k`` schedule closest to ``lr`` in least squares
            (:func:`fit_closed_form`; its ``rmse`` says how well the shape is described).
        area: ``Σ_t lr[t]``; ``max_area`` the cap (None if unconstrained).
        convention, params: the MPL parameter set used.
        n_iter, n_eval, converged, message: solver diagnostics (summed over levels).
        warnings: problems worth knowing about (also emitted with :mod:`warnings`).
        seconds: wall time.
    """

    lr: np.ndarray
    objective: float
    final_loss: float
    budget_losses: dict[int, float]
    initial_objective: float
    closed_form: ClosedForm
    closed_form_loss: float
    closed_form_fit: ClosedForm
    area: float
    max_area: float | None
    convention: str
    params: dict[str, float]
    warmup_steps: int
    peak_lr: float
    n_iter: int
    n_eval: int
    converged: bool
    message: str
    warnings: tuple[str, ...] = ()
    seconds: float = float("nan")

    @property
    def total_steps(self) -> int:
        return int(self.lr.size)

    def summary(self) -> dict[str, Any]:
        cf = self.closed_form
        return {
            "final_loss": self.final_loss,
            "objective": self.objective,
            "closed_form_loss": self.closed_form_loss,
            "stable_steps": cf.stable_steps,
            "decay_steps": cf.decay_steps,
            "exponent": cf.exponent,
            "end_value": cf.end_value,
            "converged": self.converged,
            "seconds": self.seconds,
        }


# ------------------------------------------------------------------------------- objective
@functools.lru_cache(maxsize=32)
def _objective_factory(total: int, w: int, peak: float, min_lr: float, convention: str,
                       budgets: tuple[int, ...], weights: tuple[float, ...], n_blocks: int):
    """jit(value_and_grad) of u_blocks -> weighted budget loss (+ area for the constraint)."""
    import jax
    import jax.numpy as jnp

    n = total - w
    edges = np.linspace(0, n, n_blocks + 1).round().astype(np.int64)
    seg = np.repeat(np.arange(n_blocks), np.diff(edges))
    length = np.diff(edges).astype(np.float64)
    seg_j, inv_len = jnp.asarray(seg), jnp.asarray(1.0 / length)[seg]
    first = np.zeros(n)
    first[edges[:-1]] = 1.0
    first_j = jnp.asarray(first)
    wts = jnp.asarray(weights) / float(np.sum(weights))

    def schedule(z, warm):
        # blocks: z = [spread (n_blocks), jump (n_blocks)]; per step (n_blocks == n): z = u
        if n_blocks == n:
            u = z
        else:
            u = z[:n_blocks][seg_j] * inv_len + z[n_blocks:][seg_j] * first_j
        post = min_lr + (peak - min_lr) * jnp.exp(-jnp.cumsum(u))
        return jnp.concatenate([warm, post])

    def objective(u_blocks, params, warm):
        lr = schedule(u_blocks, warm)
        losses = jnp.stack([final_loss_fn(params, lr[:b], w, peak, convention) for b in budgets])
        return jnp.sum(wts * losses), (losses, jnp.sum(lr))

    def alm(u_blocks, params, warm, lam, rho, max_area):
        val, (losses, area) = objective(u_blocks, params, warm)
        h = (area - max_area) / (peak * n)  # scaled constraint  h <= 0
        pen = 0.5 * rho * jnp.maximum(0.0, h + lam / rho) ** 2 - 0.5 * lam**2 / rho
        return val + pen, (losses, area)

    vg = jax.jit(jax.value_and_grad(alm, has_aux=True))
    return vg, jax.jit(schedule), edges


def _coarsen(u_fine: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Block variables ``[spread, jump]`` (or ``u`` itself per step) for a per-step ``u``."""
    n_blocks = edges.size - 1
    if n_blocks == u_fine.size:
        return u_fine
    first = u_fine[edges[:-1]]
    length = np.diff(edges)
    rest = np.add.reduceat(u_fine, edges[:-1]) - first
    per_step = np.where(length > 1, rest / np.maximum(length - 1, 1), 0.0)
    return np.concatenate([per_step * length, np.maximum(first - per_step, 0.0)])


def _refine(z: np.ndarray, edges: np.ndarray, n: int) -> np.ndarray:
    """Per-step ``u`` of block variables ``z`` (inverse of :func:`_coarsen`)."""
    n_blocks = edges.size - 1
    if n_blocks == n:
        return z
    length = np.diff(edges)
    u = np.repeat(z[:n_blocks] / length, length)
    u[edges[:-1]] += z[n_blocks:]
    return u


@x64
def optimize_schedule(
    model: Any,
    total_steps: int,
    *,
    warmup_steps: int,
    peak_lr: float,
    warmup: Any = "linspace",
    convention: str | None = None,
    budgets: Sequence[int] | None = None,
    weights: Sequence[float] | None = None,
    max_area: float | None = None,
    min_lr: float = 0.0,
    init: Any = None,
    levels: Sequence[int] = (64, 512, 0),
    maxiter: int = 2000,
    ftol: float = 1e-13,
    gtol: float = 1e-12,
    max_extrapolation: float = 10.0,
    fitted_horizon: int | None = None,
    smooth: bool = False,
    debug: bool = False,
) -> ScheduleOptResult:
    """Minimise the MPL-predicted loss over non-increasing post-warmup schedules.

    Args:
        model: a fitted MPL (``FitResult``, ``(law, params)``) or a params dict with
            ``convention``.
        total_steps: T, the schedule length (the final budget).
        warmup_steps, peak_lr, warmup: the fixed warmup (see :func:`warmup_array`).
        convention: required with a bare params dict; must match the law otherwise.
        budgets: step counts ``b`` (``W < b <= T``) at which ``L̂(b - 1)`` is averaged with
            ``weights`` (default: only ``T``).
        max_area: optional cap on ``Σ_t lr[t]`` (warmup included).
        min_lr: lower bound of the post-warmup LR (default 0, as in the paper).
        init: optional starting schedule, per-step from step 0 (length T) or post-warmup only
            (length T - W); it must be non-increasing after the warmup and within
            ``[min_lr, peak_lr]``. Default: a geometric decay over the last 20 % of steps.
        levels: block counts of the multilevel solve; 0 means per step (always done last
            unless ``smooth``).
        smooth: restrict to schedules that are geometric inside each block of the finest level
            in ``levels`` (no per-step level, no jumps). The unrestricted optimum of the exact
            per-step law is typically a few-step staircase (see the module notes); ``smooth``
            gives the smooth optimum that the paper's Adam procedure approximates.
        maxiter, ftol, gtol: L-BFGS-B options per level.
        max_extrapolation: warn when ``T`` exceeds this multiple of the fitted horizon.
        fitted_horizon: the longest run the law was fitted on, in steps (read from the model
            when it knows it).
    """
    check_horizon(total_steps, warmup_steps, peak_lr)
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    params, conv, info = resolve_mpl(model, convention)
    total, w, peak = int(total_steps), int(warmup_steps), float(peak_lr)
    if total != total_steps or total < 2:
        raise ValueError(f"total_steps must be an integer >= 2, got {total_steps!r}")
    if not 0 <= w < total - 1:
        raise ValueError(f"warmup_steps must be in [0, total_steps - 1), got {warmup_steps}")
    if not (np.isfinite(peak) and peak > 0):
        raise ValueError(f"peak_lr must be a positive finite number, got {peak_lr!r}")
    if not 0.0 <= min_lr < peak:
        raise ValueError(f"min_lr must be in [0, peak_lr={peak}), got {min_lr!r}")
    warm = warmup_array(warmup, w, peak)
    n = total - w

    bud = (total,) if budgets is None else tuple(int(b) for b in budgets)
    if not bud:
        raise ValueError("budgets must be non-empty")
    for b in bud:
        if not w < b <= total:
            raise ValueError(
                f"budget {b} is outside (warmup_steps={w}, total_steps={total}]; every budget "
                "must end after the warmup and within the schedule"
            )
    wts = tuple(float(x) for x in (np.ones(len(bud)) if weights is None else weights))
    if len(wts) != len(bud) or min(wts) < 0 or sum(wts) <= 0:
        raise ValueError(
            f"weights must be {len(bud)} non-negative numbers with a positive sum, got {weights!r}"
        )

    notes: list[str] = []
    horizon = fitted_horizon or info.get("horizon")
    if horizon and total > max_extrapolation * horizon:
        notes.append(
            f"total_steps={total} is {total / horizon:.1f}x the fitted horizon ({horizon} steps); "
            "the MPL prediction is an extrapolation far beyond its data"
        )
    if max_area is not None:
        lo = float(np.sum(warm)) + min_lr * n
        if not max_area > lo:
            raise ValueError(
                f"max_area={max_area} is infeasible: the warmup plus min_lr over the remaining "
                f"steps already has area {lo}"
            )

    # ----- starting point (in u-space, per step)
    scale = peak - min_lr
    if init is not None:
        arr = np.asarray(init, dtype=np.float64)
        if arr.ndim != 1 or arr.size not in (total, n):
            raise ValueError(
                f"init must be a per-step array of length total_steps={total} or "
                f"total_steps - warmup_steps={n}, got shape {arr.shape}"
            )
        post = arr[w:] if arr.size == total else arr
        if not np.all(np.isfinite(post)) or post.min() < min_lr or post.max() > peak * (1 + 1e-12):
            i = int(np.argmax((post < min_lr) | (post > peak * (1 + 1e-12)) | ~np.isfinite(post)))
            raise ValueError(
                f"init[{w + i}] = {post[i]!r} is outside [min_lr={min_lr}, peak_lr={peak}]"
            )
        inc = np.diff(post) > 1e-12 * peak
        if inc.any():
            i = int(np.argmax(inc))
            raise ValueError(
                f"init is not non-increasing after the warmup: lr[{w + i + 1}] = {post[i + 1]!r} > "
                f"lr[{w + i}] = {post[i]!r}; the optimizer only searches non-increasing schedules"
            )
        rel = np.maximum((np.minimum(post, peak) - min_lr) / scale, 1e-13)
        u0 = np.maximum(np.diff(np.concatenate([[0.0], -np.log(rel)])), 0.0)
        level_list = [lv for lv in levels if 0 < lv < n] if smooth else [0]
    else:
        k = max(1, int(round(0.2 * n)))
        u0 = np.zeros(n)
        u0[n - k:] = np.log(100.0) / k
        level_list = [lv for lv in levels if 0 < lv < n] + ([] if smooth else [0])
    if not level_list:
        raise ValueError(f"smooth=True needs at least one block level in levels, got {levels!r}")

    jparams = {k_: np.float64(params[k_]) for k_ in MPL_PARAM_NAMES}
    import jax.numpy as jnp

    jwarm = jnp.asarray(warm)
    area_cap = np.inf if max_area is None else float(max_area)
    n_iter = n_eval = 0
    ok, msg = True, ""
    u_fine = u0
    initial = None
    for lv in level_list:
        nb = n if lv == 0 else lv
        vg, sched, edges = _objective_factory(total, w, peak, float(min_lr), conv, bud, wts, nb)
        x = _coarsen(u_fine, edges)
        if debug:
            print("level", lv, "start", vg(jnp.asarray(x), jparams, jwarm, 0.0, 1.0, np.inf)[0][0])

        def run(x, lam, rho, vg=vg, edges=edges):
            def f(z):
                (v, _), g = vg(jnp.asarray(z), jparams, jwarm, lam, rho, area_cap)
                return float(v), np.asarray(g, dtype=np.float64)

            nb_ = edges.size - 1
            bounds = [(0.0, None)] * x.size
            if smooth and x.size == 2 * nb_:  # no jump variables: piecewise-geometric blocks
                bounds = [(0.0, None)] * nb_ + [(0.0, 0.0)] * nb_
                x = np.concatenate([x[:nb_], np.zeros(nb_)])
            r = minimize(f, x, jac=True, method="L-BFGS-B", bounds=bounds,
                         options={"maxiter": maxiter, "maxcor": 20, "ftol": ftol, "gtol": gtol,
                                  "maxls": 40})
            return r

        lam, rho = 0.0, 10.0
        if initial is None:
            (v0, (l0, _)), _ = vg(jnp.asarray(x), jparams, jwarm, 0.0, 1.0, np.inf)
            initial = float(v0)
        for _outer in range(1 if max_area is None else 12):
            r = run(x, lam, rho)
            x = r.x
            n_iter += int(r.nit)
            n_eval += int(r.nfev)
            if max_area is None:
                break
            (_, (_, area)), _ = vg(jnp.asarray(x), jparams, jwarm, 0.0, 1.0, np.inf)
            h = (float(area) - area_cap) / (peak * n)
            lam = max(0.0, lam + rho * h)
            if h <= 1e-9:
                break
            rho *= 4.0
        # L-BFGS-B "ABNORMAL" line-search ends are normal at float64 precision floors.
        ok = ok and (r.success or "ABNORMAL" in str(r.message))
        msg = str(r.message)
        u_fine = _refine(x, edges, n)
        if debug:
            print("level", lv, "end", r.fun, r.nit, time.perf_counter() - t0)

    vg, sched, _ = _objective_factory(total, w, peak, float(min_lr), conv, bud, wts, n)
    (val, (losses, area)), _ = vg(jnp.asarray(u_fine), jparams, jwarm, 0.0, 1.0, np.inf)
    lr = np.asarray(sched(jnp.asarray(u_fine), jwarm))
    if max_area is not None and float(area) > max_area * (1 + 1e-6):
        notes.append(f"area constraint not met: area {float(area):.6g} > max_area {max_area:.6g}")
        ok = False
    shape_fit = fit_closed_form(lr, w, peak)
    cf, cf_loss = _best_closed_form(shape_fit, lr, params, warm, conv, bud, wts, min_lr)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return ScheduleOptResult(
        lr=lr,
        objective=float(val),
        final_loss=_final(params, lr, w, peak, conv),
        budget_losses={int(b): float(v) for b, v in zip(bud, np.asarray(losses), strict=True)},
        initial_objective=float(initial),
        closed_form=cf,
        closed_form_loss=cf_loss,
        closed_form_fit=shape_fit,
        area=float(area),
        max_area=max_area,
        convention=conv,
        params=params,
        warmup_steps=w,
        peak_lr=peak,
        n_iter=n_iter,
        n_eval=n_eval,
        converged=bool(ok),
        message=msg,
        warnings=tuple(notes),
        seconds=time.perf_counter() - t0,
    )


def _best_closed_form(start: ClosedForm, target, params, warm, conv, budgets, weights, min_lr):
    """Powell search over (decay_steps, exponent, end_value) of the power WSD from ``start``."""
    import jax.numpy as jnp
    from scipy.optimize import minimize

    from lawfit.optimize._family import _batched_loss

    total, w, peak = start.total_steps, start.warmup_steps, start.peak_lr
    n = total - w
    jp = {k: jnp.asarray(params[k]) for k in MPL_PARAM_NAMES}
    jw = jnp.asarray(warm)
    wsum = float(np.sum(weights))

    def objective(z):
        d, k, rho = z
        out = 0.0
        for b, wt in zip(budgets, weights, strict=True):
            if wt == 0:
                continue
            one = _batched_loss(total, w, peak, conv)[1]
            if b == total:
                val = one(jp, jw, d, 0, k, rho)
            else:  # the same schedule, loss at step b - 1
                val = _final(params, np.concatenate([warm, _power_decay(
                    np.arange(w, total, dtype=np.float64), total, d, k, peak, rho * peak)])[:b],
                    w, peak, conv)
            out += wt * float(val)
        return out / wsum

    lo_rho = min_lr / peak
    x0 = [start.decay_steps, min(start.exponent, 8.0), max(start.end_value / peak, lo_rho)]
    res = minimize(objective, x0, method="Powell",
                   bounds=[(1.0, float(n)), (0.05, 20.0), (lo_rho, 0.99)],
                   options={"xtol": 1e-4, "ftol": 1e-12, "maxfev": 400})
    z = res.x if res.fun <= objective(x0) else np.asarray(x0)
    d, k, rho = (float(v) for v in z)
    cf = ClosedForm(total, w, peak, n - d, d, k, rho * peak)
    rmse = float(np.sqrt(np.mean((cf.post_warmup() - np.asarray(target)[w:]) ** 2))) / peak
    cf = dataclasses.replace(cf, rmse=rmse)
    return cf, float(objective(z))


def _final(params: Mapping[str, float], lr: np.ndarray, w: int, peak: float, conv: str) -> float:
    from lawfit.optimize._predict import mpl_final_loss

    return mpl_final_loss(params, lr, w, peak_lr=peak, convention=conv)
