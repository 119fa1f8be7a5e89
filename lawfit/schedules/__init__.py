"""``lawfit.schedules``: learning-rate schedules as pure, jit-safe ``step -> lr`` functions.

Every factory validates its arguments once (``ValueError`` naming the argument and its value)
and returns a :class:`Schedule`: a frozen callable built from ``jax.numpy`` only, usable wherever
optax accepts a schedule (``optax.adamw(learning_rate=sched)``), that also carries its JSON-able
``spec``. Keyword names follow optax (``init_value``, ``peak_value``, ``end_value``,
``warmup_steps``, ``decay_steps``, ``total_steps``); ``total_steps`` always **includes** the
warmup. Exact formulas, conventions and references: each factory's docstring and the project's
schedule reference (SCHEDULES.md, cited by section number).

=================  ==========================================================================
family             what it is
=================  ==========================================================================
``constant``       warmup then constant
``linear``         linear decay to ``end_value`` / ``end_ratio`` (``polynomial``: ``(1-p)^k``)
``cosine``         cosine with a floor, clamped after ``total_steps`` (``clamp=False``: not)
``exponential``    ``peak * decay_rate^(s / transition_steps)`` (optax ``exponential_decay``)
``inverse_sqrt``   ``peak * sqrt(W / max(W, t))``, optional timescale and floor
``step``           ``peak * gamma^floor((t - W) / step_size)``
``multistep``      drops at milestones (``gamma`` / ``factors`` / ``values``)
``deepseek_811``   DeepSeek 8-1-1 multi-step
``cyclic``         triangular CLR (PyTorch ``CyclicLR``)
``one_cycle``      one-cycle (PyTorch ``OneCycleLR`` or optax conventions)
``sgdr``           cosine with warm restarts
``wsd``            warmup-stable-decay with every decay shape (``DECAY_TYPES``)
``wsd_s``          repeated stable->decay periods on one trajectory
``rex``            REX, ``profile="paper"`` or ``"code"``
``wsdsc``          Multi-Power-Law WSDSC, ``(1 - p)^1.5``
``rewarm``         continual pre-training re-warming, one warmup+cosine per stage
``infinite``       warmup, cooldown, constant, optional anneal (Ibrahim et al.)
``tabulated``      from logged (step, lr) points, exact at the logged steps
``uba``            Unified Budget-Aware schedule (experimental: formula unverified)
``refined``        from a previous run's gradient norms (Defazio et al., ``w_t sum_{s>t} w_s``)
``join``           phases, each on its own step count (like ``optax.join_schedules``)
=================  ==========================================================================

Warmups take ``warmup_steps``, ``init_value`` (default 0), ``warmup_convention`` (``"t/W"``
default, ``"(t+1)/W"``, ``"linspace"``) and ``warmup_shape`` (``"linear"``, ``"cosine"``,
``"1-sqrt"``). :func:`to_array` gives the float64 per-step values the laws consume;
:func:`to_spec` / :func:`from_spec` round-trip every built-in schedule through a JSON-able dict;
:func:`hf_schedule` replays Hugging Face schedulers; :func:`mpl_spec` gives the specs of the
shipped Multi-Power-Law runs.

Example:
    >>> import optax
    >>> from lawfit import schedules as sch
    >>> s = sch.wsd(3e-4, total_steps=1000, warmup_steps=100, decay_fraction=0.2,
    ...             decay_type="1-sqrt", end_ratio=0.1)
    >>> opt = optax.adamw(learning_rate=s)
    >>> lr = sch.to_array(s, 1000)
    >>> float(lr[500]), sch.from_spec(sch.to_spec(s)).spec == s.spec
    (0.0003, True)
"""

from lawfit.schedules._array import to_array
from lawfit.schedules._constant import constant
from lawfit.schedules._core import Schedule, families, family_info, from_spec, to_spec
from lawfit.schedules._cosine import cosine
from lawfit.schedules._cpt import infinite, rewarm
from lawfit.schedules._cyclic import cyclic, one_cycle
from lawfit.schedules._exponential import exponential
from lawfit.schedules._hf import HF_SCHEDULER_TYPES, hf_schedule
from lawfit.schedules._inverse_sqrt import inverse_sqrt
from lawfit.schedules._join import join
from lawfit.schedules._linear import linear, polynomial
from lawfit.schedules._mpl import mpl_spec, mpl_total_steps
from lawfit.schedules._refined import refined
from lawfit.schedules._rex import REX_PROFILES, rex
from lawfit.schedules._sgdr import sgdr
from lawfit.schedules._shapes import DECAY_TYPES
from lawfit.schedules._step import deepseek_811, multistep, step
from lawfit.schedules._tabulated import tabulated
from lawfit.schedules._uba import uba
from lawfit.schedules._warmup import WARMUP_CONVENTIONS, WARMUP_SHAPES
from lawfit.schedules._wsd import wsd, wsdsc
from lawfit.schedules._wsd_s import wsd_s

__all__ = [
    "DECAY_TYPES", "HF_SCHEDULER_TYPES", "REX_PROFILES", "WARMUP_CONVENTIONS", "WARMUP_SHAPES",
    "Schedule", "constant", "cosine", "cyclic", "deepseek_811", "exponential", "families",
    "family_info", "from_spec", "hf_schedule", "infinite", "inverse_sqrt", "join", "linear",
    "mpl_spec", "mpl_total_steps", "multistep", "one_cycle", "polynomial", "refined", "rewarm", "rex",
    "sgdr", "step", "tabulated", "to_array", "to_spec", "uba", "wsd", "wsd_s", "wsdsc",
]  # fmt: skip
