"""Metric-name aliases of the common training frameworks (ECOSYSTEM.md section 1.8).

Logged keys are mapped to lawfit's canonical names so common logs need no configuration:

* ``"loss"``: training loss; ``"val_loss"``: evaluation loss; ``"lr"``: learning rate (it becomes
  the run's per-step LR array, not a metric).

Matching is exact first, then case-insensitive; within a canonical name the first key of
:data:`DEFAULT_ALIASES` that is present wins and any other candidate keeps its logged name (nothing
is merged or dropped). Which key matched is recorded in ``run.meta["aliases"]`` as
``{canonical: logged_key}``. Override or extend with ``aliases={"loss": ["my/loss"], ...}``
(the given keys take priority) or turn mapping off with ``aliases=False``.

Example:
    >>> from lawfit.io import resolve_aliases
    >>> resolve_aliases(["train/loss", "eval/loss", "train/learning_rate", "train/grad_norm"])
    {'train/loss': 'loss', 'eval/loss': 'val_loss', 'train/learning_rate': 'lr'}
    >>> resolve_aliases(["loss", "train/loss"])  # the exact canonical key wins, the other is kept
    {'loss': 'loss'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["DEFAULT_ALIASES", "resolve_aliases"]

#: canonical name -> logged keys in priority order (framework in the comment).
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "loss": (
        "loss",  # HF log_history, torchtitan stdout, nanoGPT stdout
        "train/loss",  # HF via W&B, nanoGPT W&B (periodic estimate)
        "lm loss",  # Megatron (TensorBoard, W&B, stdout)
        "lm_loss",  # nanotron
        "loss_metrics/global_avg_loss",  # torchtitan
        "train/CE loss",  # OLMo-core
        "train/CrossEntropyLoss",  # OLMo
        "train_loss",  # Lightning / generic, llm-baselines W&B JSON
        "train_loss_step",  # Lightning self.log(on_step=True, on_epoch=True)
        "train/loss_step",  # Lightning, logged with a '/' name
        "train loss",  # generic stdout ("step 10 | train loss: 3.2")
    ),
    "val_loss": (
        "val_loss",
        "eval_loss",  # HF log_history
        "eval/loss",  # HF via W&B
        "val/loss",  # nanoGPT
        "lm loss validation",  # Megatron
        "validation_metrics/loss",  # torchtitan
        "val_loss_epoch",  # Lightning self.log(on_epoch=True) under a _step/_epoch pair
        "val loss",  # generic stdout
        "validation loss",  # generic stdout
        "valid loss",  # generic stdout
    ),
    "lr": (
        "lr",  # nanoGPT (W&B), nanotron
        "learning_rate",  # HF log_history
        "train/learning_rate",  # HF via W&B
        "train_lr",  # llm-baselines W&B JSON
        "learning-rate",  # Megatron TensorBoard / W&B
        "learning rate",  # Megatron stdout
        "optim/LR (group 0)",  # OLMo-core
        "optim/learning_rate_group0",  # OLMo
        "re:lr/[^/]+",  # torchtitan lr/<OptimizerClass>
        "re:lr-[A-Za-z0-9_]+",  # Lightning LearningRateMonitor lr-<OptimizerClass>
    ),
}


def _patterns(aliases: Mapping[str, Sequence[str]] | None | bool) -> dict[str, tuple[str, ...]]:
    if aliases is False:
        return {}
    table = {k: tuple(v) for k, v in DEFAULT_ALIASES.items()}
    if aliases in (None, True):
        return table
    if not isinstance(aliases, Mapping):
        raise ValueError(
            f"aliases must be a mapping {{canonical: [logged keys]}}, None or False, got "
            f"{type(aliases).__name__}"
        )
    for canon, keys in aliases.items():
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        table[str(canon)] = keys + tuple(k for k in table.get(str(canon), ()) if k not in keys)
    return table


def _match(pattern: str, key: str, fold: bool) -> bool:
    if pattern.startswith("re:"):
        return re.fullmatch(pattern[3:], key, flags=re.IGNORECASE if fold else 0) is not None
    return pattern.casefold() == key.casefold() if fold else pattern == key


def resolve_aliases(
    keys: Iterable[str], aliases: Mapping[str, Sequence[str]] | None | bool = None
) -> dict[str, str]:
    """``{logged_key: canonical}`` for the logged keys that map to a canonical name (identity
    entries included, so the LR key is always findable).

    A canonical name that is itself logged keeps its own key; each canonical name is taken by at
    most one logged key (exact matches before case-insensitive ones, then table order).
    """
    keys = list(dict.fromkeys(keys))
    table = _patterns(aliases)
    out: dict[str, str] = {}
    taken = set()
    for canon, patterns in table.items():
        found = None
        for fold in (False, True):
            for pat in patterns:
                for key in keys:
                    if key not in out and _match(pat, key, fold):
                        found = key
                        break
                if found is not None:
                    break
            if found is not None:
                break
        if found is not None and canon not in taken:
            taken.add(canon)
            out[found] = canon
    # never rename a key onto the name of another logged key
    for key, canon in list(out.items()):
        if canon != key and canon in keys:
            del out[key]
    return out
