"""Momentum-law areas S1 (forward area) and S2 (annealing area) for the CPT law.

LAWS.md section 3.1, 0-based form: with the substituted array ``eta`` (the PT warmup replaced by
``eta_max`` under the "warmup as eta_max" convention),

    S1(s) = sum_{i=0..s} eta[i]
    m[0]  = 0,   m[i] = lam * m[i-1] + (eta[i-1] - eta[i])
    S2(s) = sum_{i=0..s} m[i]

The recurrence is a first-order linear filter, evaluated exactly with ``scipy.signal.lfilter``
(float64, O(T)); no ``lam^(-k)`` expansion, so long runs do not overflow.

For continual pre-training (LAWS.md 6.1) the areas are split at the CPT start ``c``:
``S1_pt, S2_pt`` sum indices ``< c`` (capped at the point's step), ``S1_cpt, S2_cpt`` sum indices
``c..s``. ``momentum="carry"`` continues ``m`` over the boundary (the PT decay tail leaks into
S2_cpt); ``"reset"`` restarts it at the boundary, keeping only the boundary increment
``eta[c-1] - eta[c]``.

Example:
    >>> import numpy as np
    >>> s1, s2 = areas(np.array([1.0, 1.0, 0.5]), lam=0.5)
    >>> s1.tolist(), s2.tolist()
    ([1.0, 2.0, 2.5], [0.0, 0.0, 0.5])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.signal import lfilter

__all__ = ["areas", "momentum", "substitute_warmup", "CPTAreas", "cpt_areas"]


def substitute_warmup(lr: np.ndarray, warmup_steps: int, eta_max: float | None = None) -> np.ndarray:
    """``lr`` with indices ``< warmup_steps`` replaced by ``eta_max`` (default: ``lr.max()``)."""
    lr = np.asarray(lr, dtype=np.float64).copy()
    if warmup_steps > 0:
        lr[:warmup_steps] = lr.max() if eta_max is None else eta_max
    return lr


def momentum(eta: np.ndarray, lam: float, *, reset_at: int | None = None) -> np.ndarray:
    """The LR-annealing momentum ``m`` of ``eta`` (``m[0] = 0``); restarted at ``reset_at``."""
    eta = np.asarray(eta, dtype=np.float64)
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    if reset_at is None or reset_at <= 0 or reset_at >= eta.size:
        return lfilter([1.0], [1.0, -lam], d)
    c = int(reset_at)
    return np.concatenate([lfilter([1.0], [1.0, -lam], d[:c]), lfilter([1.0], [1.0, -lam], d[c:])])


def areas(eta: np.ndarray, lam: float = 0.999) -> tuple[np.ndarray, np.ndarray]:
    """Per-step ``(S1, S2)`` of the (already warmup-substituted) LR array ``eta``."""
    eta = np.asarray(eta, dtype=np.float64)
    return np.cumsum(eta), np.cumsum(momentum(eta, lam))


class CPTAreas(NamedTuple):
    """Areas at the requested steps, split at the CPT start (each ``[P]`` float64)."""

    S1_pt: np.ndarray
    S2_pt: np.ndarray
    S1_cpt: np.ndarray
    S2_cpt: np.ndarray


def cpt_areas(
    eta: np.ndarray,
    cpt_start: int,
    steps: np.ndarray,
    *,
    lam: float = 0.999,
    momentum_mode: str = "carry",
) -> CPTAreas:
    """PT and CPT areas of the warmup-substituted array ``eta`` at global ``steps``.

    Points before ``cpt_start`` are PT-phase points (CPT areas 0, PT areas up to the step).
    """
    eta = np.asarray(eta, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.int64)
    c = int(cpt_start)
    m = momentum(eta, lam, reset_at=c if momentum_mode == "reset" else None)
    s1 = np.concatenate([[0.0], np.cumsum(eta)])  # s1[k] = sum_{i<k}
    s2 = np.concatenate([[0.0], np.cumsum(m)])
    upto = steps + 1
    pt_end = np.minimum(upto, c)
    cpt_end = np.maximum(upto, c)
    return CPTAreas(s1[pt_end], s2[pt_end], s1[cpt_end] - s1[c], s2[cpt_end] - s2[c])
