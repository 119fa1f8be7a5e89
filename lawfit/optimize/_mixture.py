"""Mixture-ratio planners on fitted D-CPT laws (LAWS.md 7.3) and the CMR critical ratio (8.4).

* :func:`dcpt_max_domain_ratio` (usage 1): the largest domain share r_d whose predicted relative
  general-loss degradation ``(L_g(N, D, 1 - r_d) - L_g0) / L_g0`` stays within ``threshold``.
* :func:`dcpt_limited_domain_ratio` (usage 2): with ``domain_tokens`` D_d fixed, the r_d
  minimising ``L_d(N, D_d / r_d, r_d)``.
* :func:`dcpt_compute_optimal` (usage 3): compute-optimal (N, D) at a fixed ratio with C = 6 N D.

Each takes :class:`lawfit.FitResult` objects of :class:`lawfit.laws.DCPTLaw` and returns a frozen
dataclass with the answer, its bootstrap distribution (when the fits carry draws from
:func:`lawfit.bootstrap`), the predicted losses behind it and the D-CPT trend violations of the
fits (also issued as warnings).

Example:
    >>> from lawfit.laws import DCPTLaw
    >>> from lawfit.fitting import FitResult
    >>> p = dict(E=1.5, A=0.3, alpha=0.3, B=0.3, beta=0.4, eta=0.2, C=0.15, gamma=1.0, eps=0.02)
    >>> fit_g = FitResult(law=DCPTLaw(target="general"), params=p)
    >>> plan = dcpt_max_domain_ratio(fit_g, N=1.8e9, D=1e10, threshold=0.03)
    >>> round(plan.ratio, 3), plan.violations
    (0.328, ())
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
from scipy.optimize import brentq, minimize_scalar

from lawfit._validate import check_real
from lawfit._x64 import x64
from lawfit.laws._cmr import critical_mixture_ratio, critical_ratio_curve, tangency_tokens

__all__ = [
    "MixturePlan",
    "ComputePlan",
    "dcpt_max_domain_ratio",
    "dcpt_limited_domain_ratio",
    "dcpt_compute_optimal",
    "critical_mixture_ratio",
    "critical_ratio_curve",
    "tangency_tokens",
    "param_stack",
]


@dataclass(frozen=True)
class MixturePlan:
    """A planned domain share with its uncertainty and the predictions behind it.

    Attributes:
        ratio: the planned domain share r_d (NaN when infeasible).
        ratio_draws: the same answer under each bootstrap draw (None without draws).
        interval: central ``coverage`` interval of ``ratio_draws`` (None without draws).
        predicted: predicted losses at the answer (``general``, ``domain``, ``reference``...).
        violations: D-CPT trend violations of the fits used (LAWS.md 7.1).
        details: the inputs of the plan (N, D, threshold...).
    """

    ratio: float
    ratio_draws: np.ndarray | None = None
    interval: tuple[float, float] | None = None
    predicted: dict[str, float] = field(default_factory=dict)
    violations: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComputePlan:
    """Compute-optimal ``(N, D)`` at a fixed ratio (usage 3), with bootstrap draws."""

    N: float
    D: float
    loss: float
    N_draws: np.ndarray | None = None
    D_draws: np.ndarray | None = None
    interval_N: tuple[float, float] | None = None
    interval_D: tuple[float, float] | None = None
    violations: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


# -- shared helpers -------------------------------------------------------------------------------
def param_stack(result: Any) -> dict[str, np.ndarray]:
    """``{name: [1 + n_draws]}``: the point estimate followed by the bootstrap draws (if any)."""
    names = result.law.param_names
    draws = getattr(result, "draws", None) or {}
    n = len(next(iter(draws.values()))) if draws else 0
    return {
        k: np.r_[float(result.params[k]), np.asarray(draws[k], np.float64) if k in draws else np.full(n, float(result.params[k]))]
        for k in names
    }


@functools.lru_cache(maxsize=32)
def _vpredict(law: Any):
    return jax.jit(jax.vmap(law.predict, in_axes=(0, None)))


@x64
def _predict_stack(law: Any, stack: dict[str, np.ndarray], x: Any) -> np.ndarray:
    return np.asarray(_vpredict(law)(stack, x))


def _check_law(result: Any, target: str | None, what: str) -> None:
    from lawfit.laws._dcpt import DCPTLaw

    law = getattr(result, "law", None)
    if not isinstance(law, DCPTLaw):
        raise ValueError(f"{what}: expected a FitResult of DCPTLaw, got law {law!r}")
    if target is not None and law.target != target:
        raise ValueError(f"{what}: expected a DCPTLaw(target={target!r}) fit, got {law!r}")


def _violations(*results: Any, N: float, D: float) -> tuple[str, ...]:
    out = []
    for res in results:
        if res is None:
            continue
        law = res.law
        x = law.inputs(N=[N * 0.5, N * 2], D=[D * 0.5, D * 2], r=[0.5, 0.5])
        for v in law.diagnostics(res.params, x):
            out.append(f"{law.target} fit: {v}")
    for v in out:
        warnings.warn(v, stacklevel=3)
    return tuple(out)


def _interval(draws: np.ndarray | None, coverage: float) -> tuple[float, float] | None:
    if draws is None or draws.size == 0:
        return None
    ok = draws[np.isfinite(draws)]
    if ok.size == 0:
        return (math.nan, math.nan)
    q = np.quantile(ok, [(1 - coverage) / 2, (1 + coverage) / 2])
    return float(q[0]), float(q[1])


# -- usage 1 --------------------------------------------------------------------------------------
@x64
def dcpt_max_domain_ratio(
    general_fit: Any,
    *,
    N: float,
    D: float,
    threshold: float = 0.03,
    reference_loss: float | None = None,
    domain_fit: Any = None,
    grid: int = 4001,
    coverage: float = 0.9,
    r_max: float = 1.0,
) -> MixturePlan:
    """Usage 1: ``max r_d`` s.t. ``(L_g(N, D, 1 - r_d) - L_g0) / L_g0 <= threshold``.

    ``reference_loss`` is L_g0; by default the fitted general loss at r_d = 0 (the paper's choice
    between this and the base model's loss is not confirmed, LAWS.md 7.3). The root is bracketed
    on a grid of r_d and refined with ``brentq``; ``ratio`` is 1.0 when every share is within the
    threshold and NaN when none is.

    ``r_max`` limits the search to ``r_d in [0, r_max]`` (then ``ratio`` is ``r_max`` when every
    share up to it is within the threshold). Use the largest domain share among the general-loss
    rows of the fit: for ``0 < eta < 1`` the fitted L3 has ``dL/dr > 0`` as the general share goes
    to 0 (the data term ``r^eta`` vanishes there), so beyond the data the "largest feasible r_d"
    can jump to an extrapolated region near r_d = 1.
    """
    for name, value in (("N", N), ("D", D), ("threshold", threshold)):
        check_real(name, value, above=0)
    _check_law(general_fit, "general", "dcpt_max_domain_ratio(general_fit)")
    if domain_fit is not None:
        _check_law(domain_fit, "domain", "dcpt_max_domain_ratio(domain_fit)")
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0 (a relative degradation), got {threshold!r}")
    if not 0 < r_max <= 1:
        raise ValueError(f"r_max (the largest domain share searched) must be in (0, 1], got {r_max!r}")
    law = general_fit.law
    rd = np.linspace(0.0, r_max, grid)
    stack = param_stack(general_fit)
    Lg = _predict_stack(law, stack, law.inputs(N, D, rd))  # [K, grid]
    Lg0 = Lg[:, :1] if reference_loss is None else np.full((Lg.shape[0], 1), float(reference_loss))
    f = (Lg - Lg0) / Lg0 - threshold

    def solve(k: int, exact: bool) -> float:
        ok = f[k] <= 0
        if not ok.any():
            return math.nan
        j = int(np.flatnonzero(ok)[-1])
        if j == grid - 1:
            return float(r_max)
        if not exact:  # linear interpolation inside the bracket (draws)
            return float(rd[j] + (rd[j + 1] - rd[j]) * f[k, j] / (f[k, j] - f[k, j + 1]))
        p = {n: float(v[k]) for n, v in stack.items()}
        g0 = float(Lg0[k, 0])

        def h(r: float) -> float:
            return (float(np.asarray(law.predict(p, law.inputs(N, D, [r])))[0]) - g0) / g0 - threshold

        return float(brentq(h, rd[j], rd[j + 1], xtol=1e-12))

    ratio = solve(0, True)
    draws = np.array([solve(k, False) for k in range(1, f.shape[0])]) if f.shape[0] > 1 else None
    predicted = {"reference_general": float(Lg0[0, 0])}
    if math.isfinite(ratio):
        predicted["general"] = float(np.asarray(law.predict(general_fit.params, law.inputs(N, D, [ratio])))[0])
        predicted["degradation"] = (predicted["general"] - predicted["reference_general"]) / predicted["reference_general"]
        if domain_fit is not None:
            predicted["domain"] = float(np.asarray(domain_fit.law.predict(domain_fit.params, domain_fit.law.inputs(N, D, [ratio])))[0])
    return MixturePlan(
        ratio=ratio,
        ratio_draws=draws,
        interval=_interval(draws, coverage),
        predicted=predicted,
        violations=_violations(general_fit, domain_fit, N=N, D=D),
        details={"N": N, "D": D, "threshold": threshold, "reference_loss": reference_loss, "r_max": r_max},
    )


# -- usage 2 --------------------------------------------------------------------------------------
@x64
def dcpt_limited_domain_ratio(
    domain_fit: Any,
    *,
    N: float,
    domain_tokens: float,
    r_min: float = 0.01,
    general_fit: Any = None,
    grid: int = 4001,
    coverage: float = 0.9,
) -> MixturePlan:
    """Usage 2: ``argmin_{r_d in [r_min, 1]} L_d(N, domain_tokens / r_d, r_d)``.

    The total CPT tokens are ``D = domain_tokens / r_d`` (the domain data is used once and topped
    up with general data). Grid search then a bounded Brent refinement around the best cell.
    """
    _check_law(domain_fit, "domain", "dcpt_limited_domain_ratio(domain_fit)")
    if general_fit is not None:
        _check_law(general_fit, "general", "dcpt_limited_domain_ratio(general_fit)")
    if not 0 < r_min < 1:
        raise ValueError(f"r_min must be in (0, 1), got {r_min!r}")
    if not domain_tokens > 0:
        raise ValueError(f"domain_tokens must be positive, got {domain_tokens!r}")
    law = domain_fit.law
    rd = np.linspace(r_min, 1.0, grid)
    stack = param_stack(domain_fit)
    Ld = _predict_stack(law, stack, law.inputs(N, domain_tokens / rd, rd))
    best = np.argmin(np.where(np.isfinite(Ld), Ld, np.inf), axis=1)
    p = domain_fit.params

    def loss(r: float) -> float:
        return float(np.asarray(law.predict(p, law.inputs(N, domain_tokens / r, r)))[0])

    j = int(best[0])
    lo, hi = rd[max(j - 1, 0)], rd[min(j + 1, grid - 1)]
    ratio = float(minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}).x)
    draws = rd[best[1:]] if Ld.shape[0] > 1 else None
    predicted = {"domain": loss(ratio), "total_tokens": domain_tokens / ratio}
    if general_fit is not None:
        predicted["general"] = float(np.asarray(general_fit.law.predict(general_fit.params, general_fit.law.inputs(N, domain_tokens / ratio, ratio)))[0])
    return MixturePlan(
        ratio=ratio,
        ratio_draws=draws,
        interval=_interval(draws, coverage),
        predicted=predicted,
        violations=_violations(domain_fit, general_fit, N=N, D=domain_tokens),
        details={"N": N, "domain_tokens": domain_tokens, "r_min": r_min},
    )


# -- usage 3 --------------------------------------------------------------------------------------
def _chinchilla_optimum(p: dict[str, float], r: float, c_units: float) -> tuple[float, float]:
    Bp = p["B"] * (r ** p["eta"] if r > 0 else 0.0)
    a, b = p["alpha"], p["beta"]
    G = (a * p["A"] / (b * Bp)) ** (1.0 / (a + b))
    n = G * c_units ** (b / (a + b))
    return n, c_units / n


@x64
def dcpt_compute_optimal(fit: Any, *, ratio: float, compute: float, coverage: float = 0.9) -> ComputePlan:
    """Usage 3: ``argmin_{N, D: 6 N D = compute} L(N, D, r)`` at the fixed domain share ``ratio``.

    At fixed r the law is Chinchilla's with ``E' = E + C / (r + eps)^gamma`` and
    ``B' = B * r^eta``, so the frontier is closed form (LAWS.md 2.4) in the law's units:
    ``N_opt = G * c^(beta / (alpha + beta))``, ``G = (alpha A / (beta B'))^(1 / (alpha + beta))``,
    ``c = compute / (6 n_unit d_unit)``.
    """
    _check_law(fit, None, "dcpt_compute_optimal(fit)")
    law = fit.law
    if not law.size_term:
        raise ValueError("dcpt_compute_optimal needs a fit with the model-size term (size_term=True)")
    if not 0 <= ratio <= 1:
        raise ValueError(f"ratio (the domain share) must be in [0, 1], got {ratio!r}")
    if not compute > 0:
        raise ValueError(f"compute must be positive FLOPs, got {compute!r}")
    r = float(law._share(np.asarray(ratio)))
    if r <= 0:
        raise ValueError(f"at ratio={ratio!r} the modelled share is 0 and the data term vanishes; no finite optimum")
    c = compute / (6.0 * law.n_unit * law.d_unit)
    stack = param_stack(fit)
    sols = np.array([_chinchilla_optimum({k: float(v[i]) for k, v in stack.items()}, r, c) for i in range(len(stack["E"]))])
    N, D = sols[0, 0] * law.n_unit, sols[0, 1] * law.d_unit
    loss = float(np.asarray(law.predict(fit.params, law.inputs(N, D, ratio)))[0])
    Nd = sols[1:, 0] * law.n_unit if sols.shape[0] > 1 else None
    Dd = sols[1:, 1] * law.d_unit if sols.shape[0] > 1 else None
    return ComputePlan(
        N=float(N), D=float(D), loss=loss, N_draws=Nd, D_draws=Dd,
        interval_N=_interval(Nd, coverage), interval_D=_interval(Dd, coverage),
        violations=_violations(fit, N=N, D=D),
        details={"ratio": ratio, "compute": compute},
    )
