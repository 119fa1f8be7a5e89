"""Fetching public dataset files on demand, checked against a sha256 registry (pooch).

Every file has a key in the layout of a *mirror* (``mpl/curves/csv_25/cosine_24000.csv``,
``schaipp/raw/<run>.json``) and a sha256 in ``registry.txt``. Where a file comes from:

* ``source=None`` and ``LAWFIT_DATA_SOURCE`` unset: the original repository at a pinned commit
  (:data:`DATASETS`), downloaded once into the user cache (``pooch.os_cache("lawfit")``, or
  ``LAWFIT_DATA_CACHE``) with a progress bar; the licence and citation are printed on the first
  download of each dataset;
* a URL (``http(s)://...``): a mirror with the key layout (``<url>/<key>``), cached the same way;
* a local folder: read in place (``<folder>/<key>``), no copy.

Every file is checked against its registry hash whatever its source; a mismatch, a missing file or
an unreachable server raises :class:`DatasetError` saying which file, where from, and what to do.

Example:
    >>> from lawfit.datasets import fetch

    ``fetch("mpl/curves/csv_25/cosine_24000.csv")`` returns the file's path in the cache, its hash
    checked (not run here: it may download).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATASETS", "DatasetError", "ENV_CACHE", "ENV_SOURCE", "Dataset", "fetch", "registry"]

ENV_SOURCE = "LAWFIT_DATA_SOURCE"
ENV_CACHE = "LAWFIT_DATA_CACHE"
Progress = Callable[[int, int], None]


class DatasetError(RuntimeError):
    """A dataset file could not be obtained or failed its hash check."""


@dataclass(frozen=True)
class Dataset:
    """A public dataset: its key prefix, pinned origin, licence and citation."""

    name: str
    prefix: str  # keys under this prefix belong to the dataset
    origin: str  # URL of the pinned source tree; the key's tail after ``prefix`` maps into it
    origin_dir: str  # folder of the origin repository holding the files
    licence: str
    citation: str

    def origin_url(self, key: str) -> str:
        return f"{self.origin}/{self.origin_dir}/{key[len(self.prefix):]}"


DATASETS = (
    Dataset(
        "mpl",
        "mpl/curves/",
        "https://raw.githubusercontent.com/thu-yao-01-luo/MultiPowerLaw/"
        "8da9f1902602f3391b971a811e3cc51604541769",
        "loss_curve_repo",
        "MIT License, Copyright (c) 2025 Kairong Luo "
        "(github.com/thu-yao-01-luo/MultiPowerLaw/blob/main/LICENSE)",
        "Luo, Wen, Hu, Sun, Liu, Sun, Lyu, Chen. A Multi-Power Law for Loss Curve Prediction "
        "Across Learning Rate Schedules. ICLR 2025, arXiv:2503.12811.",
    ),
    Dataset(
        "schaipp",
        "schaipp/raw/",
        "https://raw.githubusercontent.com/fabian-sp/lr-scheduling/"
        "8ace3a327a396fbd4998ff7615d54012eba71573",
        "data",
        "MIT License (github.com/fabian-sp/lr-scheduling/blob/main/LICENSE)",
        "Schaipp, Hagele, Taylor, Simsekli, Bach. The Surprising Agreement Between Convex "
        "Optimization Theory and Learning-Rate Scheduling for Large Model Training. "
        "ICML 2025, arXiv:2501.18965.",
    ),
)


def registry() -> dict[str, str]:
    """``{key: "sha256:<hex>"}`` of every known file (``registry.txt``)."""
    out = {}
    for line in (Path(__file__).with_name("registry.txt")).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, digest = line.rsplit(" ", 1)
            out[key] = digest
    return out


def _dataset(key: str) -> Dataset | None:
    return next((d for d in DATASETS if key.startswith(d.prefix)), None)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def fetch(key: str, *, source: str | os.PathLike | None = None,
          progress: Progress | bool = True) -> Path:
    """The local path of registry file ``key``, downloaded if needed and hash-checked.

    ``source``: a local folder or a mirror URL with the key layout; default ``LAWFIT_DATA_SOURCE``,
    else the pinned original repository. ``progress``: True (a progress bar on stderr), False, or
    ``callback(bytes_done, bytes_total)``.
    """
    reg = registry()
    if key not in reg:
        raise DatasetError(f"{key!r} is not a known dataset file (see lawfit/datasets/registry.txt)")
    src = str(source) if source is not None else os.environ.get(ENV_SOURCE) or None
    if src is not None and "://" not in src:
        path = Path(src).expanduser() / key
        if not path.is_file():
            raise DatasetError(
                f"{path} does not exist: the data source {src!r} (argument source= or "
                f"{ENV_SOURCE}) must hold the files in the layout of lawfit/datasets/registry.txt; "
                f"unset it to download from the original repository"
            )
        if _sha256(path) != reg[key]:
            raise DatasetError(
                f"{path} does not match its registry hash ({reg[key]}, got {_sha256(path)}): the "
                "local copy differs from the published file; restore it or point the source elsewhere"
            )
        return path
    return _download(key, reg, src, progress)


def _download(key: str, reg: dict[str, str], mirror: str | None, progress: Progress | bool) -> Path:
    import pooch
    import requests

    ds = _dataset(key)
    url = f"{mirror.rstrip('/')}/{key}" if mirror else ds.origin_url(key) if ds else None
    if url is None:
        raise DatasetError(f"{key!r} has no public origin; set {ENV_SOURCE} to a folder or mirror holding it")
    cache = Path(os.environ.get(ENV_CACHE) or pooch.os_cache("lawfit"))
    target = cache / key
    if target.is_file() and _sha256(target) == reg[key]:
        return target
    first = ds is not None and not (cache / f".{ds.name}-notice").exists()
    if first:
        print(f"lawfit: downloading the {ds.name} dataset (first use).\n  licence: {ds.licence}\n"
              f"  please cite: {ds.citation}", file=sys.stderr)
    bar = _bar(key, progress)
    try:
        pooch.retrieve(url, known_hash=reg[key], fname=key.rsplit("/", 1)[-1],
                       path=target.parent, downloader=pooch.HTTPDownloader(progressbar=bar))
    except requests.exceptions.RequestException as e:
        raise DatasetError(
            f"cannot download {key} from {url} ({type(e).__name__}: {str(e).splitlines()[0][:200]}). "
            f"Check the network, or set {ENV_SOURCE} to a local copy or another mirror"
        ) from None
    except ValueError as e:
        if "hash" not in str(e).lower():
            raise
        raise DatasetError(
            f"{key} downloaded from {url} does not match its registry hash {reg[key]} (the file "
            f"was discarded): the server holds a different or corrupted file; {e}"
        ) from None
    finally:
        if bar:
            bar.close()  # pooch closes it only on success
    if first:
        (cache / f".{ds.name}-notice").write_text(f"{ds.licence}\n{ds.citation}\n")
    return target


def _bar(key: str, progress: Progress | bool):
    """pooch's progress-bar protocol (``total``, ``update``, ``reset``, ``close``)."""
    if progress is False:
        return False
    return _CallbackBar(progress) if callable(progress) else _RichBar(key)


class _CallbackBar:
    def __init__(self, callback: Progress) -> None:
        self.callback, self.total, self.done = callback, 0, 0

    def update(self, n: int) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self.callback(self.done, self.total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


class _RichBar(_CallbackBar):
    def __init__(self, key: str) -> None:
        from rich.console import Console
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        self.rich = Progress(*Progress.get_default_columns(), DownloadColumn(),
                             TransferSpeedColumn(), transient=True, console=Console(stderr=True))
        self.task = self.rich.add_task(key.rsplit("/", 1)[-1], total=None)
        self.rich.start()
        super().__init__(lambda done, total: self.rich.update(self.task, completed=done,
                                                              total=total or None))

    def close(self) -> None:
        self.rich.stop()
