"""CPT learning-dynamics law (Wang, Tissue et al., ICML 2025, arXiv 2505.07796; LAWS.md 6).

Eq. 4 (signs reconstructed, LAWS.md 6.1), for a validation loss at global step s:

    L = L0 + A * (S1_pt + S1_cpt)^(-alpha) - C1 * S2_pt - C2 * S2_cpt
           + B * (1 - (1 + E * S1_cpt)^(-beta))

S1/S2 are the momentum-law areas (LAWS.md 3.1, lam = 0.999) of the PT phase (steps < c) and of
the CPT phase (steps c..s); points before the CPT start are PT points (CPT areas 0), so PT and
CPT curves are fitted jointly. Fit the D_pt and D_cpt losses separately (``metric=``): B is
unconstrained in sign (B > 0 for D_pt, B < 0 for D_cpt, LAWS.md 6.2).

Data: a :class:`~lawfit.runs.Run` whose ``lr`` is the full PT+CPT per-step array with
``meta["cpt_start_step"] = c``; or, when only a released checkpoint's summary is known, ``lr`` is
the CPT-only array with ``meta["S1_pt"]``, ``meta["S2_pt"]`` (and optionally
``meta["pt_final_lr"]``, default 0). ``meta["N"]`` (parameters) for ``size=True``,
``meta["replay_ratio"]`` (the D_pt share r_pt of the CPT data; r_cpt = 1 - r_pt) for ``replay``.

Options (each a lawfit choice where the paper is silent; stored with every fit):

* ``lam``: momentum decay (0.999 as in the paper).
* ``momentum``: ``"carry"`` (default; the PT decay tail leaks into S2_cpt) or ``"reset"`` (the
  momentum restarts at the CPT start, keeping only the boundary increment).
* ``warmup``: ``"eta_max"`` (default; the PT warmup counted as constant eta_max, as in the
  momentum law) or ``"actual"``. The CPT re-warmup always uses the actual LR values.
* ``size``: model-size extension (App. E, Eq. 7): ``- C1*S2_pt*N^gamma1 - C2*S2_cpt*N^gamma2
  + F*N^(-gamma3)``, N divided by ``n_unit`` (default 1e6: the unit under which the published
  constants give plausible magnitudes; the paper does not state it).
* ``replay``: ``None``, ``"pt"`` or ``"cpt"`` (App. H, Eq. 8, reconstructed):
  for ``"pt"`` (the D_pt loss) the S2_cpt term is multiplied by ``exp(a1*r_pt)`` and the shift by
  ``1 - exp(-a2*r_cpt)``; for ``"cpt"`` (the D_cpt loss) by ``exp(a1*r_cpt)`` and
  ``exp(a2*r_cpt) - 1``. The paper's printed L_cpt fit multiplies S2_cpt by ``exp(0.037*r_pt)``,
  inconsistent with its Eq. 8; lawfit implements Eq. 8 with r_cpt because the text supports it
  (a larger D_pt share gives a smaller annealing term in the D_cpt loss), LAWS.md 6.5.
* ``released``: App. G variant: S1_pt is a free parameter, the S2_pt term is absorbed into L0
  (no C1), and the PT final LR is taken as ``released_pt_final_lr`` (0) so CPT re-warms from it.
* ``shift``: ``"B"`` (parameters B, E, beta) or ``"Bbeta"`` (parameters Bbeta = B*beta, E, beta),
  the better-conditioned form when beta -> 0. ``E`` is bounded to [1e-3, 1e6] and ``beta`` to
  [1e-4, 3]; :meth:`CPTLaw.diagnostics` warns when beta reaches ~0 (the shift degenerates into
  ``B*beta*log(1 + E*S1_cpt)`` and B, E, beta stop being separable, LAWS.md 6.10).

Example:
    >>> import numpy as np
    >>> from lawfit.runs import Run, RunSet
    >>> lr = np.r_[np.full(1000, 2e-4), np.full(500, 1e-4)]
    >>> run = Run("pt+cpt", lr=lr, metrics={"val_pt": ([999, 1499], [3.3, 3.4])},
    ...           meta={"cpt_start_step": 1000})
    >>> law = CPTLaw()
    >>> x = law.prepare(RunSet([run]), metric="val_pt").x
    >>> round(float(x["S1_cpt"][1]), 12)  # 500 steps at 1e-4
    0.05
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from lawfit._validate import check_bool, check_choice, check_real
from lawfit._x64 import x64
from lawfit.laws._areas import cpt_areas, substitute_warmup
from lawfit.laws._base import Law, LawInputs, ParamSpec

__all__ = ["CPTLaw"]

_MOMENTUM = ("carry", "reset")
_WARMUP = ("eta_max", "actual")
_REPLAY = (None, "pt", "cpt")
_SHIFT = ("B", "Bbeta")


def _pt_warmup(run: Any, c: int) -> int:
    for key in ("pt_warmup_steps", "warmup_steps"):
        if run.meta.get(key) is not None:
            return int(run.meta[key])
    lr = run.lr[:c]
    if lr.size == 0 or lr.max() <= 0:
        return 0
    first_peak = int(np.argmax(lr >= lr.max() * (1 - 1e-12)))
    if first_peak > 0 and np.all(np.diff(lr[: first_peak + 1]) > 0):
        return first_peak
    return 0


class CPTLaw(Law):
    """Wang et al.'s CPT law (Eq. 4) with its size, replay and released-model variants."""

    name = "cpt"
    data = "cpt_curves"

    def __init__(
        self,
        *,
        lam: float = 0.999,
        momentum: str = "carry",
        warmup: str = "eta_max",
        size: bool = False,
        n_unit: float = 1e6,
        replay: str | None = None,
        released: bool = False,
        released_pt_final_lr: float = 0.0,
        shift: str = "B",
    ) -> None:
        lam = check_real("lam", lam, above=0, below=1)
        for arg, val, ok in (
            ("momentum", momentum, _MOMENTUM),
            ("warmup", warmup, _WARMUP),
            ("replay", replay, _REPLAY),
            ("shift", shift, _SHIFT),
        ):
            check_choice(arg, val, ok)
        self.lam = lam
        self.momentum = momentum
        self.warmup = warmup
        self.size = check_bool("size", size)
        self.n_unit = check_real("n_unit", n_unit, above=0)
        self.replay = replay
        self.released = check_bool("released", released)
        self.released_pt_final_lr = check_real("released_pt_final_lr", released_pt_final_lr, at_least=0)
        self.shift = shift

    def options(self) -> dict[str, Any]:
        return {
            "lam": self.lam,
            "momentum": self.momentum,
            "warmup": self.warmup,
            "size": self.size,
            "n_unit": self.n_unit,
            "replay": self.replay,
            "released": self.released,
            "released_pt_final_lr": self.released_pt_final_lr,
            "shift": self.shift,
        }

    # -- parameters -----------------------------------------------------------------------------
    def param_specs(self) -> tuple[ParamSpec, ...]:
        specs = [
            ParamSpec("L0", 0.0, math.inf, "log", (2.0,), "irreducible loss"),
            ParamSpec("A", 0.0, math.inf, "log", (0.5,), "forward-area amplitude"),
            ParamSpec("alpha", 0.0, 3.0, "logit", (0.5,), "forward-area exponent"),
        ]
        if self.released:
            specs.append(ParamSpec("S1_pt", 0.0, math.inf, "log", (2.0,), "free PT forward area"))
        else:
            specs.append(ParamSpec("C1", 0.0, math.inf, "log", (0.3,), "PT annealing coefficient"))
        specs.append(ParamSpec("C2", 0.0, math.inf, "log", (0.3,), "CPT annealing coefficient"))
        if self.shift == "B":
            specs.append(ParamSpec("B", -math.inf, math.inf, "identity", (0.5, -0.5), "shift amplitude (any sign)"))
        else:
            specs.append(ParamSpec("Bbeta", -math.inf, math.inf, "identity", (0.1, -0.1), "B * beta (any sign)"))
        specs += [
            ParamSpec("E", 1e-3, 1e6, "logit", (10.0, 1000.0), "shift rate on S1_cpt"),
            ParamSpec("beta", 1e-4, 3.0, "logit", (0.2,), "shift exponent"),
        ]
        if self.size:
            specs += [
                ParamSpec("gamma1", -2.0, 2.0, "logit", (0.1,), "N exponent of the PT annealing term"),
                ParamSpec("gamma2", -2.0, 2.0, "logit", (0.1,), "N exponent of the CPT annealing term"),
                ParamSpec("F", 0.0, math.inf, "log", (3.0,), "model-size amplitude"),
                ParamSpec("gamma3", 0.0, 3.0, "logit", (0.2,), "model-size exponent"),
            ]
        if self.replay is not None:
            specs += [
                ParamSpec("a1", -20.0, 20.0, "logit", (0.05,), "replay exponent of the CPT annealing term"),
                ParamSpec("a2", -20.0, 20.0, "logit", (3.0,), "replay exponent of the shift term"),
            ]
        return tuple(specs)

    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        y = np.asarray(inputs.y, dtype=np.float64)
        y = y[np.isfinite(y)]
        lo = float(y.min()) if y.size else 2.5
        values: dict[str, tuple[float, ...]] = {p.name: p.init for p in self.param_specs()}
        values["L0"] = (0.6 * lo, 0.9 * lo)
        values["alpha"] = (0.3, 0.7)
        values["E"] = (10.0, 1000.0)
        values["beta"] = (0.15, 0.5)
        if self.size:
            values["L0"] = (0.4 * lo, 0.6 * lo)
        names = list(values)
        mesh = np.meshgrid(*(np.asarray(values[n], dtype=np.float64) for n in names), indexing="ij")
        return {n: m.ravel() for n, m in zip(names, mesh, strict=True)}

    # -- data -----------------------------------------------------------------------------------
    def _run_arrays(self, run: Any, steps: np.ndarray) -> tuple[np.ndarray, ...]:
        """(S1_pt, S2_pt, S1_cpt, S2_cpt) at ``steps`` of one run."""
        rid = run.run_id
        if run.lr is None:
            raise ValueError(f"run {rid!r} has no LR array; the CPT law needs the per-step LR")
        T = run.lr.shape[0]
        bad = steps[(steps < 0) | (steps >= T)]
        if bad.size:
            raise ValueError(
                f"run {rid!r}: step {int(bad[0])} is outside its LR array (0..{T - 1}); give the "
                "LR of every step up to the last point"
            )
        summary = "S1_pt" in run.meta or "S2_pt" in run.meta or self.released
        if summary:
            c = int(run.meta.get("cpt_start_step", 0) or 0)
            if not 0 <= c < T:
                raise ValueError(
                    f"run {rid!r}: cpt_start_step={c} is outside its LR array (0..{T - 1})"
                )
            if self.released:
                s1_pt = s2_pt = 0.0
                prev = self.released_pt_final_lr
            else:
                missing = [k for k in ("S1_pt", "S2_pt") if k not in run.meta]
                if missing:
                    raise ValueError(
                        f"run {rid!r}: PT summary needs both S1_pt and S2_pt in meta, missing "
                        f"{missing}; or give the full PT+CPT LR with meta['cpt_start_step']"
                    )
                s1_pt, s2_pt = float(run.meta["S1_pt"]), float(run.meta["S2_pt"])
                prev = float(run.meta.get("pt_final_lr", 0.0))
            if np.any(steps < c):
                raise ValueError(
                    f"run {rid!r}: points before the CPT start (step {int(steps.min())} < {c}) "
                    "cannot be modelled from a PT summary"
                )
            eta = np.r_[prev, run.lr[c:]]
            a = cpt_areas(eta, 1, steps - c + 1, lam=self.lam, momentum_mode="reset")
            return (np.full(steps.shape, s1_pt), np.full(steps.shape, s2_pt), a.S1_cpt, a.S2_cpt)
        if "cpt_start_step" not in run.meta:
            raise ValueError(
                f"run {rid!r}: meta['cpt_start_step'] is missing; set it to the first CPT step "
                "(or to len(lr) for a PT-only run), or give meta S1_pt/S2_pt for a released model"
            )
        c = int(run.meta["cpt_start_step"])
        if not 0 < c <= T:
            raise ValueError(
                f"run {rid!r}: cpt_start_step={c} is beyond the run (its LR array has {T} steps); "
                "it must be in 1..len(lr)"
            )
        W = _pt_warmup(run, c)
        eta = substitute_warmup(run.lr, W, float(run.lr[:c].max())) if self.warmup == "eta_max" else run.lr
        a = cpt_areas(eta, c, steps, lam=self.lam, momentum_mode=self.momentum)
        return tuple(a)

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
        from lawfit.runs import as_runset, select_points

        runs = as_runset(runs)
        if exclude_warmup is None:
            exclude_warmup = True
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("S1_pt", "S2_pt", "S1_cpt", "S2_cpt", "N", "r_cpt")}
        ys, idx, st = [], [], []
        for i, run in enumerate(runs):
            s, y = select_points(run, metric, steps, predict=predict)
            s = np.atleast_1d(s).astype(np.int64)
            if exclude_warmup and run.lr is not None and not self.released and "S1_pt" not in run.meta:
                c = int(run.meta.get("cpt_start_step", run.lr.shape[0]))
                keep = s >= _pt_warmup(run, min(max(c, 1), run.lr.shape[0]))
                s, y = s[keep], y[keep]
            areas = self._run_arrays(run, s)
            for k, v in zip(("S1_pt", "S2_pt", "S1_cpt", "S2_cpt"), areas, strict=True):
                cols[k].append(np.asarray(v, dtype=np.float64))
            cols["N"].append(np.full(s.shape, self._n(run)))
            cols["r_cpt"].append(np.full(s.shape, self._r_cpt(run)))
            ys.append(np.asarray(y, dtype=np.float64))
            idx.append(np.full(s.shape, i, dtype=np.int64))
            st.append(s)
        if not predict:
            self._axis_check(runs)
        cat = lambda a: np.concatenate(a) if a else np.zeros(0)  # noqa: E731
        x = {k: jnp.asarray(cat(v), dtype=jnp.float64) for k, v in cols.items()}
        y = cat(ys)
        return LawInputs(
            x=x,
            y=jnp.asarray(y, dtype=jnp.float64),
            weight=jnp.ones(y.shape, dtype=jnp.float64),
            run_index=cat(idx).astype(np.int64),
            steps=cat(st).astype(np.int64),
            run_ids=tuple(r.run_id for r in runs),
        )

    def _axis_check(self, runs: Any) -> None:
        """Enough distinct model sizes / replay ratios for the parameters along that axis."""
        axes = []
        if self.size:
            axes.append(("N", {self._n(r) * self.n_unit for r in runs}, 3, "F, gamma3 and their separation from L0"))
        if self.replay is not None:
            axes.append(("replay_ratio", {1.0 - self._r_cpt(r) for r in runs}, 2, "a1, a2"))
        for axis, values, need, names in axes:
            if len(values) < need:
                raise ValueError(
                    f"CPTLaw({', '.join(f'{k}={v!r}' for k, v in self.options().items() if k in ('size', 'replay'))}) "
                    f"needs at least {need} distinct meta[{axis!r}] values ({names}), but runs "
                    f"{[r.run_id for r in runs]} have {sorted(values)}; add runs or drop the extension"
                )

    def _n(self, run: Any) -> float:
        if not self.size:
            return 1.0
        n = run.meta.get("N")
        if n is None or not np.isfinite(float(n)) or float(n) <= 0:
            raise ValueError(
                f"run {run.run_id!r}: size=True needs a positive model size meta['N'], got {n!r}"
            )
        return float(n) / self.n_unit

    def _r_cpt(self, run: Any) -> float:
        if self.replay is None:
            return 1.0
        r = run.meta.get("replay_ratio")
        if r is None:
            raise ValueError(
                f"run {run.run_id!r}: replay={self.replay!r} needs meta['replay_ratio'] (the D_pt "
                "share r_pt of the CPT data, in [0, 1])"
            )
        r = float(r)
        if not 0.0 <= r <= 1.0:
            raise ValueError(
                f"run {run.run_id!r}: replay_ratio={r!r} is outside [0, 1]; it is the D_pt share "
                "of the CPT data"
            )
        return 1.0 - r

    # -- law ------------------------------------------------------------------------------------
    def predict(self, params: dict[str, Any], x: Any) -> Any:
        p = params
        s1_pt = p["S1_pt"] if self.released else x["S1_pt"]
        s1 = s1_pt + x["S1_cpt"]
        loss = p["L0"] + p["A"] * jnp.power(s1, -p["alpha"])
        n = x["N"]
        pt_scale = jnp.power(n, p["gamma1"]) if self.size else 1.0
        cpt_scale = jnp.power(n, p["gamma2"]) if self.size else 1.0
        shift_scale = 1.0
        if self.replay is not None:
            r_cpt = x["r_cpt"]
            if self.replay == "pt":
                cpt_scale = cpt_scale * jnp.exp(p["a1"] * (1.0 - r_cpt))
                shift_scale = 1.0 - jnp.exp(-p["a2"] * r_cpt)
            else:
                cpt_scale = cpt_scale * jnp.exp(p["a1"] * r_cpt)
                shift_scale = jnp.exp(p["a2"] * r_cpt) - 1.0
        if not self.released:
            loss = loss - p["C1"] * x["S2_pt"] * pt_scale
        loss = loss - p["C2"] * x["S2_cpt"] * cpt_scale
        B = p["B"] if self.shift == "B" else p["Bbeta"] / p["beta"]
        loss = loss + B * (1.0 - jnp.power(1.0 + p["E"] * x["S1_cpt"], -p["beta"])) * shift_scale
        if self.size:
            loss = loss + p["F"] * jnp.power(n, -p["gamma3"])
        return loss

    @x64
    def diagnostics(self, params: dict[str, Any], inputs: Any = None) -> list[str]:
        """Warnings about a fitted parameter set: a degenerate shift term (beta -> 0, E at its
        bound), LAWS.md 6.10."""
        out = []
        beta = float(params["beta"])
        if beta < 1e-2:
            out.append(
                f"beta = {beta:.3g} -> 0: the shift term is ~ B*beta*log(1 + E*S1_cpt), so B, E "
                "and beta are not separable; report B*beta and E (CPTLaw(shift='Bbeta'))"
            )
        E = float(params["E"])
        if E >= 0.99e6 or E <= 1.01e-3:
            out.append(f"E = {E:.3g} is at its bound [1e-3, 1e6]; the shift rate is not identified")
        return out
