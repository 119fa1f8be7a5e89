"""Plotly figure of one or many learning-rate schedules.

Plotly is imported lazily inside the function, so ``import lawfit.plot`` never needs it.

Example:
    >>> from lawfit import schedules as sch
    >>> from lawfit.plot import schedules
    >>> fig = schedules({"cosine": sch.cosine(3e-4, 1000, warmup_steps=100),
    ...                  "wsd": sch.wsd(3e-4, 1000, warmup_steps=100, decay_fraction=0.2)})
    >>> [t.name for t in fig.data]
    ['cosine', 'wsd']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["schedules"]


def _nominal_total(s: Any) -> int | None:
    from lawfit.schedules._core import Schedule, nominal_total_steps

    if isinstance(s, Mapping):
        return nominal_total_steps(s)
    if isinstance(s, Schedule):
        return nominal_total_steps(s.spec)
    return None


def _label(s: Any, i: int) -> str:
    from lawfit.schedules._core import Schedule

    if isinstance(s, Mapping) and "family" in s:
        return str(s["family"])
    if isinstance(s, Schedule):
        return s.family
    return f"schedule {i}"


def schedules(
    schedules: Any,
    total_steps: int | None = None,
    *,
    log_y: bool = False,
    max_points: int | None = 2000,
    title: str | None = None,
) -> Any:
    """Draw schedules (a schedule, a spec dict, a list of them or a ``{name: schedule}`` dict).

    ``total_steps`` defaults to the longest nominal length found in the specs (``total_steps``,
    the sum of periods, ...); it is required when none of them has one. Long schedules are thinned
    to ``max_points`` for display only. Returns a ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go

    from lawfit.plot._curves import color, display_indices
    from lawfit.schedules import to_array

    if isinstance(schedules, Mapping) and "family" not in schedules:
        items = [(str(k), v) for k, v in schedules.items()]
    elif isinstance(schedules, Sequence) and not isinstance(schedules, (str, bytes)):
        items = [(_label(s, i), s) for i, s in enumerate(schedules)]
    else:
        items = [(_label(schedules, 0), schedules)]
    if not items:
        raise ValueError("schedules is empty; give at least one schedule")
    if total_steps is None:
        totals = [t for t in (_nominal_total(s) for _, s in items) if t is not None]
        if not totals:
            raise ValueError(
                "total_steps=None and no schedule has a nominal length; pass total_steps"
            )
        total_steps = max(totals)
    fig = go.Figure()
    for i, (name, s) in enumerate(items):
        lr = to_array(s, total_steps)
        idx = display_indices(len(lr), max_points)
        fig.add_trace(go.Scatter(x=idx, y=lr[idx], name=name, mode="lines",
                                 line={"color": color(i)}))
    fig.update_layout(title=title, xaxis_title="step", yaxis_title="learning rate",
                      template="plotly_white", legend_title_text="schedule")
    if log_y:
        fig.update_yaxes(type="log")
    return fig
