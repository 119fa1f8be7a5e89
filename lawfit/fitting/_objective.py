"""The shared fitting objective (LAWS.md section 1).

``objective(θ) = Σ_p w_p · ρ(r_p)`` with, for the default ``loss="huber_log"``,
``r_p = log L̂_θ(x_p) - log L_p`` and ``ρ = Huber_δ`` (``0.5 r²`` if ``|r| <= δ`` else
``δ (|r| - δ/2)``), ``δ = 1e-3``. The terms are **summed**, not averaged (a mean makes L-BFGS
stop early: the documented cause of the original Chinchilla fit's error).

Non-positive or non-finite predictions (log undefined) are guarded: the term becomes
``w_p · (1e3 + |L̂_p|)``, a large value whose gradient pushes the prediction back up, so a line
search backs off instead of producing NaN.

Losses: ``"huber_log"`` (default), ``"mse_log"`` (``0.5 r²`` on log residuals), ``"huber"`` and
``"mse"`` (same on raw residuals ``L̂ - L``).

Example:
    >>> import jax.numpy as jnp
    >>> from lawfit.fitting._objective import rho
    >>> round(float(rho(jnp.asarray(0.01), "huber_log", 1e-3)), 9)  # 1e-3 * (0.01 - 5e-4)
    9.5e-06
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["LOSSES", "rho", "residuals", "weighted_terms"]

LOSSES = ("huber_log", "mse_log", "huber", "mse")
_PENALTY = 1e3


def rho(r, loss: str, delta):
    """Per-point loss of residual ``r``."""
    if loss in ("huber_log", "huber"):
        a = jnp.abs(r)
        return jnp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    return 0.5 * r * r


def residuals(pred, y, w, loss: str):
    """``(r, ok)``: residuals (0 where the prediction is unusable or the weight is 0) and the mask
    of usable predictions."""
    y_safe = jnp.where(w > 0, y, 1.0)
    if loss.endswith("_log"):
        ok = (pred > 0) & jnp.isfinite(pred)
        r = jnp.where(ok, jnp.log(jnp.where(ok, pred, 1.0)) - jnp.log(y_safe), 0.0)
    else:
        ok = jnp.isfinite(pred)
        r = jnp.where(ok, jnp.where(ok, pred, 0.0) - y_safe, 0.0)
    return jnp.where(w > 0, r, 0.0), ok


def weighted_terms(pred, y, w, loss: str, delta):
    """``w_p · ρ(r_p)`` per point, with the guard for unusable predictions."""
    r, ok = residuals(pred, y, w, loss)
    safe_pred = jnp.where(jnp.isfinite(pred), pred, 0.0)
    guard = jnp.where(ok, 0.0, _PENALTY + jnp.abs(safe_pred))
    return w * (rho(r, loss, delta) + guard)
