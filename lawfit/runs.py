"""Training runs: the unit of data every law, importer and proxy trainer agrees on.

A :class:`Run` is one training run:

* ``run_id``: a unique, non-empty string;
* ``lr``: the full per-step learning-rate array from step 0 (warmup included), float64, or ``None``
  when the LR is unknown (laws that need it refuse such runs with a clear error);
* ``metrics``: observed values per metric name (``"loss"``, ``"val_loss"``, ``"loss_domain"``...),
  each an :class:`Observations` of int64 steps (strictly increasing, >= 0) and float64 values;
* ``meta``: run-level metadata (model size ``N``, ``tokens_per_step``, ``warmup_steps``,
  ``peak_lr``, ``schedule`` spec, ``mixture_ratio``, ``phase``, ``source``, ...). JSON-able values.
* ``lr_source``: how the LR array was obtained (``"array"``, ``"spec"``, ``"tabulated:linear"``,
  ``"tabulated:previous"``, ``"logged"``), recorded so nothing is silently invented.

A :class:`RunSet` is an ordered, immutable collection of runs with unique ids.

Both convert to and from the canonical long table of :mod:`lawfit.io` (columns at least
``run_id, step, metric, value, lr``) with ``to_frame`` / ``from_frame``.

Example:
    >>> import numpy as np
    >>> from lawfit.runs import Run, RunSet
    >>> lr = np.full(100, 1e-3)
    >>> run = Run("const", lr=lr, metrics={"loss": ([10, 50, 99], [3.0, 2.5, 2.4])}, meta={"N": 1e8})
    >>> rs = RunSet([run])
    >>> rs["const"].observed("loss").values.tolist()
    [3.0, 2.5, 2.4]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Observations", "Run", "RunSet", "as_runset"]


class Observations(NamedTuple):
    """Observed values of one metric of one run: int64 ``steps`` and float64 ``values``."""

    steps: np.ndarray
    values: np.ndarray


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _as_observations(run_id: str, metric: str, obs: Any) -> Observations:
    try:
        steps, values = (obs["steps"], obs["values"]) if isinstance(obs, Mapping) else obs
        steps_f = np.asarray(steps)
        values = np.asarray(values, dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"run {run_id!r}, metric {metric!r}: observations must be (steps, values) or "
            f"{{'steps': [...], 'values': [...]}} with numeric values, got {obs!r}"[:300]
        ) from None
    if steps_f.ndim != 1 or values.ndim != 1 or steps_f.shape != values.shape:
        raise ValueError(
            f"run {run_id!r}, metric {metric!r}: steps and values must be 1-D arrays of equal "
            f"length, got shapes {steps_f.shape} and {values.shape}"
        )
    if steps_f.size and not np.issubdtype(steps_f.dtype, np.integer):
        as_float = steps_f.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
            bad = steps_f[~np.isfinite(as_float) | (as_float != np.round(as_float))][:5]
            raise ValueError(
                f"run {run_id!r}, metric {metric!r}: steps must be whole numbers, got {bad.tolist()}"
            )
    steps_i = steps_f.astype(np.int64)
    if steps_i.size and steps_i.min() < 0:
        raise ValueError(
            f"run {run_id!r}, metric {metric!r}: negative step {int(steps_i.min())}; steps are "
            "0-based optimizer steps"
        )
    if steps_i.size > 1 and np.any(np.diff(steps_i) <= 0):
        i = int(np.argmax(np.diff(steps_i) <= 0))
        raise ValueError(
            f"run {run_id!r}, metric {metric!r}: steps must be strictly increasing, but step "
            f"{int(steps_i[i + 1])} follows {int(steps_i[i])}; merge repeated steps first "
            "(lawfit.io handles resumed runs with an explicit policy)"
        )
    return Observations(_readonly(steps_i), _readonly(values))


@dataclass(frozen=True, eq=False)
class Run:
    """One training run. See the module docstring for the fields.

    Args:
        run_id: unique non-empty name.
        lr: per-step LR array from step 0, or None when unknown.
        metrics: ``{metric: (steps, values)}``.
        meta: run-level metadata (JSON-able values).
        lr_source: how ``lr`` was obtained.
    """

    run_id: str
    lr: np.ndarray | None = None
    metrics: Mapping[str, Observations] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    lr_source: str = "array"

    def __post_init__(self) -> None:
        if not isinstance(self.run_id, str) or not self.run_id:
            raise ValueError(f"run_id must be a non-empty string, got {self.run_id!r}")
        if not isinstance(self.metrics, Mapping) or not isinstance(self.meta, Mapping):
            raise ValueError(
                f"run {self.run_id!r}: metrics and meta must be mappings ({{name: ...}}), got "
                f"{type(self.metrics).__name__} and {type(self.meta).__name__}"
            )
        if self.lr is not None:
            try:
                lr = np.asarray(self.lr, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"run {self.run_id!r}: lr must be a 1-D array of learning rates, got {self.lr!r}"[:300]
                ) from None
            if lr.ndim != 1 or lr.size == 0:
                raise ValueError(
                    f"run {self.run_id!r}: lr must be a non-empty 1-D per-step array, got shape "
                    f"{lr.shape}"
                )
            bad = ~np.isfinite(lr) | (lr < 0)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"run {self.run_id!r}: lr[{i}] = {lr[i]!r} is not a finite non-negative "
                    "learning rate"
                )
            object.__setattr__(self, "lr", _readonly(lr))
        metrics = {
            str(name): _as_observations(self.run_id, str(name), obs)
            for name, obs in dict(self.metrics).items()
        }
        object.__setattr__(self, "metrics", MappingProxyType(metrics))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_schedule(
        cls,
        run_id: str,
        schedule: Any,
        total_steps: int,
        *,
        metrics: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Run:
        """A run whose LR array is ``schedule`` (a lawfit schedule, a spec dict or any optax
        schedule) evaluated at steps ``0 .. total_steps-1``. The spec is stored in ``meta``."""
        from lawfit import schedules as sch

        if isinstance(schedule, Mapping):
            spec = dict(schedule)
            fn = sch.from_spec(spec)
        else:
            fn = schedule
            try:
                spec = sch.to_spec(fn)
            except (TypeError, ValueError):
                spec = None
        lr = sch.to_array(fn, total_steps)
        meta = dict(meta or {})
        if spec is not None:
            meta.setdefault("schedule", spec)
        return cls(run_id, lr=lr, metrics=metrics or {}, meta=meta, lr_source="spec")

    @classmethod
    def from_logged_lr(
        cls,
        run_id: str,
        steps: Sequence[int],
        values: Sequence[float],
        *,
        total_steps: int | None = None,
        kind: str = "linear",
        metrics: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Run:
        """A run whose per-step LR is rebuilt from logged ``(step, lr)`` points by
        :func:`lawfit.schedules.tabulated` (exact at the logged steps). ``kind`` is recorded."""
        from lawfit import schedules as sch

        steps_a = np.asarray(steps)
        total = int(total_steps) if total_steps is not None else int(steps_a.max()) + 1
        fn = sch.tabulated(steps_a, np.asarray(values, dtype=np.float64), kind=kind)
        lr = sch.to_array(fn, total)
        meta = dict(meta or {})
        meta.setdefault("lr_interpolation", kind)
        return cls(run_id, lr=lr, metrics=metrics or {}, meta=meta, lr_source=f"tabulated:{kind}")

    def replace(self, **changes: Any) -> Run:
        """A copy with some fields replaced (runs are immutable)."""
        fields = {
            "run_id": self.run_id,
            "lr": self.lr,
            "metrics": dict(self.metrics),
            "meta": dict(self.meta),
            "lr_source": self.lr_source,
        }
        fields.update(changes)
        return Run(**fields)

    # -- access ---------------------------------------------------------------------------------
    @property
    def total_steps(self) -> int | None:
        """Length of the LR array (None when the LR is unknown)."""
        return None if self.lr is None else int(self.lr.shape[0])

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.metrics)

    def observed(self, metric: str = "loss") -> Observations:
        """The observations of ``metric``; a clear error names the run and lists what exists."""
        try:
            return self.metrics[metric]
        except KeyError:
            raise ValueError(
                f"run {self.run_id!r} has no metric {metric!r}; it has {sorted(self.metrics)}"
            ) from None

    @property
    def warmup_steps(self) -> int | None:
        """``meta['warmup_steps']`` if given, else detected from the LR array: the index of the
        first step at the peak after a strictly increasing ramp (0 when lr[0] is the peak)."""
        if "warmup_steps" in self.meta and self.meta["warmup_steps"] is not None:
            return int(self.meta["warmup_steps"])
        if self.lr is None:
            return None
        lr = self.lr
        peak = lr.max()
        if peak <= 0:
            return 0
        first_peak = int(np.argmax(lr >= peak * (1 - 1e-12)))
        if first_peak == 0:
            return 0
        ramp = lr[: first_peak + 1]
        if np.all(np.diff(ramp) > 0):
            # the ramp's last value is the peak: warmup covers indices 0 .. first_peak
            # (linspace convention) or 0 .. first_peak-1 (t/W convention). Both are reported as the
            # number of steps strictly below the peak + (1 if the ramp hits the peak exactly at its
            # end in linspace style). We report steps before the first peak value.
            return first_peak
        return 0

    def __repr__(self) -> str:
        mets = ", ".join(f"{k}[{len(v.steps)}]" for k, v in self.metrics.items())
        return f"Run({self.run_id!r}, T={self.total_steps}, metrics={{{mets}}})"

    # -- table ----------------------------------------------------------------------------------
    def to_frame(self):
        """The run as a canonical long table (see :mod:`lawfit.io`)."""
        return RunSet([self]).to_frame()


class RunSet(Sequence[Run]):
    """An ordered, immutable collection of runs with unique ids.

    Index by position or by run id; ``select`` filters by ids and metadata.
    """

    def __init__(self, runs: Iterable[Run] = ()) -> None:
        runs = tuple(runs)
        seen: dict[str, int] = {}
        for i, r in enumerate(runs):
            if not isinstance(r, Run):
                raise TypeError(f"RunSet item {i} is {type(r).__name__}, not a lawfit Run")
            if r.run_id in seen:
                raise ValueError(
                    f"duplicate run_id {r.run_id!r} (items {seen[r.run_id]} and {i}); run ids "
                    "must be unique within a RunSet"
                )
            seen[r.run_id] = i
        self._runs = runs
        self._index = seen

    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[Run]:
        return iter(self._runs)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            try:
                return self._runs[self._index[key]]
            except KeyError:
                raise KeyError(f"no run {key!r}; runs are {list(self._index)}") from None
        if isinstance(key, slice):
            return RunSet(self._runs[key])
        return self._runs[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._index
        return key in self._runs

    def __repr__(self) -> str:
        return f"RunSet({list(self._index)})"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._index)

    @property
    def metrics(self) -> tuple[str, ...]:
        """All metric names present in any run, in first-seen order."""
        out: dict[str, None] = {}
        for r in self._runs:
            out.update(dict.fromkeys(r.metrics))
        return tuple(out)

    def select(
        self,
        ids: Iterable[str] | None = None,
        *,
        where: Callable[[Run], bool] | None = None,
        **meta: Any,
    ) -> RunSet:
        """Runs whose id is in ``ids`` (in the order given), whose metadata matches every
        ``key=value`` in ``meta``, and for which ``where(run)`` is true.

        Unknown ids raise ``KeyError`` listing the available ids.
        """
        runs: Iterable[Run]
        if ids is not None:
            if isinstance(ids, str):
                ids = [ids]
            runs = [self[i] for i in ids]
        else:
            runs = self._runs
        out = []
        for r in runs:
            if any(not _meta_equal(r.meta.get(k, _MISSING), v) for k, v in meta.items()):
                continue
            if where is not None and not where(r):
                continue
            out.append(r)
        return RunSet(out)

    def drop(self, ids: Iterable[str]) -> RunSet:
        ids = {ids} if isinstance(ids, str) else set(ids)
        missing = ids - set(self._index)
        if missing:
            raise KeyError(f"no runs {sorted(missing)}; runs are {list(self._index)}")
        return RunSet(r for r in self._runs if r.run_id not in ids)

    def __add__(self, other: RunSet) -> RunSet:
        return RunSet(tuple(self) + tuple(other))

    def to_frame(self):
        """The canonical long table (pandas); see :mod:`lawfit.io` for the columns."""
        from lawfit.io._table import runset_to_frame

        return runset_to_frame(self)

    @classmethod
    def from_frame(cls, frame, **options: Any) -> RunSet:
        """Build a RunSet from a canonical long table (pandas); see :mod:`lawfit.io`."""
        from lawfit.io._table import frame_to_runset

        return frame_to_runset(frame, **options)


_MISSING = object()


def as_runset(runs: Any, *, argument: str = "runs") -> RunSet:
    """The one coercion of "some runs" to a non-empty :class:`RunSet`.

    Accepts a :class:`RunSet`, a :class:`Run`, a list or tuple of Runs, or a path (``str`` /
    ``os.PathLike``) read with :func:`lawfit.io.read`. Anything else, and empty input, raises a
    ``ValueError`` naming ``argument``.

    Example:
        >>> import numpy as np
        >>> from lawfit.runs import Run, as_runset
        >>> as_runset(Run("a", lr=np.ones(3))).ids
        ('a',)
        >>> as_runset([])
        Traceback (most recent call last):
        ...
        ValueError: runs is empty: give at least one lawfit Run (a Run, a list of Runs, a RunSet or a path to logs)
    """
    import os

    if isinstance(runs, RunSet):
        out = runs
    elif isinstance(runs, Run):
        out = RunSet([runs])
    elif isinstance(runs, (str, os.PathLike)):
        from pathlib import Path

        if not str(runs).strip():
            raise ValueError(f"{argument} is an empty path; give the path of logs or lawfit Runs")
        if not Path(runs).exists():
            raise ValueError(
                f"{argument}: no file or folder {str(runs)!r}; pass lawfit Runs, a RunSet or the path "
                "of logs that lawfit.io.read can import"
            )
        from lawfit.io import read  # lazy: runs.py must not import lawfit.io at import time

        out = read(runs)
    elif isinstance(runs, (list, tuple)):
        bad = [(i, type(r).__name__) for i, r in enumerate(runs) if not isinstance(r, Run)]
        if bad:
            i, kind = bad[0]
            raise ValueError(
                f"{argument}[{i}] is a {kind}, not a lawfit Run; build runs with lawfit.Run(...) or "
                "read logs with lawfit.io.read(path)"
            )
        out = RunSet(runs)
    else:
        raise ValueError(
            f"{argument} must be a lawfit Run, a list of Runs, a RunSet or a path to logs, got "
            f"{type(runs).__name__}"
        )
    if len(out) == 0:
        raise ValueError(
            f"{argument} is empty: give at least one lawfit Run (a Run, a list of Runs, a RunSet or "
            "a path to logs)"
        )
    return out


def _meta_equal(a: Any, b: Any) -> bool:
    if a is _MISSING:
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
