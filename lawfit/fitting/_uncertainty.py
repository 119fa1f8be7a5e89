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


def _resample_counts(rng: np.random.Generator, inputs: Any, n: int, kind: str) -> np.ndarray:
    """``[n, P]`` multiplicities of each point in ``n`` bootstrap resamples."""
    w = np.asarray(inputs.weight, np.float64)
    used = np.flatnonzero(w > 0)
    P = w.size
    if kind == "points":
        counts = np.zeros((n, P))
        draws = rng.multinomial(used.size, np.full(used.size, 1.0 / used.size), size=n)
        counts[:, used] = draws
        return counts
    if kind == "runs":
        ri = np.asarray(inputs.run_index)
        runs = np.unique(ri[used])
        if runs.size < 2:
            raise ValueError(
                f"bootstrap(kind='runs') needs at least 2 runs with points, got {runs.size}; use "
                "kind='points'"
            )
        draws = rng.multinomial(runs.size, np.full(runs.size, 1.0 / runs.size), size=n)
        per_run = np.zeros((n, int(ri.max()) + 1))
        per_run[:, runs] = draws
        return per_run[:, ri]
    raise ValueError(f"bootstrap kind must be 'runs' or 'points', got {kind!r}")


def bootstrap(result: Any, runs: Any, *, n: int = 200, kind: str = "runs", key: Any = 0,
              max_iter: int = 1000, gtol: float = 1e-9, ftol: float = 1e-12) -> Any:
    """Bootstrap draws of a fit: refit on ``n`` resamples, all in one vmapped program.

    Each resample multiplies the point weights by multinomial counts: ``kind="runs"`` resamples
    whole runs (curves) with replacement, ``kind="points"`` resamples points. Every refit starts
    from ``result``'s optimum (L-BFGS, same objective, bounds and fixed parameters). Returns a new
    :class:`FitResult` with ``draws = {name: [n]}`` (NaN for refits that did not finish) and
    ``bootstrap_info``; ``report()`` then shows 95% intervals and ``predict(..., band=0.9)``
    works.

    Example:
        >>> # res_b = lawfit.bootstrap(res, runs, n=200, kind="points", key=0)
        >>> # res_b.draws["alpha"].std()
    """
    import jax

    from lawfit._x64 import x64
    from lawfit.fitting._fit import prepare_inputs
    from lawfit.fitting._setup import _seed
    from lawfit.fitting._solve import CONVERGED, NONFINITE, Config, program
    from lawfit.fitting._transforms import resolve, to_natural, to_unconstrained

    @x64
    def run():
        if int(n) < 1:
            raise ValueError(f"bootstrap: n must be >= 1, got {n!r}")
        law = result.law
        if not result.covariance_names:
            raise ValueError("bootstrap: the result has no free parameters")
        inputs = prepare_inputs(law, runs, metric=result.metric, steps=None, exclude_warmup=result.exclude_warmup)
        specs = {p.name: p for p in law.param_specs()}
        free = tuple(result.covariance_names)
        kinds, lo, hi = [], [], []
        for nme in free:
            k, a, b = resolve(specs[nme].transform, *result.bounds[nme])
            kinds.append(k)
            lo.append(a)
            hi.append(b)
        kinds_a, lo_a, hi_a = np.array(kinds), np.array(lo), np.array(hi)
        theta = np.array([result.params[nme] for nme in free])
        with np.errstate(all="ignore"):
            z = to_unconstrained(theta, kinds_a, lo_a, hi_a)
        z = np.clip(np.nan_to_num(z, nan=0.0, posinf=30.0, neginf=-30.0), -30.0, 30.0)
        names = law.param_names
        fixed_vals = np.array([result.fixed[m] for m in names if m in result.fixed], dtype=np.float64)
        rng = np.random.default_rng(_seed(key))
        counts = _resample_counts(rng, inputs, int(n), kind)
        w = np.asarray(inputs.weight, np.float64)[None, :] * counts
        y = np.where(np.asarray(inputs.weight) > 0, np.asarray(inputs.y, np.float64), 1.0)
        cfg = Config(names, free, tuple(kinds), result.loss, int(max_iter), keep=None)
        solve = program(law, cfg, batched=(0, None, None, None, None, None, 0))
        z0 = np.broadcast_to(z, (int(n), 1, z.size)).copy()
        zf, f, _, _, status = jax.device_get(
            solve(z0, fixed_vals, lo_a, hi_a, inputs.x, y, w, result.delta, gtol, ftol)
        )
        nat = np.asarray(to_natural(zf[:, 0, :], kinds_a[None, :], lo_a[None, :], hi_a[None, :]))
        bad = status[:, 0] == NONFINITE
        nat = np.array(nat)
        nat[bad] = np.nan
        draws = {nme: nat[:, i].copy() for i, nme in enumerate(free)}
        info = {
            "n": int(n),
            "kind": kind,
            "seed": int(_seed(key)),
            "n_converged": int(np.sum(status[:, 0] == CONVERGED)),
            "n_nonfinite": int(np.sum(bad)),
        }
        return result.replace(draws=draws, bootstrap_info=info)

    return run()
