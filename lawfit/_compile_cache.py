"""Where lawfit keeps JAX's persistent compilation cache, and turning it on for the CLI and the
explorer (light: imports neither JAX nor the rest of lawfit).

Every CLI call is a new process; without a persistent cache each one compiles its programs again
(seconds on CPU). The CLI (``lawfit ...``) and the explorer (``lawfit app``) therefore keep
compiled programs in the user's cache folder by default: ``$XDG_CACHE_HOME/lawfit/jax``
(``~/.cache/lawfit/jax`` when ``XDG_CACHE_HOME`` is unset). ``LAWFIT_COMPILATION_CACHE=0`` turns
it off, ``LAWFIT_COMPILATION_CACHE=/some/dir`` moves it. The Python API leaves the choice to the
user (:func:`lawfit.enable_compilation_cache`, or the same environment variable).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENV_VAR", "OFF", "user_cache_dir", "cache_setting", "enable_default_compilation_cache"]

ENV_VAR = "LAWFIT_COMPILATION_CACHE"
OFF = ("0", "false", "no", "off")
MIN_COMPILE_SECS = 0.5  # cache programs that took at least this long to compile


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/lawfit/jax``, or ``~/.cache/lawfit/jax`` (not created)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(base).expanduser() / "lawfit" / "jax"


def cache_setting(default_on: bool) -> Path | None:
    """The cache folder ``LAWFIT_COMPILATION_CACHE`` asks for: None when off (``0``/``false``/...,
    or unset with ``default_on=False``), :func:`user_cache_dir` for ``1``/``true``/... (or unset with
    ``default_on=True``), else the folder it names."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() in OFF or (not value and not default_on):
        return None
    if not value or value.lower() in ("1", "true", "yes", "on"):
        return user_cache_dir()
    return Path(value).expanduser()


def enable_default_compilation_cache() -> Path | None:
    """Turn the persistent compilation cache on unless ``LAWFIT_COMPILATION_CACHE`` says off (the
    CLI's and the explorer's default). Before JAX is imported this only sets JAX's environment
    variables, so it costs nothing; a folder that cannot be created disables the cache with a
    note on stderr instead of failing the command. Returns the folder, or None when off."""
    folder = cache_setting(default_on=True)
    if folder is None:
        return None
    try:
        folder = folder.resolve()
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"note: JAX compilation cache off ({folder}: {e}); set {ENV_VAR}=0 to silence",
              file=sys.stderr)
        return None
    if "jax" in sys.modules:  # too late for the environment variables: set JAX's config
        import jax

        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECS)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        return folder
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(folder))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", str(MIN_COMPILE_SECS))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    return folder
