"""Maps between natural parameter values and the unconstrained space the solver works in.

Bounds are enforced by the transform, never by clipping:

=============  ==========================  ===============================================
transform      bounds                      x(z)
=============  ==========================  ===============================================
identity       (-inf, inf)                 z
identity       [lo, inf) / (-inf, hi]      lo + exp(z) / hi - exp(z)
log            [lo, inf), lo >= 0          lo + exp(z)             (z = log x when lo = 0)
log            [0, hi]                     hi * sigmoid(z)         (log-like near 0)
log            [lo, hi], lo > 0            exp(log lo + (log hi - log lo) * sigmoid(z))
logit / any    [lo, hi] finite             lo + (hi - lo) * sigmoid(z)
neglog         (-inf, hi], hi <= 0         mirror image of ``log``: x = -log_map(-x)
=============  ==========================  ===============================================

Each parameter gets an integer ``kind`` (static) and float ``lo``/``hi`` (traced), so changing
bounds never recompiles.

Example:
    >>> import numpy as np
    >>> from lawfit.fitting._transforms import resolve, to_natural, to_unconstrained
    >>> kind, lo, hi = resolve("log", 0.0, np.inf)
    >>> float(to_natural(to_unconstrained(2.5, kind, lo, hi), kind, lo, hi))
    2.5
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["resolve", "to_natural", "to_natural_np", "to_unconstrained"]

# kinds
IDENTITY, LOWER_EXP, UPPER_EXP, SIGMOID, LOG_SIGMOID, NEG_LOWER_EXP = range(6)
# LOWER_EXP: lo + exp(z); UPPER_EXP: hi - exp(z); SIGMOID: lo + (hi-lo) sigmoid(z);
# LOG_SIGMOID: exp(log lo + (log hi - log lo) sigmoid(z)) for 0 < lo < hi < inf.
# A [0, hi] log parameter is SIGMOID with lo = 0 (log-like near 0). NEG_LOWER_EXP is unused alias.


def resolve(transform: str, lower: float, upper: float) -> tuple[int, float, float]:
    """The transform kind for a parameter with ``transform`` and bounds ``[lower, upper]``."""
    lo, hi = float(lower), float(upper)
    if not lo < hi:
        raise ValueError(f"lower bound {lo!r} must be below upper bound {hi!r}")
    fin_lo, fin_hi = math.isfinite(lo), math.isfinite(hi)
    if transform == "log":
        if not lo >= 0:
            raise ValueError(f"a 'log' parameter needs lower >= 0, got lower={lo!r}")
        if not fin_hi:
            return LOWER_EXP, lo, hi
        return (LOG_SIGMOID if lo > 0 else SIGMOID), lo, hi
    if transform == "neglog":
        if not hi <= 0:
            raise ValueError(f"a 'neglog' parameter needs upper <= 0, got upper={hi!r}")
        if not fin_lo:
            return UPPER_EXP, lo, hi
        return SIGMOID, lo, hi
    if transform in ("identity", "logit"):
        if fin_lo and fin_hi:
            return SIGMOID, lo, hi
        if transform == "logit":
            raise ValueError(f"a 'logit' parameter needs finite bounds, got [{lo!r}, {hi!r}]")
        if fin_lo:
            return LOWER_EXP, lo, hi
        if fin_hi:
            return UPPER_EXP, lo, hi
        return IDENTITY, lo, hi
    raise ValueError(f"unknown transform {transform!r}; use identity, log, logit or neglog")


def _branches(z, lo, hi, kind):
    s = jax.nn.sigmoid(z)
    # exp only where it is the selected branch: exp(z) of a large identity parameter overflows,
    # and inf in an unselected jnp.where branch makes the gradient NaN
    z_lo = jnp.where(kind == LOWER_EXP, z, 0.0)
    z_hi = jnp.where(kind == UPPER_EXP, z, 0.0)
    safe_lo = jnp.where(lo > 0, lo, 1.0)
    safe_hi = jnp.where(jnp.isfinite(hi) & (hi > 0), hi, 2.0)
    lo_f = jnp.where(jnp.isfinite(lo), lo, 0.0)
    hi_f = jnp.where(jnp.isfinite(hi), hi, 0.0)
    span = jnp.where(jnp.isfinite(hi - lo), hi - lo, 1.0)
    return (
        z,
        lo_f + jnp.exp(z_lo),
        hi_f - jnp.exp(z_hi),
        lo_f + span * s,
        jnp.exp(jnp.log(safe_lo) + (jnp.log(safe_hi) - jnp.log(safe_lo)) * s),
    )


def to_natural(z, kind, lo, hi):
    """Natural value(s) from unconstrained ``z`` (elementwise; ``kind`` an int or int array)."""
    z = jnp.asarray(z)
    kind = jnp.asarray(kind)
    out = _branches(z, lo, hi, kind)
    res = out[0]
    for k in range(1, len(out)):
        res = jnp.where(kind == k, out[k], res)
    return res


def to_natural_np(z, kind, lo, hi) -> np.ndarray:
    """:func:`to_natural` in numpy (host-side results: no per-primitive XLA compilation)."""
    z, kind = np.asarray(z, np.float64), np.asarray(kind)
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    with np.errstate(all="ignore"):
        s = np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))
        safe_lo = np.where(lo > 0, lo, 1.0)
        safe_hi = np.where(np.isfinite(hi) & (hi > 0), hi, 2.0)
        lo_f = np.where(np.isfinite(lo), lo, 0.0)
        hi_f = np.where(np.isfinite(hi), hi, 0.0)
        span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        out = (
            z,
            lo_f + np.exp(np.where(kind == LOWER_EXP, z, 0.0)),
            hi_f - np.exp(np.where(kind == UPPER_EXP, z, 0.0)),
            lo_f + span * s,
            np.exp(np.log(safe_lo) + (np.log(safe_hi) - np.log(safe_lo)) * s),
        )
    res = out[0]
    for k in range(1, len(out)):
        res = np.where(kind == k, out[k], res)
    return res


def to_unconstrained(x, kind, lo, hi) -> np.ndarray:
    """Inverse of :func:`to_natural` in numpy (for starting points; x strictly inside bounds)."""
    x, kind = np.asarray(x, np.float64), np.asarray(kind)
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    with np.errstate(all="ignore"):
        lo_f = np.where(np.isfinite(lo), lo, 0.0)
        hi_f = np.where(np.isfinite(hi), hi, 0.0)
        frac = (x - lo_f) / np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        safe_lo = np.where(lo > 0, lo, 1.0)
        safe_hi = np.where(np.isfinite(hi) & (hi > 0), hi, 2.0)
        lfrac = (np.log(np.abs(x)) - np.log(safe_lo)) / (np.log(safe_hi) - np.log(safe_lo))
        cands = [
            x,
            np.log(x - lo_f),
            np.log(hi_f - x),
            np.log(frac) - np.log1p(-frac),
            np.log(lfrac) - np.log1p(-lfrac),
        ]
    res = cands[0]
    for k in range(1, len(cands)):
        res = np.where(kind == k, cands[k], res)
    return res
