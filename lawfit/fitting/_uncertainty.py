"""Local (Gauss-Newton) uncertainty and the bootstrap.

**Gauss-Newton** (in the *natural* parameterization: the covariance and standard errors are
those of the natural parameters, not of the unconstrained solver variables). With
``e_p = log L̂_p - log L_p`` (raw ``L̂_p - L_p`` for ``loss="huber"/"mse"``), point weights
``w_p`` and ``J = ∂e/∂θ`` over the free parameters at the optimum::

    Cov = K² s² (Jᵀ W J)⁺,   s² = Σ w ψ(e)² / (n - F) / m²,   m = Σ w ψ'(e) / Σ w,
    K = 1 + (F / n) var_w(ψ') / m²

(``F``: the number of identified directions, the rank below; the number of free parameters
when all are identified)

with ``ψ = ρ'`` (``ψ(e) = e`` for least squares, ``clip(e, -δ, δ)`` for Huber). This is Huber's
(1981, *Robust Statistics*, section 7.6) scalar correction of the least-squares covariance: for
least squares, or a Huber fit whose residuals all lie in the quadratic regime ``|e| <= δ``,
``ψ' = 1``, ``m = K = 1`` and it is exactly ``s² (JᵀWJ)⁻¹`` with ``s² = Σ w e² / (n - F)``
(the objective's Gauss-Newton Hessian is then ``JᵀWJ``). Points in the linear regime carry no
curvature (``ψ' = 0``) and enter only through the scale estimate.

The pseudo-inverse is computed from the SVD of the **column-scaled** ``√W J D⁻¹``
(``D = diag(‖√W J_i‖)``), so parameters of very different magnitude (``A ~ 1e3`` next to
``alpha ~ 0.3``) are treated fairly. Directions whose scaled singular value is below
``RCOND · s_max`` (``RCOND = √eps ≈ 1.5e-8``: curvature below float64 rounding of the objective)
are **not identifiable** from the data: every parameter with a component ``> 1e-6`` along one of
them gets an infinite standard error (its covariance row/column is NaN off the diagonal) and is
listed in ``FitResult.nonidentifiable``. Never a tiny number for an unidentified direction.

This is local: it ignores bounds and other minima; use :func:`bootstrap` for a global picture.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lawfit.fitting._solve import _Holder, law_key

__all__ = ["gauss_newton", "scaled_covariance", "RCOND"]

RCOND = float(np.sqrt(np.finfo(np.float64).eps))
_NULL_TOL = 1e-6


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
        return jnp.where(w > 0, r, 0.0)

    def both(theta, rest, x, y, w):
        # one forward-mode pass: the residuals come back as the auxiliary output of jacfwd
        def f(t):
            r = resid(t, rest, x, y, w)
            return r, r

        J, r = jax.jacfwd(f, has_aux=True)(theta)
        return r, J

    return jax.jit(both)


def scaled_covariance(J: np.ndarray, w: np.ndarray | None = None, *, rcond: float = RCOND):
    """``(JᵀWJ)⁺`` from the SVD of the column-scaled ``√W J``, and the not identifiable columns.

    Returns ``(inv [F, F], bad [F] bool, singular_values (scaled, descending))``; ``inv`` has
    ``inf`` on the diagonal and NaN off it for the ``bad`` columns.

    Example:
        >>> import numpy as np
        >>> X = np.array([[1.0, 1e6], [1.0, 2e6], [1.0, 4e6]])
        >>> inv, bad, _ = scaled_covariance(X)
        >>> bool(np.allclose(inv, np.linalg.inv(X.T @ X), rtol=1e-9)), bad.tolist()
        (True, [False, False])
    """
    J = np.asarray(J, np.float64)
    if w is not None:
        J = J * np.sqrt(np.asarray(w, np.float64))[:, None]
    F = J.shape[1]
    scale = np.linalg.norm(J, axis=0)
    zero = ~(scale > 0)
    scale = np.where(zero, 1.0, scale)
    Js = J / scale
    _, S, Vt = np.linalg.svd(Js, full_matrices=False)
    V = Vt.T
    smax = S[0] if S.size else 0.0
    keep = S > rcond * smax
    inv_s = V[:, keep] @ np.diag(1.0 / S[keep] ** 2) @ V[:, keep].T
    null = V[:, ~keep]
    bad = zero.copy()
    if null.size:
        bad |= np.linalg.norm(null, axis=1) > _NULL_TOL
    inv = inv_s / np.outer(scale, scale)
    if bad.any():
        inv[bad, :] = np.nan
        inv[:, bad] = np.nan
        inv[bad, bad] = np.inf
    return inv, bad, np.concatenate([S, np.zeros(F - S.size)])


def gauss_newton(law: Any, inputs: Any, params: dict[str, float], free: tuple[str, ...], *, loss: str,
                 delta: float = 1e-3, n_effective: float | None = None) -> dict[str, Any]:
    """Gauss-Newton covariance of the free natural parameters at ``params`` (module docstring).

    ``n_effective``: the number of observations the weighted points stand for, when the weights
    are frequency weights of a point selection (``lawfit.runs.fitting_points``); it replaces the
    point count ``n`` in ``n - F`` and ``K``."""
    key = law_key(law)
    fn = _jac_program(_Holder(law, key), free, loss)
    theta = np.array([params[n] for n in free], dtype=np.float64)
    rest = {n: np.float64(v) for n, v in params.items() if n not in free}
    w = np.asarray(inputs.weight, np.float64)
    y = np.where(w > 0, np.asarray(inputs.y, np.float64), 1.0)
    e, J = (np.asarray(a) for a in fn(theta, rest, inputs.x, y, w))
    used = w > 0
    n, F = int(np.sum(used)), len(free)
    n_obs = n if n_effective is None else float(n_effective)
    eu, wu = e[used], w[used]
    finite_J = bool(np.all(np.isfinite(J[used]))) and F > 0
    if finite_J:
        inv, bad, S = scaled_covariance(J[used], wu)
        rank = int(np.sum(S > RCOND * S[0])) if S.size and S[0] > 0 else 0
    else:
        rank = F
    dof = max(n_obs - rank, 1)  # identified directions only (a non-identified one fits nothing)
    if loss.startswith("huber"):
        psi, dpsi = np.clip(eu, -delta, delta), (np.abs(eu) <= delta).astype(np.float64)
    else:
        psi, dpsi = eu, np.ones_like(eu)
    m = float(np.sum(wu * dpsi) / np.sum(wu)) if n else 0.0
    var_dpsi = float(np.sum(wu * (dpsi - m) ** 2) / np.sum(wu)) if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        K = 1.0 + (rank / max(n_obs, 1)) * var_dpsi / m**2 if m > 0 else np.inf
        s2 = float(np.sum(wu * psi**2) / dof) / m**2 if m > 0 else np.inf
    nonid: tuple[str, ...] = ()
    cond = np.nan
    if finite_J:
        with np.errstate(invalid="ignore"):
            cov = K**2 * s2 * inv
        cov[np.isnan(inv)] = np.nan
        nonid = tuple(nm for nm, b in zip(free, bad, strict=True) if b)
        cond = float(S[0] / S[-1]) if S[-1] > 0 else np.inf
    else:
        cov = np.full((F, F), np.nan)
    stats = {
        "n_points": float(n),
        "dof": float(dof),
        "rmse_log" if loss.endswith("_log") else "rmse": float(np.sqrt(np.mean(eu**2))) if n else np.nan,
        "max_abs_residual": float(np.max(np.abs(eu))) if n else np.nan,
        "noise_scale": float(np.sqrt(K**2 * s2)),
        "condition_scaled": cond,
    }
    if loss.startswith("huber"):
        stats["huber_quadratic_fraction"] = m
    return {"covariance": cov, "stats": stats, "nonidentifiable": nonid}


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
              max_iter: int = 1000, gtol: float = 1e-9, ftol: float = 1e-12,
              vectorize: bool | None = None) -> Any:
    """Bootstrap draws of a fit: refit on ``n`` resamples, all in one compiled program.

    Each resample multiplies the point weights by multinomial counts: ``kind="runs"`` resamples
    whole runs (curves) with replacement, ``kind="points"`` resamples points. Every refit starts
    from ``result``'s optimum (L-BFGS, same objective, bounds and fixed parameters). Returns a new
    :class:`FitResult` with ``draws = {name: [n]}`` (NaN for refits that did not finish) and
    ``bootstrap_info``; ``report()`` then shows 95% intervals and ``predict(..., band=0.9)``
    works. ``vectorize`` as in :func:`lawfit.fit`: the resamples are vmapped lanes (default on
    accelerators) or run one after another by ``lax.map`` (default on CPU).

    Example:
        >>> import lawfit, numpy as np
        >>> from lawfit.laws import MomentumLaw
        >>> from lawfit.runs import Run
        >>> steps = np.arange(10, 400, 10)
        >>> loss = 3.0 + 2.0 * (steps * 1e-3) ** -0.3 + 0.01 * np.sin(steps)
        >>> run = Run("r", lr=np.full(400, 1e-3), metrics={"loss": (steps, loss)})
        >>> res = lawfit.fit(MomentumLaw(lam=0.999), run, fixed={"C": 0.0})
        >>> boot = lawfit.bootstrap(res, run, n=20, kind="points", key=0)
        >>> boot.draws["alpha"].shape
        (20,)
    """
    import jax

    from lawfit._validate import check_choice, check_int
    from lawfit._x64 import x64
    from lawfit.fitting._layout import refit_inputs
    from lawfit.fitting._options import check_key, check_solver
    from lawfit.fitting._result import FitResult
    from lawfit.fitting._setup import _seed
    from lawfit.fitting._solve import CONVERGED, NONFINITE, Config, program, resolve_vectorize
    from lawfit.fitting._transforms import resolve, to_natural_np, to_unconstrained

    if not isinstance(result, FitResult):
        raise ValueError(f"result must be a lawfit FitResult (from lawfit.fit), got {type(result).__name__}")
    check_int("n", n, minimum=1)
    check_choice("kind", kind, ("runs", "points"))
    check_key(key)
    check_solver(max_iter=max_iter, gtol=gtol, ftol=ftol, vectorize=vectorize)
    if not all(np.isfinite(result.params[k]) for k in result.covariance_names):
        raise ValueError(
            f"bootstrap: result has non-finite parameters ({result.status!r} fit); bootstrap a "
            "converged fit"
        )

    @x64
    def run():
        if not result.covariance_names:
            raise ValueError("bootstrap: the result has no free parameters")
        law, inputs = refit_inputs(result, runs)  # the fit's own layout and points
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
        cfg = Config(names, free, tuple(kinds), result.loss, int(max_iter), keep=None,
                     vectorize=None if vectorize is None else resolve_vectorize(vectorize))
        solve = program(law, cfg, batched=(0, None, None, None, None, None, 0))
        z0 = np.broadcast_to(z, (int(n), 1, z.size)).copy()
        zf, f, _, _, status = jax.device_get(
            solve(z0, fixed_vals, lo_a, hi_a, inputs.x, y, w, result.delta, gtol, ftol)
        )
        nat = np.asarray(to_natural_np(zf[:, 0, :], kinds_a[None, :], lo_a[None, :], hi_a[None, :]))
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
