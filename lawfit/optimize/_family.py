"""Best closed-form schedule of each family under a fitted Multi-Power Law.

One grid evaluation of the MPL-predicted final loss over every family's parameters (numpy,
only the steps after each plateau),
then a local (bounded Powell) refinement of the best grid point of each family. Families, all
with the fixed warmup and peak ``eta_max``, ``n = T - W`` post-warmup steps, ``rho = eta_min /
eta_max`` and ``p = clip((t - (T - D)) / D, 0, 1)`` (SCHEDULES.md sections 3, 4)::

    wsd:      eta = eta_min + (eta_max - eta_min) * g(p),   D = decay_steps <= n
              g = (1 - p)^k ("power", k = 1 linear, k = 1.5 WSDSC), 0.5 (1 + cos(pi p))
              ("cosine"), 1 - sqrt(p) ("1-sqrt"); "geometric": eta = eta_max * rho^p
    cosine:   the "cosine" shape with D = n (cosine over the whole post-warmup)
    linear:   the power shape with k = 1 and D = n
    constant: eta = eta_max

Example:
    >>> from lawfit.optimize import search_family, MPL_REPO_PARAMS
    >>> fam = search_family(MPL_REPO_PARAMS["400M"], 24000, warmup_steps=2160, peak_lr=3e-4,
    ...                     convention="repo")
    >>> fam.best["wsd"]["final_loss"] < fam.best["cosine"]["final_loss"]
    True
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from lawfit._validate import check_horizon
from lawfit.optimize._final_loss import final_losses
from lawfit.optimize._predict import resolve_mpl
from lawfit.optimize._schedule_opt import ProgressFn
from lawfit.optimize._threads import one_blas_thread
from lawfit.optimize._warmup import warmup_array

__all__ = ["FamilyResult", "search_family", "family_lr", "FAMILY_SHAPES"]

FAMILY_SHAPES = ("power", "cosine", "1-sqrt", "geometric")
_FAMILIES = ("wsd", "cosine", "linear", "constant")


def _shape_lr(t, total, decay, shape_id: int, k, rho, peak):
    """Post-warmup LR at steps ``t`` of the members ``(k, rho)`` (arrays broadcast against
    ``t``) of one shape with decay length ``decay``."""
    p = np.clip((t - (total - decay)) / decay, 0.0, 1.0)
    if shape_id == 3:
        return peak * np.maximum(rho, 1e-12) ** p
    if shape_id == 0:
        g = (1.0 - p) ** np.maximum(k, 1e-6)
    elif shape_id == 1:
        g = 0.5 * (1.0 + np.cos(np.pi * p))
    else:
        g = 1.0 - np.sqrt(p)
    return rho * peak + (1.0 - rho) * peak * g


def _decay_losses(params, warm, total, peak, conv, decay, shape_id, k, rho) -> np.ndarray:
    """Final losses of the members ``(k[i], rho[i])`` of one shape and decay length: only the
    steps after the plateau (``t > total - decay``) are computed."""
    w = warm.size
    s = min(max(int(np.floor(total - decay)) + 1, w), total)
    t = np.arange(s, total, dtype=np.float64)
    k, rho = (np.asarray(v, dtype=np.float64).reshape(-1, 1) for v in (k, rho))
    tail = _shape_lr(t[None, :], total, decay, shape_id, k, rho, peak) * np.ones((k.size, 1))
    return final_losses(params, warm, s - w, tail, peak, conv)


def family_lr(entry: dict[str, Any], warmup: Any = "linspace") -> np.ndarray:
    """Per-step LR (from step 0) of a row of :attr:`FamilyResult.table`."""
    total, w, peak = entry["total_steps"], entry["warmup_steps"], entry["peak_lr"]
    t = np.arange(w, total, dtype=np.float64)
    post = _shape_lr(t, total, float(entry["decay_steps"]), FAMILY_SHAPES.index(entry["shape"]),
                     float(entry["exponent"]), float(entry["end_ratio"]), peak)
    return np.concatenate([warmup_array(warmup, w, peak), post])


@dataclasses.dataclass(frozen=True)
class FamilyResult:
    """Outcome of :func:`search_family`.

    Attributes:
        best: ``{family: row}`` of the refined best member of each family.
        table: the rows of ``best`` sorted by predicted final loss; each row has ``family``,
            ``shape``, ``decay_steps``, ``decay_fraction``, ``exponent``, ``end_ratio``,
            ``end_value``, ``final_loss``, ``grid_loss`` (before refinement), ``delta``
            (to the best row), ``total_steps``, ``warmup_steps``, ``peak_lr``.
        grid_size: number of schedules evaluated in the vmapped grid.
        seconds: wall time.
    """

    best: dict[str, dict[str, Any]]
    table: list[dict[str, Any]]
    grid_size: int
    convention: str
    seconds: float

    def lr(self, family: str = "wsd", warmup: Any = "linspace") -> np.ndarray:
        return family_lr(self.best[family], warmup)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.table)


@one_blas_thread
def search_family(
    model: Any,
    total_steps: int,
    *,
    warmup_steps: int,
    peak_lr: float,
    warmup: Any = "linspace",
    convention: str | None = None,
    families: Sequence[str] = _FAMILIES,
    decay_fractions: Sequence[float] | None = None,
    exponents: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0),
    end_ratios: Sequence[float] = (0.0, 0.003, 0.01, 0.03, 0.1, 0.2),
    refine: bool = True,
    progress: ProgressFn | None = None,
) -> FamilyResult:
    """Best member of each schedule family by MPL-predicted final loss (grid + refinement).

    Args:
        model: fitted MPL (``FitResult`` / ``(law, params)``) or a params dict + ``convention``.
        total_steps, warmup_steps, peak_lr, warmup: the horizon and the fixed warmup.
        families: any of ``"wsd"``, ``"cosine"``, ``"linear"``, ``"constant"``.
        decay_fractions: WSD decay lengths as fractions of ``total_steps`` (default 1 %..60 %).
        exponents: grid of ``k`` for the power shape; end_ratios: grid of ``rho``.
        refine: polish each family's best grid point with bounded Powell on (D, k, rho).
        progress: optional ``progress(fraction, phase)`` callback, as for
            :func:`~lawfit.optimize.optimize_schedule`.
    """
    check_horizon(total_steps, warmup_steps, peak_lr)
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    params, conv, _ = resolve_mpl(model, convention)
    total, w, peak = int(total_steps), int(warmup_steps), float(peak_lr)
    if not 0 <= w < total - 1:
        raise ValueError(f"warmup_steps must be in [0, total_steps - 1), got {warmup_steps}")
    unknown = set(families) - set(_FAMILIES)
    if unknown or not families:
        raise ValueError(f"families must be a non-empty subset of {_FAMILIES}, got {families!r}")
    n = total - w
    fracs = np.asarray(decay_fractions if decay_fractions is not None
                       else np.geomspace(0.01, 0.6, 30), dtype=np.float64)
    if fracs.min() <= 0:
        raise ValueError(f"decay_fractions must be positive, got {fracs.tolist()}")
    decays = np.minimum(fracs * total, n)
    rhos = np.asarray(end_ratios, dtype=np.float64)
    if rhos.min() < 0 or rhos.max() >= 1:
        raise ValueError(f"end_ratios must lie in [0, 1), got {rhos.tolist()}")

    rows: list[tuple[str, float, int, float, float]] = []  # family, D, shape, k, rho
    for fam in families:
        if fam == "wsd":
            for d, r in itertools.product(decays, rhos):
                rows += [(fam, d, 0, k, r) for k in exponents]
                rows += [(fam, d, s, 1.0, r) for s in (1, 2)]
                rows += [(fam, d, 3, 1.0, max(r, 1e-3))]
        elif fam == "cosine":
            rows += [(fam, float(n), 1, 1.0, r) for r in np.linspace(0.0, 0.5, 26)]
        elif fam == "linear":
            rows += [(fam, float(n), 0, 1.0, r) for r in np.linspace(0.0, 0.5, 26)]
        else:
            rows += [(fam, float(n), 0, 1.0, 1.0 - 1e-15)]
    warm = warmup_array(warmup, w, peak)
    report = progress or (lambda fraction, phase: None)
    report(0.0, f"grid of {len(rows)} schedules")
    groups: dict[tuple[float, int], list[int]] = {}  # members sharing a decay length and shape
    for i, r in enumerate(rows):
        groups.setdefault((r[1], r[2]), []).append(i)
    losses = np.empty(len(rows))
    for (d, s), idx in groups.items():
        losses[idx] = _decay_losses(params, warm, total, peak, conv, d, s,
                                    [rows[i][3] for i in idx], [rows[i][4] for i in idx])

    best: dict[str, dict[str, Any]] = {}
    for j, fam in enumerate(families):
        report(0.5 + 0.5 * j / len(families), f"refining the best {fam} schedule")
        idx = [i for i, r in enumerate(rows) if r[0] == fam]
        i = idx[int(np.nanargmin(losses[idx]))]
        _, d, s, k, r = rows[i]
        loss = float(losses[i])
        grid_loss = loss
        if refine and fam != "constant":
            def f(z, s=s, fam=fam):
                dd = z[0] if fam == "wsd" else float(n)
                kk = z[1] if s == 0 and fam == "wsd" else 1.0
                return float(_decay_losses(params, warm, total, peak, conv, dd, s, kk, z[2])[0])

            lo_r = 1e-6 if s == 3 else 0.0
            bounds = [(1.0, float(n)), (0.05, 20.0), (lo_r, 0.99)]
            res = minimize(f, [d, k, max(r, lo_r)], method="Powell", bounds=bounds,
                           options={"xtol": 1e-4, "ftol": 1e-12, "maxfev": 600})
            if res.fun < loss:
                loss = float(res.fun)
                d = float(res.x[0]) if fam == "wsd" else float(n)
                k = float(res.x[1]) if s == 0 and fam == "wsd" else 1.0
                r = float(res.x[2])
        best[fam] = {
            "family": fam,
            "shape": FAMILY_SHAPES[s],
            "decay_steps": float(d),
            "decay_fraction": float(d) / total,
            "exponent": float(k),
            "end_ratio": float(r),
            "end_value": float(r) * peak,
            "final_loss": loss,
            "grid_loss": grid_loss,
            "total_steps": total,
            "warmup_steps": w,
            "peak_lr": peak,
        }
    report(1.0, "done")
    table = sorted(best.values(), key=lambda row: row["final_loss"])
    for row in table:
        row["delta"] = row["final_loss"] - table[0]["final_loss"]
    return FamilyResult(best, table, len(rows), conv, time.perf_counter() - t0)
