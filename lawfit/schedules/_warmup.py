"""Warmup phase shared by every family, with the off-by-one convention as an explicit option.

For ``0 <= t < W`` the value is ``init + (peak - init) * shape(q)`` where the progress ``q``
follows ``warmup_convention`` (SCHEDULES.md section 18.3):

==============  ==============  =====================================================
convention      q               used by
==============  ==============  =====================================================
``"t/W"``       ``t / W``       **default**; optax, Hugging Face, OLMo, Megatron
``"(t+1)/W"``   ``(t + 1) / W`` torchtitan, Schedule-Free (reaches the peak at W - 1)
``"linspace"``  ``t / (W - 1)`` the MPL repository (``np.linspace(init, peak, W)``)
==============  ==============  =====================================================

``shape`` is ``"linear"`` (default, ``q``), ``"cosine"`` (``0.5 * (1 - cos(pi q))``) or
``"1-sqrt"`` (``1 - sqrt(1 - q)``), as Hugging Face's ``warmup_type``. ``init`` defaults to 0;
Hägele et al.'s offset start is ``init_value = peak / 100`` and Hugging Face's WSD warmup starts
at the floor (``init_value = end``).

Example:
    >>> from lawfit import schedules as sch
    >>> [float(sch.constant(1.0, warmup_steps=4)(t)) for t in range(5)]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> [float(sch.constant(1.0, warmup_steps=4, warmup_convention="(t+1)/W")(t)) for t in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from lawfit.schedules import _checks as C

__all__ = ["WARMUP_CONVENTIONS", "WARMUP_SHAPES"]

WARMUP_CONVENTIONS = ("t/W", "(t+1)/W", "linspace")
WARMUP_CONVENTION_ALIASES = {
    "zero_based": "t/W",
    "one_based": "(t+1)/W",
    "optax": "t/W",
    "hf": "t/W",
    "torchtitan": "(t+1)/W",
    "mpl": "linspace",
}
WARMUP_SHAPES = ("linear", "cosine", "1-sqrt")


class Warmup(NamedTuple):
    steps: int
    init: float
    peak: float
    convention: str
    shape: str


def check(warmup_steps: Any, init_value: Any, peak_value: float, convention: Any,
          shape: Any = "linear") -> Warmup:
    """Validate the warmup arguments of a factory."""
    w = C.int_at_least("warmup_steps", warmup_steps, 0)
    i = C.init(init_value, peak_value)
    conv = C.choice("warmup_convention", convention, WARMUP_CONVENTIONS, WARMUP_CONVENTION_ALIASES)
    shp = C.choice("warmup_shape", shape, WARMUP_SHAPES, {"sqrt": "1-sqrt"})
    return Warmup(w, i, peak_value, conv, shp)


def value(w: Warmup, t: Any) -> Any:
    """The warmup value at float steps ``t`` (meaningful for ``t < W``)."""
    if w.convention == "t/W":
        q = t / max(w.steps, 1)
    elif w.convention == "(t+1)/W":
        q = (t + 1.0) / max(w.steps, 1)
    else:  # linspace: W points from init to peak inclusive
        q = t / (w.steps - 1) if w.steps > 1 else jnp.zeros_like(t)
    q = jnp.clip(q, 0.0, 1.0)
    if w.shape == "cosine":
        q = 0.5 * (1.0 - jnp.cos(jnp.pi * q))
    elif w.shape == "1-sqrt":
        q = 1.0 - jnp.sqrt(1.0 - q)
    return w.init + (w.peak - w.init) * q


def apply(w: Warmup, t: Any, main: Any) -> Any:
    """``value(w, t)`` for ``t < W``, else ``main``."""
    if w.steps == 0:
        return main
    return jnp.where(t < w.steps, value(w, t), main)
