"""Fast Multi-Power-Law loss at the end of a per-step schedule, and model resolution.

The schedule optimizers only ever need ``L̂(s)`` at a few horizons ``s = b - 1`` of one LR array,
so instead of the general (points x decrements) evaluation of :class:`MultiPowerLaw` they use an
O(T) form with one suffix sum (LAWS.md sections 4.1, 4.2, 4.7)::

    L̂(T-1) = L0 + A * area^(-alpha) - B * Σ_j d_j * G(lr[j]^(-gamma) * Σ_{τ=j..T-1} lr[τ])
    G(x)    = 1 - (C * x + 1)^(-beta)

with, for a warmup of ``W`` steps and peak ``eta_max``:

* ``"paper"``:  area = Σ lr[0..T-1];  j = W..T-1;  d_j = lr'[j-1] - lr[j], lr'[W-1] = eta_max
* ``"repo"``:   area = Σ lr[0..T-1];  j = 1..T-1;  d_j = lr[j-1] - lr[j] (warmup ramp included)
* ``"tissue"``: area = W * eta_max + Σ lr[W..T-1];  decrements as ``"paper"``

Terms with ``lr[j] == 0`` contribute 0 (their argument ``x`` tends to 0 on a non-increasing tail).

Example:
    >>> import numpy as np
    >>> from lawfit.optimize import mpl_final_loss, MPL_REPO_PARAMS
    >>> lr = np.concatenate([np.linspace(0, 3e-4, 2160), np.full(21840, 3e-4)])
    >>> round(float(mpl_final_loss(MPL_REPO_PARAMS["400M"], lr, 2160, convention="repo")), 5)
    2.81684
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from lawfit._x64 import x64

__all__ = [
    "MPL_PARAM_NAMES",
    "MPL_REPO_PARAMS",
    "MPL_PAPER_PARAMS",
    "mpl_final_loss",
    "resolve_mpl",
]

MPL_PARAM_NAMES = ("L0", "A", "alpha", "B", "C", "beta", "gamma")

#: The official repository's ``PARAMS`` (LAWS.md 4.3); valid in the ``"repo"`` convention only.
MPL_REPO_PARAMS: dict[str, dict[str, float]] = {
    size: dict(zip(MPL_PARAM_NAMES, vals, strict=True))
    for size, vals in {
        "25M": (3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257),
        "100M": (2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644),
        "400M": (2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457),
    }.items()
}

#: The paper's Table 7 (2 decimals, LAWS.md 4.3); valid in the ``"paper"`` convention only.
MPL_PAPER_PARAMS: dict[str, dict[str, float]] = {
    size: dict(zip(MPL_PARAM_NAMES, vals, strict=True))
    for size, vals in {
        "25M": (3.17, 0.51, 0.53, 446.40, 2.07, 0.41, 0.52),
        "100M": (2.79, 0.59, 0.46, 521.40, 0.24, 0.60, 0.65),
        "400M": (2.52, 0.66, 0.42, 614.30, 0.16, 0.88, 0.56),
    }.items()
}

_CONVENTIONS = {"paper": "paper", "mpl_paper": "paper", "repo": "repo", "mpl_repo": "repo",
                "tissue": "tissue"}


def _convention(convention: str) -> str:
    try:
        return _CONVENTIONS[convention]
    except (KeyError, TypeError):
        raise ValueError(
            f"convention must be one of 'paper', 'repo', 'tissue', got {convention!r}"
        ) from None


def final_loss_fn(params: Mapping[str, Any], lr: Any, warmup_steps: int, peak_lr: float,
                  convention: str) -> Any:
    """Pure-JAX L̂ at the last index of ``lr`` (traceable; ``warmup_steps``/``convention`` static)."""
    import jax.numpy as jnp

    conv = _convention(convention)
    w = int(warmup_steps)
    L0, A, alpha, B, C, beta, gamma = (jnp.asarray(params[k]) for k in MPL_PARAM_NAMES)
    if conv == "tissue":
        area = w * peak_lr + jnp.sum(lr[w:])
    else:
        area = jnp.sum(lr)
    if conv == "repo":
        prev, cur = lr[:-1], lr[1:]
    else:
        cur = lr[w:]
        prev = jnp.concatenate([jnp.asarray([peak_lr], lr.dtype), cur[:-1]])
    suffix = jnp.cumsum(cur[::-1])[::-1]
    positive = cur > 0
    safe = jnp.where(positive, cur, 1.0)
    x = jnp.where(positive, safe ** (-gamma) * suffix, 0.0)
    g = 1.0 - (C * x + 1.0) ** (-beta)
    return L0 + A * area ** (-alpha) - B * jnp.sum((prev - cur) * g)


@functools.lru_cache(maxsize=64)
def _jitted(warmup_steps: int, peak_lr: float, convention: str):
    import jax

    return jax.jit(functools.partial(final_loss_fn, warmup_steps=warmup_steps, peak_lr=peak_lr,
                                     convention=convention))


@x64
def mpl_final_loss(params: Mapping[str, Any], lr: Any, warmup_steps: int, *,
                   peak_lr: float | None = None, convention: str = "paper") -> float:
    """MPL-predicted loss at the last step of the per-step array ``lr`` (float64, O(T)).

    Args:
        params: ``{"L0", "A", "alpha", "B", "C", "beta", "gamma"}``.
        lr: per-step LR from step 0 (warmup included); the loss is predicted at ``len(lr) - 1``.
        warmup_steps: W, indices ``0..W-1`` are warmup.
        peak_lr: eta_max (default: ``max(lr)``).
        convention: ``"paper"``, ``"repo"`` or ``"tissue"`` (LAWS.md 4.2); must be the one the
            parameters were fitted in.
    """
    import jax.numpy as jnp

    arr = np.asarray(lr, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"lr must be a 1-D per-step array of length >= 2, got shape {arr.shape}")
    w = int(warmup_steps)
    if not 0 <= w < arr.size:
        raise ValueError(f"warmup_steps must be in [0, len(lr)={arr.size}), got {warmup_steps}")
    missing = [k for k in MPL_PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing MPL parameters {missing}; expected {MPL_PARAM_NAMES}")
    peak = float(arr.max()) if peak_lr is None else float(peak_lr)
    fn = _jitted(w, peak, _convention(convention))
    return float(fn({k: jnp.asarray(float(params[k])) for k in MPL_PARAM_NAMES}, jnp.asarray(arr)))


def _horizon_of(result: Any) -> int | None:
    """Largest fitted step of a FitResult-like object, when it says so."""
    for attr in ("max_step", "fitted_horizon", "horizon"):
        v = getattr(result, attr, None)
        if isinstance(v, Mapping):  # FitResult.fitted_horizon = {"steps": (min, max), "runs": ...}
            return int(v["steps"][1]) + 1 if v.get("steps") else None
        if v is not None and not callable(v):
            return int(v)
    runs = getattr(result, "runs", None)
    if runs is not None:
        try:
            return max(int(r.total_steps or 0) for r in runs) or None
        except Exception:  # noqa: BLE001 - best effort only
            return None
    return None


def resolve_mpl(model: Any, convention: str | None = None) -> tuple[dict[str, float], str, dict]:
    """``(params, convention, info)`` of an MPL model given as a FitResult, a ``(law, params)``
    pair, or a bare params dict plus ``convention``.

    ``info`` carries ``draws`` (``{name: [K]}`` bootstrap parameters or None) and ``horizon`` (the
    fitted horizon in steps, or None).
    """
    info: dict[str, Any] = {"draws": None, "horizon": None}
    if isinstance(model, tuple) and len(model) == 2:
        law, params = model
    elif isinstance(model, Mapping):
        law, params = None, model
    elif hasattr(model, "law") and hasattr(model, "params"):
        law, params = model.law, model.params
        info["draws"] = _draws_of(model)
        info["horizon"] = _horizon_of(model)
    else:
        raise ValueError(
            "model must be a lawfit FitResult, a (law, params) pair or an MPL params dict, got "
            f"{type(model).__name__}"
        )
    if law is not None:
        if getattr(law, "name", None) != "mpl":
            raise ValueError(
                f"schedule optimization needs a Multi-Power Law (name 'mpl'), got law "
                f"{getattr(law, 'name', law)!r}"
            )
        variant = law.options().get("variant", "full")
        if variant != "full":
            raise ValueError(
                f"schedule optimization supports the full MPL only, got variant={variant!r}"
            )
        law_conv = _convention(law.options().get("convention", "paper"))
        if convention is not None and _convention(convention) != law_conv:
            raise ValueError(
                f"convention={convention!r} contradicts the law's stored convention {law_conv!r}; "
                "parameters are only valid in the convention they were fitted in"
            )
        conv = law_conv
    else:
        if convention is None:
            raise ValueError(
                "a bare params dict needs convention='paper'|'repo'|'tissue' (LAWS.md 4.2)"
            )
        conv = _convention(convention)
    missing = [k for k in MPL_PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing MPL parameters {missing}; expected {MPL_PARAM_NAMES}")
    return {k: float(np.asarray(params[k])) for k in MPL_PARAM_NAMES}, conv, info


def _draws_of(result: Any) -> dict[str, np.ndarray] | None:
    """Bootstrap parameter draws ``{name: [K]}`` of a FitResult, if it has any."""
    for attr in ("draws", "bootstrap_params", "bootstrap"):
        d = getattr(result, attr, None)
        if d is None or callable(d):
            continue
        if hasattr(d, "params"):
            d = d.params
        if isinstance(d, Mapping) and d:
            try:
                return {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in d.items()}
            except (TypeError, ValueError):
                continue
    return None
