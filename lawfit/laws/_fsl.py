"""Functional-scaling-law form (after Li et al., NeurIPS 2025, arXiv 2509.19189): signal decay in
intrinsic time plus SGD noise that is forgotten through a convolution in intrinsic time.

With the intrinsic time ``t(s) = Σ_{i=0..s} lr[i]`` (the LR area, warmup included, raw LR units)
and a loss logged at global step s::

    L(s) = L0 + A * t(s)^(-alpha) + C * N(s)
    N(s) = Σ_{k=0..s} lr[k] * ∫_{t(k-1)}^{t(k)} K(t(s) - v) dv        K(u) = (1 + u / u0)^(-gamma)

``N`` is the noise injected at LR η_k (variance ∝ η_k² per step, i.e. ∝ η_k per unit of
intrinsic time) and forgotten as intrinsic time passes; the kernel's integral is closed-form,
``∫ K = F(u_lo) - F(u_hi)`` with ``F(u) = u0 / (gamma - 1) * (1 + u / u0)^(1 - gamma)``
(``gamma > 1``: the FSL capacity exponent ``2 - 1/β`` lies in (1, 2); wider bounds are allowed).
At a constant LR η the noise settles at ``C η u0 / (gamma - 1)``: the loss plateau rises with the
LR, so a law fitted at one peak LR says something (not much: see docs/laws/fsl.md) about another,
unlike area-only laws (momentum, MPL) for which a larger LR is only "more progress".

Cost: steps are grouped into blocks of ``block_size`` steps with the LR taken as its block mean
inside the block (exact for piecewise-constant LR at block resolution; ``block_size=1`` is the
exact per-step law); each point's own, partial block is exact. A point costs O(T / block_size).

Example:
    >>> import jax, numpy as np
    >>> from lawfit.laws import FunctionalScalingLaw
    >>> from lawfit.runs import Run
    >>> law = FunctionalScalingLaw(block_size=1)
    >>> run = Run("const", lr=np.full(1000, 1e-3), metrics={"loss": ([999], [3.0])})
    >>> p = dict(L0=2.0, A=0.5, alpha=0.5, C=100.0, u0=0.1, gamma=2.0)
    >>> with jax.enable_x64(True):
    ...     x = law.prepare(run).x
    ...     round(float(law.predict(p, x)[0]), 6)  # 2 + 0.5 / 1 + 100 * 1e-3 * 0.1 * (1 - 1/11)
    2.509091
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["FunctionalScalingLaw"]


def _F(u, u0, gamma):
    """``∫_u^∞ K`` = u0 / (gamma - 1) * (1 + u / u0)^(1 - gamma)."""
    return u0 / (gamma - 1.0) * (1.0 + u / u0) ** (1.0 - gamma)


class FunctionalScalingLaw(Law):
    """Signal power law in intrinsic time + convolved SGD noise; see the module docstring.

    Args:
        block_size: steps per block of the noise convolution (1: exact).
    """

    name: ClassVar[str] = "fsl"

    def __init__(self, block_size: int = 50) -> None:
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
            raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
        self.block_size = int(block_size)

    def options(self) -> dict[str, Any]:
        return {"block_size": self.block_size}

    def param_specs(self) -> tuple[ParamSpec, ...]:
        return (
            ParamSpec("L0", 0.0, math.inf, "log", (), "irreducible loss"),
            ParamSpec("A", 0.0, math.inf, "log", (), "signal amplitude"),
            ParamSpec("alpha", 0.0, 3.0, "logit", (), "signal exponent (intrinsic time)"),
            ParamSpec("C", 0.0, math.inf, "log", (), "noise amplitude"),
            ParamSpec("u0", 0.0, math.inf, "log", (), "forgetting scale (intrinsic time, raw LR units)"),
            ParamSpec("gamma", 1.0, 6.0, "logit", (), "forgetting exponent of the kernel"),
        )

    def prepare(self, runs: Any, *, metric: str = "loss", steps: Any = None,
                exclude_warmup: bool | None = None, predict: bool = False) -> LawInputs:
        """``x = {"t", "b_eta", "b_lo", "b_hi", "mask", "p_eta", "p_lo"}``: each point's intrinsic
        time, the blocks (mean LR, intrinsic time at start and end), which whole blocks precede
        each point (``[P, blocks]``) and the point's partial block (mean LR, start time).
        ``exclude_warmup`` (default True) drops fitted points inside the warmup."""
        from lawfit.runs import as_runset, select_points

        runs = as_runset(runs)
        exclude = True if exclude_warmup is None else bool(exclude_warmup)
        B = self.block_size
        T_, Y, RI, ST, blocks, owners, pts = [], [], [], [], [], [], []
        nb = 0
        for i, run in enumerate(runs):
            if run.lr is None:
                raise ValueError(f"run {run.run_id!r}: no per-step LR array; the FSL law needs it "
                                 "(Run.from_schedule(...) or Run.from_logged_lr(...))")
            s, y = select_points(run, metric, steps, predict=predict)
            if exclude and not predict:
                keep = s >= (run.warmup_steps or 0)
                s, y = s[keep], y[keep]
            if s.size and (s.max() >= run.lr.size or s.min() < 0):
                bad = s[(s >= run.lr.size) | (s < 0)][:5].tolist()
                raise ValueError(f"run {run.run_id!r}, metric {metric!r}: step(s) {bad} outside the LR "
                                 f"array (steps 0..{run.lr.size - 1})")
            lr = np.asarray(run.lr, np.float64)
            t = np.cumsum(lr)
            t0 = np.concatenate([[0.0], t])  # t0[k] = intrinsic time before step k
            if np.any(t[s] <= 0):
                raise ValueError(f"run {run.run_id!r}: the LR area is 0 at steps {s[t[s] <= 0][:5].tolist()}; "
                                 "drop those points")
            n_full = lr.size // B
            starts = np.arange(n_full) * B
            lo, hi = t0[starts], t0[starts + B]
            eta = (hi - lo) / B
            blocks.append(np.stack([eta, lo, hi], axis=1))
            owners.append(np.full(n_full, i))
            first_partial = (s + 1) // B * B  # whole blocks end at or before s + 1
            p_eta = np.where(s + 1 > first_partial, (t0[s + 1] - t0[first_partial]) / np.maximum(s + 1 - first_partial, 1), 0.0)
            pts.append((i, nb, (s + 1) // B, t[s], p_eta, t0[first_partial]))
            nb += n_full
            T_.append(t[s])
            Y.append(y)
            RI.append(np.full(s.shape, i, dtype=np.int64))
            ST.append(s.astype(np.int64))
        cat = lambda a: np.concatenate(a) if a else np.zeros(0)  # noqa: E731
        blk = np.concatenate(blocks) if blocks else np.zeros((0, 3))
        mask = np.zeros((sum(p[3].size for p in pts), max(nb, 1)), dtype=bool)
        row = 0
        for _, off, n_whole, tt, _, _ in pts:
            for j, n in enumerate(n_whole):
                mask[row + j, off:off + n] = True
            row += tt.size
        if nb == 0:
            blk = np.zeros((1, 3))
            blk[0, 1:] = 1.0
        y = cat(Y)
        with jax.enable_x64(True):
            x = {
                "t": jnp.asarray(cat(T_)),
                "b_eta": jnp.asarray(blk[:, 0]), "b_lo": jnp.asarray(blk[:, 1]), "b_hi": jnp.asarray(blk[:, 2]),
                "mask": jnp.asarray(mask),
                "p_eta": jnp.asarray(cat([p[4] for p in pts])), "p_lo": jnp.asarray(cat([p[5] for p in pts])),
            }
            return LawInputs(
                x=x, y=jnp.asarray(y),
                weight=jnp.asarray(np.where(np.isfinite(y), 1.0, 0.0) if predict else np.ones_like(y)),
                run_index=cat(RI).astype(np.int64), steps=cat(ST).astype(np.int64), run_ids=tuple(runs.ids),
            )

    def noise(self, params: dict[str, Any], x: Any) -> Any:
        """``N(s)`` of the module docstring (without the amplitude C)."""
        u0, g = params["u0"], params["gamma"]
        t = x["t"][:, None]
        # a block after the point (masked out) may give u < 0; clamp before the power
        lo = jnp.maximum(t - x["b_hi"][None, :], 0.0)
        hi = jnp.maximum(t - x["b_lo"][None, :], 0.0)
        whole = jnp.sum(jnp.where(x["mask"], x["b_eta"][None, :] * (_F(lo, u0, g) - _F(hi, u0, g)), 0.0), axis=1)
        part = x["p_eta"] * (_F(0.0, u0, g) - _F(jnp.maximum(x["t"] - x["p_lo"], 0.0), u0, g))
        return whole + part

    def predict(self, params: dict[str, Any], x: Any) -> Any:
        t = jnp.where(x["t"] > 0, x["t"], 1.0)
        signal = jnp.where(x["t"] > 0, t ** (-params["alpha"]), jnp.inf)
        return params["L0"] + params["A"] * signal + params["C"] * self.noise(params, x)

    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        """Eight data-scaled starts: L0 at 0.5 / 0.8 of the smallest loss, u0 at 0.1 % / 3 % of
        the largest intrinsic time, gamma 1.2 / 2 (real runs fit near-scale-free kernels,
        gamma -> 1 with small u0), A = 0.6, alpha = 0.45, and C such that the constant-LR noise
        plateau ``C η u0 / (gamma - 1)`` is 0.1 at the peak block LR η."""
        y = np.asarray(inputs.y, np.float64)
        w = np.asarray(inputs.weight, np.float64)
        ok = np.isfinite(y) & (w > 0) & (y > 0)
        ymin = float(np.min(y[ok])) if ok.any() else 3.0
        tmax = float(np.max(np.asarray(inputs.x["t"]))) if np.size(inputs.x["t"]) else 1.0
        eta = float(np.max(np.asarray(inputs.x["b_eta"]))) or 1e-3
        rows = [
            (L0, 0.6, 0.45, 0.1 * (gamma - 1) / (u0 * eta), u0, gamma)
            for L0 in (0.5 * ymin, 0.8 * ymin)
            for u0 in (1e-3 * tmax, 3e-2 * tmax)
            for gamma in (1.2, 2.0)
        ]
        arr = np.array(rows)
        return {n: arr[:, i] for i, n in enumerate(("L0", "A", "alpha", "C", "u0", "gamma"))}
