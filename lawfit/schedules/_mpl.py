"""Specs of the learning-rate schedules of the shipped Multi-Power-Law data (SCHEDULES.md 16).

Every MPL run uses ``peak = 3e-4`` and a ``linspace`` warmup over 2160 steps; the spec built here
reproduces :func:`lawfit.datasets.mpl_lr` to about 1e-15 relative error.

Example:
    >>> from lawfit.schedules import mpl_spec
    >>> mpl_spec("wsdcon_9")["values"]
    [9e-05]
"""

from __future__ import annotations

from typing import Any

__all__ = ["mpl_spec", "mpl_total_steps"]

_PEAK, _W, _END = 3e-4, 2160, 3e-5
_WARM = {"warmup_steps": _W, "warmup_convention": "linspace"}


def mpl_total_steps(run: str) -> int:
    """The array length of an MPL run (16000 for the two-stage ``wsdcon_X`` runs)."""
    return 16000 if run.startswith("wsdcon_") else int(run.rsplit("_", 1)[-1])


def mpl_spec(run: str) -> dict[str, Any]:
    """The lawfit schedule spec of the MPL run ``run`` (e.g. ``"cosine_24000"``)."""
    from lawfit.datasets import MPL_RUNS

    if run not in MPL_RUNS:
        raise ValueError(f"unknown MPL run {run!r}; known runs are {list(MPL_RUNS)}")
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
