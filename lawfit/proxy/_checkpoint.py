"""Checkpoints in a safe format: one ``numpy .npz`` of the state's leaves (no pickle).

``checkpoint.npz`` holds the leaves of ``(params, opt_state)`` in tree order as ``a00000, ...``
plus ``step`` (completed updates); it is written to a temporary file and renamed, so a kill at any
moment leaves the previous checkpoint intact. Loading uses ``allow_pickle=False`` and rebuilds the
tree from a freshly initialised template of the same config, checking every shape and dtype.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

CKPT = "checkpoint.npz"


def save_checkpoint(run_dir: Path, step: int, state) -> None:
    import jax

    leaves = jax.tree.leaves(state)
    arrays = {f"a{i:05d}": np.asarray(x) for i, x in enumerate(leaves)}
    arrays["step"] = np.asarray(step, dtype=np.int64)
    tmp = Path(run_dir) / "checkpoint.tmp.npz"
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, Path(run_dir) / CKPT)


def has_checkpoint(run_dir: Path) -> bool:
    return (Path(run_dir) / CKPT).exists()


def load_checkpoint(run_dir: Path, template):
    """``(step, state)`` from ``run_dir``; ``template`` gives the tree structure, shapes, dtypes."""
    import jax

    path = Path(run_dir) / CKPT
    leaves_t, treedef = jax.tree.flatten(template)
    with np.load(path, allow_pickle=False) as z:
        names = sorted(k for k in z.files if k.startswith("a"))
        if len(names) != len(leaves_t):
            raise ValueError(
                f"{path}: checkpoint has {len(names)} arrays but this config's state has "
                f"{len(leaves_t)}; the checkpoint was written by a different model or optimizer"
            )
        leaves = []
        for name, t in zip(names, leaves_t, strict=True):
            a = z[name]
            if a.shape != np.shape(t) or a.dtype != np.asarray(t).dtype:
                raise ValueError(
                    f"{path}: array {name} has shape {a.shape} {a.dtype}, the config expects "
                    f"{np.shape(t)} {np.asarray(t).dtype}; resume with the run's own config"
                )
            leaves.append(a)
        step = int(z["step"])
    return step, jax.tree.unflatten(treedef, leaves)
