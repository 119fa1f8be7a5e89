"""``lawfit.optimize``: Decisions on top of fitted laws: schedule search, mixture-ratio and CPT planning, and
the closed-loop validation of law-optimal schedules by proxy training.

Every public name is re-exported here explicitly from the private module that defines it.
"""

from lawfit.optimize._closed_form import ClosedForm, fit_closed_form
from lawfit.optimize._cmr_fit import fit_cmr_table
from lawfit.optimize._compare import Comparison, compare, schedule_array
from lawfit.optimize._cpt_plan import CPTChoice, CPTPlan, OODMix, cpt_lr, fit_ood_mix, plan_cpt
from lawfit.optimize._family import FAMILY_SHAPES, FamilyResult, family_lr, search_family
from lawfit.optimize._mixture import (
    ComputePlan,
    MixturePlan,
    critical_mixture_ratio,
    critical_ratio_curve,
    dcpt_compute_optimal,
    dcpt_limited_domain_ratio,
    dcpt_max_domain_ratio,
    param_stack,
    tangency_tokens,
)
from lawfit.optimize._predict import (
    MPL_PAPER_PARAMS,
    MPL_PARAM_NAMES,
    MPL_REPO_PARAMS,
    mpl_final_loss,
    resolve_mpl,
)
from lawfit.optimize._schedule_opt import (
    SCHEDULE_PHASES,
    ProgressFn,
    ScheduleOptResult,
    optimize_schedule,
)
from lawfit.optimize._sensitivity import Sensitivity, schedule_sensitivity
from lawfit.optimize._validate import (
    default_fit_schedules,
    fixed_schedules,
    law_schedules,
    validate_schedules,
)
from lawfit.optimize._validate_result import ValidationResult, summarize_validation
from lawfit.optimize._warmup import warmup_array

__all__ = [
    "CPTChoice",
    "CPTPlan",
    "ClosedForm",
    "Comparison",
    "ComputePlan",
    "FAMILY_SHAPES",
    "FamilyResult",
    "MPL_PAPER_PARAMS",
    "MPL_PARAM_NAMES",
    "MPL_REPO_PARAMS",
    "MixturePlan",
    "OODMix",
    "ProgressFn",
    "SCHEDULE_PHASES",
    "ScheduleOptResult",
    "Sensitivity",
    "ValidationResult",
    "compare",
    "cpt_lr",
    "critical_mixture_ratio",
    "critical_ratio_curve",
    "dcpt_compute_optimal",
    "dcpt_limited_domain_ratio",
    "dcpt_max_domain_ratio",
    "default_fit_schedules",
    "family_lr",
    "fit_closed_form",
    "fit_cmr_table",
    "fit_ood_mix",
    "fixed_schedules",
    "law_schedules",
    "mpl_final_loss",
    "optimize_schedule",
    "param_stack",
    "plan_cpt",
    "resolve_mpl",
    "schedule_array",
    "schedule_sensitivity",
    "search_family",
    "summarize_validation",
    "tangency_tokens",
    "validate_schedules",
    "warmup_array",
]
