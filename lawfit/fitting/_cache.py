"""Persistent XLA compilation cache (every CLI call is a new process).

A cold fit is dominated by XLA compilation of the solver (seconds on CPU); JAX can keep the
compiled executables on disk so that the next process loads them instead of compiling.
The CLI and the explorer turn it on by default (``lawfit._compile_cache``; folder
``$XDG_CACHE_HOME/lawfit/jax`` or ``~/.cache/lawfit/jax``, ``LAWFIT_COMPILATION_CACHE=0`` turns it
off). In Python it is opt-in: call :func:`enable_compilation_cache` or set
``LAWFIT_COMPILATION_CACHE`` (``1`` / ``true`` for the default folder, or a folder path) before
``lawfit.fitting`` is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

__all__ = ["enable_compilation_cache", "DEFAULT_CACHE_DIR", "ENV_VAR"]

from lawfit._compile_cache import ENV_VAR, cache_setting, user_cache_dir

DEFAULT_CACHE_DIR = user_cache_dir()


def enable_compilation_cache(path: str | os.PathLike[str] | None = None, *, min_compile_time_secs: float = 0.5) -> Path:
    """Turn on JAX's persistent compilation cache for this process.

    Sets ``jax_compilation_cache_dir`` to ``path`` (default ``$XDG_CACHE_HOME/lawfit/jax`` or
    ``~/.cache/lawfit/jax``, created if missing) and caches every program that took at least ``min_compile_time_secs`` to compile
    (``jax_persistent_cache_min_compile_time_secs``; the fitting programs take seconds). Entries
    are keyed by the program, the JAX/XLA version and the device, so a cache is never reused
    across incompatible versions; delete the folder to clear it. Same effect without code:
    ``LAWFIT_COMPILATION_CACHE=1`` (default folder) or ``LAWFIT_COMPILATION_CACHE=/some/dir``.

    Returns:
        The cache folder (absolute).

    Example: ``lawfit.enable_compilation_cache()`` keeps programs in ``~/.cache/lawfit/jax``;
    ``lawfit.enable_compilation_cache("/tmp/jaxcache")`` in another folder. (Not run here: it
    changes JAX's configuration for the whole process.)
    """
    folder = Path(path if path is not None else user_cache_dir()).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"enable_compilation_cache: {str(folder)!r} exists and is not a folder; pass another path")
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time_secs))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder


def _from_env() -> None:
    folder = cache_setting(default_on=False)
    if folder is not None:
        enable_compilation_cache(folder)


_from_env()
