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

from lawfit.io._errors import DuplicateStepError, ParseError
from lawfit.runs import Run

__all__ = [
    "DUPLICATE_POLICIES",
    "merge_repeated",
    "resolve_repeats",
    "branch_point",
    "join_branch",
    "join_branches",
]

DUPLICATE_POLICIES = ("auto", "error", "last", "first", "mean")


def merge_repeated(
    steps,
    values,
    policy: str = "error",
    *,
    run_id: str = "<run>",
    metric: str = "<metric>",
    path: str | None = None,
    lines=None,
    chronological: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Resolve repeated and out-of-order steps with ``policy``; int64 steps (strictly increasing)
    and float64 values. See :func:`resolve_repeats` for the policies."""
    s, v, _ = resolve_repeats(
        steps,
        values,
        policy,
        run_id=run_id,
        metric=metric,
        path=path,
        lines=lines,
        chronological=chronological,
    )
    return s, v


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _line(lines, i: int) -> int | None:
    """Source line of point ``i``: ``lines`` is None, an array, or ``f(i) -> line``."""
    if lines is None:
        return None
    return int(lines(int(i))) if callable(lines) else int(np.asarray(lines)[int(i)])


def resolve_repeats(
    steps,
    values,
    policy: str = "auto",
    *,
    run_id: str = "<run>",
    metric: str = "<metric>",
    path: str | None = None,
    lines=None,
    chronological: bool = True,
) -> tuple[np.ndarray, np.ndarray, dict | None]:
    """Steps in log order -> strictly increasing steps, values and a report (None if nothing done).

    * ``"error"``: steps must already increase strictly; a step going back raises
      :class:`~lawfit.io.ParseError`, a repeated step :class:`DuplicateStepError` (both name the
      line when ``lines`` is given). Nothing is ever re-sorted silently.
    * ``"auto"`` (what :func:`lawfit.io.read` does by default): exact repeats (same step, same
      value, e.g. an epoch counter logged by train and eval rows) are merged, losslessly. What is
      left must be a *resumed run*: in a ``chronological`` log, each jump back to step ``s`` is a
      restart from a checkpoint and the restarted segment supersedes the earlier points at steps
      ``>= s``; in a non-chronological source (W&B history segments) points are sorted and
      differing repeats averaged. Both are reported (the report goes to ``meta["duplicates"]``
      and a warning is emitted by the importer).
    * ``"last"`` / ``"first"`` / ``"mean"``: sort by step (stable) and keep the value logged last,
      first, or their mean.
    """
    if policy not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {policy!r}")
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if s.size < 2 or np.all(s[1:] > s[:-1]):
        return s, v, None
    back = np.flatnonzero(s[1:] < s[:-1]) + 1
    if policy == "error":
        i = int(np.flatnonzero(s[1:] <= s[:-1])[0]) + 1
        if s[i] < s[i - 1]:
            raise ParseError(
                f"run {run_id!r}, metric {metric!r}: step goes back from {int(s[i - 1])} to "
                f"{int(s[i])} (a resumed or concatenated log?)",
                path=path,
                line=_line(lines, i),
                column=metric,
                hint="read with duplicates='auto' (resumed runs), or 'last' / 'first' / 'mean'",
            )
        raise DuplicateStepError(
            f"run {run_id!r}, metric {metric!r}: step {int(s[i])} is logged twice (a resumed run?)",
            path=path,
            line=_line(lines, i),
            column=metric,
            hint="choose duplicates='auto', 'last' (keep the resumed values), 'first' or 'mean'",
        )
    if policy != "auto":
        order = np.argsort(s, kind="stable")
        s, v = s[order], v[order]
        first = np.concatenate([[True], s[1:] != s[:-1]])
        starts = np.flatnonzero(first)
        report = {
            "policy": policy,
            "merged": int(s.size - starts.size),
            "reordered": bool(back.size),
        }
        if policy == "first":
            return s[starts], v[starts], report
        if policy == "last":
            ends = np.concatenate([starts[1:], [s.size]]) - 1
            return s[ends], v[ends], report
        counts = np.diff(np.concatenate([starts, [s.size]]))
        return s[starts], np.add.reduceat(v, starts) / counts, report
    # auto: 1) exact repeats (anywhere) are merged
    order = np.lexsort((np.arange(s.size), s))
    so, vo = s[order], v[order]
    exact = np.zeros(s.size, dtype=bool)
    same_step = np.flatnonzero(so[1:] == so[:-1]) + 1
    for j in same_step:  # a repeat equal to any earlier value at that step
        k = j - 1
        while k >= 0 and so[k] == so[j]:
            if not exact[order[k]] and _same(vo[k : k + 1], vo[j : j + 1])[0]:
                exact[order[j]] = True
                break
            k -= 1
    report: dict = {"policy": "auto", "identical_merged": int(exact.sum())}
    keep = ~exact
    s, v = s[keep], v[keep]
    kept = np.flatnonzero(keep)  # original point indices (for line numbers)
    if s.size < 2 or np.all(s[1:] > s[:-1]):
        return s, v, report
    if not chronological:
        order = np.argsort(s, kind="stable")
        s, v = s[order], v[order]
        first = np.concatenate([[True], s[1:] != s[:-1]])
        starts = np.flatnonzero(first)
        counts = np.diff(np.concatenate([starts, [s.size]]))
        means = np.add.reduceat(v, starts) / counts
        spread = np.maximum.reduceat(v, starts) - np.minimum.reduceat(v, starts)
        report.update(
            reordered=True,
            averaged_steps=int((counts > 1).sum()),
            max_abs_difference=float(np.nanmax(spread)) if (counts > 1).any() else 0.0,
        )
        return s[starts], means, report
    # chronological: a step at or before an earlier one is a restart from a checkpoint;
    # the restarted segment supersedes every earlier point at steps >= its first step
    restarts = []
    alive = np.ones(s.size, dtype=bool)
    for i in np.flatnonzero(s[1:] <= s[:-1]) + 1:
        # steps increase between restarts, so s[i - 1] is the highest point alive before i
        dead = alive[:i] & (s[:i] >= s[i])
        alive[:i] &= ~dead
        restarts.append(
            {
                "line": _line(lines, kept[i]),
                "step": int(s[i]),
                "after_step": int(s[i - 1]),
                "superseded": int(dead.sum()),
            }
        )
    report.update(restarts=restarts, superseded=int((~alive).sum()))
    return s[alive], v[alive], report


def branch_point(branch: Run) -> tuple[int, str]:
    """Where ``branch`` left its base run: ``meta["branch_of"]["at_step"]`` when the importer
    found it (e.g. a W&B config's ``resume_from=.../ckpts/<step>``), else its first logged step."""
    info = branch.meta.get("branch_of")
    if isinstance(info, dict) and isinstance(info.get("at_step"), int):
        return int(info["at_step"]), str(info.get("from", "meta['branch_of']"))
    firsts = [int(o.steps[0]) for o in branch.metrics.values() if o.steps.size]
    if not firsts:
        raise ValueError(f"join_branch: branch run {branch.run_id!r} has no logged points")
    return min(firsts), "the branch's first logged step"


def join_branch(
    base: Run, branch: Run, *, at_step: int | None = None, run_id: str | None = None
) -> Run:
    """One run from a base run and a branch started from its checkpoint at ``at_step``.

    Steps are global (the branch continues the base's step count). The result holds the base's
    observations at steps ``< at_step`` and the branch's at steps ``>= at_step``; its LR array is
    ``base.lr[:at_step]`` followed by ``branch.lr[at_step:]``: the branch's LR *before* the branch
    point is never used (a cooldown log does not hold it; whatever an importer inferred there is
    dropped). ``at_step=None`` takes it from :func:`branch_point` (``meta["branch_of"]`` or the
    branch's first logged step; recorded in ``meta["joined"]["at_step_from"]``). Branch points
    before ``at_step`` are an error (they would be silently dropped). Base points from
    ``at_step`` on are the base's own continuation and are not part of the joined run; their count
    is recorded in ``meta["joined"]["base_points_after"]``.

    Example:
        >>> import numpy as np
        >>> from lawfit.runs import Run
        >>> from lawfit.io import join_branch
        >>> base = Run("stable", lr=np.full(10, 1.0), metrics={"loss": ([2, 4, 6, 8], [4., 3., 2.5, 2.2])})
        >>> cool = Run("cool", lr=np.r_[np.full(6, 9.0), 0.5, 0.25], metrics={"loss": ([6, 7], [2.3, 2.1])})
        >>> joined = join_branch(base, cool)  # branch point: the cooldown's first logged step, 6
        >>> joined.observed("loss").steps.tolist(), joined.lr.tolist()[5:]
        ([2, 4, 6, 7], [1.0, 0.5, 0.25])
    """
    for name, r in (("base", base), ("branch", branch)):
        if not isinstance(r, Run):
            raise TypeError(f"{name} must be a lawfit Run, got {type(r).__name__}")
    if at_step is None:
        at, at_from = branch_point(branch)
    else:
        at, at_from = int(at_step), "at_step"
    if at <= 0:
        raise ValueError(f"at_step must be a positive step, got {at!r}")
    lr: np.ndarray | None
    if base.lr is None and branch.lr is None:
        lr = None
    elif base.lr is None or branch.lr is None:
        missing = base.run_id if base.lr is None else branch.run_id
        raise ValueError(
            f"join_branch: run {missing!r} has no LR array but the other run has one; read it "
            "with schedule=<spec> (or both with require_lr=False)"
        )
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
        "at_step_from": at_from,
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


def join_branches(runs, *, keep_parts: bool = False):
    """Every run of ``runs`` (a RunSet) whose ``meta["branch_of"]["run"]`` names another run of
    the set, joined to that base with :func:`join_branch` (id ``<base>+<branch>``).

    The base runs stay (they are runs of their own, e.g. the constant-LR run); the branches are
    replaced by the joined runs unless ``keep_parts``. Branches whose base is not in the set are
    kept unchanged.
    """
    from lawfit.runs import RunSet

    by_id = {r.run_id: r for r in runs}
    out = []
    for r in runs:
        info = r.meta.get("branch_of")
        base = by_id.get(info.get("run")) if isinstance(info, dict) else None
        if base is None or base is r:
            out.append(r)
            continue
        if keep_parts:
            out.append(r)
        out.append(join_branch(base, r))
    return RunSet(out)
