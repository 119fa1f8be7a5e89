"""Loss laws. Each law is a final class in its own private module; see ``_base.py`` for the
contract every law follows and the shared contract tests in ``tests/laws``.

=================  ==============================  =============================================
name               class                           reference
=================  ==============================  =============================================
``mpl``            :class:`MultiPowerLaw`          Luo et al., ICLR 2025 (arXiv 2503.12811)
``momentum``       :class:`MomentumLaw`            Tissue, Wang & Wang 2024 (arXiv 2408.11029)
``chinchilla``     :class:`Chinchilla`             Hoffmann et al. 2022; Besiroglu et al. 2024
``cpt``            :class:`CPTLaw`                 Wang, Tissue et al., ICML 2025 (2505.07796)
``dcpt``           :class:`DCPTLaw`                Que et al., NeurIPS 2024 (arXiv 2406.01375)
``cmr``            :class:`CMR`                    Gu et al., EMNLP 2024 (arXiv 2407.17467)
``fsl``            :class:`FunctionalScalingLaw`   after Li et al., NeurIPS 2025 (2509.19189)
=================  ==============================  =============================================

``from_spec({"name": ..., "options": {...}})`` rebuilds a law from the spec stored in a fit.
"""

import importlib
from typing import Any

from lawfit.laws._base import Law, LawInputs, ParamSpec

# registry name -> (module, class); modules are imported on first use
_REGISTRY: dict[str, tuple[str, str]] = {
    "mpl": ("lawfit.laws._mpl", "MultiPowerLaw"),
    "momentum": ("lawfit.laws._momentum", "MomentumLaw"),
    "chinchilla": ("lawfit.laws._chinchilla", "Chinchilla"),
    "cpt": ("lawfit.laws._cpt", "CPTLaw"),
    "dcpt": ("lawfit.laws._dcpt", "DCPTLaw"),
    "cmr": ("lawfit.laws._cmr", "CMR"),
    "fsl": ("lawfit.laws._fsl", "FunctionalScalingLaw"),
}
_CLASSES = {cls: (mod, cls) for mod, cls in _REGISTRY.values()}

__all__ = ["Law", "LawInputs", "ParamSpec", "from_spec", "get", "names", "register",
           *sorted(_CLASSES)]

DATA_KINDS = ("curves", "cpt_curves", "mixture_table", "scaling_points")


def register(name: str, module: str, cls: str) -> None:
    """Add a law to the registry: ``name`` -> class ``cls`` of ``module`` (imported on first use).

    The CLI (``lawfit fit --law NAME``), the explorer and :func:`from_spec` find registered laws
    here; adding a law is its module plus one entry (a line in ``_REGISTRY`` above, or this call).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: name must be an identifier such as 'mylaw', got {name!r}")
    if name in _REGISTRY and _REGISTRY[name] != (module, cls):
        raise ValueError(f"register: law {name!r} is already registered as {_REGISTRY[name]}")
    _REGISTRY[name] = (module, cls)
    _CLASSES[cls] = (module, cls)


def names(data: str | None = None) -> tuple[str, ...]:
    """Registry names of the laws available in this installation; with ``data``, only the laws
    fitted to that kind of data (``Law.data``: one of :data:`DATA_KINDS`).

    Example:
        >>> from lawfit import laws
        >>> laws.names(data="mixture_table")
        ('dcpt', 'cmr')
    """
    if data is not None and data not in DATA_KINDS:
        raise ValueError(f"data must be one of {DATA_KINDS}, got {data!r}")
    out = []
    for name, (mod, cls) in _REGISTRY.items():
        try:
            law_cls = getattr(importlib.import_module(mod), cls)
        except ModuleNotFoundError:
            continue
        if data is None or law_cls.data == data:
            out.append(name)
    return tuple(out)


def get(name: str, **options: Any) -> Law:
    """The law registered as ``name``, built with ``options``."""
    import inspect

    try:
        mod, cls = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown law {name!r}; available laws are {list(names())}") from None
    law_cls = getattr(importlib.import_module(mod), cls)
    accepted = [p for p in inspect.signature(law_cls).parameters if p != "self"]
    unknown = [k for k in options if k not in accepted]
    if unknown:
        raise ValueError(f"law {name!r} has no option(s) {unknown}; its options are {accepted}")
    return law_cls(**options)


def from_spec(spec: dict[str, Any]) -> Law:
    """Rebuild a law from ``{"name": ..., "options": {...}}`` (as stored in a fit)."""
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"a law spec is a dict with 'name' and 'options', got {spec!r}")
    options = spec.get("options") or {}
    if not isinstance(options, dict):
        raise ValueError(f"a law spec's 'options' is a dict of constructor options, got {options!r}")
    return get(spec["name"], **options)


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        mod, cls = _CLASSES[name]
        return getattr(importlib.import_module(mod), cls)
    raise AttributeError(f"module 'lawfit.laws' has no attribute {name!r}")
