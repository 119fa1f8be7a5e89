"""Argument checks for public entry points: every message names the argument and what it takes.

Plain Python (no JAX, numpy only), so laws, fitting, optimizers and the CLI share one wording.
Each check returns the value converted to its canonical type, or raises ``ValueError``.

Example:
    >>> from lawfit._validate import check_int, check_real
    >>> check_int("max_iter", 10, minimum=1)
    10
    >>> check_real("delta", -1.0, above=0)
    Traceback (most recent call last):
    ...
    ValueError: delta must be a finite number > 0, got -1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["check_bool", "check_choice", "check_int", "check_real", "check_optional_int"]


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is a bool (``numpy.bool_`` accepted); ``"no"`` or ``1`` are refused."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:  # unhashable values compared against a set-like
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``int(value)`` for an integer (not a bool, not a float or string) within the limits."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer{_range(minimum, maximum)}, got {value!r}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer{_range(minimum, maximum)}, got {value!r}")
    return value


def check_optional_int(name: str, value: Any, *, minimum: int | None = None) -> int | None:
    """``None`` or :func:`check_int`."""
    return None if value is None else check_int(name, value, minimum=minimum)


def check_real(
    name: str,
    value: Any,
    *,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
) -> float:
    """``float(value)`` for a finite real number (not a bool or string) within the limits:
    ``above``/``below`` are strict, ``at_least``/``at_most`` inclusive."""
    parts = []
    if above is not None:
        parts.append(f"> {above:g}")
    if at_least is not None:
        parts.append(f">= {at_least:g}")
    if below is not None:
        parts.append(f"< {below:g}")
    if at_most is not None:
        parts.append(f"<= {at_most:g}")
    want = f"a finite number{' ' + ' and '.join(parts) if parts else ''}"
    if isinstance(value, (bool, np.bool_, str, bytes)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    v = float(value)
    if (
        not math.isfinite(v)
        or (above is not None and not v > above)
        or (at_least is not None and not v >= at_least)
        or (below is not None and not v < below)
        or (at_most is not None and not v <= at_most)
    ):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return v


def _range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f" in [{lo}, {hi}]"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""


def check_horizon(total_steps: Any, warmup_steps: Any, peak_lr: Any) -> tuple[int, int, float]:
    """A schedule horizon: ``total_steps >= 1``, ``0 <= warmup_steps < total_steps``,
    ``peak_lr > 0``."""
    total = check_int("total_steps", total_steps, minimum=1)
    warm = check_int("warmup_steps", warmup_steps, minimum=0)
    if warm >= total:
        raise ValueError(
            f"warmup_steps must be below total_steps ({total}), got {warm}; the schedule needs "
            "steps after the warmup"
        )
    return total, warm, check_real("peak_lr", peak_lr, above=0)
