"""D-CPT law (Que et al., NeurIPS 2024, arXiv 2406.01375; LAWS.md 7) [secondary, unverified].

The chosen form "L3" (LAWS.md 7.1):

    L(N, D, r) = E + A / N^alpha + B * r^eta / D^beta + C / (r + eps)^gamma

* N: model parameters, D: CPT tokens, in units of ``n_unit`` / ``d_unit`` (default 1e9 each, so
  the scale parameters are O(1)); ``eta`` is a fitted exponent (not an LR); ``eps`` is fitted.
* **r is the share of the corpus whose loss is modelled**: ``target="general"`` models the
  general loss with r = r_g = 1 - r_d, ``target="domain"`` the domain loss with r = r_d (the
  :class:`~lawfit.mixtures.MixtureTable` column ``r`` is always r_d). Fit the two separately.
* ``size_term=False`` drops ``A / N^alpha`` (for sweeps at a single model size).
* ``cross_domain=True`` adds the domain-learnability term ``F / K^mu`` (LAWS.md 7.2). K comes from
  ``learnability``: ``"given"`` uses the table's ``K`` column (compute it with any function you
  like); ``"probe"`` (default representation, **following secondary sources only**) builds
  ``K = 1 / k1 + w2 * k2`` from the table's probe statistics ``k1`` (initial domain loss) and
  ``k2`` (early rate of decline), with w2 fitted; the summaries' ``w1`` is fixed to 1 because it
  is degenerate with F.

Trend requirements (7.1): dL/dN < 0, dL/dD < 0, dL/dr < 0 and d2L/dDdr < 0. They are not
enforced by the bounds (dL/dr mixes a rising and a falling term), so :meth:`DCPTLaw.diagnostics`
checks them on a grid spanning the data and reports every violation.

Example:
    >>> from lawfit.mixtures import MixtureTable
    >>> law = DCPTLaw(target="domain")
    >>> x = law.inputs(N=[1.8e9], D=[1e10], r=[0.5])
    >>> p = dict(E=1.0, A=0.5, alpha=0.3, B=1.0, beta=0.4, eta=0.5, C=0.1, gamma=0.5, eps=0.05)
    >>> round(float(law.predict(p, x)[0]), 4)
    1.8355
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from lawfit._validate import check_bool, check_choice, check_real
from lawfit._x64 import x64
from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["DCPTLaw"]


def _rpow(r: Any, e: Any) -> Any:
    """``r**e`` for r >= 0 with 0**e = 0 and finite gradients at r = 0."""
    pos = r > 0
    return jnp.where(pos, jnp.exp(e * jnp.log(jnp.where(pos, r, 1.0))), 0.0)


class DCPTLaw(Law):
    """Que et al.'s D-CPT law (form L3) with the optional cross-domain term."""

    name = "dcpt"
    data = "mixture_table"

    def __init__(
        self,
        *,
        target: str = "domain",
        size_term: bool = True,
        cross_domain: bool = False,
        learnability: str = "given",
        n_unit: float = 1e9,
        d_unit: float = 1e9,
    ) -> None:
        self.target = check_choice("target", target, ("general", "domain"))
        self.size_term = check_bool("size_term", size_term)
        self.cross_domain = check_bool("cross_domain", cross_domain)
        self.learnability = check_choice("learnability", learnability, ("given", "probe"))
        self.n_unit = check_real("n_unit", n_unit, above=0)
        self.d_unit = check_real("d_unit", d_unit, above=0)

    def options(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "size_term": self.size_term,
            "cross_domain": self.cross_domain,
            "learnability": self.learnability,
            "n_unit": self.n_unit,
            "d_unit": self.d_unit,
        }

    def param_specs(self) -> tuple[ParamSpec, ...]:
        specs = [ParamSpec("E", 0.0, math.inf, "log", (1.5,), "irreducible loss")]
        if self.size_term:
            specs += [
                ParamSpec("A", 0.0, math.inf, "log", (0.3,), "model-size amplitude"),
                ParamSpec("alpha", 0.0, 3.0, "logit", (0.3, 0.6), "model-size exponent"),
            ]
        specs += [
            ParamSpec("B", 0.0, math.inf, "log", (0.3, 1.0), "data amplitude"),
            ParamSpec("beta", 0.0, 3.0, "logit", (0.3, 0.6), "data exponent"),
            ParamSpec("eta", -3.0, 5.0, "logit", (0.5,), "ratio exponent of the data term"),
            ParamSpec("C", 0.0, math.inf, "log", (0.05, 0.2), "ratio amplitude"),
            ParamSpec("gamma", 0.0, 5.0, "logit", (0.3, 1.0), "ratio exponent"),
            ParamSpec("eps", 1e-6, 2.0, "logit", (0.01, 0.1), "ratio offset (finite at r = 0)"),
        ]
        if self.cross_domain:
            specs += [
                ParamSpec("F", 0.0, math.inf, "log", (0.1,), "learnability amplitude"),
                ParamSpec("mu", 0.0, 5.0, "logit", (0.5,), "learnability exponent"),
            ]
            if self.learnability == "probe":
                specs.append(ParamSpec("w2", 0.0, math.inf, "log", (1.0,), "weight of k2 in K"))
        return tuple(specs)

    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        y = np.asarray(inputs.y, dtype=np.float64)
        y = y[np.isfinite(y)]
        lo = float(y.min()) if y.size else 2.0
        values = {p.name: p.init for p in self.param_specs()}
        values["E"] = (0.5 * lo, 0.8 * lo)
        # 8 starts (E, beta, gamma): the directions that matter most for its local minima
        values.update(alpha=(0.4,), B=(0.5,), eta=(0.3,), C=(0.1,), eps=(0.05,),
                      beta=(0.2, 0.5), gamma=(0.4, 1.0))
        if self.cross_domain:
            values.update(F=(0.1,), mu=(0.5,))
        names = list(values)
        mesh = np.meshgrid(*(np.asarray(values[n], dtype=np.float64) for n in names), indexing="ij")
        return {n: m.ravel() for n, m in zip(names, mesh, strict=True)}

    def _points(self, points: Mapping[str, Any]) -> LawInputs:
        cols = ("N", "D", "r", "K", "k1", "k2")
        missing = [c for c in ("N", "D", "r") if c not in points]
        unknown = [c for c in points if c not in cols]
        if missing or unknown:
            raise ValueError(
                f"DCPTLaw points: a mapping needs keys 'N', 'D', 'r' (optional 'K', 'k1', 'k2'); "
                f"missing {missing}, unknown {unknown}"
            )
        x = self.inputs(**{c: points[c] for c in cols if c in points})
        n = int(x["N"].shape[0])
        return LawInputs(x=x, y=jnp.full(n, jnp.nan), weight=jnp.zeros(n),
                         run_index=np.zeros(n, dtype=np.int64), steps=np.arange(n, dtype=np.int64),
                         run_ids=("points",))

    # -- data -----------------------------------------------------------------------------------
    def _share(self, r_d: np.ndarray) -> np.ndarray:
        return 1.0 - r_d if self.target == "general" else r_d

    @x64
    def inputs(self, N: Any, D: Any, r: Any, K: Any = None, k1: Any = None, k2: Any = None) -> dict[str, Any]:
        """The ``x`` pytree for points (N, D, r_d) in raw units (r is always the domain share)."""
        N, D, r = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (N, D, r))
        N, D, r = np.broadcast_arrays(N, D, r)
        x = {
            "N": jnp.asarray(N / self.n_unit),
            "D": jnp.asarray(D / self.d_unit),
            "r": jnp.asarray(self._share(r)),
        }
        if self.cross_domain:
            if self.learnability == "given":
                if K is None:
                    raise ValueError("cross_domain=True with learnability='given' needs K")
                x["K"] = jnp.asarray(np.broadcast_to(np.asarray(K, dtype=np.float64), N.shape))
            else:
                if k1 is None or k2 is None:
                    raise ValueError("learnability='probe' needs the probe statistics k1 and k2")
                x["k1"] = jnp.asarray(np.broadcast_to(np.asarray(k1, dtype=np.float64), N.shape))
                x["k2"] = jnp.asarray(np.broadcast_to(np.asarray(k2, dtype=np.float64), N.shape))
        return x

    def _axis_check(self, table: Any, keep: np.ndarray) -> None:
        axes = [("r", table.r, 4, "eta, C, gamma, eps"), ("D", table.D, 2, "B, beta")]
        if self.size_term:
            axes.append(("N", table.N, 2, "A, alpha"))
        if self.cross_domain and self.learnability == "given" and table.K is not None:
            axes.append(("K", table.K, 2, "F, mu"))
        for axis, col, need, names in axes:
            distinct = np.unique(col[keep])
            if distinct.size < need:
                hint = " (or DCPTLaw(size_term=False) for a single model size)" if axis == "N" else ""
                raise ValueError(
                    f"the D-CPT law has {need} parameters along {axis} ({names}) but the table's "
                    f"{self.target} rows have {distinct.size} distinct {axis} values "
                    f"{distinct.tolist()}; add rows at more {axis} values{hint}"
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

        if isinstance(runs, Mapping):  # prediction points {"N", "D", "r"[, "K", "k1", "k2"]}
            return self._points(runs)
        table = runs
        if not isinstance(table, MixtureTable):
            name = None if metric == "loss" else metric
            kw = {"general_metric": None, "domain_metric": None}
            kw[f"{self.target}_metric"] = name or f"val_{self.target}"
            table = MixtureTable.from_runs(runs, **kw)
        elif metric not in ("loss", self.target):
            raise ValueError(
                f"DCPTLaw(target={self.target!r}) models the {self.target!r} column; got "
                f"metric={metric!r}"
            )
        y = np.full(len(table), np.nan) if predict else np.asarray(table.loss(self.target))
        keep = np.ones(len(table), bool) if predict else np.isfinite(y)
        if steps is not None:
            sel = np.zeros(len(table), bool)
            sel[np.asarray(steps, dtype=np.int64)] = True
            keep &= sel
        if not predict:
            self._axis_check(table, keep)
        cross = {}
        if self.cross_domain:
            col = "K" if self.learnability == "given" else "k1"
            if getattr(table, col) is None:
                raise ValueError(
                    f"DCPTLaw(cross_domain=True, learnability={self.learnability!r}) needs the "
                    f"table column {col!r}" + (" and 'k2'" if col == "k1" else "")
                )
            cross = {c: getattr(table, c)[keep] for c in ("K", "k1", "k2") if getattr(table, c) is not None}
        x = self.inputs(table.N[keep], table.D[keep], table.r[keep], **cross)
        idx = np.flatnonzero(keep)
        # one "run" per curve of the sweep: rows sharing (N, r[, K]); steps are table row indices
        key_cols = [table.N[keep], table.r[keep]] + ([table.K[keep]] if table.K is not None else [])
        keys = list(zip(*(c.tolist() for c in key_cols), strict=True))
        groups = list(dict.fromkeys(keys))
        where = {k: i for i, k in enumerate(groups)}
        names = tuple(
            f"N={k[0]:.4g},r={k[1]:.4g}" + (f",K={k[2]:.4g}" if len(k) > 2 else "") for k in groups
        )
        return LawInputs(
            x=x,
            y=jnp.asarray(y[keep]),
            weight=jnp.ones(idx.size),
            run_index=np.array([where[k] for k in keys], dtype=np.int64),
            steps=idx.astype(np.int64),
            run_ids=names,
        )

    # -- law ------------------------------------------------------------------------------------
    def predict(self, params: dict[str, Any], x: Any) -> Any:
        p = params
        loss = p["E"] + p["B"] * _rpow(x["r"], p["eta"]) * jnp.power(x["D"], -p["beta"])
        loss = loss + p["C"] * jnp.power(x["r"] + p["eps"], -p["gamma"])
        if self.size_term:
            loss = loss + p["A"] * jnp.power(x["N"], -p["alpha"])
        if self.cross_domain:
            K = x["K"] if self.learnability == "given" else 1.0 / x["k1"] + p["w2"] * x["k2"]
            loss = loss + p["F"] * jnp.power(K, -p["mu"])
        return loss

    def derivatives(self, params: dict[str, Any], N: Any, D: Any, r: Any) -> dict[str, np.ndarray]:
        """dL/dN, dL/dD, dL/dr, d2L/dDdr (in the law's units, r the modelled share)."""
        p = {k: float(v) for k, v in params.items()}
        N, D, r = (np.asarray(v, dtype=np.float64) for v in (N, D, r))
        with np.errstate(divide="ignore", invalid="ignore"):
            rp = np.where(r > 0, r ** (p["eta"] - 1.0), np.inf if p["eta"] < 1 else (1.0 if p["eta"] == 1 else 0.0))
            out = {
                "dL/dD": -p["beta"] * p["B"] * np.where(r > 0, r ** p["eta"], 0.0) * D ** (-p["beta"] - 1.0),
                "dL/dr": p["eta"] * p["B"] * rp * D ** (-p["beta"])
                - p["gamma"] * p["C"] * (r + p["eps"]) ** (-p["gamma"] - 1.0),
                "d2L/dDdr": -p["beta"] * p["eta"] * p["B"] * rp * D ** (-p["beta"] - 1.0),
            }
            if self.size_term:
                out["dL/dN"] = -p["alpha"] * p["A"] * N ** (-p["alpha"] - 1.0)
        return out

    @x64
    def diagnostics(self, params: dict[str, Any], inputs: Any = None, *, grid: int = 9) -> list[str]:
        """Violations of the D-CPT trend requirements (LAWS.md 7.1), checked on a grid spanning
        ``inputs`` (a LawInputs, an ``x`` dict or a MixtureTable; default N, D in [0.1, 10] units)
        and r in (0, 1]. Returns human-readable lines; empty when every trend holds."""
        from lawfit.mixtures import MixtureTable

        if isinstance(inputs, MixtureTable):
            x = self.inputs(inputs.N, inputs.D, inputs.r)
        elif isinstance(inputs, LawInputs):
            x = inputs.x
        else:
            x = inputs
        if x is None:
            Nr, Dr = (0.1, 10.0), (0.1, 10.0)
        else:
            Nr = (float(np.min(x["N"])), float(np.max(x["N"])))
            Dr = (float(np.min(x["D"])), float(np.max(x["D"])))
        Ng = np.geomspace(*Nr, grid) if Nr[0] < Nr[1] else np.array([Nr[0]])
        Dg = np.geomspace(*Dr, grid) if Dr[0] < Dr[1] else np.array([Dr[0]])
        rg = np.linspace(1.0 / (4 * grid), 1.0, 4 * grid)
        N, D, r = np.meshgrid(Ng, Dg, rg, indexing="ij")
        out = []
        for name, val in self.derivatives(params, N, D, r).items():
            bad = ~(val < 0)
            if bad.any():
                i = np.unravel_index(np.argmax(bad), bad.shape)
                out.append(
                    f"trend {name} < 0 violated at {bad.mean():.0%} of the grid (e.g. "
                    f"N={N[i] * self.n_unit:.3g}, D={D[i] * self.d_unit:.3g}, "
                    f"r_{self.target[0]}={r[i]:.3g}: {name} = {val[i]:.3g})"
                )
        if not float(params["eps"]) > 0:
            out.append("adaptability violated: eps <= 0 makes the law infinite at r = 0")
        return out
