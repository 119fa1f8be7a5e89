"""Plotly figures of the continual-pre-training and mixture planners: the Pareto front of a CPT
plan (L_pt vs L_cpt over the candidate plans, LAWS.md 6.6) and observed points with fitted curves
along one axis (loss vs mixture ratio, loss vs CPT tokens, R_CMR vs tokens; LAWS.md 7, 8).

Example:
    >>> import numpy as np
    >>> from lawfit.plot import pareto_front, points_and_curves
    >>> fig = pareto_front([3.1, 3.0, 3.2], [2.5, 2.6, 2.4], pareto=(1, 0, 2), chosen=0)
    >>> [t.name for t in fig.data]
    ['candidates', 'Pareto front', 'chosen']
    >>> fig = points_and_curves([{"name": "R=0.25", "x": [1, 2], "y": [2.0, 1.9],
    ...                           "x_fit": [1, 1.5, 2], "y_fit": [2.0, 1.95, 1.9]}])
    >>> len(fig.data)
    2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lawfit.plot._curves import color
from lawfit.plot._fits import _rgba

__all__ = ["pareto_front", "points_and_curves"]


def pareto_front(
    L_pt: Sequence[float],
    L_cpt: Sequence[float],
    *,
    pareto: Sequence[int],
    chosen: int | None = None,
    labels: Sequence[str] | None = None,
    chosen_interval: Mapping[str, Sequence[float] | None] | None = None,
    title: str | None = None,
):
    """Every candidate plan as a point (L_pt, L_cpt), the Pareto front (indices ``pareto``, in
    the order lawfit returns them, increasing L_pt) as a line, and the ``chosen`` candidate as a
    star; ``chosen_interval`` ``{"L_pt": (lo, hi), "L_cpt": (lo, hi)}`` draws error bars."""
    import plotly.graph_objects as go

    a = np.asarray(L_pt, dtype=np.float64)
    b = np.asarray(L_cpt, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"L_pt has shape {a.shape} but L_cpt has {b.shape}")
    text = list(labels) if labels is not None else [f"plan {i}" for i in range(a.size)]
    front = [int(i) for i in pareto]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=a, y=b, mode="markers", name="candidates", text=text,
                             hovertemplate="%{text}<br>L_pt %{x:.4f}<br>L_cpt %{y:.4f}",
                             marker={"color": "gray", "size": 6}, opacity=0.6))
    fig.add_trace(go.Scatter(x=a[front], y=b[front], mode="lines+markers", name="Pareto front",
                             text=[text[i] for i in front],
                             hovertemplate="%{text}<br>L_pt %{x:.4f}<br>L_cpt %{y:.4f}",
                             line={"color": color(0)}, marker={"color": color(0), "size": 7}))
    if chosen is not None:
        ci = chosen_interval or {}
        err = {}
        for axis, key, val in (("error_x", "L_pt", a[chosen]), ("error_y", "L_cpt", b[chosen])):
            iv = ci.get(key)
            if iv is not None:
                err[axis] = {"type": "data", "symmetric": False, "array": [iv[1] - val],
                             "arrayminus": [val - iv[0]], "color": color(1)}
        fig.add_trace(go.Scatter(x=[a[chosen]], y=[b[chosen]], mode="markers", name="chosen",
                                 text=[text[chosen]], marker={"color": color(1), "size": 14,
                                                              "symbol": "star"}, **err))
    fig.update_xaxes(title_text="predicted general loss L_pt (D_pt)")
    fig.update_yaxes(title_text="predicted domain loss L_cpt (D_cpt)")
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig


def points_and_curves(
    series: Sequence[Mapping[str, Any]],
    *,
    x_title: str = "x",
    y_title: str = "loss",
    log_x: bool = False,
    log_y: bool = False,
    hline: float | None = None,
    vline: float | None = None,
    title: str | None = None,
):
    """Observed points and fitted curves, one colour per series.

    Each series is a mapping with ``name`` and any of ``x``/``y`` (observed points, markers),
    ``x_fit``/``y_fit`` (fitted curve, line) and ``lower``/``upper`` (a band around the curve, at
    ``x_fit``). ``hline``/``vline`` draw a dotted reference line (a threshold, a budget).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, s in enumerate(series):
        col, name = color(i), str(s.get("name", f"series {i}"))
        if s.get("x") is not None and s.get("y") is not None:
            fig.add_trace(go.Scatter(x=np.asarray(s["x"], np.float64), y=np.asarray(s["y"], np.float64),
                                     mode="markers", name=f"{name} observed", legendgroup=name,
                                     marker={"color": col, "size": 6}))
        if s.get("x_fit") is not None and s.get("y_fit") is not None:
            xf = np.asarray(s["x_fit"], np.float64)
            if s.get("lower") is not None and s.get("upper") is not None:
                fig.add_trace(go.Scatter(x=xf, y=np.asarray(s["lower"], np.float64), mode="lines",
                                         line={"width": 0}, showlegend=False, legendgroup=name,
                                         hoverinfo="skip", name=f"{name} lower"))
                fig.add_trace(go.Scatter(x=xf, y=np.asarray(s["upper"], np.float64), mode="lines",
                                         line={"width": 0}, fill="tonexty",
                                         fillcolor=_rgba(col, 0.2), showlegend=False,
                                         legendgroup=name, hoverinfo="skip", name=f"{name} band"))
            fig.add_trace(go.Scatter(x=xf, y=np.asarray(s["y_fit"], np.float64), mode="lines",
                                     name=f"{name} fit", legendgroup=name, line={"color": col}))
    if hline is not None:
        fig.add_hline(y=float(hline), line={"color": "gray", "dash": "dot", "width": 1})
    if vline is not None:
        fig.add_vline(x=float(vline), line={"color": "gray", "dash": "dot", "width": 1})
    fig.update_xaxes(title_text=x_title, type="log" if log_x else "linear")
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear")
    fig.update_layout(title=title, legend={"orientation": "h", "y": -0.2}, margin={"t": 40})
    return fig
