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

__all__ = ["Observations", "Run", "RunSet", "as_runset", "register_log_io", "select_points", "fitting_points", "FIT_POINTS"]


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
        return _log_io("to_frame", "RunSet.to_frame()")(self)

    @classmethod
    def from_frame(cls, frame, **options: Any) -> RunSet:
        """Build a RunSet from a canonical long table (pandas); see :mod:`lawfit.io`."""
        return _log_io("from_frame", "RunSet.from_frame()")(frame, **options)


_MISSING = object()

# Reading logs and converting tables live in lawfit.io, which builds on this module (never the
# reverse: runs.py imports no io). lawfit.io registers its functions here when it is imported;
# ``import lawfit`` then ``lawfit.fit`` / ``lawfit.io`` / ``lawfit.datasets`` all import it.
_LOG_IO: dict[str, Any] = {}


def register_log_io(*, read: Any, to_frame: Any, from_frame: Any) -> None:
    """Called by :mod:`lawfit.io` on import: the functions that read a path of logs into a
    RunSet and convert a RunSet to and from the canonical long table."""
    _LOG_IO.update(read=read, to_frame=to_frame, from_frame=from_frame)


def _log_io(name: str, what: str) -> Any:
    if name not in _LOG_IO:
        raise ValueError(f"{what} needs lawfit.io (pandas): run `import lawfit.io` first")
    return _LOG_IO[name]


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
        out = _log_io("read", f"{argument}={str(runs)!r} (a path of logs)")(runs)
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


# ---------------------------------------------------------------------------------------------
# point selection: the one meaning of ``steps=`` (every law's ``prepare``) and the automatic
# choice of fitting points
# ---------------------------------------------------------------------------------------------


def select_points(
    run: Run, metric: str, steps: Any = None, *, predict: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, values)`` of the points of ``run`` that ``steps=`` selects: the one meaning of
    the ``steps=`` argument of every law's ``prepare`` (and of ``lawfit.fit``).

    ``steps`` is one of

    * ``None``: every observed point of ``metric`` (with ``predict=True`` and no observations of
      ``metric``: every step of the LR array);
    * a sequence / array / ``range`` of global steps (sorted, duplicates dropped);
    * a ``slice(start, stop[, step])`` of global steps: ``range(start or 0, stop, step or 1)``,
      ``stop`` defaulting to the end of the LR array (or the last observed step + 1);
    * a mapping ``{run_id: one of the above}``; runs it does not name get ``None``.

    Fitting (``predict=False``) keeps the *observed* points at the selected steps; prediction
    (``predict=True``) returns exactly the selected steps, with the observed value where there is
    one and NaN elsewhere. Steps are int64, values float64.

    Example:
        >>> import numpy as np
        >>> run = Run("r", lr=np.full(300, 1e-3), metrics={"loss": ([10, 100, 200], [3.0, 2.5, 2.4])})
        >>> select_points(run, "loss", range(0, 150))[0].tolist()
        [10, 100]
        >>> s, y = select_points(run, "loss", slice(99, 102), predict=True)
        >>> s.tolist(), y.tolist()
        ([99, 100, 101], [nan, 2.5, nan])
    """
    sel = steps.get(run.run_id) if isinstance(steps, Mapping) else steps
    obs = run.metrics.get(metric)
    if sel is None:
        if obs is None and predict and run.lr is not None:
            s = np.arange(run.lr.size, dtype=np.int64)
            return s, np.full(s.shape, np.nan)
        obs = run.observed(metric) if obs is None and not predict else obs
        if obs is None:
            return np.zeros(0, np.int64), np.zeros(0)
        return np.asarray(obs.steps, np.int64), np.asarray(obs.values, np.float64)
    if isinstance(sel, slice):
        if run.lr is not None:
            end = run.lr.size
        else:
            end = int(obs.steps[-1]) + 1 if obs is not None and obs.steps.size else 0
        wanted = np.arange(
            0 if sel.start is None else int(sel.start),
            end if sel.stop is None else int(sel.stop),
            1 if sel.step is None else int(sel.step),
            dtype=np.int64,
        )
    else:
        try:
            raw = np.asarray(sel if not isinstance(sel, range) else np.arange(sel.start, sel.stop, sel.step))
            wanted = np.unique(raw.astype(np.int64).ravel())
            if raw.size and not np.all(raw.ravel() == raw.ravel().astype(np.int64)):
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(
                f"run {run.run_id!r}: steps={sel!r} is not a list/array/range of whole steps, a slice "
                "or a {run_id: steps} mapping"
            ) from None
    if not predict:
        obs = run.observed(metric)
        keep = np.isin(obs.steps, wanted)
        return np.asarray(obs.steps[keep], np.int64), np.asarray(obs.values[keep], np.float64)
    values = np.full(wanted.shape, np.nan)
    if obs is not None and obs.steps.size:
        pos = np.minimum(np.searchsorted(obs.steps, wanted), obs.steps.size - 1)
        hit = obs.steps[pos] == wanted
        values[hit] = obs.values[pos[hit]]
    return wanted, values


FIT_POINTS = 1024  # default maximum number of fitting points per run


def fitting_points(
    steps: np.ndarray, lr: np.ndarray | None = None, *, max_points: int = FIT_POINTS, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` of a run's observed ``steps`` for fitting, and their weights.

    A run logged at every step has tens of thousands of points that say little more than a
    thousand well-placed ones. Points are taken at equal quantiles of a measure that puts a third
    of its mass uniformly over the observed points, a third uniformly in log(step + 1) (the early
    fast drop of the loss; ``start``, e.g. the warmup length, is where that drop begins) and a
    third where the LR changes (∝ Σ |Δlr| between consecutive
    points; constant LR: split between the other two), always keeping the first and the last
    point. Each chosen point stands for the observed points nearest to it (in index) and weighs
    as many, so the weights sum to the number of observed points: a run counts in the objective
    as much as with all its points. With ``len(steps) <= max_points`` every point is kept with
    weight 1.

    Returns:
        ``(index, weight)``: sorted int64 positions into ``steps`` and float64 weights.

    Example:
        >>> import numpy as np
        >>> steps = np.arange(50_000)
        >>> lr = np.r_[np.full(40_000, 1e-3), np.linspace(1e-3, 0, 10_000)]
        >>> idx, w = fitting_points(steps, lr, max_points=1000)
        >>> idx.size <= 1000, float(w.sum())
        (True, 50000.0)
        >>> bool(np.mean(steps[idx] >= 40_000) > 0.2)  # the decay (20% of the steps) is denser
        True
    """
    steps = np.asarray(steps, dtype=np.int64)
    n = steps.size
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 2:
        raise ValueError(f"max_points must be an integer >= 2, got {max_points!r}")
    if n <= max_points:
        return np.arange(n, dtype=np.int64), np.ones(n)
    parts = [np.full(n, 1.0 / n)]
    t = np.log1p(np.maximum(steps.astype(np.float64) - start, 0.0))
    logs = np.diff(t, prepend=np.log1p(max(float(steps[0]) - start - 1.0, 0.0)))
    parts.append(logs / logs.sum() if logs.sum() > 0 else parts[0])
    if lr is not None:
        lr = np.asarray(lr, dtype=np.float64)
        change = np.r_[0.0, np.abs(np.diff(lr))]
        csum = np.cumsum(change)
        top = np.minimum(steps, lr.size - 1)
        per = np.diff(csum[top], prepend=csum[top[0]])
        if per.sum() > 0:
            parts.append(per / per.sum())
    mass = np.sum(parts, axis=0) / len(parts)
    cum = np.cumsum(mass)
    targets = (np.arange(max_points - 2) + 0.5) / (max_points - 2) * cum[-1]
    idx = np.unique(np.r_[0, np.searchsorted(cum, targets).clip(0, n - 1), n - 1])
    # each observed point goes to the nearest chosen one (by index): weights sum to n
    mid = (idx[1:] + idx[:-1]) / 2.0
    owner = np.searchsorted(mid, np.arange(n), side="right")
    weight = np.bincount(owner, minlength=idx.size).astype(np.float64)
    return idx.astype(np.int64), weight
