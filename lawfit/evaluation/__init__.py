"""Evaluation on real training runs (the Schaipp et al. suite; ``docs/accuracy.md``)."""

from lawfit.evaluation._schaipp import RealGroup, schaipp_groups
from lawfit.evaluation._suite import TASKS, Prediction, evaluate_group, summarize, task_runs

__all__ = ["TASKS", "Prediction", "RealGroup", "evaluate_group", "schaipp_groups", "summarize", "task_runs"]
