"""Replay Hugging Face ``transformers`` schedulers by their ``SchedulerType`` name.

``hf_schedule(name, peak_value, num_warmup_steps, num_training_steps, **scheduler_specific_kwargs)``
returns the lawfit schedule whose values equal ``peak_value * multiplier(t)`` of
``transformers.get_scheduler(name, ...)`` (SCHEDULES.md sections 3, 4.4, 9, 11, 18.1):

=============================  ================================================================
SchedulerType                  lawfit schedule
=============================  ================================================================
``constant``                   ``constant(peak)``
``constant_with_warmup``       ``constant(peak, warmup_steps=W)``
``linear``                     ``linear(peak, T, warmup_steps=W)`` (to 0, clamped)
``cosine``                     ``cosine(peak, T, warmup_steps=W, clamp=False)`` (num_cycles=0.5)
``cosine_with_min_lr``         as ``cosine`` with ``end_value=min_lr`` or ``end_ratio=min_lr_rate``
``cosine_with_restarts``       ``sgdr(peak, (T - W) / num_cycles, warmup_steps=W)`` (t < T)
``polynomial``                 ``polynomial(peak, T, end_value=lr_end, power=power, ...)``
``inverse_sqrt``               ``inverse_sqrt(peak, W, timescale=timescale)``
``warmup_stable_decay``        ``wsd(...)``, warmup from ``min_lr_ratio``, cosine decay default
=============================  ================================================================

``reduce_lr_on_plateau`` depends on the metric, not the step: rebuild it from the logged LR with
:func:`lawfit.schedules.tabulated`. ``cosine_warmup_with_min_lr`` is not supported (its progress is
shifted by one step); use ``tabulated`` as well.

Example:
    >>> from lawfit.schedules import hf_schedule, to_array
    >>> s = hf_schedule("warmup_stable_decay", 1.0, num_warmup_steps=10, num_training_steps=100,
    ...                 num_decay_steps=20, decay_type="linear")
    >>> lr = to_array(s, 101)
    >>> [round(float(lr[t]), 12) for t in (0, 9, 81, 100)]
    [0.0, 0.9, 0.95, 0.0]
"""

from __future__ import annotations

from typing import Any

from lawfit.schedules._constant import constant
from lawfit.schedules._core import Schedule
from lawfit.schedules._cosine import cosine
from lawfit.schedules._inverse_sqrt import inverse_sqrt
from lawfit.schedules._linear import linear, polynomial
from lawfit.schedules._sgdr import sgdr
from lawfit.schedules._wsd import wsd

__all__ = ["HF_SCHEDULER_TYPES", "hf_schedule"]

HF_SCHEDULER_TYPES = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
)  # fmt: skip


def _need_total(name: str, total: Any) -> int:
    if total is None:
        raise ValueError(f"HF scheduler {name!r} needs num_training_steps (got None)")
    return total


def hf_schedule(name: str, peak_value: float, num_warmup_steps: int = 0,
                num_training_steps: int | None = None, **kwargs: Any) -> Schedule:
    """The lawfit schedule equal to Hugging Face's ``get_scheduler(name, ...)`` times the peak."""
    W = num_warmup_steps

    def unused(allowed: tuple[str, ...] = ()) -> None:
        extra = sorted(set(kwargs) - set(allowed))
        if extra:
            raise ValueError(f"HF scheduler {name!r} does not take {extra}; it takes {list(allowed)}")

    if name == "constant":
        unused()
        return constant(peak_value)
    if name == "constant_with_warmup":
        unused()
        return constant(peak_value, warmup_steps=W)
    if name == "linear":
        unused()
        return linear(peak_value, _need_total(name, num_training_steps), warmup_steps=W)
    if name in ("cosine", "cosine_with_min_lr"):
        unused(("num_cycles", "min_lr", "min_lr_rate"))
        cycles = kwargs.get("num_cycles", 0.5)
        if cycles != 0.5:
            raise ValueError(f"num_cycles={cycles!r} is not supported (only 0.5); use sgdr")
        if name == "cosine" and ("min_lr" in kwargs or "min_lr_rate" in kwargs):
            raise ValueError("min_lr / min_lr_rate belong to 'cosine_with_min_lr', not 'cosine'")
        if name == "cosine_with_min_lr" and (("min_lr" in kwargs) == ("min_lr_rate" in kwargs)):
            raise ValueError("cosine_with_min_lr needs exactly one of min_lr or min_lr_rate")
        return cosine(peak_value, _need_total(name, num_training_steps), warmup_steps=W,
                      end_value=kwargs.get("min_lr"), end_ratio=kwargs.get("min_lr_rate"),
                      clamp=False)
    if name == "cosine_with_restarts":
        unused(("num_cycles",))
        T = _need_total(name, num_training_steps)
        cycles = kwargs.get("num_cycles", 1)
        return sgdr(peak_value, (T - W) / cycles, warmup_steps=W)
    if name == "polynomial":
        unused(("lr_end", "power"))
        return polynomial(peak_value, _need_total(name, num_training_steps), warmup_steps=W,
                          end_value=kwargs.get("lr_end", 1e-7), power=kwargs.get("power", 1.0))
    if name == "inverse_sqrt":
        unused(("timescale",))
        ts = kwargs.get("timescale")
        if ts is None and W == 0:
            ts = 10_000
        return inverse_sqrt(peak_value, W, timescale=ts)
    if name == "warmup_stable_decay":
        unused(("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type",
                "min_lr_ratio", "num_cycles"))
        if "num_decay_steps" not in kwargs:
            raise ValueError("warmup_stable_decay needs num_decay_steps")
        D = kwargs["num_decay_steps"]
        S = kwargs.get("num_stable_steps")
        T = W + S + D if S is not None else _need_total(name, num_training_steps)
        if kwargs.get("num_cycles", 0.5) != 0.5:
            raise ValueError(f"num_cycles={kwargs['num_cycles']!r} is not supported (only 0.5)")
        ratio = kwargs.get("min_lr_ratio", 0.0)
        return wsd(peak_value, T, decay_steps=D, decay_type=kwargs.get("decay_type", "cosine"),
                   end_ratio=ratio, warmup_steps=W, init_value=ratio * peak_value,
                   warmup_shape=kwargs.get("warmup_type", "linear"))
    if name in ("reduce_lr_on_plateau", "cosine_warmup_with_min_lr"):
        raise ValueError(
            f"HF scheduler {name!r} cannot be rebuilt from the step alone; rebuild it from the "
            "logged LR with lawfit.schedules.tabulated(steps, values)"
        )
    raise ValueError(f"unknown HF scheduler {name!r}; known names are {list(HF_SCHEDULER_TYPES)}")
