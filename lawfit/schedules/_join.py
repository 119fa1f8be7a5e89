"""Composition of schedules in phases, like ``optax.join_schedules``.

``join([s0, s1, ..., sn], [b1, ..., bn])`` uses ``s0(t)`` for ``t < b1`` and ``si(t - bi)`` for
``bi <= t < b(i+1)``: each phase sees its own step count from its boundary. The phases may be
lawfit schedules or spec dicts (the join then round-trips through :func:`to_spec`) or any optax
schedule (the join works, but has no spec).

Example:
    >>> from lawfit.schedules import constant, join, linear, to_array
    >>> s = join([constant(1.0), linear(1.0, total_steps=2)], [2])
    >>> to_array(s, 5).tolist()
    [1.0, 1.0, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp

from lawfit.schedules import _checks as C
from lawfit.schedules._core import Schedule, from_spec

__all__ = ["join"]


def join(schedules: Sequence[Any], boundaries: Sequence[int]) -> Schedule:
    """Phases ``schedules`` switching at global ``boundaries``; phase i sees ``t - boundary``."""
    if isinstance(schedules, (str, bytes, Mapping)) or not isinstance(schedules, Sequence):
        raise ValueError(f"schedules must be a list of schedules, got {schedules!r}")
    if len(schedules) == 0:
        raise ValueError("schedules must not be empty")
    parts = [from_spec(s) if isinstance(s, Mapping) else s for s in schedules]
    for i, s in enumerate(parts):
        if not callable(s):
            raise ValueError(f"schedules[{i}]={s!r} is not a schedule (a callable or spec dict)")
    bounds = C.int_list("boundaries", boundaries, 0, min_len=0)
    if len(bounds) != len(parts) - 1:
        raise ValueError(
            f"boundaries={list(boundaries)!r} needs len(schedules) - 1 = {len(parts) - 1} entries"
        )

    def fn(t: Any) -> Any:
        out = jnp.asarray(parts[0](t), dtype=t.dtype)
        for b, s in zip(bounds, parts[1:], strict=True):
            out = jnp.where(t < b, out, s(t - b))
        return out

    if all(isinstance(s, Schedule) for s in parts):
        spec = {"family": "join", "schedules": [s.spec for s in parts], "boundaries": bounds}
        return Schedule(fn, spec)
    return Schedule(fn, {"family": "join", "opaque": True})


def _register() -> None:
    from lawfit.schedules._core import register

    register(
        "join",
        join,
        {
            "schedules": [
                {"family": "constant", "peak_value": 3e-4, "warmup_steps": 100},
                {"family": "linear", "peak_value": 3e-4, "total_steps": 300},
            ],
            "boundaries": [700],
        },
    )


_register()
