"""Continual pre-training with the proxy trainer: one pre-training run, then continual runs
started from its checkpoint (the data the CPT and D-CPT laws are fitted to)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lawfit.proxy._config import RunConfig
from lawfit.proxy._sweep import sweep
from lawfit.proxy._train import train

__all__ = ["cpt"]


def cpt(
    pretrain: RunConfig,
    continual: RunConfig | Sequence[RunConfig],
    out_dir,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Continual pre-training: train ``pretrain``, checkpoint, then each ``continual`` run from it.

    The continual runs get ``init_from`` = the pre-training directory, ``step_offset`` = its
    length and ``phase="cpt"``; their ``meta.json`` records ``pt_lr`` and ``cpt_start_step`` and
    both domains' validation losses are logged (``val_loss/<domain>``), which is the data the CPT
    and D-CPT laws need. Typical setup: ``domains=("stdlib", "hmm")`` for both phases,
    ``mixture=(1, 0)`` for pre-training and ``(replay, 1 - replay)`` with a re-warm schedule after.
    """
    out_dir = Path(out_dir)
    pt_res = train(pretrain, out_dir, progress=progress)
    conts = [continual] if isinstance(continual, RunConfig) else list(continual)
    conts = [c.replace(init_from=str(out_dir / pretrain.run_id),
                       step_offset=pretrain.step_offset + pretrain.steps,
                       phase="cpt" if c.phase == "pt" else c.phase) for c in conts]
    return {"pretrain": pt_res, "continual": sweep(conts, out_dir, progress=progress)}
