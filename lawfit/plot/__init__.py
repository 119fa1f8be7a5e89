"""``lawfit.plot``: public names re-exported from the private modules of this package.

Each private module (``_name.py``, one concept per file) lists its public names in ``__all__``;
they are collected here on first access, so adding a module never touches this file.
"""

import importlib
import pkgutil
from typing import Any

_exports: dict[str, str] | None = None


def _collect() -> dict[str, str]:
    global _exports
    if _exports is None:
        _exports = {}
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("_") and not info.name.startswith("__"):
                mod = importlib.import_module(f"{__name__}.{info.name}")
                for public in getattr(mod, "__all__", ()):
                    _exports[public] = mod.__name__
    return _exports


def __getattr__(name: str) -> Any:
    exports = _collect()
    if name in exports:
        return getattr(importlib.import_module(exports[name]), name)
    raise AttributeError(f"module 'lawfit.plot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(_collect())
