"""Proxy training: small JAX language models that produce real loss curves for any schedule,
optimizer and data mixture, written in the canonical run format.

* configs: :class:`RunConfig`, :class:`ModelConfig`, :class:`OptimizerConfig`
* data: :func:`builtin_domains`, :func:`domain_tokens`, :func:`stdlib_corpus`
* model: :func:`init_params`, :func:`lm_apply`, :func:`lm_loss`
* training: :func:`train`, :func:`train_many` (K runs in one vmapped program), :func:`resume`,
  :func:`cpt` (continual pre-training), :func:`sweep` (local or Ray)
* logs: :func:`read_run_dir`, :func:`read_runs` (-> :class:`lawfit.runs.Run` / ``RunSet``)

Example:
    >>> import optax
    >>> from lawfit import proxy
    >>> cfg = proxy.RunConfig("const", steps=200, schedule=optax.constant_schedule(3e-3),
    ...     model=proxy.ModelConfig(width=32, depth=2, heads=2, context=32), batch_size=8)

    ``proxy.train(cfg, "runs")`` trains it into ``runs/const`` and ``proxy.read_run_dir("runs/const")``
    reads it back as a Run (not run here: it trains).
"""

from lawfit.proxy._config import OPTIMIZERS, ModelConfig, OptimizerConfig, RunConfig
from lawfit.proxy._continual import cpt
from lawfit.proxy._corpus import stdlib_corpus
from lawfit.proxy._data import builtin_domains, domain_tokens
from lawfit.proxy._log import read_run_dir, read_runs
from lawfit.proxy._model import init_params, lm_apply, lm_loss
from lawfit.proxy._schedule import lr_array
from lawfit.proxy._sweep import group_batches, sweep
from lawfit.proxy._train import TrainingDiverged, resume, train, train_many

__all__ = [
    "OPTIMIZERS",
    "ModelConfig",
    "OptimizerConfig",
    "RunConfig",
    "TrainingDiverged",
    "builtin_domains",
    "cpt",
    "domain_tokens",
    "group_batches",
    "init_params",
    "lm_apply",
    "lm_loss",
    "lr_array",
    "read_run_dir",
    "read_runs",
    "resume",
    "stdlib_corpus",
    "sweep",
    "train",
    "train_many",
]
