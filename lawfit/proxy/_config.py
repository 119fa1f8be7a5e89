"""Configuration of proxy runs: model shape, optimizer, data and the run itself.

Everything is a frozen dataclass with ``to_dict`` / ``from_dict`` (JSON/TOML-able), validated at
construction: a bad value raises ``ValueError`` naming the field, the value and the fix.

Example:
    >>> from lawfit.proxy import ModelConfig
    >>> ModelConfig(width=64, depth=2, heads=4, context=64).head_dim
    16
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelConfig", "OptimizerConfig", "RunConfig", "OPTIMIZERS", "SCHEDULE_FREE"]

OPTIMIZERS = ("adamw", "sgd", "schedule_free_adamw", "schedule_free_sgd")
SCHEDULE_FREE = ("schedule_free_adamw", "schedule_free_sgd")


@dataclass(frozen=True)
class ModelConfig:
    """A decoder-only transformer (pre-LayerNorm GPT, learned positions, tied embeddings).

    Args:
        vocab_size: number of token ids (256 = bytes; every built-in domain uses byte ids).
        width: residual width d. depth: number of blocks. heads: attention heads (must divide
        width). context: sequence length. mlp_ratio: hidden width of the MLP is mlp_ratio * d.
    """

    vocab_size: int = 256
    width: int = 64
    depth: int = 2
    heads: int = 4
    context: int = 64
    mlp_ratio: int = 4

    def __post_init__(self) -> None:
        for name in ("vocab_size", "width", "depth", "heads", "context", "mlp_ratio"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {v!r}")
        if self.width % self.heads:
            raise ValueError(
                f"ModelConfig: heads={self.heads} does not divide width={self.width}; choose "
                f"heads among the divisors of the width (e.g. {_divisors(self.width)})"
            )

    @property
    def head_dim(self) -> int:
        return self.width // self.heads

    def param_counts(self) -> tuple[int, int]:
        """``(N, total)``: non-embedding parameters (blocks + final norm) and all parameters
        (plus the tied token embedding and the position embedding)."""
        d, f = self.width, self.mlp_ratio * self.width
        block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
        n = self.depth * block + 2 * d
        return n, n + self.vocab_size * d + self.context * d

    def flops_per_token(self) -> float:
        """Training FLOPs per token, ``6 N_all + 12 * depth * width * context`` (Kaplan et al.
        with the attention term; N_all includes the output projection)."""
        n, _ = self.param_counts()
        return 6.0 * (n + self.vocab_size * self.width) + 12.0 * self.depth * self.width * self.context

    to_dict = dataclasses.asdict


def _divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0][:8]


@dataclass(frozen=True)
class OptimizerConfig:
    """Optimizer family and its hyper-parameters (the learning rate comes from the schedule).

    * ``adamw``: ``optax.adamw(lr, b1, b2, eps, weight_decay)``.
    * ``sgd``: ``optax.sgd(lr, momentum, nesterov=False)`` plus decoupled weight decay.
    * ``schedule_free_adamw``: ``optax.contrib.schedule_free_adamw(lr, b1=b1, b2, eps,
      weight_decay)``; losses are evaluated at the averaged point x (SCHEDULES.md section 17).
    * ``schedule_free_sgd``: ``optax.contrib.schedule_free_sgd(lr, b1=b1, weight_decay)``
      (Schedule-Free SGD; ``b1`` is the interpolation beta, PyTorch's ``momentum``), evaluated at x.

    ``clip_norm`` clips the global gradient norm (None: no clipping).
    """

    name: str = "adamw"
    b1: float = 0.9
    b2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.9
    clip_norm: float | None = 1.0

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"OptimizerConfig.name={self.name!r} is unknown; use one of {OPTIMIZERS}")
        for name in ("b1", "b2", "momentum"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"OptimizerConfig.{name} must be in [0, 1), got {v!r}")
        if self.name in SCHEDULE_FREE and self.b1 <= 0:
            raise ValueError(f"OptimizerConfig.b1 must be > 0 for {self.name} (optax needs it)")
        if self.eps <= 0 or self.weight_decay < 0:
            raise ValueError(
                f"OptimizerConfig: eps must be > 0 and weight_decay >= 0, got eps={self.eps!r}, "
                f"weight_decay={self.weight_decay!r}"
            )
        if self.clip_norm is not None and not self.clip_norm > 0:
            raise ValueError(f"OptimizerConfig.clip_norm must be > 0 or None, got {self.clip_norm!r}")

    to_dict = dataclasses.asdict


@dataclass(frozen=True)
class RunConfig:
    """One proxy training run.

    Args:
        run_id: name of the run (its log directory is ``out_dir / run_id``).
        steps: number of optimizer steps T.
        schedule: the learning rate: a lawfit schedule, a spec dict (``lawfit.schedules.from_spec``),
            any optax schedule ``step -> lr``, or a per-step array of length ``steps``.
        model, optimizer: see :class:`ModelConfig`, :class:`OptimizerConfig` (dicts accepted).
        batch_size: sequences per step (tokens per step = batch_size * context).
        domains: data domains (names of :func:`lawfit.proxy.builtin_domains` or spec dicts).
        mixture: sampling weight of each domain (non-negative, sums to 1); default uniform.
        seed: run seed (initialisation and batch order). data_seed: seed of the synthetic data
            and of the validation windows (shared by runs that should see the same data).
        eval_every: validation (and logging) interval in steps; the train step is compiled as a
            scan over this many steps. checkpoint_every: a multiple of eval_every (0: only at the end).
        val_sequences: held-out windows per domain for validation losses.
        init_from: directory of a finished run whose final model initialises this one (CPT).
        reset_optimizer: with init_from, start a fresh optimizer state (else continue it).
        phase: free label stored in the metadata ("pt", "cpt", ...).
        step_offset: global step of this run's first update (CPT runs continue the PT count).
        meta: extra JSON-able metadata copied into ``meta.json``.
    """

    run_id: str
    steps: int
    schedule: Any
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    batch_size: int = 16
    domains: tuple = ("stdlib",)
    mixture: tuple | None = None
    seed: int = 0
    data_seed: int = 0
    eval_every: int = 10
    checkpoint_every: int = 0
    val_sequences: int = 32
    init_from: str | None = None
    reset_optimizer: bool = True
    phase: str = "pt"
    step_offset: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.model, Mapping):
            object.__setattr__(self, "model", ModelConfig(**self.model))
        if isinstance(self.optimizer, Mapping):
            object.__setattr__(self, "optimizer", OptimizerConfig(**self.optimizer))
        if not isinstance(self.run_id, str) or not self.run_id or "/" in self.run_id:
            raise ValueError(f"RunConfig.run_id must be a non-empty name without '/', got {self.run_id!r}")
        for name in ("steps", "batch_size", "eval_every", "val_sequences"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"RunConfig.{name} must be a positive integer, got {v!r}")
        for name in ("seed", "data_seed", "checkpoint_every", "step_offset"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"RunConfig.{name} must be a non-negative integer, got {v!r}")
        if self.checkpoint_every % self.eval_every:
            raise ValueError(
                f"RunConfig.checkpoint_every={self.checkpoint_every} must be a multiple of "
                f"eval_every={self.eval_every} (checkpoints are taken at evaluation steps)"
            )
        domains = (self.domains,) if isinstance(self.domains, (str, Mapping)) else tuple(self.domains)
        if not domains:
            raise ValueError("RunConfig.domains is empty; give at least one domain, e.g. ('stdlib',)")
        object.__setattr__(self, "domains", domains)
        names = [domain_name(d) for d in domains]
        if len(set(names)) != len(names):
            raise ValueError(f"RunConfig.domains has repeated names {names}")
        mixture = self.mixture
        if mixture is None:
            mixture = tuple(1.0 / len(domains) for _ in domains)
        elif isinstance(mixture, Mapping):
            unknown = set(mixture) - set(names)
            if unknown:
                raise ValueError(f"RunConfig.mixture names unknown domains {sorted(unknown)}; domains are {names}")
            mixture = tuple(float(mixture.get(n, 0.0)) for n in names)
        mixture = tuple(float(w) for w in mixture)
        if len(mixture) != len(domains):
            raise ValueError(
                f"RunConfig.mixture has {len(mixture)} weights for {len(domains)} domains {names}"
            )
        if any(not math.isfinite(w) or w < 0 for w in mixture) or abs(sum(mixture) - 1) > 1e-9:
            raise ValueError(
                f"RunConfig.mixture={mixture} must be non-negative weights summing to 1"
            )
        object.__setattr__(self, "mixture", mixture)
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def domain_names(self) -> tuple[str, ...]:
        return tuple(domain_name(d) for d in self.domains)

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.model.context

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self, lr=None) -> dict[str, Any]:
        """JSON-able dict. The schedule is stored as its spec when it has one, else as the
        per-step array ``lr`` (give it, or it is evaluated here)."""
        from lawfit.proxy._schedule import lr_array, schedule_spec

        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["model"] = self.model.to_dict()
        d["optimizer"] = self.optimizer.to_dict()
        d["domains"] = [dict(x) if isinstance(x, Mapping) else x for x in self.domains]
        d["mixture"] = list(self.mixture)
        d["meta"] = dict(self.meta)
        spec = schedule_spec(self.schedule)
        if spec is not None:
            d["schedule"] = spec
        else:
            arr = lr_array(self.schedule, self.steps) if lr is None else lr
            d["schedule"] = {"lr_array": [float(x) for x in arr]}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        d = dict(d)
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(
                f"unknown run config keys {sorted(unknown)}; allowed are "
                f"{[f.name for f in dataclasses.fields(cls)]}"
            )
        sched = d.get("schedule")
        if isinstance(sched, Mapping) and set(sched) == {"lr_array"}:
            d["schedule"] = list(sched["lr_array"])
        if "domains" in d and isinstance(d["domains"], list):
            d["domains"] = tuple(d["domains"])
        return cls(**d)

    def batch_key(self) -> str:
        """What must be equal for runs to share one vmapped program (everything but the
        run id, schedule, seed, mixture, metadata and phase labels)."""
        import json

        return json.dumps(
            {
                "model": self.model.to_dict(),
                "optimizer": self.optimizer.to_dict(),
                "steps": self.steps,
                "batch_size": self.batch_size,
                "domains": [domain_name(x) if isinstance(x, str) else dict(x) for x in self.domains],
                "data_seed": self.data_seed,
                "eval_every": self.eval_every,
                "checkpoint_every": self.checkpoint_every,
                "val_sequences": self.val_sequences,
                "step_offset": self.step_offset,
            },
            sort_keys=True,
        )


def domain_name(d: Any) -> str:
    if isinstance(d, str):
        return d
    if isinstance(d, Mapping) and "name" in d:
        return str(d["name"])
    raise ValueError(f"a domain must be a built-in name or a spec dict with a 'name', got {d!r}")
