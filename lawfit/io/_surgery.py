"""Run surgery real logs need: repeated steps of resumed runs, and branched runs joined.

**Resumed runs.** A job restarted from a checkpoint re-logs the steps between the checkpoint and
the crash, so a metric holds the same step twice. :func:`merge_repeated` resolves that with an
explicit ``policy``: ``"error"`` (default: refuse and say so), ``"last"`` (keep the value logged
last, i.e. the resumed one), ``"first"``, or ``"mean"`` (average the repeats). Importers record the
policy and the number of merged steps in ``run.meta["duplicates"]``.

**Branched runs.** A WSD cooldown is often run as a separate job started from a checkpoint of the
stable run. :func:`join_branch` makes one run: the base up to ``at_step - 1``, the branch from
``at_step`` on (metrics and LR), recording both ids in ``meta["joined"]``.

Example:
    >>> from lawfit.io import merge_repeated
    >>> steps, values = merge_repeated([0, 1, 2, 1, 2, 3], [5., 4., 3., 4.5, 3.5, 2.], "last")
    >>> steps.tolist(), values.tolist()
    ([0, 1, 2, 3], [5.0, 4.5, 3.5, 2.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lawfit.io._errors import DuplicateStepError
from lawfit.runs import Run

__all__ = ["DUPLICATE_POLICIES", "merge_repeated", "join_branch"]

DUPLICATE_POLICIES = ("error", "last", "first", "mean")


def merge_repeated(
    steps,
    values,
    policy: str = "error",
    *,
    run_id: str = "<run>",
    metric: str = "<metric>",
    path: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sort by step (stable: log order kept within a step) and resolve repeated steps.

    Returns int64 steps (strictly increasing) and float64 values.
    """
    if policy not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {policy!r}")
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if s.size > 1 and np.any(s[1:] < s[:-1]):
        order = np.argsort(s, kind="stable")
        s, v = s[order], v[order]
    if s.size < 2:
        return s, v
    first = np.concatenate([[True], s[1:] != s[:-1]])
    if first.all():
        return s, v
    if policy == "error":
        dup = s[~first]
        raise DuplicateStepError(
            f"run {run_id!r}, metric {metric!r}: {dup.size} repeated step(s), first at step "
            f"{int(dup[0])} (a resumed run?)",
            path=path,
            column=metric,
            hint="choose duplicates='last' (keep the resumed values), 'first' or 'mean'",
        )
    starts = np.flatnonzero(first)
    if policy == "first":
        return s[starts], v[starts]
    if policy == "last":
        ends = np.concatenate([starts[1:], [s.size]]) - 1
        return s[ends], v[ends]
    counts = np.diff(np.concatenate([starts, [s.size]]))
    return s[starts], np.add.reduceat(v, starts) / counts


def join_branch(base: Run, branch: Run, *, at_step: int, run_id: str | None = None) -> Run:
    """One run from a base run and a branch started from its checkpoint at ``at_step``.

    Steps are global (the branch continues the base's step count). The result holds the base's
    observations at steps ``< at_step`` and the branch's at steps ``>= at_step``; its LR array is
    ``base.lr[:at_step]`` followed by ``branch.lr[at_step:]`` (the branch's LR array must be
    indexed by global step and longer than ``at_step``). Branch points before ``at_step`` are an
    error (they would be silently dropped). Base points from ``at_step`` on are the base's own
    continuation and are not part of the joined run; their count is recorded in
    ``meta["joined"]["base_points_after"]``.

    Example:
        >>> import numpy as np
        >>> from lawfit.runs import Run
        >>> from lawfit.io import join_branch
        >>> base = Run("stable", lr=np.full(10, 1.0), metrics={"loss": ([2, 4, 6, 8], [4., 3., 2.5, 2.2])})
        >>> cool = Run("cool", lr=np.r_[np.full(6, 1.0), 0.5, 0.25], metrics={"loss": ([6, 7], [2.3, 2.1])})
        >>> join_branch(base, cool, at_step=6).observed("loss").steps.tolist()
        [2, 4, 6, 7]
    """
    at = int(at_step)
    if at <= 0:
        raise ValueError(f"at_step must be a positive step, got {at_step!r}")
    for name, r in (("base", base), ("branch", branch)):
        if not isinstance(r, Run):
            raise TypeError(f"{name} must be a lawfit Run, got {type(r).__name__}")
    lr: np.ndarray | None
    if base.lr is None and branch.lr is None:
        lr = None
    elif base.lr is None or branch.lr is None:
        missing = base.run_id if base.lr is None else branch.run_id
        raise ValueError(f"join_branch: run {missing!r} has no LR array but the other run has one")
    else:
        if base.lr.size < at:
            raise ValueError(
                f"join_branch: base run {base.run_id!r} has LR for {base.lr.size} steps, fewer "
                f"than at_step={at}"
            )
        if branch.lr.size <= at:
            raise ValueError(
                f"join_branch: branch run {branch.run_id!r} has LR for {branch.lr.size} steps; its "
                f"LR array must be indexed by global step and extend past at_step={at}"
            )
        lr = np.concatenate([base.lr[:at], branch.lr[at:]])
    metrics: dict[str, Any] = {}
    dropped = 0
    for name in dict.fromkeys([*base.metrics, *branch.metrics]):
        parts_s, parts_v = [], []
        if name in base.metrics:
            o = base.metrics[name]
            keep = o.steps < at
            dropped += int((~keep).sum())
            parts_s.append(o.steps[keep])
            parts_v.append(o.values[keep])
        if name in branch.metrics:
            o = branch.metrics[name]
            early = o.steps < at
            if early.any():
                raise ValueError(
                    f"join_branch: branch run {branch.run_id!r}, metric {name!r} has "
                    f"{int(early.sum())} point(s) before at_step={at} (first at step "
                    f"{int(o.steps[early][0])}); trim them or choose another at_step"
                )
            parts_s.append(o.steps)
            parts_v.append(o.values)
        metrics[name] = (np.concatenate(parts_s), np.concatenate(parts_v))
    meta = dict(base.meta)
    meta["joined"] = {
        "base": base.run_id,
        "branch": branch.run_id,
        "at_step": at,
        "base_points_after": dropped,
        "branch_meta": dict(branch.meta),
    }
    src = (
        base.lr_source
        if base.lr_source == branch.lr_source
        else (f"{base.lr_source}+{branch.lr_source}")
    )
    return Run(
        run_id or f"{base.run_id}+{branch.run_id}",
        lr=lr,
        metrics=metrics,
        meta=meta,
        lr_source=src,
    )
