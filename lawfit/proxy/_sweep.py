"""Sweeps: many proxy runs, grouped into vmapped batches, run locally or on a Ray cluster.

Configs that share :meth:`RunConfig.batch_key` (same model, optimizer, length, data) are trained
together in one vmapped program, ``max_batch`` at a time. ``backend="ray"`` sends each batch to a
Ray task (optional extra ``lawfit[ray]``) with ``num_gpus`` (fractional values pack several tasks
on one GPU; workers get ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` so they can share it; see
ECOSYSTEM.md section 5.2). Configs travel as JSON-able dicts (schedules as specs or per-step
arrays), every task writes the canonical run directories under ``out_dir`` (a path the workers
can reach) and returns the run summaries.

Example:
    ``sweep([cfg_a, cfg_b, cfg_c], "runs")`` trains locally, vmapped;
    ``sweep(configs, "/shared/runs", backend="ray", num_gpus=0.25)`` on a Ray cluster (not run here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lawfit.proxy._config import RunConfig
from lawfit.proxy._schedule import lr_array
from lawfit.proxy._train import train_many

__all__ = ["sweep", "group_batches"]


def group_batches(configs: Sequence[RunConfig], max_batch: int = 16) -> list[list[RunConfig]]:
    """Configs grouped by batch key (first-seen order), each group cut into ``max_batch`` pieces."""
    if max_batch < 1:
        raise ValueError(f"max_batch must be >= 1, got {max_batch}")
    groups: dict[str, list[RunConfig]] = {}
    for c in configs:
        if not isinstance(c, RunConfig):
            raise TypeError(f"sweep configs must be RunConfig objects, got {type(c).__name__}")
        groups.setdefault(c.batch_key(), []).append(c)
    return [g[i : i + max_batch] for g in groups.values() for i in range(0, len(g), max_batch)]


def sweep(
    configs: Sequence[RunConfig],
    out_dir,
    *,
    backend: str = "local",
    max_batch: int = 16,
    num_gpus: float = 0.0,
    num_cpus: float = 1.0,
    ray_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Train every config; returns one summary per run, in the order of ``configs``.

    Runs that diverge are reported with ``status="diverged"`` (no exception), the others finish.
    """
    configs = list(configs)
    ids = [c.run_id for c in configs]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"sweep: run ids must be unique, repeated: {dup}")
    batches = group_batches(configs, max_batch)
    if backend == "local":
        out = []
        for b in batches:
            out += train_many(b, out_dir, progress=progress, raise_on_divergence=False)
    elif backend == "ray":
        out = _ray_sweep(batches, str(Path(out_dir).resolve()), num_gpus, num_cpus, ray_address)
    else:
        raise ValueError(f"sweep: unknown backend {backend!r}; use 'local' or 'ray'")
    by_id = {r["run_id"]: r for r in out}
    return [by_id[i] for i in ids]


def _train_batch_task(config_dicts: list[dict], out_dir: str) -> list[dict]:
    return train_many([RunConfig.from_dict(d) for d in config_dicts], out_dir,
                      raise_on_divergence=False)


def _ray_sweep(batches, out_dir, num_gpus, num_cpus, address) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise ValueError("sweep(backend='ray') needs Ray: pip install 'lawfit[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, runtime_env={"env_vars": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}},
                 include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    task = ray.remote(num_gpus=num_gpus, num_cpus=num_cpus)(_train_batch_task)
    payloads = [[c.to_dict(lr_array(c.schedule, c.steps)) for c in b] for b in batches]
    refs = [task.remote(p, out_dir) for p in payloads]
    results = []
    while refs:
        done, refs = ray.wait(refs, num_returns=min(8, len(refs)))
        for r in ray.get(done):
            results += r
    return results
