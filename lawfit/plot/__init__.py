"""``lawfit.plot``: Plotly figures of runs, fits, schedules and plans (imported on demand; the core never needs
plotly).

Every public name is re-exported here explicitly from the private module that defines it.
"""

from lawfit.plot._cpt import pareto_front, points_and_curves
from lawfit.plot._curves import DISPLAY_MAX_POINTS, PALETTE, display_indices, loss_curves, lr_curves
from lawfit.plot._fits import (
    Band,
    as_band,
    fit_overlay,
    focus_range,
    residuals,
    schedule_comparison,
)
from lawfit.plot._format import LR_AXIS, SMALL_AXIS, count, number
from lawfit.plot._schedules import schedules
from lawfit.plot._validation import validation_scatter, validation_schedules

__all__ = [
    "Band",
    "DISPLAY_MAX_POINTS",
    "LR_AXIS",
    "PALETTE",
    "SMALL_AXIS",
    "as_band",
    "count",
    "display_indices",
    "fit_overlay",
    "focus_range",
    "loss_curves",
    "lr_curves",
    "number",
    "pareto_front",
    "points_and_curves",
    "residuals",
    "schedule_comparison",
    "schedules",
    "validation_scatter",
    "validation_schedules",
]
