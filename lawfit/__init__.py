"""lawfit: fit, predict and optimize language-model loss curves with schedule-aware laws.

The top-level namespace re-exports the main entry points lazily (importing ``lawfit`` does not
import JAX, so the CLI starts instantly):

* data: :class:`Run`, :class:`RunSet`, :mod:`lawfit.io`
* schedules: :mod:`lawfit.schedules`
* laws: :mod:`lawfit.laws`
* fitting: :func:`fit`, :class:`FitResult`, :func:`bootstrap`, :func:`evaluate`, :func:`load_fit`,
  :func:`cross_validate`, :func:`calibrate`
* decisions: :mod:`lawfit.optimize`
* producing runs: :mod:`lawfit.proxy`
* figures: :mod:`lawfit.plot`
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY_ATTRS = {
    "Run": "lawfit.runs",
    "RunSet": "lawfit.runs",
    "Observations": "lawfit.runs",
    "fit": "lawfit.fitting",
    "FitResult": "lawfit.fitting",
    "bootstrap": "lawfit.fitting",
    "calibrate": "lawfit.fitting",
    "cross_validate": "lawfit.fitting",
    "evaluate": "lawfit.fitting",
    "load_fit": "lawfit.fitting",
    "enable_compilation_cache": "lawfit.fitting",
}
_LAZY_MODULES = ("schedules", "laws", "fitting", "optimize", "io", "proxy", "plot", "runs")

__all__ = sorted([*_LAZY_ATTRS, *_LAZY_MODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRS:
        if _LAZY_ATTRS[name] in ("lawfit.fitting", "lawfit.runs"):
            # lawfit.io registers the readers that let fit(law, "logs/") and RunSet.to_frame()
            # work (lawfit.runs imports no io: io builds on runs)
            importlib.import_module("lawfit.io")
        value = getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
        globals()[name] = value
        return value
    if name in _LAZY_MODULES:
        return importlib.import_module(f"lawfit.{name}")
    raise AttributeError(f"module 'lawfit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
