"""Plotly figures of fitted laws: observed vs fitted with prediction bands, residuals, and
predicted curves of several schedules compared.

A *prediction* is anything with ``steps`` and a central value (``median``, ``mean``, ``loss`` or
``value``, first found) and optionally ``lower`` / ``upper`` quantiles, given as a mapping or as
an object with those attributes (for example what ``FitResult.predict`` returns). Bands are drawn
as in ECOSYSTEM.md section 4: lower quantile, then upper with ``fill="tonexty"``, then the centre.

Example:
    >>> import numpy as np
    >>> from lawfit.datasets import mpl_runs
    >>> from lawfit.plot import fit_overlay
    >>> runs = mpl_runs("25M", ["constant_24000"])
    >>> obs = runs["constant_24000"].observed("loss")
    >>> pred = {"constant_24000": {"steps": obs.steps, "median": obs.values + 0.01}}
    >>> fig = fit_overlay(runs, pred, fitted=["constant_24000"])
    >>> len(fig.data)
    2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np

from lawfit.plot._curves import DISPLAY_MAX_POINTS, _axis_mask, color, display_indices

__all__ = ["Band", "as_band", "fit_overlay", "residuals", "schedule_comparison"]


class Band(NamedTuple):
    """A predicted curve: ``steps``, the central value and optional lower/upper quantiles."""

    steps: np.ndarray
    center: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None


def _get(p: Any, name: str) -> Any:
    if isinstance(p, Mapping):
        return p.get(name)
    return getattr(p, name, None)


def as_band(p: Any) -> Band:
    """Read a prediction (mapping or object, see the module docstring) as a :class:`Band`."""
    if isinstance(p, Band):
        return p
    steps = _get(p, "steps")
    center = next(
        (_get(p, k) for k in ("median", "mean", "loss", "value", "center") if _get(p, k) is not None),
        None,
    )
    if steps is None or center is None:
        raise ValueError(
            "a prediction needs 'steps' and one of 'median', 'mean', 'loss', 'value'; got "
            f"{sorted(p) if isinstance(p, Mapping) else type(p).__name__}"
        )
    steps = np.asarray(steps, dtype=np.float64)
    center = np.asarray(center, dtype=np.float64)
    lo, hi = _get(p, "lower"), _get(p, "upper")
    lo = None if lo is None else np.asarray(lo, dtype=np.float64)
    hi = None if hi is None else np.asarray(hi, dtype=np.float64)
    for name, a in (("center", center), ("lower", lo), ("upper", hi)):
        if a is not None and a.shape != steps.shape:
            raise ValueError(f"prediction {name} has shape {a.shape}, steps have {steps.shape}")
    return Band(steps, center, lo, hi)


def _add_band(fig, band: Band, *, name: str, col: str, log_x: bool, log_y: bool,
              max_points: int | None, dash: str = "solid", group: str | None = None,
              row: int | None = None, show_legend: bool = True) -> None:
    import plotly.graph_objects as go

    keep = _axis_mask(band.steps, band.center, log_x, log_y)
    idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
    x = band.steps[idx]
    kw = {"row": row, "col": 1} if row is not None else {}
    group = group or name
    if band.lower is not None and band.upper is not None:
        fig.add_trace(go.Scatter(x=x, y=band.lower[idx], mode="lines", line={"width": 0},
                                 legendgroup=group, showlegend=False, hoverinfo="skip",
                                 name=f"{name} lower"), **kw)
        fig.add_trace(go.Scatter(x=x, y=band.upper[idx], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=_rgba(col, 0.2), legendgroup=group,
                                 showlegend=False, hoverinfo="skip", name=f"{name} band"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band.center[idx], mode="lines", name=name, legendgroup=group,
                             showlegend=show_legend, line={"color": col, "dash": dash}), **kw)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def fit_overlay(
    runs: Iterable[Any],
    predictions: Mapping[str, Any],
    *,
    metric: str = "loss",
    fitted: Iterable[str] = (),
    log_x: bool = False,
    log_y: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    title: str | None = None,
):
    """Observed points of each run (markers) with its predicted curve and band (lines).

    Runs in ``fitted`` were used in the fit (solid prediction); the others are held out (dashed
    prediction, legend marked "held out"). ``predictions`` maps run ids to predictions; runs
    without one are drawn as observations only.
    """
    import plotly.graph_objects as go

    fitted = set(fitted)
    fig = go.Figure()
    for i, run in enumerate(runs):
        col = color(i)
        if metric in run.metrics:
            obs = run.metrics[metric]
            x, y = obs.steps.astype(np.float64), obs.values
            keep = _axis_mask(x, y, log_x, log_y)
            idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
            label = run.run_id + ("" if run.run_id in fitted else " (held out)")
            fig.add_trace(go.Scatter(x=x[idx], y=y[idx], mode="markers", name=f"{label} observed",
                                     legendgroup=run.run_id, marker={"color": col, "size": 4},
                                     opacity=0.6))
        if run.run_id in predictions:
            _add_band(fig, as_band(predictions[run.run_id]), name=f"{run.run_id} fit",
                      col=col, log_x=log_x, log_y=log_y, max_points=max_points,
                      dash="solid" if run.run_id in fitted else "dash", group=run.run_id)
    fig.update_xaxes(title_text="step", type="log" if log_x else "linear")
    fig.update_yaxes(title_text=metric, type="log" if log_y else "linear")
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig


def residuals(
    runs: Iterable[Any],
    predictions: Mapping[str, Any],
    *,
    metric: str = "loss",
    relative: bool = False,
    log_x: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    title: str | None = None,
):
    """Observed minus predicted at each observed step (``relative``: divided by the observed
    value). The prediction must contain every observed step it is compared at; observed steps
    the prediction lacks are left out (never interpolated). At most ``max_points`` residuals per
    run are drawn (display only)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, run in enumerate(runs):
        if run.run_id not in predictions or metric not in run.metrics:
            continue
        band = as_band(predictions[run.run_id])
        obs = run.metrics[metric]
        steps = obs.steps.astype(np.float64)
        common, io, ip = np.intersect1d(steps, band.steps, return_indices=True)
        r = obs.values[io] - band.center[ip]
        if relative:
            r = r / obs.values[io]
        keep = _axis_mask(common, r, log_x, False)
        idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
        fig.add_trace(go.Scatter(x=common[idx], y=r[idx], mode="markers", name=run.run_id,
                                 marker={"color": color(i), "size": 4}))
    fig.add_hline(y=0.0, line={"color": "gray", "width": 1})
    fig.update_xaxes(title_text="step", type="log" if log_x else "linear")
    fig.update_yaxes(title_text=("relative " if relative else "") + "residual (observed − fit)")
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig


def schedule_comparison(
    predictions: Mapping[str, Any],
    *,
    lrs: Mapping[str, Any] | None = None,
    observed: Iterable[Any] = (),
    metric: str = "loss",
    log_x: bool = False,
    log_y: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    title: str | None = None,
):
    """Predicted curves (with bands) of several schedules ``{name: prediction}``, overlaid on
    observed runs (grey markers); with ``lrs`` (``{name: per-step lr}``) a second panel below
    shows the schedules themselves."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    two = bool(lrs)
    fig = make_subplots(rows=2 if two else 1, cols=1, shared_xaxes=True,
                        row_heights=[0.7, 0.3] if two else None, vertical_spacing=0.06)
    row = 1
    for run in observed:
        if metric not in run.metrics:
            continue
        obs = run.metrics[metric]
        x, y = obs.steps.astype(np.float64), obs.values
        keep = _axis_mask(x, y, log_x, log_y)
        idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
        fig.add_trace(go.Scatter(x=x[idx], y=y[idx], mode="markers", name=f"{run.run_id} observed",
                                 marker={"color": "gray", "size": 3}, opacity=0.5),
                      row=row, col=1)
    for i, (name, p) in enumerate(predictions.items()):
        _add_band(fig, as_band(p), name=str(name), col=color(i), log_x=log_x, log_y=log_y,
                  max_points=max_points, row=row)
    if two:
        for i, (name, lr) in enumerate(lrs.items()):
            lr = np.asarray(lr, dtype=np.float64)
            steps = np.arange(lr.size, dtype=np.float64)
            keep = _axis_mask(steps, lr, log_x, False)
            idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
            col = color(list(predictions).index(name)) if name in predictions else color(i)
            fig.add_trace(go.Scatter(x=steps[idx], y=lr[idx], mode="lines", name=f"{name} LR",
                                     legendgroup=str(name), showlegend=False,
                                     line={"color": col, "dash": "dot"}), row=2, col=1)
        fig.update_yaxes(title_text="learning rate", row=2, col=1)
    fig.update_xaxes(type="log" if log_x else "linear")
    fig.update_xaxes(title_text="step", row=2 if two else 1, col=1)
    fig.update_yaxes(title_text=metric, type="log" if log_y else "linear", row=1, col=1)
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig
