"""Shared test configuration.

* Tests run in float64 (``jax_enable_x64``), like the library's numerical entry points.
* ``SHARED`` is the project's ``../shared`` folder (reference data and docs); tests that need data
  from it skip cleanly where it is absent.
"""

from pathlib import Path

import jax
import pytest

jax.config.update("jax_enable_x64", True)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is not available on this machine")
    return p
