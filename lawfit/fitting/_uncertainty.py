"""Local (Gauss-Newton) uncertainty and the bootstrap.

**Gauss-Newton.** With residuals ``r_p = sqrt(w_p) (log L̂_p - log L_p)`` (raw residuals for
``loss="huber"/"mse"``) and ``J = ∂r/∂θ`` over the free natural parameters at the optimum::

    Cov = s² (JᵀJ)⁺,    s² = Σ r² / (n - F)

This is local: it treats the Huber loss as least squares near the optimum and ignores bounds and
other minima. Not identifiable directions show up as huge or NaN standard errors.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lawfit.fitting._solve import _Holder, law_key

__all__ = ["gauss_newton"]


@functools.lru_cache(maxsize=64)
def _jac_program(holder: _Holder, free: tuple[str, ...], loss: str):
    law = holder.law

    def resid(theta, rest, x, y, w):
        params = dict(rest)
        for i, n in enumerate(free):
            params[n] = theta[i]
        pred = law.predict(params, x)
        ys = jnp.where(w > 0, y, 1.0)
        if loss.endswith("_log"):
            r = jnp.log(jnp.where(pred > 0, pred, 1.0)) - jnp.log(ys)
        else:
            r = pred - ys
        return jnp.sqrt(w) * jnp.where(w > 0, r, 0.0)

    def both(theta, rest, x, y, w):
        return resid(theta, rest, x, y, w), jax.jacfwd(resid)(theta, rest, x, y, w)

    return jax.jit(both)


def gauss_newton(law: Any, inputs: Any, params: dict[str, float], free: tuple[str, ...], *, loss: str) -> dict[str, Any]:
    key = law_key(law)
    fn = _jac_program(_Holder(law, key), free, loss)
    theta = np.array([params[n] for n in free], dtype=np.float64)
    rest = {n: np.float64(v) for n, v in params.items() if n not in free}
    w = np.asarray(inputs.weight, np.float64)
    y = np.where(w > 0, np.asarray(inputs.y, np.float64), 1.0)
    r, J = (np.asarray(a) for a in fn(theta, rest, inputs.x, y, w))
    n = int(np.sum(w > 0))
    dof = max(n - len(free), 1)
    s2 = float(np.sum(r**2) / dof)
    if np.all(np.isfinite(J)):
        # scale columns to unit norm first so that parameters of very different magnitude
        # (A ~ 1e3 next to alpha ~ 0.3) do not make the pseudo-inverse drop real directions
        scale = np.linalg.norm(J, axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        Js = J / scale
        cov = s2 * np.linalg.pinv(Js.T @ Js, rcond=1e-15, hermitian=True) / np.outer(scale, scale)
    else:
        cov = np.full((len(free), len(free)), np.nan)
    used = w > 0
    ru = r[used] / np.sqrt(w[used])
    stats = {
        "n_points": float(n),
        "dof": float(dof),
        "rmse_log" if loss.endswith("_log") else "rmse": float(np.sqrt(np.mean(ru**2))),
        "max_abs_residual": float(np.max(np.abs(ru))),
    }
    return {"covariance": cov, "stats": stats}
