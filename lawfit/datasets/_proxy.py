"""lawfit's own loss curves, bundled: proxy runs trained by ``data/make_proxy_curves.py``.

Three byte-level GPT sizes (``w32``, ``w48``, ``w64``: widths 32/48/64, depth 2) on the Python
standard-library text, each under the same seed and batches with seven schedules: constant,
cosine (to 0.1 x peak), WSD with 20 % and 10 % linear cooldowns, DeepSeek 8-1-1 and a two-stage
drop to 0.3 x peak at half the run (4000 steps), plus cosine and WSD-20 % at 2000 steps. Peak LR
3e-3, 100 warmup steps. ``loss`` is the held-out loss every 25 steps; ``train_loss`` the mean
training-batch loss of those 25 steps. ``data/README.md`` says how to regenerate them.

Split (mirroring the MPL one): train on ``constant_4000``, ``cosine_2000``, ``twostage_4000``;
predict the other five.

Example:
    >>> from lawfit.datasets import PROXY_TRAIN, proxy_runs
    >>> runs = proxy_runs("w64")
    >>> runs.select(PROXY_TRAIN).ids
    ('constant_4000', 'cosine_2000', 'twostage_4000')
"""

from __future__ import annotations

import functools
from pathlib import Path

from lawfit.runs import RunSet

__all__ = ["PROXY_RUNS", "PROXY_SIZES", "PROXY_TEST", "PROXY_TRAIN", "proxy_runs"]

PROXY_SIZES = ("w32", "w48", "w64")
PROXY_TRAIN = ("constant_4000", "cosine_2000", "twostage_4000")
PROXY_TEST = ("cosine_4000", "wsd20_4000", "wsd10_4000", "step811_4000", "wsd20_2000")
PROXY_RUNS = PROXY_TRAIN + PROXY_TEST


def _bundled_file() -> Path:
    """The bundled table: in the installed package, else in the repository's ``data/``."""
    here = Path(__file__).resolve()
    for p in (here.with_name("proxy_curves.parquet"), here.parents[2] / "data" / "proxy_curves.parquet"):
        if p.is_file():
            return p
    raise FileNotFoundError(
        "the bundled proxy curves (data/proxy_curves.parquet) are missing from this installation; "
        "regenerate them with `python data/make_proxy_curves.py`"
    )



@functools.lru_cache(maxsize=1)
def _table() -> RunSet:
    from lawfit import io

    return io.read(str(_bundled_file()))


def proxy_runs(size: str = "w64", runs: tuple[str, ...] | list[str] | None = None) -> RunSet:
    """The bundled proxy curves of one model size (run ids without the size prefix)."""
    if size not in PROXY_SIZES:
        raise ValueError(f"size must be one of {PROXY_SIZES}, got {size!r}")
    unknown = [n for n in runs or () if n not in PROXY_RUNS]
    if unknown:
        raise ValueError(f"unknown proxy run(s) {unknown}; known runs are {list(PROXY_RUNS)}")
    table = _table()
    return RunSet(table[f"{size}_{name}"].replace(run_id=name) for name in runs or PROXY_RUNS)
