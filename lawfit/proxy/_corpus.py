"""An offline real-text corpus: the bytes of the Python standard library's source files.

Every machine with Python has it, so proxy runs on real text need no download. The corpus is the
concatenation of the ``.py`` files under ``sysconfig.get_paths()["stdlib"]`` in sorted relative-path
order (excluding ``site-packages``, test suites and ``idlelib``/``lib2to3`` data), each followed by
a NUL separator, read as bytes (byte-level vocabulary of 256). The order is deterministic; the
content depends on the Python version, which is recorded in the run metadata.

Example:
    >>> from lawfit.proxy import stdlib_corpus
    >>> data = stdlib_corpus(max_bytes=1000)
    >>> data.dtype, data.shape
    (dtype('uint8'), (1000,))
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig

import numpy as np

__all__ = ["stdlib_corpus"]

_SKIP = {"site-packages", "dist-packages", "test", "tests", "idlelib", "lib2to3", "__pycache__"}


@functools.lru_cache(maxsize=4)
def stdlib_corpus(max_bytes: int = 4_000_000) -> np.ndarray:
    """The first ``max_bytes`` bytes of the standard-library corpus as a read-only uint8 array."""
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    root = sysconfig.get_paths()["stdlib"]
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        files.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(".py"))
    files.sort(key=lambda p: os.path.relpath(p, root))
    chunks, size = [], 0
    for path in files:
        with open(path, "rb") as fh:
            b = fh.read() + b"\0"
        chunks.append(b)
        size += len(b)
        if size >= max_bytes:
            break
    data = np.frombuffer(b"".join(chunks)[:max_bytes], dtype=np.uint8).copy()
    if data.size < max_bytes:
        raise ValueError(
            f"the standard library under {root} has only {data.size} bytes of source, fewer than "
            f"max_bytes={max_bytes}"
        )
    data.setflags(write=False)
    return data


def corpus_version() -> str:
    return f"python-{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
