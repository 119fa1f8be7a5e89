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
from lawfit.plot._format import LR_AXIS, SMALL_AXIS

__all__ = ["Band", "as_band", "fit_overlay", "focus_range", "residuals", "schedule_comparison"]


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
              row: int | None = None, show_legend: bool = True, width: float = 2.5,
              alpha: float = 0.25) -> None:
    import plotly.graph_objects as go

    keep = _axis_mask(band.steps, band.center, log_x, log_y)
    idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
    x = band.steps[idx]
    kw = {"row": row, "col": 1} if row is not None else {}
    group = group or name
    if band.lower is not None and band.upper is not None:
        fig.add_trace(go.Scatter(x=x, y=band.lower[idx], mode="lines", line={"width": 0},
                                 legendgroup=group, showlegend=False, hoverinfo="skip",
                                 name=f"{group} lower"), **kw)
        fig.add_trace(go.Scatter(x=x, y=band.upper[idx], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=_rgba(col, alpha), legendgroup=group,
                                 showlegend=False, hoverinfo="skip", name=f"{group} band"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band.center[idx], mode="lines", name=name, legendgroup=group,
                             showlegend=show_legend,
                             line={"color": col, "dash": dash, "width": width}), **kw)


def focus_range(values: Iterable[np.ndarray], steps: Iterable[np.ndarray], *,
                skip: float = 0.1, pad: float = 0.05, log: bool = False) -> list[float] | None:
    """A y range that shows where the curves are compared: every value from ``skip`` (a fraction
    of the largest step) on, padded by ``pad`` of the span. The first steps' high loss would
    otherwise squeeze the fitted part (and its band) into a few pixels. In log10 units when
    ``log``. None when nothing is finite.

    >>> focus_range([np.array([9.0, 4.0, 3.0, 2.9])], [np.array([0, 50, 90, 100])])
    [2.845, 4.055]
    """
    pairs = [(np.asarray(v, np.float64), np.asarray(s, np.float64)) for v, s in zip(values, steps, strict=True)]
    top = max((float(np.max(s)) for _, s in pairs if s.size), default=None)
    if top is None:
        return None
    kept = [v[(s >= skip * top) & np.isfinite(v) & ((v > 0) if log else True)] for v, s in pairs]
    kept = [k for k in kept if k.size]
    if not kept:
        return None
    lo, hi = min(float(k.min()) for k in kept), max(float(k.max()) for k in kept)
    if log:
        lo, hi = np.log10(lo), np.log10(hi)
    span = (hi - lo) or abs(hi) * 0.01 or 1.0
    return [round(lo - pad * span, 12), round(hi + pad * span, 12)]


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
    horizon: float | None = None,
    focus: bool = True,
    title: str | None = None,
):
    """Observed points of each run (markers) with its predicted curve and band (a line over a
    shaded band), grouped by run: one colour and one legend entry per run (clicking it hides the
    run's points, curve and band together).

    Runs in ``fitted`` were used in the fit (solid prediction); the others are held out (dashed
    prediction, legend marked "held out"). ``predictions`` maps run ids to predictions; runs
    without one are drawn as observations only. ``horizon``: the last fitted step, marked with a
    dotted line (predictions beyond it extrapolate). ``focus``: the y range starts where the
    curves are compared (:func:`focus_range`; double-click the plot for the full range).
    """
    import plotly.graph_objects as go

    fitted = set(fitted)
    fig = go.Figure()
    values, steps = [], []
    for i, run in enumerate(runs):
        col = color(i)
        held = run.run_id not in fitted
        label = run.run_id + (" (held out)" if held else "")
        has_pred = run.run_id in predictions
        if metric in run.metrics:
            obs = run.metrics[metric]
            x, y = obs.steps.astype(np.float64), obs.values
            keep = _axis_mask(x, y, log_x, log_y)
            idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
            fig.add_trace(go.Scatter(x=x[idx], y=y[idx], mode="markers", name=label,
                                     legendgroup=run.run_id, showlegend=not has_pred,
                                     marker={"color": col, "size": 5, "symbol": "circle-open"},
                                     hovertemplate="%{x}: %{y:.4f} observed"))
            values.append(y[idx])
            steps.append(x[idx])
        if has_pred:
            band = as_band(predictions[run.run_id])
            _add_band(fig, band, name=label, col=col, log_x=log_x, log_y=log_y,
                      max_points=max_points, dash="dash" if held else "solid", group=run.run_id)
            for part in (band.center, band.lower, band.upper):
                if part is not None:
                    values.append(part)
                    steps.append(band.steps)
    if horizon is not None:
        fig.add_vline(x=float(horizon), line={"color": "gray", "dash": "dot", "width": 1},
                      annotation_text="end of fitted data", annotation_position="top left")
    fig.update_xaxes(title_text="step", type="log" if log_x else "linear")
    fig.update_yaxes(title_text=metric, type="log" if log_y else "linear")
    rng = focus_range(values, steps, log=log_y) if focus else None
    if rng is not None:
        fig.update_yaxes(range=rng)
    fig.update_layout(title=title, margin={"t": 40},
                      legend={"orientation": "h", "y": -0.2,
                              "title": {"text": "○ observed · — fit (- - held out) · shaded: "
                                                "90% band   "}})
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
    fig.update_yaxes(title_text=("relative " if relative else "") + "residual (observed − fit)",
                     **SMALL_AXIS)
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig


#: Line dashes cycled over the schedules of a comparison, so curves that coincide (a closed
#: form on top of the best WSD) stay visible: each is drawn with its own dash and narrower.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def schedule_comparison(
    predictions: Mapping[str, Any],
    *,
    lrs: Mapping[str, Any] | None = None,
    observed: Iterable[Any] = (),
    metric: str = "loss",
    log_x: bool = False,
    log_y: bool = False,
    max_points: int | None = DISPLAY_MAX_POINTS,
    focus: bool = True,
    title: str | None = None,
):
    """Predicted curves (with bands) of several schedules ``{name: prediction}``, overlaid on
    observed runs (grey markers); with ``lrs`` (``{name: per-step lr}``) a second panel below
    shows the schedules themselves. One legend entry per schedule (its loss and LR share colour
    and dash); later schedules are drawn narrower with their own dash, so coinciding curves stay
    visible. ``focus``: the loss axis starts where the curves differ (:func:`focus_range`)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    two = bool(lrs)
    fig = make_subplots(rows=2 if two else 1, cols=1, shared_xaxes=True,
                        row_heights=[0.65, 0.35] if two else None, vertical_spacing=0.06)
    row = 1
    values, steps = [], []
    for run in observed:
        if metric not in run.metrics:
            continue
        obs = run.metrics[metric]
        x, y = obs.steps.astype(np.float64), obs.values
        keep = _axis_mask(x, y, log_x, log_y)
        idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
        fig.add_trace(go.Scatter(x=x[idx], y=y[idx], mode="markers", name=f"{run.run_id} observed",
                                 marker={"color": "gray", "size": 4, "symbol": "circle-open"},
                                 opacity=0.6), row=row, col=1)
    names = list(predictions)
    n = max(len(names), 1)
    for i, (name, p) in enumerate(predictions.items()):
        band = as_band(p)
        _add_band(fig, band, name=str(name), col=color(i), log_x=log_x, log_y=log_y,
                  max_points=max_points, row=row, dash=DASHES[i % len(DASHES)],
                  width=3.5 - 2.0 * i / n)
        values.append(band.center)
        steps.append(band.steps)
    if two:
        for i, (name, lr) in enumerate(lrs.items()):
            lr = np.asarray(lr, dtype=np.float64)
            st = np.arange(lr.size, dtype=np.float64)
            keep = _axis_mask(st, lr, log_x, False)
            idx = np.flatnonzero(keep)[display_indices(int(keep.sum()), max_points)]
            j = names.index(name) if name in predictions else i
            fig.add_trace(go.Scatter(x=st[idx], y=lr[idx], mode="lines", name=f"{name} LR",
                                     legendgroup=str(name), showlegend=name not in predictions,
                                     line={"color": color(j), "dash": DASHES[j % len(DASHES)],
                                           "width": 3.5 - 2.0 * j / n}), row=2, col=1)
        fig.update_yaxes(title_text="learning rate", row=2, col=1, **LR_AXIS)
    fig.update_xaxes(type="log" if log_x else "linear")
    fig.update_xaxes(title_text="step", row=2 if two else 1, col=1)
    fig.update_yaxes(title_text=f"predicted {metric}", type="log" if log_y else "linear", row=1,
                     col=1)
    rng = focus_range(values, steps, log=log_y) if focus else None
    if rng is not None:
        fig.update_yaxes(range=rng, row=1, col=1)
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.15}, margin={"t": 40},
                      height=560 if two else 420)
    return fig
