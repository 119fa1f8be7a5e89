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
L-BFGS-B (scipy) with the gradient of the O(T) suffix-sum objective (numpy, no compilation:
:mod:`lawfit.optimize._final_loss`). ``u`` is the log-decrement, so a decay of any depth has O(1)
coordinates (well conditioned, no floor clipping). The solve is multilevel: the ``u`` of blocks
of steps first (each spread evenly over its block, plus a jump at its first step), then per step,
each level warm-started from the previous one. The LR-area cap uses an augmented Lagrangian around
the same solver. Every number reported is the exact per-step law.

What the exact law prefers: per step, the MPL credits a decrement ``d_j`` with
``G(lr[j]^(-gamma) * S_j)`` evaluated at the LR *after* it, which rewards large single-step drops.
The unrestricted per-step optimum is therefore usually a staircase (for the 400M repo parameters:
stable until step 21611, then 4 drops to 30 %, 5 %, 0.9 % and 0.3 % of the peak, predicted loss
2.68674 vs 2.68905 for the paper's smooth optimum). ``smooth=True`` restricts the search to
schedules that are geometric within blocks (the smooth optimum, 2.68905 at 512 blocks) and is the
default: trained on the proxy (``docs/validate.md``, ``lawfit.optimize.validate_schedules``), the
staircase optimum of a well-fitted law trained worst of 12 schedules while the smooth optimum
trained level with the best WSD. Pass ``smooth=False`` for the per-step staircase.

The result carries the per-step schedule and its closest closed form: WSD with a
``(1 - p)^k`` decay to ``end_value`` (:func:`fit_closed_form`; WSDSC is ``k = 1.5``, end 0).

Progress: ``progress(fraction, phase)`` is called as the solve advances (``fraction`` in [0, 1],
non-decreasing; ``phase`` one of the :data:`SCHEDULE_PHASES` texts with the level filled in).
Nothing is compiled, so there is no compile phase.

Example:
    >>> from lawfit.optimize import optimize_schedule, MPL_REPO_PARAMS
    >>> res = optimize_schedule(MPL_REPO_PARAMS["400M"], 24000, warmup_steps=2160,
    ...                         peak_lr=3e-4, convention="repo",
    ...                         progress=lambda f, phase: None)
    >>> round(res.final_loss, 4)      # the smooth optimum (default)
    2.6891
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lawfit._validate import check_horizon
from lawfit.optimize._closed_form import ClosedForm, best_closed_form, fit_closed_form
from lawfit.optimize._final_loss import final_loss_and_grad
from lawfit.optimize._multilevel import Blocks, ScheduleLoss
from lawfit.optimize._predict import resolve_mpl
from lawfit.optimize._threads import one_blas_thread
from lawfit.optimize._warmup import warmup_array

__all__ = ["ScheduleOptResult", "optimize_schedule", "SCHEDULE_PHASES", "ProgressFn"]

#: ``progress(fraction, phase)``: fraction done in [0, 1] and what is being done.
ProgressFn = Callable[[float, str], None]

#: The phases reported to ``progress``, in order (``{blocks}`` is the block count of the level).
SCHEDULE_PHASES = (
    "search over {blocks} blocks",
    "per-step refinement",
    "closed form",
    "done",
)


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


def _check_init(init: Any, total: int, w: int, peak: float, min_lr: float) -> np.ndarray:
    """The per-step ``u`` of a user's starting schedule (validated)."""
    n = total - w
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
    rel = np.maximum((np.minimum(post, peak) - min_lr) / (peak - min_lr), 1e-13)
    return np.maximum(np.diff(np.concatenate([[0.0], -np.log(rel)])), 0.0)


def _check_budgets(budgets, weights, w: int, total: int) -> tuple[tuple[int, ...], np.ndarray]:
    bud = (total,) if budgets is None else tuple(int(b) for b in budgets)
    if not bud:
        raise ValueError("budgets must be non-empty")
    for b in bud:
        if not w < b <= total:
            raise ValueError(
                f"budget {b} is outside (warmup_steps={w}, total_steps={total}]; every budget "
                "must end after the warmup and within the schedule"
            )
    wts = np.asarray(np.ones(len(bud)) if weights is None else weights, dtype=np.float64)
    if wts.shape != (len(bud),) or wts.min() < 0 or wts.sum() <= 0:
        raise ValueError(
            f"weights must be {len(bud)} non-negative numbers with a positive sum, got {weights!r}"
        )
    return bud, wts


@one_blas_thread
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
    smooth: bool = True,
    progress: ProgressFn | None = None,
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
        smooth: True (default) restricts to schedules that are geometric inside each block of
            the finest level in ``levels`` (no per-step level, no jumps): the smooth optimum that
            the paper's Adam procedure approximates. ``False`` solves the unrestricted per-step
            law, whose optimum is typically a few-step staircase (see the module notes). The
            default follows the closed-loop evidence in ``docs/validate.md``: trained on the
            proxy, the staircase lost to plain WSD while the smooth optimum matched it.
        maxiter, ftol, gtol: L-BFGS-B options per level.
        max_extrapolation: warn when ``T`` exceeds this multiple of the fitted horizon.
        fitted_horizon: the longest run the law was fitted on, in steps (read from the model
            when it knows it).
        progress: optional ``progress(fraction, phase)`` callback (see the module notes), e.g.
            for a progress bar; exceptions it raises abort the solve.
    """
    check_horizon(total_steps, warmup_steps, peak_lr)
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    report = progress or (lambda fraction, phase: None)
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
    bud, wts = _check_budgets(budgets, weights, w, total)

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

    block_levels = [lv for lv in levels if 0 < lv < n]
    if init is not None:
        u = _check_init(init, total, w, peak, float(min_lr))
        level_list = block_levels if smooth else [0]
    else:  # a geometric decay by 100x over the last 20 % of the steps
        k = max(1, int(round(0.2 * n)))
        u = np.zeros(n)
        u[n - k:] = np.log(100.0) / k
        level_list = block_levels + ([] if smooth else [0])
    if not level_list:
        raise ValueError(f"smooth=True needs at least one block level in levels, got {levels!r}")

    problem = ScheduleLoss(params, warm, peak, float(min_lr), conv, bud, wts / wts.sum())
    area_cap = np.inf if max_area is None else float(max_area)
    initial = problem.evaluate(u)[0]
    # share of the progress bar per level: block levels dominate, the per-step level polishes
    shares = np.array([1.0 if lv else 0.3 for lv in level_list])
    shares = 0.9 * shares / shares.sum()
    done = 0.0
    n_iter = n_eval = 0
    ok, msg = True, ""
    for lv, share in zip(level_list, shares, strict=True):
        blocks = Blocks.of(n, lv) if lv else None
        phase = SCHEDULE_PHASES[0].format(blocks=lv) if lv else SCHEDULE_PHASES[1]
        x = blocks.from_steps(u) if blocks else u
        bounds = [(0.0, None)] * x.size
        if smooth and blocks:  # no jump variables: piecewise-geometric blocks
            nb = blocks.length.size
            x = np.concatenate([x[:nb], np.zeros(nb)])
            bounds = [(0.0, None)] * nb + [(0.0, 0.0)] * nb
        report(float(done), phase)
        iters = [0]

        def step(_xk, phase=phase, start=done, share=share, iters=iters):
            iters[0] += 1  # L-BFGS-B usually needs 30-150 iterations per level
            report(float(start + share * (1.0 - np.exp(-iters[0] / 40.0))), phase)

        lam, rho = 0.0, 10.0
        for _outer in range(1 if max_area is None else 12):
            def f(z, lam=lam, rho=rho, blocks=blocks):
                v, g, _, _ = problem.evaluate(blocks.to_steps(z) if blocks else z, lam, rho,
                                              area_cap)
                return v, blocks.grad(g) if blocks else g

            r = minimize(f, x, jac=True, method="L-BFGS-B", bounds=bounds, callback=step,
                         options={"maxiter": maxiter, "maxcor": 20, "ftol": ftol, "gtol": gtol,
                                  "maxls": 40})
            x = r.x
            n_iter += int(r.nit)
            n_eval += int(r.nfev)
            if max_area is None:
                break
            area = problem.evaluate(blocks.to_steps(x) if blocks else x)[3]
            h = (area - area_cap) / (peak * n)
            lam = max(0.0, lam + rho * h)
            if h <= 1e-9:
                break
            rho *= 4.0
        # L-BFGS-B "ABNORMAL" line-search ends are normal at float64 precision floors.
        ok = ok and (r.success or "ABNORMAL" in str(r.message))
        msg = str(r.message)
        u = blocks.to_steps(x) if blocks else x
        done += share
    report(float(done), SCHEDULE_PHASES[2])

    val, _, losses, area = problem.evaluate(u)
    lr = problem.lr(u)
    if max_area is not None and area > max_area * (1 + 1e-6):
        notes.append(f"area constraint not met: area {area:.6g} > max_area {max_area:.6g}")
        ok = False
    final = losses[bud.index(total)] if total in bud else final_loss_and_grad(
        params, lr, w, peak, conv)[0]
    shape_fit = fit_closed_form(lr, w, peak)
    cf, cf_loss = best_closed_form(shape_fit, lr, params, warm, conv, bud, wts, min_lr)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    report(1.0, SCHEDULE_PHASES[3])
    return ScheduleOptResult(
        lr=lr,
        objective=float(val),
        final_loss=float(final),
        budget_losses={int(b): float(v) for b, v in zip(bud, losses, strict=True)},
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
