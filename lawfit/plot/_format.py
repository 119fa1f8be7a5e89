"""Numbers for people: significant digits, scientific notation for very large / small values,
whole numbers for counts (steps), and ``K/M/B/T`` suffixes for model sizes and token counts.
Also the axis styles lawfit's figures use for learning rates and small differences.

Example:
    >>> from lawfit.plot import number, count
    >>> number(6251.0009, integer=True), number(6.24e20), number(3e-4), number(3.04712)
    ('6,251', '6.24e20', '3e-4', '3.047')
    >>> count(1.23e9), count(20e9, "tokens"), count(412)
    ('1.23B', '20B tokens', '412')
"""

from __future__ import annotations

import math

__all__ = ["count", "number", "LR_AXIS", "SMALL_AXIS"]

#: Plotly axis settings for learning rates: two significant digits (``0.0003``, ``0.00025``, ``0``;
#: never SI prefixes such as ``300µ``), and the axis starts at zero (an LR is never negative, so
#: no ``-4.9µ`` tick below the schedule).
LR_AXIS = {"tickformat": ".2~g", "rangemode": "tozero"}
#: Plotly axis settings for small differences (residuals): ``0.0026`` instead of ``0.002555``.
SMALL_AXIS = {"tickformat": ".2~g"}


def _sci(x: float, digits: int) -> str:
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def number(x: float | None, digits: int = 4, *, integer: bool = False) -> str:
    """``x`` with ``digits`` significant digits; scientific notation below 1e-3 and from 1e6
    (``integer=True``: rounded with thousands separators below 1e9). ``None``/NaN give ``–``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if integer and abs(x) < 1e9:
        return f"{round(x):,}"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
        return _sci(x, digits)
    return f"{x:.{digits}g}"


def count(x: float | None, unit: str = "", digits: int = 3) -> str:
    """A count (parameters, tokens, FLOPs) with a ``K/M/B/T`` suffix (3 significant digits)
    and an optional unit; beyond 1e15 scientific notation."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    suffix = ""
    for s, v in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= v:
            if abs(x) >= 1e15:
                text = _sci(x, digits)
                break
            suffix, x = s, x / v
            text = f"{x:.{digits}g}{suffix}"
            break
    else:
        text = f"{x:.{digits}g}"
    return f"{text} {unit}".strip()
