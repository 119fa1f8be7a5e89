"""Plotly figures of a schedule validation (:func:`lawfit.optimize.validate_schedules`).

Example:
    >>> from lawfit.optimize import summarize_validation
    >>> from lawfit.plot import validation_scatter
    >>> res = summarize_validation({"cosine": 3.1, "wsd": 3.0}, {"cosine": [3.1, 3.12],
    ...                            "wsd": [3.0, 3.01]}, candidates=())
    >>> [t.name for t in validation_scatter(res).data]
    ['wsd', 'cosine', 'predicted = trained']
"""

from __future__ import annotations

from typing import Any

__all__ = ["validation_scatter", "validation_schedules"]


def validation_scatter(result: Any, title: str | None = None) -> Any:
    """Trained final loss (mean ± one seed std) against the law's prediction, one point per
    schedule (open markers: schedules the law was fitted on), with the diagonal."""
    import plotly.graph_objects as go

    from lawfit.plot._curves import color

    fig = go.Figure()
    for i, r in enumerate(result.rows):
        fig.add_trace(go.Scatter(
            x=[r["predicted"]], y=[r["mean"]], name=r["name"], mode="markers",
            error_y={"type": "data", "array": [r["std"]], "visible": True},
            marker={"size": 11, "color": color(i),
                    "symbol": "circle-open" if r["in_fit"] else "circle"}))
    lo = min(min(r["predicted"], r["mean"] - r["std"]) for r in result.rows)
    hi = max(max(r["predicted"], r["mean"] + r["std"]) for r in result.rows)
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="predicted = trained",
                             line={"dash": "dot", "color": "gray"}))
    fig.update_layout(
        title=title or f"Kendall tau {result.kendall_tau:.2f} over {len(result.rows)} schedules, "
                       f"{len(result.seeds)} seeds",
        xaxis_title="law-predicted final loss", yaxis_title="trained final loss (mean ± std)")
    return fig


def validation_schedules(result: Any, title: str = "Validated schedules") -> Any:
    """The per-step learning rates of every validated schedule."""
    from lawfit.plot._schedules import schedules
    from lawfit.schedules import tabulated

    tabs = {n: tabulated(list(range(len(v))), list(v)) for n, v in result.lr.items()}
    return schedules(tabs, total_steps=max(len(v) for v in result.lr.values()), title=title)
