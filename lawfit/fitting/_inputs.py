"""What the engine fits: runs coerced once (:func:`lawfit.runs.as_runset`), then prepared by the law."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["coerce_runs", "is_runs", "prepare_inputs"]


def coerce_runs(runs: Any) -> Any:
    """Runs (a Run, a list/tuple of Runs, a RunSet or a path; ``None``/empty refused) as a RunSet
    via :func:`lawfit.runs.as_runset`; a law's own inputs (``LawInputs``, a ``MixtureTable``,
    ...) unchanged, for the law's ``prepare`` to check."""
    import os

    from lawfit.laws._base import LawInputs
    from lawfit.runs import Run, as_runset

    if isinstance(runs, LawInputs):
        return runs
    if runs is None or isinstance(runs, (Run, list, tuple, str, os.PathLike)):
        return as_runset(runs)
    return runs


def prepare_inputs(law: Any, runs: Any, *, metric: str, steps: Any, exclude_warmup: Any) -> Any:
    """``law.prepare`` of ``runs`` (coerced by :func:`coerce_runs`); prepared ``LawInputs`` pass
    through."""
    from lawfit.laws._base import LawInputs

    if isinstance(runs, LawInputs):
        if steps is not None:
            raise ValueError("steps= cannot be used with prepared LawInputs; select points in prepare()")
        return runs
    from lawfit.fitting._predict import check_steps
    from lawfit.runs import RunSet

    runs = coerce_runs(runs)
    steps = check_steps(steps)
    if isinstance(steps, Mapping) and isinstance(runs, RunSet):
        unknown = [k for k in steps if k not in runs.ids]
        if unknown:
            raise ValueError(f"steps: unknown run ids {unknown}; the runs are {list(runs.ids)}")
    return law.prepare(runs, metric=metric, steps=steps, exclude_warmup=exclude_warmup)

def is_runs(runs) -> bool:
    """True for a Run, RunSet, list of runs or a path to logs (points indexed by training step)."""
    import os

    from lawfit.runs import Run, RunSet

    if isinstance(runs, (Run, RunSet, str, os.PathLike)):
        return True
    return isinstance(runs, (list, tuple)) and bool(runs) and all(isinstance(r, Run) for r in runs)
