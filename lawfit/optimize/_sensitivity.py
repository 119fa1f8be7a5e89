"""How much predicted loss simple schedule choices give away under a fitted Multi-Power Law.

* ``closed_form_gap``: best WSD + ``(1 - p)^k`` (the optimizer's ``closed_form``) minus the
  free-form optimum;
* ``best_family_gap``: best member of the family search (any shape) minus the free-form optimum;
* ``decay_fraction_gap``: for the best WSD, the loss lost when its decay length is mis-chosen by
  ``-20 %`` and ``+20 %`` (every other parameter kept).

Example:
    >>> from lawfit.optimize import schedule_sensitivity, MPL_REPO_PARAMS
    >>> s = schedule_sensitivity(MPL_REPO_PARAMS["400M"], 24000, warmup_steps=2160,
    ...                          peak_lr=3e-4, convention="repo")
    >>> 0 <= s.closed_form_gap < 0.01
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lawfit._validate import check_horizon
from lawfit._x64 import x64
from lawfit.optimize._family import FamilyResult, family_lr, search_family
from lawfit.optimize._predict import mpl_final_loss, resolve_mpl
from lawfit.optimize._schedule_opt import ScheduleOptResult, optimize_schedule

__all__ = ["Sensitivity", "schedule_sensitivity"]


@dataclasses.dataclass(frozen=True)
class Sensitivity:
    """Loss differences (predicted, positive = worse) relative to the free-form optimum.

    Attributes:
        free_form_loss: the optimizer's final loss.
        closed_form_loss, closed_form_gap: best WSD + ``(1 - p)^k`` and its gap.
        best_family, best_family_loss, best_family_gap: best row of the family search.
        wsd: the best WSD row (family search, any decay shape).
        decay_fraction_losses: ``{factor: loss}`` of that WSD with its decay length times
            ``factor`` (default 0.8 and 1.2); ``decay_fraction_gap``: ``{factor: loss - wsd loss}``.
        optimum, family: the underlying results.
    """

    free_form_loss: float
    closed_form_loss: float
    closed_form_gap: float
    best_family: str
    best_family_loss: float
    best_family_gap: float
    wsd: dict[str, Any]
    decay_fraction_losses: dict[float, float]
    decay_fraction_gap: dict[float, float]
    optimum: ScheduleOptResult
    family: FamilyResult

    def summary(self) -> dict[str, float]:
        out = {
            "free_form_loss": self.free_form_loss,
            "closed_form_gap": self.closed_form_gap,
            "best_family_gap": self.best_family_gap,
            "wsd_decay_fraction": self.wsd["decay_fraction"],
        }
        out.update({f"decay_x{f:g}_gap": g for f, g in self.decay_fraction_gap.items()})
        return out


@x64
def schedule_sensitivity(
    model: Any,
    total_steps: int,
    *,
    warmup_steps: int,
    peak_lr: float,
    warmup: Any = "linspace",
    convention: str | None = None,
    factors: Sequence[float] = (0.8, 1.2),
    optimum: ScheduleOptResult | None = None,
    family: FamilyResult | None = None,
) -> Sensitivity:
    """Loss lost by the closed form and by a mis-chosen WSD decay fraction (final-step objective).

    ``optimum`` / ``family`` reuse earlier :func:`optimize_schedule` / :func:`search_family`
    results for the same model and horizon.
    """
    check_horizon(total_steps, warmup_steps, peak_lr)
    params, conv, _ = resolve_mpl(model, convention)
    kw = dict(warmup_steps=warmup_steps, peak_lr=peak_lr, warmup=warmup, convention=conv)
    if any(f <= 0 for f in factors):
        raise ValueError(f"factors must be positive, got {list(factors)}")
    if optimum is None:
        optimum = optimize_schedule(params, total_steps, **kw)
    if family is None:
        family = search_family(params, total_steps, **kw)
    if optimum.total_steps != total_steps or family.best[next(iter(family.best))][
            "total_steps"] != total_steps:
        raise ValueError("optimum and family must be computed for the same total_steps")
    if "wsd" not in family.best:
        raise ValueError("family must include the 'wsd' family")
    wsd = family.best["wsd"]
    n = total_steps - warmup_steps
    losses = {}
    for f in factors:
        row = dict(wsd, decay_steps=float(np.clip(wsd["decay_steps"] * f, 1.0, n)))
        losses[float(f)] = mpl_final_loss(params, family_lr(row, warmup), warmup_steps,
                                          peak_lr=peak_lr, convention=conv)
    best = family.table[0]
    free = optimum.final_loss
    return Sensitivity(
        free_form_loss=free,
        closed_form_loss=optimum.closed_form_loss,
        closed_form_gap=optimum.closed_form_loss - free,
        best_family=f"{best['family']}:{best['shape']}",
        best_family_loss=best["final_loss"],
        best_family_gap=best["final_loss"] - free,
        wsd=wsd,
        decay_fraction_losses=losses,
        decay_fraction_gap={f: v - wsd["final_loss"] for f, v in losses.items()},
        optimum=optimum,
        family=family,
    )
