"""The law contract shared by every loss law and the one fitting engine.

A law is a small, final object (configure it with constructor options, never subclass a concrete
law) that declares its parameters and turns runs into arrays:

* ``name`` -- registry name (``"mpl"``, ``"momentum"``, ``"chinchilla"``, ``"cpt"``, ...);
* ``param_specs()`` -- one :class:`ParamSpec` per parameter: bounds, the transform to
  unconstrained space and the default init grid (natural units);
* ``options()`` -- JSON-able constructor options (convention, lambda, ...). ``(name, options)``
  rebuild the law exactly (:func:`lawfit.laws.from_spec`) and are stored with every fit;
* ``prepare(runs, metric=..., steps=None, exclude_warmup=None, predict=False)`` -- numpy -> JAX
  float64 :class:`LawInputs` for a RunSet (or a law-specific table such as a D-CPT mixture table);
* ``predict(params, x)`` -- pure JAX: ``params`` is a ``{name: scalar array}`` dict (a pytree, so a
  stack of multi-start parameters is the same dict with a leading axis), ``x`` the ``LawInputs.x``
  pytree; returns predictions aligned with ``LawInputs.y``. Works under jit, vmap and grad;
* ``init_grid(inputs)`` -- optionally data-dependent starting points ``{name: 1-D array}`` (each
  the same length K). Default: the Cartesian product of the ``ParamSpec.init`` values.

Parameters are plain dicts keyed by parameter name (not per-law NamedTuples) so callers override
``init``, ``bounds`` and ``fixed`` by name, exactly as they read them in the docs.
"""

from __future__ import annotations

import abc
import itertools
import math
from typing import Any, ClassVar, NamedTuple

import numpy as np

__all__ = ["ParamSpec", "LawInputs", "Law", "TRANSFORMS"]

TRANSFORMS = ("identity", "log", "logit", "neglog")


class ParamSpec(NamedTuple):
    """One law parameter.

    Attributes:
        name: parameter name as in the paper (``L0``, ``A``, ``alpha``, ...).
        lower, upper: bounds in natural units (may be infinite).
        transform: how the engine maps it to unconstrained space:
            ``"identity"``, ``"log"`` (positive scale parameters; requires lower >= 0),
            ``"logit"`` (finite lower and upper), ``"neglog"`` (negative scale parameters).
        init: default init grid values in natural units.
        doc: one-line meaning.
    """

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    transform: str = "identity"
    init: tuple[float, ...] = ()
    doc: str = ""


class LawInputs(NamedTuple):
    """Arrays a law needs for a set of points, flattened over runs.

    Attributes:
        x: law-specific pytree of float64 JAX arrays (padded and masked as the law needs).
        y: ``[P]`` observed values (NaN for prediction-only points).
        weight: ``[P]`` non-negative point weights (0 excludes a point; 1 by default).
        run_index: ``[P]`` int numpy array: which run (position in the RunSet) each point is from.
        steps: ``[P]`` int64 numpy array: the global step of each point (or row index for tables).
        run_ids: run ids in RunSet order, so ``run_ids[run_index[p]]`` names point p's run.
    """

    x: Any
    y: Any
    weight: Any
    run_index: np.ndarray
    steps: np.ndarray
    run_ids: tuple[str, ...]


class Law(abc.ABC):
    """Base class of all laws (abstract; concrete laws are final)."""

    name: ClassVar[str]
    #: What the law is fitted to, so the CLI and the explorer offer it for the right data:
    #: ``"curves"`` (per-step loss curves of runs with their LR), ``"cpt_curves"`` (continual
    #: pre-training runs), ``"mixture_table"`` (D-CPT / CMR tables), ``"scaling_points"``
    #: (final losses by model size and tokens).
    data: ClassVar[str] = "curves"

    @abc.abstractmethod
    def param_specs(self) -> tuple[ParamSpec, ...]:
        """The law's parameters, in display order."""

    def options(self) -> dict[str, Any]:
        """JSON-able constructor options; ``type(self)(**options())`` rebuilds the law."""
        return {}

    @abc.abstractmethod
    def prepare(
        self,
        runs: Any,
        *,
        metric: str = "loss",
        steps: Any = None,
        exclude_warmup: bool | None = None,
        predict: bool = False,
    ) -> LawInputs:
        """Arrays for ``runs``. ``steps`` restricts (or, with ``predict=True``, chooses) the
        points; ``exclude_warmup`` drops points inside the warmup (law default when None)."""

    @abc.abstractmethod
    def predict(self, params: dict[str, Any], x: Any) -> Any:
        """Pure JAX prediction for the points described by ``x``."""

    # -- defaults -------------------------------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.param_specs())

    def init_grid(self, inputs: LawInputs) -> dict[str, np.ndarray]:
        """Starting points: the Cartesian product of each spec's ``init`` values."""
        specs = self.param_specs()
        for p in specs:
            if not p.init:
                raise ValueError(
                    f"law {self.name!r}: parameter {p.name!r} has no default init values; pass "
                    "init={...} to lawfit.fit"
                )
        combos = np.array(list(itertools.product(*(p.init for p in specs))), dtype=np.float64)
        return {p.name: combos[:, i] for i, p in enumerate(specs)}

    def candidates(self) -> tuple[Law, ...]:
        """Concrete laws :func:`lawfit.fit` tries when an option is chosen by training objective
        (e.g. ``MomentumLaw(lam="grid")`` -> one law per λ); the lowest objective wins and the
        choice is stored in ``FitResult.selection``. Default: ``(self,)``."""
        return (self,)

    def trace_key(self) -> Any:
        """Hashable key: laws with equal keys share compiled fitting/prediction programs. Only
        options that ``predict`` depends on belong in it (e.g. not λ of the momentum law, which
        lives in the prepared inputs). Default: the law itself."""
        return self

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "options": self.options()}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.options() == other.options()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.options().items()))))
