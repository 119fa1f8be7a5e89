"""The :class:`Schedule` object, the family registry and the spec <-> object round trip.

A lawfit schedule is a small frozen callable ``step -> lr`` built only from ``jax.numpy``: it is
jit-safe, works on int or float, scalar or array steps, and is a valid optax ``Schedule``
(``optax.adamw(learning_rate=sched)``). It also carries its **spec**, a JSON-able dict
``{"family": name, **arguments}`` from which :func:`from_spec` rebuilds an identical schedule.

Every family is a validating factory decorated with :func:`family`: the factory checks its
arguments once (``ValueError`` naming the argument and its value) and returns a pure function of
a float step array; the decorator wraps it into a :class:`Schedule` whose spec holds every argument
(defaults included), so specs are explicit and round-trip exactly.

Example:
    >>> from lawfit import schedules as sch
    >>> s = sch.cosine(peak_value=1.0, total_steps=10, end_value=0.1)
    >>> s.spec["family"], float(sch.to_array(s, 11)[10])
    ('cosine', 0.1)
    >>> sch.from_spec(sch.to_spec(s)).spec == s.spec
    True
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

__all__ = ["Schedule", "families", "family_info", "from_spec", "to_spec"]


@dataclass(frozen=True, eq=False)
class Schedule:
    """A pure, jit-safe learning-rate schedule ``step -> lr`` that knows its spec.

    ``fn`` maps a float step array to values using ``jax.numpy`` only. ``spec`` is a JSON-able
    dict (a fresh copy on every access) that :func:`from_spec` turns back into this schedule.
    """

    fn: Callable[[Any], Any]
    spec_data: Mapping[str, Any]

    def __call__(self, step: Any) -> Any:
        t = jnp.asarray(step)
        t = t.astype(jnp.result_type(float))
        return self._jitted(t)

    @functools.cached_property
    def _jitted(self) -> Callable[[Any], Any]:
        # compiled once per shape and dtype; inlined when called inside an outer jit
        import jax

        return jax.jit(self.fn)

    @property
    def spec(self) -> dict[str, Any]:
        return _copy(self.spec_data)

    @property
    def family(self) -> str:
        return self.spec["family"]

    def __repr__(self) -> str:
        spec = self.spec
        name = spec.pop("family")
        args = ", ".join(f"{k}={v!r}" for k, v in spec.items())
        return f"{name}({args})"


@dataclass(frozen=True)
class FamilyInfo:
    """Registry entry of a schedule family."""

    name: str
    factory: Callable[..., Schedule]
    summary: str
    example: dict[str, Any]


_FAMILIES: dict[str, FamilyInfo] = {}
# alias name -> canonical family (Hugging Face SchedulerType names and common spellings)
_FAMILY_ALIASES: dict[str, str] = {}


def _copy(value: Any) -> Any:
    """A deep copy of a spec (dicts and lists; flat lists of numbers are copied in one go)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(type(v) in _SCALARS for v in value):
            return list(value)
        return [_copy(v) for v in value]
    return value


_SCALARS = (int, float, bool, str, type(None))


def jsonable(value: Any) -> Any:
    """``value`` with numpy/jax scalars and arrays and tuples turned into plain JSON types."""
    if isinstance(value, Schedule):
        return value.spec
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, jnp.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":  # tolist gives plain Python numbers already
            return arr.tolist()
        return jsonable(arr.tolist())
    if isinstance(value, (list, tuple)):
        if all(type(v) in _SCALARS for v in value):
            return list(value)
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a schedule spec")


def family(name: str, *, example: Mapping[str, Any], aliases: tuple[str, ...] = ()):
    """Register a validating factory as the schedule family ``name``.

    The factory returns a pure function of a float step array; the decorated factory returns a
    :class:`Schedule` whose spec is ``{"family": name, **all bound arguments}``. ``example`` holds
    arguments that make a representative schedule (used by ``lawfit schedules show NAME``).
    """

    def decorate(factory: Callable[..., Callable[[Any], Any]]) -> Callable[..., Schedule]:
        sig = inspect.signature(factory)

        @functools.wraps(factory)
        def build(*args: Any, **kwargs: Any) -> Schedule:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            fn = factory(*args, **kwargs)  # validates first: specs only hold checked values
            spec = {"family": name, **jsonable(dict(bound.arguments))}
            return Schedule(fn, spec)

        build.__signature__ = sig.replace(return_annotation="Schedule")  # type: ignore[attr-defined]
        summary = (factory.__doc__ or name).strip().splitlines()[0]
        _FAMILIES[name] = FamilyInfo(name, build, summary, dict(example))
        for alias in aliases:
            _FAMILY_ALIASES[alias] = name
        return build

    return decorate


def register(name: str, factory: Callable[..., Schedule], example: Mapping[str, Any]) -> None:
    """Register a factory that builds its :class:`Schedule` (and spec) itself, such as ``join``."""
    summary = (factory.__doc__ or name).strip().splitlines()[0]
    _FAMILIES[name] = FamilyInfo(name, factory, summary, dict(example))


# Every family module registers itself when the package ``lawfit.schedules`` is imported, which
# Python always does before this module, so lookups below see the complete registry.


def families() -> list[str]:
    """Names of all registered schedule families, sorted."""
    return sorted(_FAMILIES)


def family_info(name: str) -> FamilyInfo:
    """The registry entry of a family (aliases such as ``"warmup_stable_decay"`` accepted)."""
    canonical = _FAMILY_ALIASES.get(name, name)
    if canonical not in _FAMILIES:
        raise ValueError(
            f"unknown schedule family {name!r}; known families are {sorted(_FAMILIES)} "
            f"(aliases: {sorted(_FAMILY_ALIASES)})"
        )
    return _FAMILIES[canonical]


def to_spec(schedule: Any) -> dict[str, Any]:
    """The JSON-able spec of a lawfit schedule (``{"family": ..., **arguments}``).

    Raises ``TypeError`` for callables lawfit did not build (an optax schedule or a lambda has no
    spec: wrap its values with :func:`lawfit.schedules.tabulated` to store it).
    """
    if isinstance(schedule, Schedule) and not schedule.spec.get("opaque"):
        return schedule.spec
    if isinstance(schedule, Mapping):
        return from_spec(schedule).spec
    raise TypeError(
        f"cannot describe {type(schedule).__name__} {schedule!r} as a spec: only lawfit schedules "
        "(and joins of them) carry one; store its values with lawfit.schedules.tabulated(steps, values) instead"
    )


def from_spec(spec: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from its spec (the exact inverse of :func:`to_spec`)."""
    if isinstance(spec, Schedule):
        return spec
    if not isinstance(spec, Mapping):
        raise ValueError(f"a schedule spec must be a dict with a 'family' key, got {spec!r}")
    if "family" not in spec:
        raise ValueError(f"schedule spec {dict(spec)!r} has no 'family' key; add one, e.g. 'cosine'")
    args = {k: v for k, v in spec.items() if k != "family"}
    info = family_info(spec["family"])
    params = inspect.signature(info.factory).parameters
    unknown = sorted(set(args) - set(params))
    if unknown:
        raise ValueError(
            f"schedule spec for {info.name!r} has unknown keys {unknown}; "
            f"valid keys are {list(params)}"
        )
    try:
        return info.factory(**args)
    except TypeError as e:  # missing required arguments
        raise ValueError(f"invalid spec for {info.name!r}: {e}") from e


def nominal_total_steps(spec: Mapping[str, Any]) -> int | None:
    """The run length a spec describes (``total_steps``, sum of periods or stages, the end of an
    infinite schedule's anneal, the last boundary of a join plus its last phase), or ``None``."""
    fam = _FAMILY_ALIASES.get(spec.get("family", ""), spec.get("family"))
    if isinstance(spec.get("total_steps"), int):
        return spec["total_steps"]
    if fam == "wsd_s":
        return sum(spec["period_steps"])
    if fam == "rewarm":
        return sum(spec["stage_steps"])
    if fam == "infinite":
        keys = ("warmup_steps", "cooldown_steps", "constant_steps", "anneal_steps")
        return sum(int(spec.get(k) or 0) for k in keys) or None
    if fam == "refined":
        return int(spec.get("warmup_steps") or 0) + len(spec["grad_norms"])
    if fam == "tabulated":
        return int(max(spec["steps"])) + 1
    if fam == "join":
        last = nominal_total_steps(spec["schedules"][-1])
        b = spec["boundaries"][-1] if spec["boundaries"] else 0
        return b + last if last is not None else None
    return None
