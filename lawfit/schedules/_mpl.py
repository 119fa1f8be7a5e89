"""Specs of the learning-rate schedules of the shipped Multi-Power-Law data (SCHEDULES.md 16).

Every MPL run uses ``peak = 3e-4`` and a ``linspace`` warmup over 2160 steps. The run names and
these constants live here, in the schedule layer; :mod:`lawfit.datasets` imports them (never the
other way round). The spec built here reproduces the MPL repository's own numpy formula
(:func:`lawfit.datasets.mpl_lr`) to about 1e-15 relative error.

Example:
    >>> from lawfit.schedules import mpl_spec
    >>> mpl_spec("wsdcon_9")["values"]
    [9e-05]
"""

from __future__ import annotations

from typing import Any

__all__ = ["MPL_END_LR", "MPL_PEAK_LR", "MPL_RUN_NAMES", "MPL_WARMUP", "mpl_spec", "mpl_total_steps"]

MPL_PEAK_LR, MPL_WARMUP, MPL_END_LR = 3e-4, 2160, 3e-5
MPL_RUN_NAMES = (
    "constant_24000", "cosine_24000", "wsdcon_9", "constant_72000", "cosine_72000",
    "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18",
)
_PEAK, _W, _END = MPL_PEAK_LR, MPL_WARMUP, MPL_END_LR
_WARM = {"warmup_steps": _W, "warmup_convention": "linspace"}


def mpl_total_steps(run: str) -> int:
    """The array length of an MPL run (16000 for the two-stage ``wsdcon_X`` runs)."""
    return 16000 if run.startswith("wsdcon_") else int(run.rsplit("_", 1)[-1])


def mpl_spec(run: str) -> dict[str, Any]:
    """The lawfit schedule spec of the MPL run ``run`` (e.g. ``"cosine_24000"``)."""
    if run not in MPL_RUN_NAMES:
        raise ValueError(f"unknown MPL run {run!r}; known runs are {list(MPL_RUN_NAMES)}")
    if run.startswith("constant_"):
        return {"family": "constant", "peak_value": _PEAK, **_WARM}
    if run.startswith("cosine_"):
        return {"family": "cosine", "peak_value": _PEAK, "total_steps": mpl_total_steps(run),
                "end_value": _END, **_WARM}
    if run.startswith("wsdcon_"):
        x = int(run.split("_")[1])
        return {"family": "multistep", "peak_value": _PEAK, "milestones": [8000],
                "values": [x * 1e-5], **_WARM}
    decay = {"wsd_20000_24000": "geometric", "wsdld_20000_24000": "linear"}[run]
    return {"family": "wsd", "peak_value": _PEAK, "total_steps": 24000, "decay_steps": 4000,
            "decay_type": decay, "end_value": _END, **_WARM}
