"""LR-annealing "momentum" law (Tissue, Wang & Wang 2024, arXiv 2408.11029; LAWS.md section 3).

::

    L(s)  = L0 + A * S1(s)^(-alpha) - C * S2(s)
    S1(s) = Σ_{i=0..s} η̃[i]                           forward area
    m[0]  = 0,  m[i] = λ m[i-1] + (η̃[i-1] - η̃[i])     LR-annealing momentum
    S2(s) = Σ_{i=0..s} m[i]                            annealing area

in lawfit's 0-based per-step array, for a loss logged at global step s (``lr[0..s]`` seen, raw LR
units). ``η̃`` is the LR with the warmup (indices ``0..W-1``) replaced by ``η_max``; the two
warmup conventions differ only in S1:

* ``warmup="tissue"`` (the paper, "warmup as η_max"): ``S1 = Σ_{i<=s} η̃[i]`` (warmup area
  ``W * η_max``);
* ``warmup="mpl"`` (MPL-paper warmup area S_W = the sum of the warmup LRs):
  ``S1 = Σ_{i=0..s} lr[i]``, which is ``0.5 * W * η_max + Σ_{i=W..s} lr[i]`` for a
  ``linspace(0, η_max, W)`` warmup (LAWS.md 3.1 / 4.1). Using the actual area makes the result
  independent of whether the last ramp step (already at η_max) is counted as warmup.

S2 never sees the warmup in either convention. ``m`` is a first-order linear recurrence computed
exactly by ``scipy.signal.lfilter`` in float64 (no ``λ^(-k)`` factors, nothing to compile),
then a cumulative sum; S1 and S2 are data (λ is fixed), so ``predict`` is a closed form and fits
are cheap.

``model_size=True`` adds the paper's Eq. 7 extension (N from ``run.meta["N"]``, raw parameter
count divided by ``n_scale``)::

    L(s, N) = L0 + A * S1^(-alpha) + B * N^(-beta) - C * S2 * N^gamma

``lam`` is fixed (the paper uses 0.999) or ``"grid"``: the MPL paper's protocol, fitting every λ
in ``lam_grid`` = {0.95, 0.99, 0.995, 0.999, 0.9995} and keeping the lowest training objective
(:meth:`candidates`; :func:`lawfit.fit` records the choice in ``result.selection``).

Example:
    >>> import lawfit
    >>> from lawfit.datasets import mpl_runs, MPL_TRAIN
    >>> from lawfit.laws import MomentumLaw
    >>> law = MomentumLaw(lam=0.99, warmup="mpl")
    >>> res = lawfit.fit(law, mpl_runs("25M").select(MPL_TRAIN))
    >>> round(res.params["L0"], 1)
    3.1
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lawfit._validate import check_bool, check_choice, check_real
from lawfit.laws._areas import areas, substitute_warmup
from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["MomentumLaw", "momentum_areas"]

LAM_GRID = (0.95, 0.99, 0.995, 0.999, 0.9995)
WARMUPS = ("tissue", "mpl")


def momentum_areas(lr: np.ndarray, *, lam: float, warmup_steps: int, peak_lr: float, warmup: str = "tissue") -> tuple[np.ndarray, np.ndarray]:
    """Per-step ``(S1, S2)`` arrays (float64, length ``len(lr)``) of the momentum law.

    Example:
        >>> import numpy as np
        >>> s1, s2 = momentum_areas(np.array([1.0, 1.0, 0.5, 0.5]), lam=0.5, warmup_steps=0, peak_lr=1.0)
        >>> s1.tolist(), s2.tolist()  # m = [0, 0, 0.5, 0.25]
        ([1.0, 2.0, 2.5, 3.0], [0.0, 0.0, 0.5, 0.75])
    """
    if warmup not in WARMUPS:
        raise ValueError(f"warmup must be one of {WARMUPS}, got {warmup!r}")
    lr = np.asarray(lr, dtype=np.float64)
    w = int(min(max(warmup_steps, 0), lr.size))
    s1, s2 = areas(substitute_warmup(lr, w, peak_lr), lam)  # exact O(T) linear filter, float64
    if warmup == "mpl":  # the actual LR area, warmup included
        s1 = np.cumsum(lr)
    return s1, s2


class MomentumLaw(Law):
    """The LR-annealing momentum law; see the module docstring for the formula.

    Args:
        lam: momentum decay λ in (0, 1), or ``"grid"`` to choose it from ``lam_grid`` by training
            objective.
        warmup: ``"tissue"`` (warmup as η_max, the paper) or ``"mpl"`` (warmup area 0.5 W η_max).
        model_size: add the ``B N^(-beta)`` and ``N^gamma`` terms (paper Eq. 7).
        n_scale: N is divided by this before use (1.0: raw parameter counts).
        lam_grid: candidates for ``lam="grid"``.
    """

    name: ClassVar[str] = "momentum"

    def __init__(self, lam: float | str = 0.999, warmup: str = "tissue", model_size: bool = False,
                 n_scale: float = 1.0, lam_grid: tuple[float, ...] = LAM_GRID) -> None:
        check_choice("warmup", warmup, WARMUPS)
        if isinstance(lam_grid, (str, bytes)) or not hasattr(lam_grid, "__iter__"):
            raise ValueError(f"lam_grid must be a list of numbers in (0, 1), got {lam_grid!r}")
        lam_grid = tuple(check_real("lam_grid values", v, above=0, below=1) for v in lam_grid)
        if not lam_grid:
            raise ValueError("lam_grid must hold at least one λ in (0, 1)")
        if isinstance(lam, str):
            if lam != "grid":
                raise ValueError(f"lam must be a float in (0, 1) or 'grid', got {lam!r}")
        else:
            lam = check_real("lam (the paper uses 0.999)", lam, above=0, below=1)
        self.lam, self.warmup = lam, warmup
        self.model_size = check_bool("model_size", model_size)
        self.n_scale, self.lam_grid = check_real("n_scale", n_scale, above=0), lam_grid

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lam": self.lam, "warmup": self.warmup}
        if self.model_size:
            out.update(model_size=True, n_scale=self.n_scale)
        if self.lam == "grid":
            out["lam_grid"] = list(self.lam_grid)
        return out

    def candidates(self) -> tuple[MomentumLaw, ...]:
        """One law per λ of the grid when ``lam="grid"``, else ``(self,)``."""
        if self.lam != "grid":
            return (self,)
        return tuple(
            MomentumLaw(lam=v, warmup=self.warmup, model_size=self.model_size, n_scale=self.n_scale)
            for v in self.lam_grid
        )

    def trace_key(self) -> Any:
        """``predict`` does not depend on λ or the warmup (they live in the inputs)."""
        return ("momentum", self.model_size)

    def param_specs(self) -> tuple[ParamSpec, ...]:
        specs = [
            ParamSpec("L0", 0.0, math.inf, "log", (1.5, 3.0), "irreducible loss"),
            ParamSpec("A", 0.0, math.inf, "log", (0.3, 1.0), "amplitude of the S1 power law"),
            ParamSpec("alpha", 0.0, 3.0, "logit", (0.3, 0.7), "exponent of S1"),
            ParamSpec("C", 0.0, math.inf, "log", (0.3, 3.0, 30.0, 300.0), "annealing coefficient"),
        ]
        if self.model_size:
            specs.insert(1, ParamSpec("B", 0.0, math.inf, "log", (1.0, 3.0), "model-size amplitude"))
            specs.insert(2, ParamSpec("beta", 0.0, 3.0, "logit", (0.15, 0.4), "model-size exponent"))
            specs.append(ParamSpec("gamma", -3.0, 3.0, "logit", (0.05,), "N-exponent of the S2 term"))
            specs[0] = ParamSpec("L0", 0.0, math.inf, "log", (1.0, 2.0), "irreducible loss")
        return tuple(specs)

    def prepare(self, runs: Any, *, metric: str = "loss", steps: Any = None,
                exclude_warmup: bool | None = None, predict: bool = False) -> LawInputs:
        """``LawInputs`` with ``x = {"S1", "S2", "N"}`` per point.

        ``steps``: which points, as :func:`lawfit.runs.select_points` (fit: the observed points at
        these steps; predict: exactly these steps).
        ``exclude_warmup`` (default True) drops fitted points inside the warmup (``step < W``);
        predictions are made wherever asked.
        """
        from lawfit.runs import as_runset, select_points

        runs = as_runset(runs)
        if self.lam == "grid":
            raise ValueError(
                "MomentumLaw(lam='grid') has no single λ; lawfit.fit chooses it, or use "
                "law.candidates()"
            )
        exclude = True if exclude_warmup is None else bool(exclude_warmup)
        S1, S2, N, Y, RI, ST = [], [], [], [], [], []
        for i, run in enumerate(runs):
            if run.lr is None:
                raise ValueError(
                    f"run {run.run_id!r}, metric {metric!r}: no per-step LR array; the momentum "
                    "law needs it. Build the run with Run.from_schedule(...) or "
                    "Run.from_logged_lr(...)"
                )
            s, y = select_points(run, metric, steps, predict=predict)
            w = run.warmup_steps or 0
            if exclude and not predict:
                keep = s >= w
                s, y = s[keep], y[keep]
            if s.size and (s.max() >= run.lr.size or s.min() < 0):
                bad = s[(s >= run.lr.size) | (s < 0)]
                raise ValueError(
                    f"run {run.run_id!r}, metric {metric!r}: step(s) {bad[:5].tolist()} outside the "
                    f"LR array (length {run.lr.size}, steps 0..{run.lr.size - 1}); extend the LR "
                    "array to cover every observed step or drop those points (steps=...)"
                )
            peak = float(run.meta.get("peak_lr") or run.lr.max())
            s1, s2 = momentum_areas(run.lr, lam=self.lam, warmup_steps=w, peak_lr=peak, warmup=self.warmup)
            n_val = 1.0
            if self.model_size:
                if "N" not in run.meta or run.meta["N"] is None:
                    raise ValueError(
                        f"run {run.run_id!r}: MomentumLaw(model_size=True) needs meta['N'] (model "
                        "parameters); add it to the run's meta"
                    )
                n_val = float(run.meta["N"]) / self.n_scale
            S1.append(s1[s])
            S2.append(s2[s])
            N.append(np.full(s.shape, n_val))
            Y.append(y)
            RI.append(np.full(s.shape, i, dtype=np.int64))
            ST.append(s.astype(np.int64))
        cat = lambda a: np.concatenate(a) if a else np.zeros(0)  # noqa: E731
        y = cat(Y)
        with jax.enable_x64(True):
            x = {"S1": jnp.asarray(cat(S1)), "S2": jnp.asarray(cat(S2)), "N": jnp.asarray(cat(N))}
            return LawInputs(
                x=x,
                y=jnp.asarray(y),
                # observed points all count (a NaN loss is then reported by the engine, never
                # silently dropped); prediction-only points (no observation) have weight 0
                weight=jnp.asarray(np.where(np.isfinite(y), 1.0, 0.0) if predict else np.ones_like(y)),
                run_index=cat(RI).astype(np.int64),
                steps=cat(ST).astype(np.int64),
                run_ids=tuple(runs.ids),
            )

    def predict(self, params: dict[str, Any], x: Any) -> Any:
        s1 = jnp.where(x["S1"] > 0, x["S1"], 1.0)
        power = jnp.where(x["S1"] > 0, s1 ** (-params["alpha"]), jnp.inf)
        anneal = params["C"] * x["S2"]
        out = params["L0"] + params["A"] * power
        if self.model_size:
            out = out + params["B"] * x["N"] ** (-params["beta"])
            anneal = anneal * x["N"] ** params["gamma"]
        return out - anneal
