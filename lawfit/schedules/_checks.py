"""Argument checks shared by the schedule factories (each raises ``ValueError`` naming the
argument, showing its value and saying what is allowed)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def int_at_least(name: str, value: Any, low: int) -> int:
    """An integer >= ``low``."""
    if not _is_int(value) or value < low:
        what = "a non-negative" if low == 0 else ("a positive" if low == 1 else f">= {low}")
        raise ValueError(f"{name} must be {what} integer, got {value!r}")
    return int(value)


def real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number inside the given (closed unless ``*_open``) interval."""
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    v = float(value)
    bad_low = low is not None and (v <= low if low_open else v < low)
    bad_high = high is not None and (v >= high if high_open else v > high)
    if bad_low or bad_high:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}"
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        rng = f"in {lo or '(-inf'}, {hi or 'inf)'}"
        raise ValueError(f"{name} must be {rng}, got {value!r}")
    return v


def peak(value: Any, name: str = "peak_value") -> float:
    return real(name, value, low=0.0)


def init(value: Any, peak_value: float, name: str = "init_value") -> float:
    v = real(name, value, low=0.0)
    if v > peak_value:
        raise ValueError(
            f"{name}={value!r} is above peak_value={peak_value!r}; the warmup must rise to the peak"
        )
    return v


def end(peak_value: float, end_value: Any, end_ratio: Any, default: float = 0.0, *,
        positive: bool = False, why: str = "") -> float:
    """The final value from ``end_value`` (absolute) or ``end_ratio`` (fraction of the peak);
    giving both is an error. ``positive=True`` requires a value > 0 (``why`` says why)."""
    if end_value is not None and end_ratio is not None:
        raise ValueError(
            f"give end_value or end_ratio, not both (got end_value={end_value!r}, "
            f"end_ratio={end_ratio!r})"
        )
    if end_ratio is not None:
        r = real("end_ratio", end_ratio, low=0.0, high=1.0)
        v = r * peak_value
        name, given = "end_ratio", end_ratio
    elif end_value is not None:
        v = real("end_value", end_value, low=0.0)
        if v > peak_value:
            raise ValueError(
                f"end_value={end_value!r} is above peak_value={peak_value!r}; a decay must end at "
                "or below its peak"
            )
        name, given = "end_value", end_value
    else:
        v, name, given = default, "end_value", None
    if positive and not v > 0:
        raise ValueError(f"{name}={given!r} gives a final value of {v}, but {why} needs it > 0")
    return v


def choice(name: str, value: Any, valid: Sequence[str], aliases: dict[str, str] | None = None) -> str:
    """A canonical name from ``valid`` (``aliases`` map other spellings to canonical names)."""
    aliases = aliases or {}
    if isinstance(value, str):
        if value in valid:
            return value
        if value in aliases:
            return aliases[value]
    extra = f" (aliases: {sorted(aliases)})" if aliases else ""
    raise ValueError(f"unknown {name} {value!r}; valid values are {list(valid)}{extra}")


def int_list(name: str, values: Any, low: int = 0, *, increasing: bool = True,
             min_len: int = 1) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a list of integers, got {values!r}")
    out = [int_at_least(f"{name}[{i}]", v, low) for i, v in enumerate(values)]
    if len(out) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {values!r}")
    if increasing and any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"{name} must be strictly increasing, got {values!r}")
    return out


def real_list(name: str, values: Any, *, low: float | None = None,
              high: float | None = None) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a list of numbers, got {values!r}")
    return [real(f"{name}[{i}]", v, low=low, high=high) for i, v in enumerate(values)]


def floor_div(a, b):
    """``floor(a / b)`` that is exact at multiples of ``b`` (also under jit, where XLA may turn
    ``a / b`` into ``a * (1 / b)`` and land one ulp below an integer)."""
    import jax.numpy as jnp

    q = jnp.floor(a / b)
    q = jnp.where(a - q * b >= b, q + 1.0, q)
    return jnp.where(a - q * b < 0, q - 1.0, q)
