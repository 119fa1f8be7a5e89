"""``fit_many``: many independent data sets fitted as ONE vmapped program, sharded over devices.

Every data set (a RunSet, or ``LawInputs``) is prepared and validated exactly as by
:func:`lawfit.fit`; the prepared arrays must have the same shapes across data sets (same number
of points and law inputs; pad with zero-weight points otherwise) and the same number of starts.
The multi-start solver is then ``vmap``-ed over a leading data-set axis.

**Devices.** With more than one local device (GPUs, or CPU devices from
``XLA_FLAGS=--xla_force_host_platform_device_count=N``) the data-set axis is sharded across all
of them with ``jax.sharding.NamedSharding`` over a 1-D mesh (padding the batch to a multiple of
the device count); results are gathered back. On one device it is a plain vmapped call.

**Multi-host** (``jax.distributed``): call ``jax.distributed.initialize()`` on every host, then
let each process fit its own slice, e.g.
``fit_many(law, datasets[jax.process_index()::jax.process_count()])``; each process shards its
slice over its local devices, and results are gathered by the caller (e.g. with
``jax.experimental.multihost_utils.process_allgather`` on the parameter arrays, or by writing
``FitResult.to_dict()`` per process). Data sets are independent, so no cross-host communication
happens during the solve.

Example:
    >>> import numpy as np
    >>> from lawfit.fitting import fit_many
    >>> from lawfit.laws import MomentumLaw
    >>> from lawfit.runs import Run
    >>> steps = np.arange(10, 400, 10)
    >>> curves = [Run(f"r{k}", lr=np.full(400, 1e-3),
    ...               metrics={"loss": (steps, L0 + 2.0 * (steps * 1e-3) ** -0.3)})
    ...           for k, L0 in enumerate((2.5, 3.0))]
    >>> results = fit_many(MomentumLaw(lam=0.999), curves, fixed={"C": 0.0})
    >>> [(r.run_ids, r.n_points) for r in results]  # one FitResult per data set, in order
    [(('r0',), 39), (('r1',), 39)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from lawfit._validate import check_bool
from lawfit._x64 import x64
from lawfit.fitting._fit import FTOL, GTOL, MAX_ITER, finish, resolve_law
from lawfit.fitting._inputs import is_runs, prepare_inputs
from lawfit.fitting._options import check_fit_options
from lawfit.fitting._result import FitResult
from lawfit.fitting._setup import apply_weights, check_observations, setup_problem
from lawfit.fitting._solve import Config, program, resolve_vectorize

__all__ = ["fit_many"]


@x64
def fit_many(
    law: Any,
    datasets: Sequence[Any],
    *,
    metric: str = "loss",
    init: Any = None,
    bounds: Any = None,
    fixed: Any = None,
    loss: str = "huber_log",
    delta: float = 1e-3,
    num_starts: int | None = None,
    key: Any = None,
    steps: Any = None,
    exclude_warmup: bool | None = None,
    max_iter: int = MAX_ITER,
    gtol: float = GTOL,
    ftol: float = FTOL,
    keep: int | None = 64,
    screen_iter: int = 25,
    stderr: bool = True,
    shard: bool | None = None,
    chunk_size: int | str | None = "auto",
    vectorize: bool | None = None,
) -> list[FitResult]:
    """Fit ``law`` to each data set independently, as one vmapped (and sharded) program.

    Arguments as :func:`lawfit.fit` (applied to every data set); ``shard=None`` shards over all
    local devices when there is more than one. ``chunk_size`` data sets are solved per call of
    the (single) compiled program: vmapped lanes run until the slowest one finishes, so very
    large batches pay for their worst lane; chunks bound that tail (``None``: one call).
    ``"auto"`` (default): 1 data set per call on CPU (batching data sets buys nothing there: 256
    momentum curves take 1.3 s of CPU with 1 per call, 3.4 s with 16, 2.2 s all in one call;
    vmapped they paid the slowest-lane tail, 16 s in one call; benchmarks/README.md) and 64 on
    accelerators. ``vectorize`` as in
    :func:`lawfit.fit`: vmapped lanes (accelerators) or ``lax.map`` (CPU, the default there) over
    the data sets of a chunk and over the starts.
    Returns one :class:`FitResult` per data set.
    """
    check_fit_options(
        metric=metric, init=init, bounds=bounds, fixed=fixed, loss=loss, delta=delta,
        num_starts=num_starts, key=key, exclude_warmup=exclude_warmup, max_iter=max_iter,
        gtol=gtol, ftol=ftol, stderr=stderr, keep=keep, screen_iter=screen_iter, vectorize=vectorize,
    )
    if shard is not None:
        check_bool("shard", shard)
    if isinstance(datasets, (str, bytes)) or not isinstance(datasets, Sequence):
        raise ValueError(
            f"datasets must be a list of data sets (RunSets, runs or LawInputs), got {type(datasets).__name__}"
        )
    law = resolve_law(law)
    if hasattr(law, "candidates") and len(tuple(law.candidates())) > 1:
        raise ValueError(
            f"fit_many: {law!r} has several candidates; pick one (e.g. MomentumLaw(lam=0.99)) or "
            "loop lawfit.fit"
        )
    if len(datasets) == 0:
        raise ValueError("fit_many: no data sets given")
    inputs_list, probs = [], []
    for i, ds in enumerate(datasets):
        try:
            inp = prepare_inputs(law, ds, metric=metric, steps=steps, exclude_warmup=exclude_warmup)
            inp = apply_weights(inp, None)
            n_pts = check_observations(inp, metric, loss)
            prob = setup_problem(law, inp, init=init, bounds=bounds, fixed=fixed, loss=loss,
                                 num_starts=num_starts, key=key, n_points=n_pts)
        except ValueError as e:
            raise ValueError(f"fit_many: datasets[{i}]: {e}") from None
        inputs_list.append(inp)
        probs.append(prob)
    ref_shapes = jax.tree_util.tree_map(np.shape, (inputs_list[0].x, inputs_list[0].y))
    for i, inp in enumerate(inputs_list[1:], 1):
        shapes = jax.tree_util.tree_map(np.shape, (inp.x, inp.y))
        if shapes != ref_shapes:
            raise ValueError(
                f"fit_many: data set {i} has input shapes {shapes}, data set 0 has {ref_shapes}; "
                "every data set must have the same points layout (pad with zero-weight points)"
            )
        if probs[i].z0.shape != probs[0].z0.shape:
            raise ValueError(
                f"fit_many: data set {i} has {probs[i].z0.shape[0]} starts, data set 0 has "
                f"{probs[0].z0.shape[0]}; pass init=... or num_starts=... so that they agree"
            )
    p0 = probs[0]
    cfg = Config(p0.names, p0.free, p0.kinds, loss, int(max_iter), screen_iter=int(screen_iter),
                 keep=None if keep is None else int(keep),
                 vectorize=None if vectorize is None else resolve_vectorize(vectorize))
    stack = lambda xs: np.stack([np.asarray(v) for v in xs])  # noqa: E731
    x = jax.tree_util.tree_map(lambda *leaves: stack(leaves), *[inp.x for inp in inputs_list])
    y = stack([np.where(np.asarray(inp.weight) > 0, np.asarray(inp.y, np.float64), 1.0) for inp in inputs_list])
    w = stack([np.asarray(inp.weight, np.float64) for inp in inputs_list])
    args = [stack([p.z0 for p in probs]), stack([p.fixed_vals for p in probs]),
            stack([p.lo for p in probs]), stack([p.hi for p in probs]), x, y, w]
    n_data = len(inputs_list)
    n_dev = jax.local_device_count()
    if shard is None:
        shard = n_dev > 1
    use_shard = bool(shard and n_dev > 1)
    if chunk_size == "auto":
        chunk_size = 1 if jax.default_backend() == "cpu" else 64
    if isinstance(chunk_size, (str, bool)) or not (chunk_size is None or isinstance(chunk_size, (int, np.integer))):
        raise ValueError(f"fit_many: chunk_size must be 'auto', None or an int >= 1, got {chunk_size!r}")
    if chunk_size is None or chunk_size >= n_data:
        chunk = n_data
    else:
        chunk = int(chunk_size)
        if chunk < 1:
            raise ValueError(f"fit_many: chunk_size must be >= 1, got {chunk_size!r}")
    if use_shard:
        chunk += (-chunk) % n_dev
    pad = (-n_data) % chunk
    if pad:  # repeat the last data set; its extra results are dropped
        args = jax.tree_util.tree_map(lambda a: np.concatenate([a, np.repeat(a[-1:], pad, axis=0)]), args)
    solve = program(law, cfg, batched=(0, 0, 0, 0, 0, 0, 0))
    sharding = None
    if use_shard:
        # a 1-D mesh over this process's devices (Auto axis: XLA propagates the sharding)
        mesh = jax.sharding.Mesh(np.array(jax.local_devices()), ("data",))
        sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("data"))
    outs = []
    for start in range(0, n_data + pad, chunk):
        part = jax.tree_util.tree_map(lambda a, s0=start: a[s0 : s0 + chunk], args)
        if sharding is not None:
            part = jax.device_put(part, sharding)
        outs.append(jax.device_get(solve(*part, delta, gtol, ftol)))
    z, f, gmax, iters, status = (
        np.concatenate([np.asarray(o[i]) for o in outs])[:n_data] for i in range(5)
    )
    return [
        finish(law, inputs_list[i], probs[i], cfg, z[i], f[i], gmax[i], iters[i], status[i],
               metric=metric, loss=loss, delta=delta, exclude_warmup=exclude_warmup, stderr=stderr,
               from_runs=is_runs(datasets[i]))
        for i in range(n_data)
    ]
