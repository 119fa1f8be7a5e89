"""Plotly figures of observed loss curves, optionally with the LR schedule on a secondary axis.

Plotly is imported lazily inside each function, so ``import lawfit.plot`` never needs it.
Long curves are thinned for display only (a stride that keeps the first and last point), to at
most :data:`DISPLAY_MAX_POINTS` points per trace by default (``max_points=None`` keeps all); fits
always use the full-resolution data. 1,000 points per trace keep a page of figures light in the
browser (the bundled 400M curves: 9 LR arrays of 24,000 steps) while a 24,000-step schedule's
corners still land within 24 steps.

Example:
    >>> from lawfit.datasets import mpl_runs
    >>> from lawfit.plot import loss_curves
    >>> fig = loss_curves(mpl_runs("25M", ["constant_24000", "cosine_24000"]), log_x=True)
    >>> [t.name for t in fig.data if t.showlegend is not False]
    ['constant_24000', 'cosine_24000']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from lawfit.plot._format import LR_AXIS

__all__ = ["DISPLAY_MAX_POINTS", "display_indices", "loss_curves", "lr_curves", "PALETTE"]

#: Default largest number of points drawn per trace (display only; see the module docstring).
DISPLAY_MAX_POINTS = 1000

#: Colour cycle shared by every lawfit figure (plotly's default qualitative palette).
PALETTE = (
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
    "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
)  # fmt: skip


def color(i: int) -> str:
    """The ``i``-th colour of :data:`PALETTE` (cycled)."""
    return PALETTE[i % len(PALETTE)]


def display_indices(n: int, max_points: int | None) -> np.ndarray:
    """Indices of at most ``max_points`` points out of ``n`` for display: an even stride that
    always keeps the first and the last point. ``None`` or ``n <= max_points`` keeps all."""
    if max_points is not None and max_points < 2:
        raise ValueError(f"max_points must be >= 2 or None, got {max_points!r}")
    if max_points is None or n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def _axis_mask(x: np.ndarray, y: np.ndarray | None, log_x: bool, log_y: bool) -> np.ndarray:
    keep = np.isfinite(x)
    if y is not None:
        keep &= np.isfinite(y)
        if log_y:
            keep &= y > 0
    if log_x:
        keep &= x > 0  # step 0 cannot be shown on a log axis; it is dropped, never shifted
    return keep


def _metrics(metric: str | Sequence[str]) -> list[str]:
    return [metric] if isinstance(metric, str) else list(metric)


def loss_curves(
    runs: Iterable[Any],
    *,
    metric: str | Sequence[str] = "loss",
    show_lr: bool = True,
    log_x: bool = False,
    log_y: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    title: str | None = None,
):
    """Observed curves of ``runs`` (a RunSet or any iterable of :class:`lawfit.Run`).

    One colour per run; several metrics of the same run get different dashes. With ``show_lr``
    the per-step LR array of each run is drawn dotted on a secondary y axis. With ``log_x`` step 0
    is dropped (it cannot be shown on a log axis). Runs lacking a metric are skipped for it.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics = _metrics(metric)
    fig = make_subplots(specs=[[{"secondary_y": bool(show_lr)}]])
    dashes = ("solid", "dash", "longdash", "dashdot")
    for i, run in enumerate(runs):
        for j, m in enumerate(metrics):
            if m not in run.metrics:
                continue
            obs = run.metrics[m]
            x, y = obs.steps.astype(np.float64), obs.values
            keep = _axis_mask(x, y, log_x, log_y)
            x, y = x[keep], y[keep]
            idx = display_indices(x.size, max_points)
            name = run.run_id if len(metrics) == 1 else f"{run.run_id} · {m}"
            fig.add_trace(
                go.Scatter(
                    x=x[idx], y=y[idx], name=name, mode="lines", legendgroup=run.run_id,
                    line={"color": color(i), "dash": dashes[j % len(dashes)]},
                ),
                secondary_y=False,
            )
        if show_lr and run.lr is not None:
            steps = np.arange(run.lr.size, dtype=np.float64)
            keep = _axis_mask(steps, None, log_x, False)
            idx = display_indices(int(keep.sum()), max_points)
            fig.add_trace(
                go.Scatter(
                    x=steps[keep][idx], y=run.lr[keep][idx], name=f"{run.run_id} · LR",
                    mode="lines", legendgroup=run.run_id, showlegend=False, opacity=0.6,
                    line={"color": color(i), "dash": "dot", "width": 1},
                ),
                secondary_y=True,
            )
    fig.update_xaxes(title_text="step", type="log" if log_x else "linear")
    fig.update_yaxes(
        title_text=metrics[0] if len(metrics) == 1 else "value",
        type="log" if log_y else "linear", secondary_y=False,
    )
    if show_lr:
        fig.update_yaxes(title_text="learning rate", secondary_y=True, showgrid=False,
                         **LR_AXIS)
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig


def lr_curves(
    lrs: Mapping[str, Any],
    *,
    log_x: bool = False,
    log_y: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    title: str | None = None,
):
    """Per-step LR arrays ``{name: lr}`` (each from step 0) as lines on one axis."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, lr) in enumerate(lrs.items()):
        lr = np.asarray(lr, dtype=np.float64)
        steps = np.arange(lr.size, dtype=np.float64)
        keep = _axis_mask(steps, lr, log_x, log_y)
        idx = display_indices(int(keep.sum()), max_points)
        fig.add_trace(
            go.Scatter(x=steps[keep][idx], y=lr[keep][idx], name=str(name), mode="lines",
                       line={"color": color(i)})
        )
    fig.update_xaxes(title_text="step", type="log" if log_x else "linear")
    fig.update_yaxes(title_text="learning rate", type="log" if log_y else "linear",
                     **({} if log_y else LR_AXIS))
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig
