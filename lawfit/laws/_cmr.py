"""CMR law: critical mixture ratio (Gu et al., EMNLP 2024, arXiv 2407.17467; LAWS.md 8).

One law class, four fitted forms (``kind``), all through the one engine:

* ``"ratio"`` (8.2): loss at T_max versus the domain share R, ``L(R) = alpha * R^s + beta``;
  fitted to the general or the domain loss (``target``); only ratios strictly inside (0, 1) are
  used, as in the paper.
* ``"domain_increment"`` (Eq. 6): ``L_dom(T) = L_dom(M_S) + alpha1 * T^s1 + beta1``;
* ``"general_increment"`` (Eq. 6): ``L_gen(T) = L_gen(M_S) + alpha2 * T^s2 + alpha3 * T^s3 + beta2``.
  The increments are modelled through the loss itself (base loss of the source model plus the
  increment), so the engine's log-residual objective applies; fit one mixture ratio at a time.
  T is in units of ``token_unit`` tokens (0.2B, as in the paper: T = 100 is 20B tokens).
* ``"scaling"`` (Eq. 8): ``R_CMR(T) = alpha4 * T^s4 + beta3``, fitted to critical ratios at
  several budgets (inputs from :meth:`CMR.scaling_points`).

The critical point (Eq. 7) is the tangency ``(dL_gen/dT) / (dL_dom/dT) = -1/lam``, solved by a
bracketed root search (:func:`tangency_tokens`, ``scipy.optimize.brentq``);
:func:`critical_mixture_ratio` combines it with the admissibility constraint
``L_gen(R, T_max) <= L_gen(M_S) + eps`` (eps = 0.05) to give R* = max of the feasible ratios.

Example:
    >>> law = CMR(kind="domain_increment")
    >>> x = {"T": np.array([1.0, 100.0]), "base": np.array([2.0, 2.0])}
    >>> p = {"alpha1": 0.3, "s1": -0.5, "beta1": -0.4}
    >>> [round(float(v), 6) for v in law.predict(p, x)]
    [1.9, 1.63]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

from lawfit._validate import check_choice, check_real
from lawfit._x64 import x64
from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["CMR", "tangency_tokens", "critical_mixture_ratio", "critical_ratio_curve", "eq7_residual"]

_KINDS = ("ratio", "domain_increment", "general_increment", "scaling")
_NAMES = {
    "ratio": ("alpha", "s", "beta"),
    "domain_increment": ("alpha1", "s1", "beta1"),
    "general_increment": ("alpha2", "s2", "alpha3", "s3", "beta2"),
    "scaling": ("alpha4", "s4", "beta3"),
}


class CMR(Law):
    """The CMR law's fitted forms (see the module docstring)."""

    name = "cmr"
    data = "mixture_table"

    def __init__(self, *, kind: str = "ratio", target: str = "domain", token_unit: float = 2e8) -> None:
        check_choice("kind", kind, _KINDS)
        check_choice("target", target, ("general", "domain"))
        if kind == "domain_increment":
            target = "domain"
        elif kind == "general_increment":
            target = "general"
        self.kind = kind
        self.target = target
        self.token_unit = check_real("token_unit", token_unit, above=0)

    def options(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "token_unit": self.token_unit}

    def param_specs(self) -> tuple[ParamSpec, ...]:
        a, s, *rest = _NAMES[self.kind]
        specs = [
            ParamSpec(a, -math.inf, math.inf, "identity", (0.3, -0.3), "power-term amplitude"),
            ParamSpec(s, -5.0, 5.0, "logit", (-0.5, 0.5), "power-term exponent"),
        ]
        if self.kind == "general_increment":
            specs += [
                ParamSpec("alpha3", -math.inf, math.inf, "identity", (0.1, -0.1), "second amplitude"),
                ParamSpec("s3", -5.0, 5.0, "logit", (-1.0, 1.0), "second exponent"),
            ]
        specs.append(ParamSpec(rest[-1], -math.inf, math.inf, "identity", (0.0,), "offset"))
        return tuple(specs)

    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        values = {p.name: p.init for p in self.param_specs()}
        y = np.asarray(inputs.y, dtype=np.float64)
        y = y[np.isfinite(y)]
        if self.kind in ("ratio", "scaling") and y.size:
            values[_NAMES[self.kind][-1]] = (float(np.min(y)), float(np.mean(y)))
            values[_NAMES[self.kind][1]] = (-1.0, -0.3, 0.3, 1.0)
        if self.kind == "general_increment":  # rise-then-fall shapes need both sign patterns
            values.update(alpha2=(0.3, -0.3), s2=(-1.0, -0.3), alpha3=(0.03, -0.03), s3=(0.3, 1.0), beta2=(0.0, 0.3))
        names = list(values)
        mesh = np.meshgrid(*(np.asarray(values[n], dtype=np.float64) for n in names), indexing="ij")
        return {n: m.ravel() for n, m in zip(names, mesh, strict=True)}

    # -- data -----------------------------------------------------------------------------------
    @staticmethod
    @x64
    def scaling_points(T: Sequence[float], r_cmr: Sequence[float]) -> LawInputs:
        """Inputs for ``kind="scaling"``: critical ratios ``r_cmr`` at budgets ``T`` (token units)."""
        T = np.asarray(T, dtype=np.float64).reshape(-1)
        r = np.asarray(r_cmr, dtype=np.float64).reshape(-1)
        if T.shape != r.shape:
            raise ValueError(f"T and r_cmr must have the same length, got {T.size} and {r.size}")
        bad = np.flatnonzero(~np.isfinite(T) | (T <= 0) | ~np.isfinite(r) | (r <= 0) | (r > 1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"point {i}: T={T[i]!r}, r_cmr={r[i]!r}; need T > 0 and r_cmr in (0, 1]")
        if np.unique(T).size < 3:
            raise ValueError(
                f"R_CMR(T) has 3 parameters along T but only {np.unique(T).size} distinct budgets "
                f"{np.unique(T).tolist()}; give at least 3"
            )
        return LawInputs(
            x={"T": jnp.asarray(T), "base": jnp.zeros_like(jnp.asarray(T))},
            y=jnp.asarray(r),
            weight=jnp.ones(r.size),
            run_index=np.zeros(r.size, dtype=np.int64),
            steps=np.arange(r.size, dtype=np.int64),
            run_ids=("cmr:scaling",),
        )

    @x64
    def prepare(
        self,
        runs: Any,
        *,
        metric: str = "loss",
        steps: Any = None,
        exclude_warmup: bool | None = None,
        predict: bool = False,
    ) -> LawInputs:
        from lawfit.mixtures import MixtureTable

        if self.kind == "scaling":
            if isinstance(runs, Mapping):
                return self.scaling_points(runs["T"], runs["r_cmr"])
            raise ValueError("CMR(kind='scaling') takes {'T': [...], 'r_cmr': [...]} or CMR.scaling_points(...)")
        if not isinstance(runs, MixtureTable):
            raise ValueError(
                f"CMR(kind={self.kind!r}) takes a lawfit.mixtures.MixtureTable, got "
                f"{type(runs).__name__}; build one with MixtureTable.from_runs(...)"
            )
        if metric not in ("loss", self.target):
            raise ValueError(f"CMR(kind={self.kind!r}) models the {self.target!r} loss; got metric={metric!r}")
        table = runs
        y = np.full(len(table), np.nan) if predict else np.asarray(table.loss(self.target))
        keep = np.ones(len(table), bool) if predict else np.isfinite(y)
        if steps is not None:
            sel = np.zeros(len(table), bool)
            sel[np.asarray(steps, dtype=np.int64)] = True
            keep &= sel
        if self.kind == "ratio":
            keep &= (table.r > 0) & (table.r < 1)
            axis, vals, need = "R", table.r[keep], 3
            x = {"T": jnp.asarray(table.r[keep]), "base": jnp.zeros(int(keep.sum()))}
        else:
            base = table.base_domain if self.target == "domain" else table.base_general
            if base is None:
                raise ValueError(
                    f"CMR(kind={self.kind!r}) needs the source model's {self.target} loss: the "
                    f"table column 'base_{self.target}'"
                )
            ratios = np.unique(table.r[keep])
            if ratios.size > 1 and not predict:
                raise ValueError(
                    f"CMR(kind={self.kind!r}) fits one mixture ratio at a time, but the rows have "
                    f"ratios {ratios.tolist()}; use table.select(table.r == R)"
                )
            bad = keep & ~np.isfinite(base)
            if bad.any():
                raise ValueError(f"row {table.row_ids[int(np.argmax(bad))]}: base_{self.target} is missing")
            T = table.D[keep] / self.token_unit
            need = 3 if self.kind == "domain_increment" else 5
            axis, vals = "T", T
            x = {"T": jnp.asarray(T), "base": jnp.asarray(base[keep])}
        if not predict and np.unique(vals).size < need:
            raise ValueError(
                f"CMR(kind={self.kind!r}) has {need} parameters along {axis} but the rows have "
                f"{np.unique(vals).size} distinct {axis} values {np.unique(vals).tolist()}"
                + (" (endpoint ratios 0 and 1 are not used)" if axis == "R" else "")
            )
        idx = np.flatnonzero(keep)
        return LawInputs(
            x=x,
            y=jnp.asarray(y[keep]),
            weight=jnp.ones(idx.size),
            run_index=np.zeros(idx.size, dtype=np.int64),
            steps=idx.astype(np.int64),
            run_ids=(f"cmr:{self.kind}",),
        )

    def predict(self, params: dict[str, Any], x: Any) -> Any:
        a, s, *rest = _NAMES[self.kind]
        T = x["T"]
        out = x["base"] + params[a] * jnp.power(T, params[s]) + params[rest[-1]]
        if self.kind == "general_increment":
            out = out + params["alpha3"] * jnp.power(T, params["s3"])
        return out


# -- critical point -----------------------------------------------------------------------------
def _slopes(dom: Mapping[str, float], gen: Mapping[str, float], T: np.ndarray):
    T = np.asarray(T, dtype=np.float64)
    d_dom = dom["alpha1"] * dom["s1"] * T ** (dom["s1"] - 1.0)
    d_gen = gen["alpha2"] * gen["s2"] * T ** (gen["s2"] - 1.0) + gen["alpha3"] * gen["s3"] * T ** (gen["s3"] - 1.0)
    return d_dom, d_gen


def tangency_tokens(
    domain_params: Mapping[str, float],
    general_params: Mapping[str, float],
    lam: float,
    *,
    t_range: tuple[float, float] = (1e-3, 1e6),
    grid: int = 2000,
) -> float:
    """T0 with ``(dL_gen/dT) / (dL_dom/dT) = -1/lam`` (Eq. 7), in token units; NaN if none.

    Solves ``lam * dL_gen/dT + dL_dom/dT = 0`` by scanning a geometric grid of ``t_range`` for
    the first sign change and refining it with ``brentq`` (no fixed-point iteration, which can
    diverge). Parameters are ``{alpha1, s1}`` and ``{alpha2, s2, alpha3, s3}`` (CMR fits' params).
    """
    if not float(lam) > 0:
        raise ValueError(f"lam must be positive, got {lam!r}")
    g = lambda T: lam * _slopes(domain_params, general_params, T)[1] + _slopes(domain_params, general_params, T)[0]  # noqa: E731
    T = np.geomspace(*t_range, grid)
    v = g(T)
    sign = np.sign(v)
    cross = np.flatnonzero(np.isfinite(v[:-1]) & np.isfinite(v[1:]) & (sign[:-1] * sign[1:] < 0))
    if cross.size == 0:
        exact = np.flatnonzero(v == 0)
        return float(T[exact[0]]) if exact.size else math.nan
    i = int(cross[0])
    return float(brentq(lambda t: float(g(t)), T[i], T[i + 1], xtol=1e-14, rtol=1e-13, maxiter=500))


def eq7_residual(T0: float, domain_params: Mapping[str, float], general_params: Mapping[str, float], lam: float) -> float:
    """``T0 - RHS(T0)`` of the paper's printed Eq. 7 (0 at the critical point)."""
    a1, s1 = domain_params["alpha1"], domain_params["s1"]
    a2, s2, a3, s3 = (general_params[k] for k in ("alpha2", "s2", "alpha3", "s3"))
    rhs = (-(a1 * s1) / (lam * a2 * s2) * (1.0 + (a3 * s3) / (a2 * s2) * T0 ** (s3 - s2)) ** -1) ** (1.0 / (s2 - s1))
    return float(T0 - rhs)


def critical_mixture_ratio(
    ratios: Sequence[float],
    domain_params: Sequence[Mapping[str, float]],
    general_params: Sequence[Mapping[str, float]],
    *,
    t_max: float,
    lam: float,
    general_ratio_params: Mapping[str, float] | None = None,
    base_general: float | None = None,
    eps: float = 0.05,
    grid: int = 2001,
) -> dict[str, Any]:
    """R* = max of the feasible ratios (LAWS.md 8.1, 8.4).

    ``T0(R)`` is solved per measured ratio (:func:`tangency_tokens`) and interpolated linearly in
    ``log T0`` between ratios; a ratio is feasible when ``T0(R) <= t_max`` and admissible when
    the general loss-vs-ratio fit (``{alpha, s, beta}``) stays within ``base_general + eps``.

    Returns ``{"r_cmr", "t0", "r_admissible"}`` (``r_cmr`` NaN when no ratio is feasible).
    """
    R = np.asarray(ratios, dtype=np.float64)
    if R.size < 2 or len(domain_params) != R.size or len(general_params) != R.size:
        raise ValueError("give >= 2 ratios, each with its domain and general increment fit")
    if np.any((R <= 0) | (R > 1)):
        raise ValueError(f"ratios must be in (0, 1], got {R.tolist()}")
    order = np.argsort(R)
    R = R[order]
    t0 = np.array([tangency_tokens(domain_params[i], general_params[i], lam) for i in order])
    r_adm = 1.0
    if general_ratio_params is not None:
        if base_general is None:
            raise ValueError("general_ratio_params needs base_general (the source model's general loss)")
        p = general_ratio_params
        h = lambda r: p["alpha"] * r ** p["s"] + p["beta"] - base_general - eps  # noqa: E731
        rg = np.linspace(1e-4, 1.0, grid)
        ok = h(rg) <= 0
        if not ok.any():
            r_adm = math.nan
        elif ok.all():
            r_adm = 1.0
        else:
            j = int(np.flatnonzero(ok)[-1])
            r_adm = float(brentq(h, rg[j], rg[j + 1])) if j + 1 < rg.size else 1.0
    finite = np.isfinite(t0)
    if finite.sum() < 2 or not math.isfinite(r_adm):
        return {"r_cmr": math.nan, "t0": dict(zip(R.tolist(), t0.tolist(), strict=False)), "r_admissible": r_adm}
    logt = lambda r: np.interp(r, R[finite], np.log(t0[finite]))  # noqa: E731
    rg = np.linspace(R[finite][0], min(R[finite][-1], r_adm), grid)
    feas = logt(rg) <= math.log(t_max)
    if not feas.any():
        r_star = math.nan
    else:
        j = int(np.flatnonzero(feas)[-1])
        if j + 1 < rg.size and not feas[j + 1]:
            r_star = float(brentq(lambda r: float(logt(r)) - math.log(t_max), rg[j], rg[j + 1]))
        else:
            r_star = float(rg[j])
    return {"r_cmr": r_star, "t0": dict(zip(R.tolist(), t0.tolist(), strict=False)), "r_admissible": r_adm}


def critical_ratio_curve(
    ratios: Sequence[float],
    domain_params: Sequence[Mapping[str, float]],
    general_params: Sequence[Mapping[str, float]],
    t_values: Sequence[float],
    *,
    lam: float,
    **kwargs: Any,
) -> LawInputs:
    """R_CMR at each budget in ``t_values`` (token units), as inputs for ``CMR(kind="scaling")``.

    Budgets where no ratio is feasible are dropped (with at least 3 budgets left). Example:
    ``lawfit.fit(CMR(kind="scaling"), critical_ratio_curve(R, doms, gens, [20, 50, 100], lam=1e3))``.
    """
    T, r = [], []
    for t in t_values:
        out = critical_mixture_ratio(ratios, domain_params, general_params, t_max=float(t), lam=lam, **kwargs)
        if math.isfinite(out["r_cmr"]) and out["r_cmr"] > 0:
            T.append(float(t))
            r.append(out["r_cmr"])
    return CMR.scaling_points(T, r)
