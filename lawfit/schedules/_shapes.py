"""Decay shapes of the WSD family (SCHEDULES.md sections 4.2 and 4.3).

With ``p`` the progress in the decay phase (0 at its start, 1 at its end), ``s`` the steps since
the decay started, ``peak`` = eta_max and ``end`` = eta_min, most shapes are
``end + (peak - end) * g(p)``:

=========================  =========================================  =========================
``decay_type``             g(p) or value                              library spellings
=========================  =========================================  =========================
``linear``                 ``1 - p``                                  MiniCPM, OLMo-core
``cosine``                 ``0.5 * (1 + cos(pi p))``                  HF default
``1-sqrt``                 ``1 - sqrt(p)``                            ``sqrt``, ``minus_sqrt``
``square``                 ``1 - p^2``                                ``1-square``
``mirror_cosine``          ``2 (1 - p) - 0.5 (1 + cos(pi p))``        ``miror_cosine``
``power``                  ``(1 - p)^power``                          WSDSC is power = 1.5
``inverse_proportional``   value ``peak / (1 + p (peak/end - 1))``    WSD-S
``geometric``              value ``peak^(1-p) * end^p``               MPL data, Hägele ``exp``
``megatron_exponential``   ``2 * 0.5^p - 1``                          Megatron default
``half_life``              value ``max(end, peak * 0.5^(s / half_life))``  MiniCPM
``exponential_rate``       value ``max(end, peak * decay_rate^(s / transition_steps))``  optax
=========================  =========================================  =========================

A bare ``"exponential"`` is refused: it means four incompatible things (section 4.3).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C

__all__ = ["DECAY_TYPES"]

DECAY_TYPES = (
    "linear", "cosine", "1-sqrt", "square", "mirror_cosine", "power", "inverse_proportional",
    "geometric", "megatron_exponential", "half_life", "exponential_rate",
)  # fmt: skip
DECAY_ALIASES = {
    "sqrt": "1-sqrt",
    "minus_sqrt": "1-sqrt",
    "1-square": "square",
    "miror_cosine": "mirror_cosine",
    "power_k": "power",
}
EXPONENTIAL_NAMES = ("half_life", "geometric", "megatron_exponential", "exponential_rate")
# shapes whose value at p = 1 is not forced to ``end`` (they have no endpoint)
OPEN_ENDED = ("half_life", "exponential_rate")


def check_decay_type(decay_type: Any) -> str:
    if decay_type in ("exponential", "exp"):
        raise ValueError(
            f"decay_type={decay_type!r} is ambiguous: 'exponential' means four incompatible "
            f"decays; name one of {list(EXPONENTIAL_NAMES)} (SCHEDULES.md section 4.3)"
        )
    return C.choice("decay_type", decay_type, DECAY_TYPES, DECAY_ALIASES)


def check_params(kind: str, peak: float, end: float, power: Any, half_life: Any,
                 decay_rate: Any, transition_steps: Any) -> dict[str, float]:
    """Validate the shape-specific arguments; each must be given exactly when its shape needs it."""
    needs = {
        "power": kind == "power",
        "half_life": kind == "half_life",
        "decay_rate": kind == "exponential_rate",
        "transition_steps": kind == "exponential_rate",
    }
    given = {"power": power, "half_life": half_life, "decay_rate": decay_rate,
             "transition_steps": transition_steps}
    for name, needed in needs.items():
        if needed and given[name] is None:
            raise ValueError(f"decay_type={kind!r} needs {name}; got {name}=None")
        if not needed and given[name] is not None:
            owner = {"power": "power", "half_life": "half_life", "decay_rate": "exponential_rate",
                     "transition_steps": "exponential_rate"}[name]
            raise ValueError(
                f"{name}={given[name]!r} is only used by decay_type {owner!r}, not {kind!r}; drop it"
            )
    out: dict[str, float] = {}
    if kind == "power":
        out["power"] = C.real("power", power, low=0.0, low_open=True)
    if kind == "half_life":
        out["half_life"] = C.real("half_life", half_life, low=0.0, low_open=True)
    if kind == "exponential_rate":
        out["decay_rate"] = C.real("decay_rate", decay_rate, low=0.0, high=1.0, low_open=True)
        out["transition_steps"] = C.real("transition_steps", transition_steps, low=0.0,
                                         low_open=True)
    if kind in ("geometric", "inverse_proportional") and not end > 0:
        raise ValueError(
            f"decay_type={kind!r} never reaches a final value of 0: give end_value > 0 or "
            "end_ratio > 0 (got 0)"
        )
    return out


def value(kind: str, p: Any, q: Any, s: Any, peak: float, end: float,
          params: dict[str, float]) -> Any:
    """The decayed value for progress ``p``, ``q = 1 - p`` (computed by the caller as
    ``(T - t) / D`` so that it is exactly 0 at the end, also under jit) and ``s`` steps into the
    decay. ``p`` is clipped to >= 0 and ``q`` to <= 1 here; callers clip at the end if clamped."""
    p = jnp.maximum(p, 0.0)
    q = jnp.minimum(q, 1.0)
    s = jnp.maximum(s, 0.0)
    if kind == "inverse_proportional":
        return peak / (1.0 + p * (peak / end - 1.0))
    if kind == "geometric":
        return peak ** (1.0 - p) * end**p
    if kind == "half_life":
        return jnp.maximum(end, peak * 0.5 ** (s / params["half_life"]))
    if kind == "exponential_rate":
        return jnp.maximum(end, peak * params["decay_rate"] ** (s / params["transition_steps"]))
    if kind == "linear":
        g = q
    elif kind == "cosine":
        g = 0.5 * (1.0 + jnp.cos(jnp.pi * p))
    elif kind == "1-sqrt":
        g = 1.0 - jnp.sqrt(p)
    elif kind == "square":
        g = 1.0 - p**2
    elif kind == "mirror_cosine":
        g = 2.0 * q - 0.5 * (1.0 + jnp.cos(jnp.pi * p))
    elif kind == "power":
        g = jnp.maximum(q, 0.0) ** params["power"]
    elif kind == "megatron_exponential":
        g = 2.0 * 0.5**p - 1.0
    else:  # pragma: no cover - guarded by check_decay_type
        raise AssertionError(kind)
    return end + (peak - end) * g
