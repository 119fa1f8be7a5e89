"""The Multi-Power Law (Luo et al., ICLR 2025, arXiv 2503.12811).

For a loss logged at global step s (0-based; the loss at s sees ``lr[0..s]`` inclusive):

    L̂(s) = L0 + A * area(s)^(-α) - B * Σ_{k in D, k <= s} d_k * G( η_k^(-γ) * S_k(s) )

    S_k(s) = Σ_{τ=k..s} lr[τ],     G(x) = 1 - (C x + 1)^(-β),     η_k = lr[k]

with the decrements d_k = η_{k-1} - η_k and ``area`` fixed by the *convention*
(LAWS.md 4.2; W warmup steps, η_0 = max(lr[0..W]) the peak):

* ``"paper"`` (``mpl_paper``): area(s) = S_W + Σ_{j=W..s} lr[j] with S_W the sum of the actual
  warmup LRs; decrements at j = W (η_0 - lr[W]) and j > W (lr[j-1] - lr[j]). Points with s < W
  are outside the law (excluded by default).
* ``"repo"`` (``mpl_repo``, the official repository): the law on the whole array from step 0,
  area(s) = Σ_{j=0..s} lr[j], decrements lr[j-1] - lr[j] for j = 1..s (the warmup ramp enters as
  negative decrements), η_0 = lr[0].
* ``"tissue"``: warmup counted as if run at η_0: area(s) = W * η_0 + Σ_{j=W..s} lr[j]; loss-drop
  term as in ``"paper"``.

Parameters fitted in one convention are only valid in that convention; the convention is a stored
option of the law, so it is part of every fit.

Variants (paper Table 3): ``"full"`` (the MPL), ``"no_gamma"`` (γ = 0), ``"lldl"`` (G ≡ 1, i.e.
LD = B (η_0 - η_s)), ``"mel"`` (G(x) = 1 - exp(-C x), γ = 0), ``"spl"`` (G at the step count
s - k + 1 instead of η_k^(-γ) S_k(s)) and ``"opl"`` (no loss-drop term).

Cost: only nonzero decrements are stored, so an evaluation costs O(points x LR changes); constant
phases are free. ``mode="block"`` aggregates ``block_size`` consecutive decrements (never across an
evaluation step), a bounded-error approximation for fitting; :meth:`MultiPowerLaw.error_bound`
returns its rigorous per-point bound. The default ``mode="auto"`` evaluates exactly and lets
:func:`lawfit.fit` choose a block layout whose bound at the fitted parameters is well below the
noise of the fitted data (recorded in ``FitResult.layout``); ``mode="exact"`` fits exactly too.

``predict`` is a pure JAX function meant to run in float64: lawfit's ``fit`` / ``FitResult``
call it inside ``jax.enable_x64``; do the same when calling it directly.

Example:
    >>> import jax
    >>> from lawfit.datasets import mpl_runs
    >>> from lawfit.laws import MultiPowerLaw
    >>> law = MultiPowerLaw(convention="repo")
    >>> runs = mpl_runs("400M", ["cosine_24000"])
    >>> p = dict(L0=2.37474466, A=0.65421216, alpha=0.42878731, B=523.42464371, C=2.02462735,
    ...          beta=0.59350493, gamma=0.63472457)
    >>> with jax.enable_x64(True):
    ...     inputs = law.prepare(runs, steps=[23999], predict=True)
    ...     round(float(law.predict(p, inputs.x)[0]), 6)
    2.757069
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np

from lawfit._x64 import x64
from lawfit.laws import _mpl_terms as terms
from lawfit.laws._base import Law, LawInputs, ParamSpec
from lawfit.runs import Run, RunSet, as_runset, select_points

__all__ = ["MultiPowerLaw", "CONVENTIONS", "VARIANTS", "REPO_PARAMS", "PAPER_TABLE7"]

CONVENTIONS = ("paper", "repo", "tissue")
VARIANTS = ("full", "no_gamma", "lldl", "mel", "spl", "opl")
MODES = ("auto", "exact", "block")

# Published parameters (LAWS.md 4.3). Valid only in the named convention.
REPO_PARAMS = {  # convention "repo": MPL repository src/config.py
    "25M": dict(L0=3.04045406, A=0.52468604, alpha=0.50786857, B=363.78751622, C=2.06560812,
                beta=0.58279013, gamma=0.64142257),
    "100M": dict(L0=2.6514477, A=0.60115152, alpha=0.45295811, B=437.9464276, C=2.13245612,
                 beta=0.59785199, gamma=0.65523644),
    "400M": dict(L0=2.37474466, A=0.65421216, alpha=0.42878731, B=523.42464371, C=2.02462735,
                 beta=0.59350493, gamma=0.63472457),
}  # fmt: skip
PAPER_TABLE7 = {  # convention "paper": paper Table 7 (printed to 2 decimals)
    "25M": dict(L0=3.17, A=0.51, alpha=0.53, B=446.40, C=2.07, beta=0.41, gamma=0.52),
    "100M": dict(L0=2.79, A=0.59, alpha=0.46, B=521.40, C=0.24, beta=0.60, gamma=0.65),
    "400M": dict(L0=2.52, A=0.66, alpha=0.42, B=614.30, C=0.16, beta=0.88, gamma=0.56),
}

_SPECS = {
    "L0": ParamSpec("L0", 0.0, np.inf, "log", (2.5,), "irreducible loss"),
    "A": ParamSpec("A", 0.0, np.inf, "log", (0.5,), "power-law amplitude"),
    "alpha": ParamSpec("alpha", 0.01, 3.0, "logit", (0.5,), "power-law exponent of the LR area"),
    "B": ParamSpec("B", 0.0, np.inf, "log", (300.0, 600.0), "loss-drop amplitude (raw LR units)"),
    "C": ParamSpec("C", 0.0, np.inf, "log", (0.5, 2.0), "loss-drop rate"),
    "beta": ParamSpec("beta", 0.01, 0.999, "logit", (0.4, 0.7), "loss-drop power"),
    "gamma": ParamSpec("gamma", 0.01, 0.999, "logit", (0.5, 0.7), "LR exponent in the drop rate"),
}
_VARIANT_PARAMS = {
    "full": ("L0", "A", "alpha", "B", "C", "beta", "gamma"),
    "no_gamma": ("L0", "A", "alpha", "B", "C", "beta"),
    "lldl": ("L0", "A", "alpha", "B"),
    "mel": ("L0", "A", "alpha", "B", "C"),
    "spl": ("L0", "A", "alpha", "B", "C", "beta"),
    "opl": ("L0", "A", "alpha"),
}
FIT_BLOCK = dict(block_size=32, block_anchor="center", far_factor=8, far_steps=1024)
# mode="auto": fitting layouts tried from the cheapest; the first whose rigorous error bound at the
# fitted parameters is well below the noise of the data is kept (lawfit.fit warm-restarts on the
# next one otherwise). The last is the exact law.
FIT_LADDER = (
    FIT_BLOCK,
    dict(FIT_BLOCK, near_exact=True),
    dict(block_size=16, block_anchor="center", far_factor=4, far_steps=2048, near_exact=True),
    dict(block_size=8, block_anchor="center", far_factor=2, far_steps=4096, near_exact=True),
    dict(block_size=4, block_anchor="center", far_factor=1, far_steps=2048, near_exact=True),
)
_GAMMA_REF = 0.6  # C init grid is scaled from the published C ~ 2 at γ ~ 0.6 (see init_grid)


class MultiPowerLaw(Law):
    """Multi-Power Law; see the module docstring for the formula, conventions and variants.

    Args:
        convention: ``"paper"``, ``"repo"`` or ``"tissue"`` (LAWS.md 4.2). Required choice, stored.
        variant: ``"full"`` (default) or an ablation of paper Table 3.
        mode: ``"auto"`` (default): :func:`lawfit.fit` picks a block layout from the data (the
            cheapest of :data:`FIT_LADDER` whose rigorous error bound at the fitted parameters
            is well below the data's noise, recorded in ``FitResult.layout``); ``prepare`` /
            ``predict`` / evaluation use the exact sum. ``"exact"``: every nonzero decrement,
            also when fitting (the reference fit). ``"block"``: aggregated decrements everywhere
            (bounded error, :meth:`error_bound`).
        block_size: decrements per block in ``"block"`` mode (never across an evaluation step).
        block_anchor: ``"first"`` (η and S at the block's first index, LAWS.md 4.7) or
            ``"center"`` (at its middle member: second-order error for smooth schedules).
        far_factor: in ``"block"`` mode, > 1 adds a coarse level: groups of ``far_factor`` blocks
            used for points more than ``far_steps`` steps after the group (where G is flat).
        far_steps: distance beyond which the coarse level is used.
        near_exact: in ``"block"`` mode, blocks grow geometrically (1, 1, 2, 4, ...,
            ``block_size``) backwards from each evaluation step, so the decrements just before a
            point (where aggregation errs most) are (nearly) exact.
    """

    name: ClassVar[str] = "mpl"

    def __init__(
        self,
        convention: str = "paper",
        variant: str = "full",
        mode: str = "auto",
        block_size: int = 16,
        block_anchor: str = "first",
        far_factor: int = 1,
        far_steps: int = 2048,
        near_exact: bool = False,
    ) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if (
            isinstance(block_size, bool)
            or not isinstance(block_size, (int, np.integer))
            or block_size < 1
        ):
            raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
        if block_anchor not in ("first", "center"):
            raise ValueError(f"block_anchor must be 'first' or 'center', got {block_anchor!r}")
        for name, v, lo in (("far_factor", far_factor, 1), ("far_steps", far_steps, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        self.convention = convention
        self.variant = variant
        self.mode = mode
        self.block_size = int(block_size)
        self.block_anchor = block_anchor
        self.far_factor = int(far_factor)
        self.far_steps = int(far_steps)
        if not isinstance(near_exact, (bool, np.bool_)):
            raise ValueError(f"near_exact must be True or False, got {near_exact!r}")
        self.near_exact = bool(near_exact)

    # -- contract -------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        return {
            "convention": self.convention,
            "variant": self.variant,
            "mode": self.mode,
            "block_size": self.block_size,
            "block_anchor": self.block_anchor,
            "far_factor": self.far_factor,
            "far_steps": self.far_steps,
            "near_exact": self.near_exact,
        }

    def param_specs(self) -> tuple[ParamSpec, ...]:
        return tuple(_SPECS[n] for n in _VARIANT_PARAMS[self.variant])

    @classmethod
    def for_fitting(cls, convention: str = "paper", variant: str = "full") -> MultiPowerLaw:
        """The fast fitting configuration: ``mode="block"`` with 32-decrement blocks represented
        by their middle member and a coarse level (x8) beyond 1024 steps (measured at the 400M
        fits: at most 1e-4 from the exact law on all shipped curves; :meth:`error_bound` gives
        the rigorous bound). Evaluate fitted parameters with ``with_mode("exact")``. The default
        ``mode="auto"`` does this (and checks the bound against the data's noise) by itself."""
        return cls(convention, variant, "block", **FIT_BLOCK)

    def fitting_layouts(self) -> tuple[MultiPowerLaw, ...]:
        """The laws :func:`lawfit.fit` may fit with, cheapest first (``mode="auto"``: the block
        layouts of :data:`FIT_LADDER`, then the exact law; otherwise just this law). All share
        this law's convention and variant, so their parameters mean the same."""
        if self.mode != "auto":
            return (self,)
        base = {"convention": self.convention, "variant": self.variant}
        if not self._has_tiles:  # "lldl" / "opl": no decrement sum to approximate
            return (MultiPowerLaw(**base, mode="exact"),)
        return tuple(MultiPowerLaw(**base, mode="block", **o) for o in FIT_LADDER) + (
            MultiPowerLaw(**base, mode="exact"),
        )

    def with_mode(self, mode: str) -> MultiPowerLaw:
        """The same law (convention, variant) evaluated in another mode."""
        return MultiPowerLaw(**{**self.options(), "mode": mode})

    @property
    def _has_tiles(self) -> bool:
        return self.variant not in ("lldl", "opl")

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
        """Arrays for ``runs`` (a RunSet, a Run or a sequence of runs).

        ``steps``: which points, as :func:`lawfit.runs.select_points` (None: every observed
        point; steps, a ``range`` / ``slice``, or ``{run_id: steps}``). Without ``predict`` it
        restricts the observed points; with ``predict=True`` it chooses the points (observations
        not needed; y is NaN where absent).
        ``exclude_warmup`` (default: True for ``"paper"``/``"tissue"``, False for ``"repo"``)
        drops points with s < W; in ``"paper"``/``"tissue"`` such points raise instead.
        """
        runs = as_runset(runs)
        if exclude_warmup is None:
            exclude_warmup = self.convention != "repo"
        per_run, ys, run_index, all_steps = [], [], [], []
        block = self.block_size if self.mode == "block" else 1
        for i, run in enumerate(runs):
            s, y = _points(run, metric, steps, predict)
            w = _warmup(run)
            if exclude_warmup:
                keep = s >= w
                s, y = s[keep], y[keep]
            elif self.convention != "repo" and np.any(s < w):
                bad = s[s < w][:5].tolist()
                raise ValueError(
                    f"run {run.run_id!r}: steps {bad} lie inside the {w}-step warmup, where the "
                    f"{self.convention!r} convention is undefined; pass exclude_warmup=True or use "
                    "convention='repo'"
                )
            per_run.append(self._run_terms(run, s, w))
            ys.append(y)
            run_index.append(np.full(s.size, i))
            all_steps.append(s)
        block_mode = self.mode == "block"
        x = terms.build_layout(
            per_run,
            block,
            self._has_tiles,
            anchor=self.block_anchor if block_mode else "first",
            far_factor=self.far_factor if block_mode else 1,
            far_steps=self.far_steps,
            near_exact=self.near_exact and block_mode,
        )
        y = np.concatenate(ys) if ys else np.zeros(0)
        if not predict:
            _check_losses(runs, metric, y, np.concatenate(run_index), np.concatenate(all_steps))
        return LawInputs(
            x={k: jnp.asarray(v) for k, v in x.items()},
            y=jnp.asarray(y, dtype=jnp.float64),
            weight=jnp.ones(y.shape, dtype=jnp.float64),
            run_index=np.concatenate(run_index).astype(np.int64),
            steps=np.concatenate(all_steps).astype(np.int64),
            run_ids=runs.ids,
        )

    def _run_terms(self, run: Run, s: np.ndarray, w: int) -> dict[str, np.ndarray]:
        lr = run.lr
        cs = np.cumsum(lr)
        if self.convention == "repo":
            eta0 = lr[0]
            prev = lr[:-1]
            first = 1
            area = cs[s]
        else:
            eta0 = lr[: w + 1].max()
            prev = np.concatenate([[eta0], lr[w:-1]])  # lr'[j-1] for j = W..T-1
            first = w
            if self.convention == "paper":
                area = cs[s]  # S_W (sum of the actual warmup LRs) + Σ_{j=W..s} lr[j]
            else:
                area = w * eta0 + cs[s] - (cs[w - 1] if w > 0 else 0.0)
        if np.any(area <= 0):
            bad = s[area <= 0][:5].tolist()
            raise ValueError(
                f"run {run.run_id!r}: the LR area is 0 at steps {bad} (no training yet), where the "
                "power term A * area^(-alpha) is infinite; drop those steps"
            )
        dec = prev - lr[first:]
        dec_steps = np.arange(first, lr.size)
        s_max = s.max() if s.size else -1
        nz = (dec != 0) & (dec_steps <= s_max)
        dec, dec_steps = dec[nz], dec_steps[nz]
        dsum = eta0 - lr[s] if self.convention != "repo" else lr[0] - lr[s]
        return {
            "steps": s,
            "area": area,
            "dsum": dsum,
            "lr": lr,
            "dec_steps": dec_steps,
            "dec": dec,
        }

    def predict(self, params: dict[str, Any], x: Any) -> Any:
        """L̂ at the prepared points (pure JAX; jit, vmap and grad safe)."""
        out = params["L0"] + params["A"] * x["area"] ** (-params["alpha"])
        if self.variant == "opl":
            return out
        if self.variant == "lldl":
            return out - params["B"] * x["dsum"]
        return out - params["B"] * terms.loss_drop(self.variant, params, x)

    def loss_drop(self, params: dict[str, Any], x: Any) -> Any:
        """The loss-drop term B * Σ d_k G(...) at the prepared points (0 for ``"opl"``)."""
        if self.variant == "opl":
            return jnp.zeros_like(x["area"])
        if self.variant == "lldl":
            return params["B"] * x["dsum"]
        return params["B"] * terms.loss_drop(self.variant, params, x)

    def error_bound(self, params: dict[str, Any], x: Any) -> Any:
        """Rigorous bound on |L̂_block - L̂_exact| per point at ``params`` (0 in exact mode).

        Per block the smaller of the first-order bound Σ|d_k| (G(x_hi) - G(x_lo)) (x_lo, x_hi the
        extreme arguments of G over the block; G is increasing) and a second-order Taylor bound
        at the block's representative with exact first and second moments of the argument (see
        ``_mpl_terms.block_bound``); 0 outside ``mode="block"``."""
        if (
            not self._has_tiles
            or self.mode != "block"
            or (self.block_size == 1 and self.far_factor == 1)
        ):
            return jnp.zeros_like(x["area"])
        return params["B"] * terms.block_bound(self.variant, params, x)

    def pad_inputs(self, inputs: LawInputs) -> LawInputs:
        """``inputs`` padded to shape buckets (``_mpl_terms.pad_layout``: points, decrement blocks
        to the next power of two, tiles by at most 25%) with zero-weight points, so fits of data sets of similar size
        reuse one compiled program (also across processes, with the compilation cache)."""
        p = int(inputs.y.shape[0])
        n = terms.bucket(p)
        x = terms.pad_layout({k: np.asarray(v) for k, v in inputs.x.items()}, n)
        pad = n - p
        last = inputs.steps[-1] if p else 0
        return LawInputs(
            x={k: jnp.asarray(v) for k, v in x.items()},
            y=jnp.concatenate([jnp.asarray(inputs.y), jnp.ones(pad)]),
            weight=jnp.concatenate([jnp.asarray(inputs.weight), jnp.zeros(pad)]),
            run_index=np.r_[inputs.run_index, np.full(pad, inputs.run_index[-1] if p else 0)].astype(np.int64),
            steps=np.r_[inputs.steps, np.full(pad, last)].astype(np.int64),
            run_ids=inputs.run_ids,
        )

    def layout_stats(self, inputs: LawInputs) -> dict[str, int]:
        """Points, decrement blocks, tiles and padded (point, decrement) pairs of ``inputs``."""
        return terms.layout_stats(inputs.x)

    # -- starting points -----------------------------------------------------------------------
    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        """Data-dependent starts: an LLDL warm start (L0, A, α, B) solved by variable projection
        (a grid over L0, α with A, B by linear least squares, as the repository's LLDL stage),
        crossed with a small grid over (C, β, γ); C is scaled with γ so that C η^(1-γ) stays
        comparable (η the peak LR)."""
        x = inputs.x
        y = np.asarray(inputs.y, dtype=np.float64)
        w = np.asarray(inputs.weight, dtype=np.float64)
        ok = np.isfinite(y) & (w > 0) & (y > 0)
        if ok.sum() < 3:
            raise ValueError(
                f"law 'mpl': {int(ok.sum())} usable points is too few to start a fit; need at least "
                f"{len(self.param_names)}"
            )
        y, area, dsum = y[ok], np.asarray(x["area"])[ok], np.asarray(x["dsum"])[ok]
        l0, a, alpha, b = _lldl_start(y, area, dsum)
        names = self.param_names
        eta = (
            float(np.median(np.asarray(x["eta"])[:-1]))
            if "eta" in x and x["eta"].shape[0] > 1
            else 3e-4
        )
        eta = eta if eta > 0 else 3e-4
        if self.variant in ("lldl", "opl"):
            out = {"L0": [l0], "A": [a], "alpha": [alpha], "B": [b]}
            return {n: np.asarray(out[n], dtype=np.float64) for n in names}
        combos = []
        for c_ref in (0.5, 3.0):
            for beta in (0.4, 0.7):
                for gamma in (0.5, 0.7):
                    if self.variant == "full":
                        c = c_ref * eta ** (gamma - _GAMMA_REF)
                    elif self.variant == "spl":
                        c = c_ref * eta ** (1 - _GAMMA_REF)
                    else:
                        c = c_ref * eta ** (-_GAMMA_REF)
                    combos.append(
                        dict(L0=l0, A=a, alpha=alpha, B=b * 1.1, C=c, beta=beta, gamma=gamma)
                    )
        if "gamma" not in names:
            combos = combos[::2]
        if "beta" not in names:
            combos = combos[::2]
        return {n: np.array([c[n] for c in combos], dtype=np.float64) for n in names}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _warmup(run: Run) -> int:
    w = run.warmup_steps
    return int(w or 0)


def _points(run: Run, metric: str, steps: Any, predict: bool) -> tuple[np.ndarray, np.ndarray]:
    if run.lr is None:
        raise ValueError(
            f"run {run.run_id!r} has no learning-rate array; the Multi-Power Law needs the per-step "
            "LR (build the run with lr=... or Run.from_schedule)"
        )
    s, y = select_points(run, metric, steps, predict=predict)
    out = (s < 0) | (s >= run.lr.size)
    if out.any():
        raise ValueError(
            f"run {run.run_id!r}, metric {metric!r}: steps {s[out][:5].tolist()} are outside the LR "
            f"array (steps 0..{run.lr.size - 1}); extend the LR array or drop those steps"
        )
    return s, y


def _check_losses(runs: RunSet, metric: str, y, run_index, steps) -> None:
    bad = ~np.isfinite(y) | (y <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"run {runs[int(run_index[i])].run_id!r}, metric {metric!r}: value {float(y[i])!r} at step "
            f"{int(steps[i])} is not a finite positive loss; drop or fix that point"
        )


def _lldl_start(y: np.ndarray, area: np.ndarray, dsum: np.ndarray):
    """Variable projection for y ≈ L0 + A area^-α - B dsum: grid over (L0, α), least squares for
    (A, B) with A > 0, B >= 0; best by squared log residual."""
    y_min = y.min()
    best = (np.inf, 0.5 * y_min, 0.5, 0.5, 100.0)
    has_drop = np.ptp(dsum) > 0
    # L0 strictly inside (0, y_min) whatever the scale of the losses (a loss of 0.003 too)
    for l0 in np.linspace(max(y_min - 1.0, 0.05 * y_min), y_min - min(1e-3, 1e-3 * y_min), 40):
        for alpha in np.linspace(0.1, 1.2, 23):
            u = area ** (-alpha)
            design = np.stack([u, -dsum], axis=1) if has_drop else u[:, None]
            coef, *_ = np.linalg.lstsq(design, y - l0, rcond=None)
            a = coef[0]
            b = coef[1] if has_drop else 0.0
            if a <= 0 or b < 0:
                continue
            pred = l0 + a * u - b * dsum
            if np.any(pred <= 0):
                continue
            sse = np.sum((np.log(pred) - np.log(y)) ** 2)
            if sse < best[0]:
                best = (sse, l0, alpha, a, b)
    _, l0, alpha, a, b = best
    b = b if b > 0 else 100.0
    return float(l0), float(a), float(alpha), float(b)
