"""Per-step arrays of schedules: what the loss laws consume.

Example:
    >>> import optax
    >>> from lawfit.schedules import cosine, to_array
    >>> to_array(cosine(1.0, total_steps=4), 3).round(12).tolist()
    [1.0, 0.853553390593, 0.5]
    >>> to_array(optax.linear_schedule(1.0, 0.0, 4), 3).tolist()
    [1.0, 0.75, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lawfit._x64 import x64
from lawfit.schedules import _checks as C
from lawfit.schedules._core import Schedule, from_spec

__all__ = ["to_array"]


@x64
def to_array(schedule: Any, total_steps: int) -> np.ndarray:
    """Values of ``schedule`` at steps ``0 .. total_steps - 1`` as a float64 numpy array.

    ``schedule`` is a lawfit schedule, a spec dict or any optax-style callable ``step -> lr``
    (evaluated on int64 steps in float64, whatever the global ``jax_enable_x64``; foreign
    callables are vmapped, so scalar-only optax schedules work, or called per step if they are
    not traceable).
    """
    import jax.numpy as jnp

    n = C.int_at_least("total_steps", total_steps, 0)
    fn = from_spec(schedule) if isinstance(schedule, Mapping) else schedule
    if not callable(fn):
        raise ValueError(f"schedule must be a schedule, a spec dict or a callable, got {fn!r}")
    steps = jnp.arange(n, dtype=jnp.int64)
    if isinstance(fn, Schedule):
        out = np.asarray(fn(steps), dtype=np.float64)
    else:  # foreign schedules may only accept scalar steps (optax's piecewise_interpolate)
        import jax

        try:
            out = np.asarray(jax.jit(jax.vmap(fn))(steps), dtype=np.float64)
        except Exception:  # not traceable: plain Python per step
            out = np.asarray([float(fn(i)) for i in range(n)], dtype=np.float64)
    return np.broadcast_to(out, (n,)).copy()
