"""Validation of fit arguments and construction of the starting points (numpy, before jit)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from lawfit.fitting._objective import LOSSES
from lawfit.fitting._transforms import resolve, to_unconstrained

__all__ = ["Problem", "setup_problem", "point_label", "apply_weights", "check_observations"]


class Problem(NamedTuple):
    names: tuple[str, ...]
    free: tuple[str, ...]
    fixed: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    kinds: tuple[int, ...]
    lo: np.ndarray  # [F]
    hi: np.ndarray  # [F]
    fixed_vals: np.ndarray  # [G] in law order of the fixed names
    init: np.ndarray  # [K, F] natural
    z0: np.ndarray  # [K, F] unconstrained


def point_label(inputs: Any, p: int, metric: str) -> str:
    rid = inputs.run_ids[int(inputs.run_index[p])] if len(inputs.run_ids) else "?"
    return f"run {rid!r}, metric {metric!r}, step {int(inputs.steps[p])}"


def apply_weights(inputs: Any, weights: Any) -> Any:
    """``inputs`` with point weights multiplied by ``weights`` (``{run_id: w}`` or a ``[P]`` array)."""
    if weights is None:
        return inputs
    w = np.asarray(inputs.weight, dtype=np.float64)
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(inputs.run_ids))
        if unknown:
            raise ValueError(
                f"weights: unknown run ids {unknown}; the runs are {list(inputs.run_ids)}"
            )
        per_run = np.array([_number(f"weights[{r!r}]", weights.get(r, 1.0)) for r in inputs.run_ids])
        factor = per_run[np.asarray(inputs.run_index)]
    else:
        factor = _numbers("weights", weights)
        if factor.shape != w.shape:
            raise ValueError(
                f"weights: a per-point array must have shape {w.shape} (one per fitted point), got "
                f"{factor.shape}; or pass {{run_id: weight}}"
            )
    bad = ~np.isfinite(factor) | (factor < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"weights: weight {factor[i]!r} at point {i} is not a finite non-negative number")
    return inputs._replace(weight=w * factor)


def check_observations(inputs: Any, metric: str, loss: str) -> int:
    """Raise for unusable observed values; return the number of weighted points."""
    y = np.asarray(inputs.y, dtype=np.float64)
    w = np.asarray(inputs.weight, dtype=np.float64)
    used = w > 0
    bad = used & ~np.isfinite(y)
    if loss.endswith("_log"):
        bad |= used & (y <= 0)
    if bad.any():
        idx = np.flatnonzero(bad)
        shown = "; ".join(f"{point_label(inputs, p, metric)}: value {float(y[p])!r}" for p in idx[:5])
        more = f" (and {idx.size - 5} more)" if idx.size > 5 else ""
        need = "finite and positive (log residuals)" if loss.endswith("_log") else "finite"
        raise ValueError(
            f"observed values must be {need}: {shown}{more}. Remove or repair these points in the "
            "run, or give them weight 0 (weights=...)"
        )
    return int(used.sum())


def _check_names(kind: str, given: Mapping[str, Any] | None, names: tuple[str, ...], law: Any) -> None:
    if not given:
        return
    unknown = [k for k in given if k not in names]
    if unknown:
        raise ValueError(
            f"{kind}: law {law.name!r} has no parameter(s) {unknown}; its parameters are {list(names)}"
        )


def _inside(v: float, lo: float, hi: float, kind: int) -> bool:
    from lawfit.fitting._transforms import IDENTITY

    if kind == IDENTITY:
        return math.isfinite(v)
    return lo < v < hi


def setup_problem(
    law: Any,
    inputs: Any,
    *,
    init: Mapping[str, Any] | None,
    bounds: Mapping[str, Any] | None,
    fixed: Mapping[str, Any] | None,
    loss: str,
    num_starts: int | None,
    key: Any,
    n_points: int,
) -> Problem:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    specs = {p.name: p for p in law.param_specs()}
    names = tuple(specs)
    for kind, given in (("fixed", fixed), ("bounds", bounds), ("init", init)):
        _check_names(kind, given, names, law)
    fixed = {k: _number(f"fixed[{k!r}]", v) for k, v in (fixed or {}).items()}
    all_bounds = {}
    for n, p in specs.items():
        lo, hi = p.lower, p.upper
        if bounds and n in bounds:
            try:
                lo, hi = (float(v) for v in bounds[n])
            except (TypeError, ValueError):
                raise ValueError(
                    f"bounds[{n!r}] must be a (lower, upper) pair, got {bounds[n]!r}"
                ) from None
            if not lo < hi:
                raise ValueError(f"bounds[{n!r}] = ({lo!r}, {hi!r}): lower must be below upper")
        all_bounds[n] = (lo, hi)
    for n, v in fixed.items():
        lo, hi = all_bounds[n]
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ValueError(
                f"fixed[{n!r}] = {v!r} is outside the bounds [{lo!r}, {hi!r}] of law {law.name!r}; "
                "pick a value inside or widen bounds"
            )
    free = tuple(n for n in names if n not in fixed)
    if not free:
        raise ValueError("every parameter is fixed; nothing to fit (use FitResult directly)")
    if n_points < len(free):
        raise ValueError(
            f"only {n_points} weighted point(s) for {len(free)} free parameters {list(free)}; add "
            "points or runs, or fix parameters with fixed={...}"
        )
    kinds, los, his = [], [], []
    for n in free:
        try:
            k, lo, hi = resolve(specs[n].transform, *all_bounds[n])
        except ValueError as e:
            raise ValueError(f"parameter {n!r} of law {law.name!r}: {e}") from None
        kinds.append(k)
        los.append(lo)
        his.append(hi)

    # -- starting points (natural units) -------------------------------------------------------
    user = {k: np.atleast_1d(_numbers(f"init[{k!r}]", v)) for k, v in (init or {}).items()}
    for n, vals in user.items():
        if n in fixed:
            raise ValueError(f"init[{n!r}] given for a fixed parameter; drop it from init or fixed")
        i = free.index(n)
        for v in vals:
            if not _inside(float(v), los[i], his[i], kinds[i]):
                raise ValueError(
                    f"init[{n!r}] = {float(v)!r} is not strictly inside the bounds "
                    f"[{los[i]!r}, {his[i]!r}] of law {law.name!r}; move the start inside or "
                    f"widen bounds={{'{n}': (lower, upper)}}"
                )
    if user and all(n in user for n in free):
        rows = np.array(list(itertools.product(*(user[n] for n in free))), dtype=np.float64)
    else:
        grid = law.init_grid(inputs)
        rows = np.stack([np.asarray(grid[n], dtype=np.float64) for n in free], axis=1)
        for n, vals in user.items():
            i = free.index(n)
            rows = np.repeat(rows, len(vals), axis=0)
            rows[:, i] = np.tile(vals, len(rows) // len(vals))
        rows = np.unique(rows, axis=0) if len(rows) > 1 else rows
        ok = np.array(
            [all(_inside(float(r[i]), los[i], his[i], kinds[i]) for i in range(len(free))) for r in rows]
        )
        if not ok.any():
            raise ValueError(
                f"no default starting point of law {law.name!r} lies inside the given bounds; pass "
                "init={name: value, ...} inside the bounds"
            )
        rows = rows[ok]
    lo_a, hi_a, kinds_a = np.array(los), np.array(his), np.array(kinds)
    z0 = to_unconstrained(rows, kinds_a[None, :], lo_a[None, :], hi_a[None, :])
    if num_starts is not None:
        num_starts = int(num_starts)
        if num_starts < 1:
            raise ValueError(f"num_starts must be >= 1, got {num_starts}")
        rng = np.random.default_rng(None if key is None else _seed(key))
        if num_starts <= len(rows):
            idx = np.sort(rng.choice(len(rows), size=num_starts, replace=False))
            rows, z0 = rows[idx], z0[idx]
        else:  # extra starts: jittered copies of grid starts in unconstrained space
            extra = num_starts - len(rows)
            idx = rng.integers(0, len(rows), size=extra)
            z_extra = z0[idx] + rng.normal(scale=0.5, size=(extra, z0.shape[1]))
            from lawfit.fitting._transforms import to_natural_np

            rows_extra = np.asarray(to_natural_np(z_extra, kinds_a[None, :], lo_a[None, :], hi_a[None, :]))
            rows, z0 = np.concatenate([rows, rows_extra]), np.concatenate([z0, z_extra])
    fixed_vals = np.array([fixed[n] for n in names if n in fixed], dtype=np.float64)
    return Problem(
        names, free, fixed, all_bounds, tuple(kinds), lo_a, hi_a, fixed_vals, rows, z0
    )


def _numbers(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array, or a ValueError naming ``name``."""
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None


def _number(name: str, value: Any) -> float:
    a = _numbers(name, value)
    if a.ndim != 0:
        raise ValueError(f"{name} must be one number, got {value!r}")
    return float(a)


def _seed(key: Any) -> int:
    if isinstance(key, (int, np.integer)):
        return int(key)
    import jax

    return int(np.asarray(jax.random.key_data(key)).ravel()[-1])
