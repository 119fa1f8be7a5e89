"""Lazy re-export of the ``__all__`` names of a package's private modules (``_name.py``).

Used by ``lawfit.optimize`` and ``lawfit.plot``: each private module (one concept per file) lists
its public names in ``__all__``; they are collected on first access, so adding a module never
touches the package's ``__init__``.

Example::

    __getattr__, __dir__ = reexport_private_modules(__name__, __path__)
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import Any


def reexport_private_modules(
    package: str, path: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module-level ``__getattr__`` and ``__dir__`` for ``package``."""
    exports: dict[str, str] = {}

    def collect() -> dict[str, str]:
        if not exports:
            for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
                if info.name.startswith("_") and not info.name.startswith("__"):
                    mod = importlib.import_module(f"{package}.{info.name}")
                    for public in getattr(mod, "__all__", ()):
                        exports[public] = mod.__name__
        return exports

    def __getattr__(name: str) -> Any:
        found = collect()
        if name in found:
            return getattr(importlib.import_module(found[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(collect())

    return __getattr__, __dir__
