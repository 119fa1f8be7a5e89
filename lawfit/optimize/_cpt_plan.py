"""CPT planner: balance the general (D_pt) and domain (D_cpt) losses (LAWS.md 6.3, 6.5-6.7).

:func:`plan_cpt` scores a grid of CPT plans, each a choice of

* loss potential p of the starting checkpoint (the PT run's last ``pt_anneal_steps`` are cosine-
  annealed from its peak to ``p * peak``; ``None`` keeps the PT LR as given),
* CPT peak LR, CPT steps (linear re-warmup over ``cpt_warmup`` steps from the PT final LR, then
  ``cpt_decay`` to ``cpt_final_ratio * peak``), and
* replay ratio r_pt (needs CPT fits with the replay extension),

with the two fitted CPT laws, and picks for each ``lambda1`` the plan minimising the balance
objective ``lambda1 * L_pt + (1 - lambda1) * L_cpt`` at the end of CPT (Eq. 5; equivalent to the
dL form because the reference losses do not depend on the plan). It returns the Pareto front of
(L_pt, L_cpt) over the plans, and, with bootstrap draws, how often each choice is re-selected.

:func:`fit_ood_mix` fits the out-of-domain loss as a free linear mix
``L_ood = c_pt * L_pt + c_cpt * L_cpt`` (Eq. 6; no intercept, no constraint).

Example:
    >>> import numpy as np
    >>> from lawfit.fitting import FitResult
    >>> from lawfit.laws import CPTLaw
    >>> pt = dict(L0=3.057, A=0.490, alpha=0.497, C1=0.299, C2=0.298, B=0.366, E=28.0, beta=0.189)
    >>> cpt = dict(L0=3.024, A=0.412, alpha=0.677, C1=0.278, C2=0.324, B=-0.666, E=5662.0, beta=0.146)
    >>> f_pt, f_cpt = FitResult(law=CPTLaw(), params=pt), FitResult(law=CPTLaw(), params=cpt)
    >>> pt_lr = np.full(20000, 2e-4)
    >>> plan = plan_cpt(f_pt, f_cpt, pt_lr=pt_lr, peak_lrs=[1e-4, 2e-4], cpt_steps=[5000],
    ...                 lambdas=[0.0, 1.0])
    >>> [c.candidate["peak_lr"] for c in plan.choices]  # domain-only vs general-only
    [0.0002, 0.0001]
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lawfit._x64 import x64
from lawfit.optimize._mixture import _predict_stack, param_stack

__all__ = ["CPTChoice", "CPTPlan", "OODMix", "plan_cpt", "fit_ood_mix", "cpt_lr"]


@dataclass(frozen=True)
class CPTChoice:
    """The best plan for one ``lambda1``.

    Attributes:
        lambda1: weight of L_pt (L_cpt gets ``1 - lambda1``).
        index: index of the chosen candidate in :attr:`CPTPlan.candidates`.
        candidate: the chosen hyperparameters.
        L_pt, L_cpt, objective: predicted losses and objective of the choice.
        agreement: fraction of bootstrap draws that choose the same candidate (None w/o draws).
        draw_choices: chosen candidate index under each draw (None without draws).
        interval_L_pt, interval_L_cpt: central intervals of the choice's losses under the draws.
    """

    lambda1: float
    index: int
    candidate: dict[str, Any]
    L_pt: float
    L_cpt: float
    objective: float
    agreement: float | None = None
    draw_choices: np.ndarray | None = None
    interval_L_pt: tuple[float, float] | None = None
    interval_L_cpt: tuple[float, float] | None = None


@dataclass(frozen=True)
class CPTPlan:
    """All scored candidates, their predicted losses, the Pareto front and the per-lambda choices."""

    candidates: tuple[dict[str, Any], ...]
    L_pt: np.ndarray
    L_cpt: np.ndarray
    pareto: tuple[int, ...]
    choices: tuple[CPTChoice, ...]
    L_pt_draws: np.ndarray | None = None
    L_cpt_draws: np.ndarray | None = None
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


def cpt_lr(
    start_lr: float,
    peak_lr: float,
    steps: int,
    *,
    warmup: int = 100,
    decay: str = "cosine",
    final_ratio: float = 0.1,
) -> np.ndarray:
    """Default CPT phase LR: linear re-warmup from ``start_lr`` to ``peak_lr`` over ``warmup``
    steps (values at steps 1..warmup), then ``"cosine"`` to ``final_ratio * peak_lr`` or
    ``"constant"``."""
    if steps <= warmup:
        raise ValueError(f"cpt steps ({steps}) must exceed the CPT warmup ({warmup})")
    if decay not in ("cosine", "constant"):
        raise ValueError(f"decay must be 'cosine' or 'constant', got {decay!r}")
    w = np.linspace(start_lr, peak_lr, warmup + 1)[1:]
    n = steps - warmup
    if decay == "constant":
        rest = np.full(n, peak_lr)
    else:
        t = np.arange(n) / max(n - 1, 1)
        rest = peak_lr * (final_ratio + (1 - final_ratio) * 0.5 * (1 + np.cos(np.pi * t)))
    return np.r_[w, rest]


def _anneal(pt_lr: np.ndarray, potential: float | None, steps: int) -> np.ndarray:
    if potential is None:
        return pt_lr
    if not 0 <= potential <= 1:
        raise ValueError(f"loss potential must be in [0, 1] (final/peak LR of PT), got {potential!r}")
    if not 0 < steps < pt_lr.size:
        raise ValueError(f"pt_anneal_steps={steps} must be in 1..len(pt_lr)-1")
    lr = pt_lr.copy()
    peak = float(pt_lr.max())
    t = np.arange(1, steps + 1) / steps
    lr[-steps:] = peak * (potential + (1 - potential) * 0.5 * (1 + np.cos(np.pi * t)))
    return lr


def _pareto(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    order = np.lexsort((b, a))
    front, best_b = [], math.inf
    for i in order:
        if b[i] < best_b:
            front.append(int(i))
            best_b = b[i]
    return tuple(front)


@x64
def plan_cpt(
    pt_fit: Any,
    cpt_fit: Any,
    *,
    pt_lr: np.ndarray,
    peak_lrs: Sequence[float],
    cpt_steps: Sequence[int],
    loss_potentials: Sequence[float | None] = (None,),
    replay_ratios: Sequence[float | None] = (None,),
    lambdas: Sequence[float] = tuple(np.linspace(0.0, 1.0, 11)),
    pt_anneal_steps: int | None = None,
    cpt_warmup: int = 100,
    cpt_decay: str = "cosine",
    cpt_final_ratio: float = 0.1,
    make_cpt_lr: Callable[..., np.ndarray] | None = None,
    meta: dict[str, Any] | None = None,
    coverage: float = 0.9,
) -> CPTPlan:
    """Score every combination of the candidate values and choose per ``lambda1`` (see module).

    Args:
        pt_fit, cpt_fit: FitResults of :class:`lawfit.laws.CPTLaw` on the D_pt and D_cpt losses.
        pt_lr: the PT phase's per-step LR (from step 0, warmup included).
        peak_lrs, cpt_steps, loss_potentials, replay_ratios: candidate values.
        lambdas: weights lambda1 of L_pt.
        pt_anneal_steps: PT annealing length for loss potentials (default 10% of PT).
        make_cpt_lr: ``f(start_lr, peak_lr, steps) -> array`` replacing the default :func:`cpt_lr`.
        meta: extra run metadata (e.g. ``{"N": 1e8}`` for size-extended fits).
    """
    from lawfit.laws._cpt import CPTLaw
    from lawfit.runs import Run, RunSet

    for nm, res in (("pt_fit", pt_fit), ("cpt_fit", cpt_fit)):
        if not isinstance(getattr(res, "law", None), CPTLaw):
            raise ValueError(f"plan_cpt({nm}): expected a FitResult of CPTLaw, got {getattr(res, 'law', None)!r}")
        if res.law.released:
            raise ValueError(f"plan_cpt({nm}): released-model fits cannot change the PT phase")
        if res.law.replay is None and any(r is not None for r in replay_ratios):
            raise ValueError(
                f"plan_cpt({nm}): replay ratios need a fit with CPTLaw(replay='pt'/'cpt'); this fit "
                "has no replay term"
            )
    lams = np.asarray(lambdas, dtype=np.float64)
    if np.any((lams < 0) | (lams > 1)):
        raise ValueError(f"lambdas must be in [0, 1], got {lams.tolist()}")
    pt_lr = np.asarray(pt_lr, dtype=np.float64)
    k_anneal = pt_anneal_steps or max(1, pt_lr.size // 10)
    builder = make_cpt_lr or (
        lambda start, peak, n: cpt_lr(start, peak, n, warmup=cpt_warmup, decay=cpt_decay, final_ratio=cpt_final_ratio)
    )
    candidates, runs = [], []
    for i, (pot, peak, n, rep) in enumerate(itertools.product(loss_potentials, peak_lrs, cpt_steps, replay_ratios)):
        pt = _anneal(pt_lr, pot, k_anneal)
        lr = np.r_[pt, builder(float(pt[-1]), float(peak), int(n))]
        m = dict(meta or {}, cpt_start_step=int(pt.size))
        if rep is not None:
            m["replay_ratio"] = float(rep)
        candidates.append({"loss_potential": pot, "peak_lr": float(peak), "cpt_steps": int(n), "replay_ratio": rep})
        runs.append(Run(f"plan{i}", lr=lr, meta=m))
    rs = RunSet(runs)
    steps = {r.run_id: [r.total_steps - 1] for r in runs}
    out = []
    for res in (pt_fit, cpt_fit):
        x = res.law.prepare(rs, steps=steps, predict=True, exclude_warmup=False).x
        out.append(_predict_stack(res.law, param_stack(res), x))
    n_draws = min(out[0].shape[0], out[1].shape[0]) - 1
    Lpt, Lcpt = out[0][0], out[1][0]
    choices = []
    for lam in lams:
        obj = lam * Lpt + (1 - lam) * Lcpt
        j = int(np.nanargmin(obj))
        agree = dchoice = ipt = icpt = None
        if n_draws > 0:
            objd = lam * out[0][1 : n_draws + 1] + (1 - lam) * out[1][1 : n_draws + 1]
            dchoice = np.nanargmin(np.where(np.isfinite(objd), objd, np.inf), axis=1)
            agree = float(np.mean(dchoice == j))
            q = [(1 - coverage) / 2, (1 + coverage) / 2]
            ipt = tuple(float(v) for v in np.quantile(out[0][1 : n_draws + 1, j], q))
            icpt = tuple(float(v) for v in np.quantile(out[1][1 : n_draws + 1, j], q))
        choices.append(
            CPTChoice(float(lam), j, candidates[j], float(Lpt[j]), float(Lcpt[j]), float(obj[j]), agree, dchoice, ipt, icpt)
        )
    warns = tuple(f"{nm}: {w}" for nm, res in (("pt_fit", pt_fit), ("cpt_fit", cpt_fit)) for w in res.law.diagnostics(res.params))
    for w in warns:
        warnings.warn(w, stacklevel=3)
    return CPTPlan(
        candidates=tuple(candidates),
        L_pt=Lpt,
        L_cpt=Lcpt,
        pareto=_pareto(Lpt, Lcpt),
        choices=tuple(choices),
        L_pt_draws=out[0][1 : n_draws + 1] if n_draws > 0 else None,
        L_cpt_draws=out[1][1 : n_draws + 1] if n_draws > 0 else None,
        warnings=warns,
        details={"pt_anneal_steps": k_anneal, "cpt_warmup": cpt_warmup, "cpt_decay": cpt_decay},
    )


@dataclass(frozen=True)
class OODMix:
    """``L_ood = coef_pt * L_pt + coef_cpt * L_cpt`` (Eq. 6), with least-squares standard errors."""

    coef_pt: float
    coef_cpt: float
    stderr: tuple[float, float]
    max_abs_error: float

    def predict(self, L_pt: Any, L_cpt: Any) -> np.ndarray:
        return self.coef_pt * np.asarray(L_pt, np.float64) + self.coef_cpt * np.asarray(L_cpt, np.float64)


def fit_ood_mix(L_pt: Any, L_cpt: Any, L_ood: Any) -> OODMix:
    """Least-squares fit of ``L_ood ~ c_pt L_pt + c_cpt L_cpt`` (no intercept, free signs)."""
    a, b, y = (np.asarray(v, np.float64).reshape(-1) for v in (L_pt, L_cpt, L_ood))
    if not (a.size == b.size == y.size):
        raise ValueError(f"L_pt, L_cpt, L_ood must have equal lengths, got {a.size}, {b.size}, {y.size}")
    if a.size < 3:
        raise ValueError(f"fit_ood_mix needs at least 3 points for 2 coefficients, got {a.size}")
    bad = np.flatnonzero(~(np.isfinite(a) & np.isfinite(b) & np.isfinite(y)))
    if bad.size:
        raise ValueError(f"point {int(bad[0])} has a non-finite loss")
    X = np.c_[a, b]
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    s2 = float(resid @ resid) / max(a.size - 2, 1)
    cov = s2 * np.linalg.pinv(X.T @ X)
    return OODMix(float(coef[0]), float(coef[1]), (float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))), float(np.max(np.abs(resid))))
