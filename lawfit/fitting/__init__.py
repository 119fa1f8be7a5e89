"""The ONE fitting engine: multi-start L-BFGS for every law, results, uncertainty and metrics.

* :func:`fit` -- fit a law to runs (summed Huber on log residuals, LAWS.md section 1).
* :class:`FitResult` -- immutable result: params, stderr/covariance, starts, report, predict, and
  the fit quality (``status`` ok / doubtful / unusable / not_converged, coded ``warnings``).
* :func:`bootstrap` -- resampling uncertainty, one vmapped program over resampling weights.
* :func:`evaluate` -- R², MAE, RMSE, PredE, WorstE per run and mean (LAWS.md section 10).
* :func:`load_fit` -- rebuild a FitResult from ``to_dict()`` / JSON.
* :func:`cross_validate` -- choose fit options / laws by held-out runs (leave one run out).
* :func:`fit_many` -- many independent data sets as one vmapped (and sharded) program.
* :func:`enable_compilation_cache` -- opt-in persistent XLA cache (``LAWFIT_COMPILATION_CACHE``).
* :func:`predict_average` -- equal-weight average of several fits' predictions.
* :func:`calibrate` -- add a held-out model-error term to prediction bands.
* :class:`ExtrapolationWarning` -- ``FitResult.predict`` beyond the fitted horizon or peak LRs.
* :class:`UndefinedPredictionWarning` -- ``FitResult.predict`` asked where the law is undefined (NaN).
"""

from lawfit.fitting._average import predict_average
from lawfit.fitting._batch import fit_many
from lawfit.fitting._cache import enable_compilation_cache
from lawfit.fitting._calibration import calibrate, leave_one_run_out_errors
from lawfit.fitting._cv import CVResult, cross_validate
from lawfit.fitting._fit import FitError, fit
from lawfit.fitting._load import load_fit
from lawfit.fitting._metrics import curve_metrics
from lawfit.fitting._result import (
    ExtrapolationWarning,
    FitResult,
    StartOutcomes,
    UndefinedPredictionWarning,
    evaluate,
)
from lawfit.fitting._uncertainty import bootstrap

__all__ = [
    "CVResult",
    "ExtrapolationWarning",
    "FitError",
    "FitResult",
    "StartOutcomes",
    "UndefinedPredictionWarning",
    "bootstrap",
    "calibrate",
    "leave_one_run_out_errors",
    "cross_validate",
    "enable_compilation_cache",
    "fit_many",
    "curve_metrics",
    "evaluate",
    "fit",
    "load_fit",
    "predict_average",
]
