"""Chinchilla data/model scaling law (Hoffmann et al. 2022; Besiroglu et al. 2024; LAWS.md 2).

::

    L̂(N, D) = E + A / N^alpha + B / D^beta
            = exp( LSE(log A - alpha log N,  log B - beta log D,  log E) )

N (parameters) and D (training tokens) are raw counts. A, B, E use the ``log`` transform, so the
solver works exactly in Hoffmann's ``a = log A, b = log B, e = log E`` coordinates, and the
prediction is evaluated in the numerically stable log-sum-exp form. alpha and beta are
unconstrained (as in Approach 3's unbounded L-BFGS).

Default init grid: the 4,500-start grid of Approach 3 (confirmed in Epoch's replication code)::

    alpha, beta ∈ {0, 0.5, 1, 1.5, 2};  e ∈ {-1, -0.5, 0, 0.5, 1};  a, b ∈ {0, 5, 10, 15, 20, 25}

Chinchilla points are (N, D, loss) triples, not curves. Two ways in:

* ``Chinchilla.table(N, D, loss)`` -> ``LawInputs`` (one row per point; pass it to
  :func:`lawfit.fit`, :func:`lawfit.evaluate` or ``FitResult.predict``; ``loss=None`` for
  prediction-only rows);
* a RunSet whose runs carry ``meta["N"]`` and either ``meta["D"]`` (then the run's **last**
  observed value is its point) or ``meta["tokens_per_step"]`` (then every observed point is used,
  with ``D = (step + 1) * tokens_per_step``).

Example:
    >>> import numpy as np, lawfit
    >>> from lawfit.laws import Chinchilla
    >>> N = np.array([1e8, 1e8, 1e9, 1e9, 1e10, 1e10])
    >>> D = np.array([2e9, 2e10, 2e10, 2e11, 2e11, 2e12])
    >>> truth = dict(A=406.4, B=410.7, E=1.69, alpha=0.34, beta=0.28)
    >>> L = truth["E"] + truth["A"] / N**truth["alpha"] + truth["B"] / D**truth["beta"]
    >>> law = Chinchilla()
    >>> res = lawfit.fit(law, Chinchilla.table(N, D, L), init={"alpha": 0.3, "beta": 0.3,
    ...                  "A": 100.0, "B": 100.0, "E": 1.0})
    >>> round(res.params["E"], 3)
    1.69
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["Chinchilla"]

_LOG_GRID = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)


def _positive(name: str, v: Any) -> np.ndarray:
    a = np.atleast_1d(np.asarray(v, dtype=np.float64))
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"Chinchilla.table: {name}[{i}] = {float(a[i])!r}; {name} must be positive finite raw counts")
    return a


class Chinchilla(Law):
    """``L = E + A N^-alpha + B D^-beta`` (see the module docstring)."""

    name: ClassVar[str] = "chinchilla"
    data: ClassVar[str] = "scaling_points"

    def param_specs(self) -> tuple[ParamSpec, ...]:
        return (
            ParamSpec("A", 0.0, math.inf, "log", tuple(math.exp(v) for v in _LOG_GRID), "model-size amplitude"),
            ParamSpec("B", 0.0, math.inf, "log", tuple(math.exp(v) for v in _LOG_GRID), "data amplitude"),
            ParamSpec("E", 0.0, math.inf, "log", tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0)), "irreducible loss"),
            ParamSpec("alpha", -math.inf, math.inf, "identity", (0.0, 0.5, 1.0, 1.5, 2.0), "model-size exponent"),
            ParamSpec("beta", -math.inf, math.inf, "identity", (0.0, 0.5, 1.0, 1.5, 2.0), "data exponent"),
        )

    @staticmethod
    def table(N: Any, D: Any, loss: Any = None, *, run_id: str = "table") -> LawInputs:
        """``LawInputs`` for (N, D[, loss]) rows (raw counts); ``loss=None`` for predictions."""
        n, d = _positive("N", N), _positive("D", D)
        if n.shape != d.shape:
            n, d = np.broadcast_arrays(n, d)
        y = np.full(n.shape, np.nan) if loss is None else np.atleast_1d(np.asarray(loss, dtype=np.float64))
        if y.shape != n.shape:
            raise ValueError(f"Chinchilla.table: loss has shape {y.shape} but N and D have {n.shape}")
        with jax.enable_x64(True):
            return LawInputs(
                x={"logN": jnp.asarray(np.log(n)), "logD": jnp.asarray(np.log(d))},
                y=jnp.asarray(y),
                weight=jnp.asarray(np.zeros(n.shape) if loss is None else np.ones(n.shape)),
                run_index=np.zeros(n.shape, dtype=np.int64),
                steps=np.arange(n.size, dtype=np.int64),
                run_ids=(run_id,),
            )

    def prepare(self, runs: Any, *, metric: str = "loss", steps: Any = None,
                exclude_warmup: bool | None = None, predict: bool = False) -> LawInputs:
        """Points from runs with ``meta["N"]`` and ``meta["D"]`` or ``meta["tokens_per_step"]``."""
        from lawfit.runs import as_runset

        if isinstance(runs, LawInputs):
            return runs
        if isinstance(runs, Mapping) and "N" in runs and "D" in runs:  # (N, D[, loss]) points
            return self.table(runs["N"], runs["D"], runs.get("loss"))
        runs = as_runset(runs)
        N, D, Y, RI, ST = [], [], [], [], []
        for i, run in enumerate(runs):
            if run.meta.get("N") is None:
                raise ValueError(
                    f"run {run.run_id!r}: Chinchilla needs meta['N'] (parameters, raw count); add it "
                    "or use Chinchilla.table(N, D, loss)"
                )
            obs = run.metrics.get(metric)
            if obs is None and not predict:
                run.observed(metric)  # raises naming the run and its metrics
            if run.meta.get("D") is not None:
                d = np.array([float(run.meta["D"])])
                s = np.array([obs.steps[-1] if obs is not None and obs.steps.size else 0])
                y = np.array([obs.values[-1] if obs is not None and obs.values.size else np.nan])
            elif run.meta.get("tokens_per_step") is not None:
                if obs is None:
                    s = np.asarray(steps if steps is not None else [], dtype=np.int64)
                    y = np.full(s.shape, np.nan)
                else:
                    s, y = np.asarray(obs.steps), np.asarray(obs.values)
                    if steps is not None:
                        keep = np.isin(s, np.asarray(steps))
                        s, y = s[keep], y[keep]
                d = (s.astype(np.float64) + 1.0) * float(run.meta["tokens_per_step"])
            else:
                raise ValueError(
                    f"run {run.run_id!r}: Chinchilla needs meta['D'] (tokens) or "
                    "meta['tokens_per_step']; add one, or use Chinchilla.table(N, D, loss)"
                )
            N.append(np.full(d.shape, float(run.meta["N"])))
            D.append(d)
            Y.append(np.asarray(y, dtype=np.float64))
            RI.append(np.full(d.shape, i, dtype=np.int64))
            ST.append(np.asarray(s, dtype=np.int64))
        n, d, y = np.concatenate(N), np.concatenate(D), np.concatenate(Y)
        base = self.table(n, d, None if predict else y)
        if predict:
            base = base._replace(y=jnp.asarray(y), weight=jnp.asarray(np.where(np.isfinite(y), 1.0, 0.0)))
        return base._replace(run_index=np.concatenate(RI), steps=np.concatenate(ST), run_ids=tuple(runs.ids))

    def predict(self, params: dict[str, Any], x: Any) -> Any:
        return jnp.exp(self.log_predict(params, x))

    def log_predict(self, params: dict[str, Any], x: Any) -> Any:
        """``log L̂`` in the log-sum-exp form."""
        terms = jnp.stack(
            jnp.broadcast_arrays(
                jnp.log(params["A"]) - params["alpha"] * x["logN"],
                jnp.log(params["B"]) - params["beta"] * x["logD"],
                jnp.log(params["E"]) * jnp.ones_like(x["logN"]),
            )
        )
        return jax.scipy.special.logsumexp(terms, axis=0)
