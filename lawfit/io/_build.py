"""From a reader's raw points to a validated :class:`~lawfit.runs.Run` (shared by every reader).

A reader only maps its source to :class:`RawRun` (run id, ``{logged key: (steps, values)}`` in
log order, metadata). :func:`build_run` then applies, in this order and recording each choice in
``run.meta``: metric aliases, repeated-step policy, and the per-step LR (logged, interpolated, or
from a schedule spec).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lawfit.io._aliases import resolve_aliases
from lawfit.io._errors import ImportError, MissingLRError, note
from lawfit.io._lr import LR_EXTRAPOLATE, LR_KINDS, infer_lr_edges, lr_from_schedule, rebuild_lr
from lawfit.io._surgery import DUPLICATE_POLICIES, resolve_repeats
from lawfit.runs import Run

STEP_UNITS = ("step", "samples", "tokens")
MAX_STEPS = 2**28  # 2 GiB of float64 LR: far beyond any optimizer-step count


@dataclass
class RawRun:
    """What a reader produces: nothing validated beyond integer steps."""

    run_id: str
    metrics: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    lines: dict[str, np.ndarray] = field(default_factory=dict)  # source line of each point
    chronological: bool = True  # points are in the order they were logged


@dataclass(frozen=True)
class BuildOptions:
    """Options shared by every reader (see :func:`lawfit.io.read`)."""

    aliases: Mapping[str, Sequence[str]] | bool | None = None
    duplicates: str = "auto"
    lr_interpolation: str = "linear"
    lr_extrapolate: str = "auto"
    schedule: Any = None
    require_lr: bool | None = None
    total_steps: int | Mapping[str, int] | None = None
    step_unit: str = "step"
    samples_per_step: int | None = None
    tokens_per_step: int | None = None
    meta: Mapping[str, Any] | None = None
    check_schedule: bool = True

    def __post_init__(self) -> None:
        if self.duplicates not in DUPLICATE_POLICIES:
            raise ValueError(
                f"duplicates must be one of {DUPLICATE_POLICIES}, got {self.duplicates!r}"
            )
        if self.lr_interpolation not in LR_KINDS:
            raise ValueError(
                f"lr_interpolation must be one of {LR_KINDS}, got {self.lr_interpolation!r}"
            )
        if self.lr_extrapolate not in LR_EXTRAPOLATE:
            raise ValueError(
                f"lr_extrapolate must be one of {LR_EXTRAPOLATE}, got {self.lr_extrapolate!r}"
            )
        if self.step_unit not in STEP_UNITS:
            raise ValueError(f"step_unit must be one of {STEP_UNITS}, got {self.step_unit!r}")
        per = {"samples": self.samples_per_step, "tokens": self.tokens_per_step}.get(self.step_unit)
        if self.step_unit != "step" and (per is None or int(per) <= 0):
            raise ValueError(
                f"step_unit={self.step_unit!r} needs {self.step_unit}_per_step=<positive int> to "
                "convert to optimizer steps"
            )


def _per_run(value: Any, run_id: str) -> Any:
    """Options ``schedule``, ``total_steps`` and ``meta`` are one value for every run, or a
    callable ``f(run_id) -> value`` (return None for "not given")."""
    return value(run_id) if callable(value) else value


def _schedule_for(value: Any, run_id: str) -> Any:
    """A spec dict, a lawfit/optax schedule (same for every run) or ``f(run_id) -> spec``."""
    if callable(value) and not isinstance(value, Mapping):
        from lawfit import schedules as sch

        try:
            return sch.to_spec(value)  # a lawfit schedule: the same for every run
        except (TypeError, ValueError, AttributeError):
            pass
        try:
            return value(run_id)
        except Exception as e:  # noqa: BLE001 - a user callable: report, never leak
            raise ImportError(
                f"run {run_id!r}: schedule callable failed ({type(e).__name__}: {e})",
                hint="pass a spec dict, a lawfit schedule, or f(run_id) -> spec dict",
            ) from None
    return value


def _convert_steps(steps: np.ndarray, opts: BuildOptions, raw: RawRun, metric: str) -> np.ndarray:
    if opts.step_unit == "step":
        return steps
    per = int(opts.samples_per_step if opts.step_unit == "samples" else opts.tokens_per_step)
    q, r = np.divmod(steps, per)
    if np.any(r):
        i = int(np.argmax(r != 0))
        raise ImportError(
            f"run {raw.run_id!r}, metric {metric!r}: x value {int(steps[i])} {opts.step_unit} is "
            f"not a whole number of steps of {per} {opts.step_unit}",
            path=raw.path,
            column=metric,
            hint=f"check {opts.step_unit}_per_step",
        )
    return q


def build_run(raw: RawRun, opts: BuildOptions) -> Run:
    """Apply aliases, the repeated-step policy and the LR rule; return a validated Run."""
    meta: dict[str, Any] = dict(raw.meta)
    if opts.meta:
        meta.update(_per_run(opts.meta, raw.run_id) or {})
    if opts.step_unit != "step":
        meta["step_unit"] = opts.step_unit
    names = resolve_aliases(raw.metrics, opts.aliases)
    renamed = {k: v for k, v in names.items() if k != v}
    if renamed:
        meta["aliases"] = {v: k for k, v in renamed.items()}
    lr_key = next((k for k, v in names.items() if v == "lr"), None)
    metrics: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    reports: dict[str, dict] = {}
    lr_points = None
    for key, (steps, values) in raw.metrics.items():
        name = names.get(key, key)
        steps = _convert_steps(np.asarray(steps, dtype=np.int64), opts, raw, key)
        s, v, report = resolve_repeats(
            steps,
            values,
            opts.duplicates,
            run_id=raw.run_id,
            metric=key,
            path=raw.path,
            lines=raw.lines.get(key),
            chronological=raw.chronological,
        )
        if report is not None:
            reports[name] = report
        if key == lr_key:
            lr_points = (s, v)
        else:
            metrics[name] = (s, v)
    if reports:
        _record_repeats(meta, reports, opts.duplicates, raw)

    last = [int(s[-1]) for s, _ in metrics.values() if s.size]
    if lr_points is not None and lr_points[0].size:
        last.append(int(lr_points[0][-1]))
    total = _per_run(opts.total_steps, raw.run_id)
    declared = raw.meta.get("declared_total_steps")
    if total is None and isinstance(declared, int) and last and declared > max(last):
        total = declared  # the log states its length (Megatron "iteration N/ T")
    if total is None:
        total = (max(last) + 1) if last else None
    elif last and int(total) <= max(last):
        raise ImportError(
            f"run {raw.run_id!r}: total_steps={int(total)} but the log reaches step {max(last)}",
            path=raw.path,
            hint="pass total_steps larger than the last logged step, or leave it out",
        )
    if total is not None and int(total) > MAX_STEPS:
        raise ImportError(
            f"run {raw.run_id!r} reaches step {int(total) - 1}: a per-step LR array that long "
            f"({int(total) * 8 / 2**30:.1f} GiB) is not a training run",
            path=raw.path,
            hint="check the step column (samples or tokens? pass step_unit=...)",
        )
    schedule = _schedule_for(opts.schedule, raw.run_id)
    lr = None
    lr_source = "none"
    if schedule is not None:
        if total is None:
            raise ImportError(f"run {raw.run_id!r} has no points", path=raw.path)
        lr = lr_from_schedule(schedule, total, run_id=raw.run_id)
        lr_source = "spec"
        if isinstance(schedule, Mapping):
            meta.setdefault("schedule", dict(schedule))
        if lr_points is not None and opts.check_schedule and lr_points[0].size:
            s, v = lr_points
            ok = np.isclose(lr[s], v, rtol=1e-6, atol=1e-12 * max(1.0, float(np.max(np.abs(v)))))
            if not ok.all():
                i = int(np.argmax(~ok))
                raise ImportError(
                    f"run {raw.run_id!r}: the schedule spec gives lr={float(lr[s[i]])!r} at step "
                    f"{int(s[i])} but the log says {float(v[i])!r}",
                    path=raw.path,
                    column=lr_key,
                    hint="fix the spec (steps are 0-based optimizer steps) or pass "
                    "check_schedule=False",
                )
    elif (
        lr_points is not None
        and lr_points[0].size
        and opts.require_lr is False
        and not (lr_points[0].size == total and lr_points[0][0] == 0)
        and opts.lr_extrapolate != "hold"
        and (lr_points[0][0] > 0 or lr_points[0][-1] < total - 1)
    ):
        # the LR is not needed and cannot be rebuilt without inventing values: keep the logged
        # points as the metric "lr_logged" instead of dropping them
        metrics["lr_logged"] = lr_points
        meta["lr_unavailable"] = "logged LR does not cover every step; require_lr=False"
    elif lr_points is not None and lr_points[0].size:
        s, v = lr_points
        if s.size == total and s[0] == 0:
            lr = rebuild_lr(s, v, total, run_id=raw.run_id, path=raw.path)
            lr_source = "logged"
        else:
            lr = rebuild_lr(
                s,
                v,
                total,
                kind=opts.lr_interpolation,
                extrapolate="hold" if opts.lr_extrapolate == "auto" else opts.lr_extrapolate,
                run_id=raw.run_id,
                path=raw.path,
            )
            if opts.lr_extrapolate == "auto" and (s[0] > 0 or s[-1] < total - 1):
                head, inferred = infer_lr_edges(s, v, total, meta)
                if head is not None:
                    lr[: head.size] = head
                for item in inferred:
                    note(meta, raw, "inferred", item, what=item["what"])
            lr_source = f"tabulated:{opts.lr_interpolation}"
            meta["lr_interpolation"] = opts.lr_interpolation
            meta["lr_logged_points"] = int(lr_points[0].size)
            held = []
            s0, s1 = lr_points[0][0], lr_points[0][-1]
            if s0 > 0:
                held.append([0, int(s0) - 1])
            if s1 < total - 1:
                held.append([int(s1) + 1, int(total) - 1])
            if held:
                meta["lr_extrapolated"] = held
    elif opts.require_lr:
        raise MissingLRError(
            f"run {raw.run_id!r} has no learning rate in the log (looked for the LR aliases; "
            f"logged keys: {sorted(raw.metrics)[:12]})",
            path=raw.path,
            hint="pass schedule=<spec dict> to rebuild it exactly, aliases={'lr': ['<key>']} if "
            "it is logged under another name, or require_lr=False if the LR is not needed",
        )
    elif opts.require_lr is None:
        note(
            meta,
            raw,
            "lr_unavailable",
            "the log holds no learning rate (looked for the LR aliases); pass schedule=<spec> "
            "to give it, or aliases={'lr': ['<key>']} if it is logged under another name",
            what="no LR",
        )
    try:
        return Run(raw.run_id, lr=lr, metrics=metrics, meta=meta, lr_source=lr_source)
    except ValueError as e:
        raise ImportError(str(e), path=raw.path) from None


def _record_repeats(meta: dict, reports: dict, policy: str, raw: RawRun) -> None:
    """``meta["duplicates"]``; a warning when a resumed run or out-of-order segments were
    resolved by the ``auto`` policy (exact repeats are merged without one: nothing changes)."""
    if policy != "auto":
        meta["duplicates"] = {
            "policy": policy,
            "merged_steps": {k: r["merged"] for k, r in reports.items()},
        }
        if any(r["reordered"] for r in reports.values()):
            meta["duplicates"]["reordered"] = sorted(
                k for k, r in reports.items() if r["reordered"]
            )
        return
    meta["duplicates"] = {"policy": "auto", **{k: r for k, r in reports.items()}}
    resumed = {k: r for k, r in reports.items() if r.get("restarts")}
    if resumed:
        k, r = next(iter(resumed.items()))
        first = r["restarts"][0]
        where = f" (line {first['line']})" if first.get("line") else ""
        note(
            meta,
            raw,
            "inferred",
            {
                "what": f"a resumed run in metrics {sorted(resumed)}",
                "from": f"steps going back, first in {k!r} to step {first['step']} after "
                f"{first['after_step']}{where}; the restarted values supersede "
                f"{sum(x['superseded'] for x in resumed.values())} earlier point(s) "
                "(meta['duplicates'] per metric)",
            },
            what="a resumed run",
        )
    shuffled = {k: r for k, r in reports.items() if r.get("reordered")}
    if shuffled:
        averaged = sum(r["averaged_steps"] for r in shuffled.values())
        worst = max(r["max_abs_difference"] for r in shuffled.values())
        note(
            meta,
            raw,
            "inferred",
            {
                "what": f"history segments out of order in metrics {sorted(shuffled)}",
                "from": f"sorted by step; {averaged} step(s) logged twice with different values "
                f"averaged (max difference {worst:.3g}); meta['duplicates'] per metric",
            },
            what="history segments out of order",
        )


BuildFn = Callable[[RawRun, BuildOptions], Run]
