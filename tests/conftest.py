"""Shared test configuration.

* Tests run in float64 (``jax_enable_x64``), like the library's numerical entry points.
* ``SHARED`` is the project's ``../shared`` folder (reference data and docs); tests that need data
  from it skip cleanly where it is absent.
* Public datasets (``lawfit.datasets``) are read from ``../shared/data`` when it exists (the
  ``LAWFIT_DATA_SOURCE`` variable, unless already set), so the suite runs offline. Without it they
  are downloaded; a test that cannot get them (offline, no ``../shared``) is skipped, not failed.
"""

import os
from pathlib import Path

import jax
import pytest

jax.config.update("jax_enable_x64", True)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if (SHARED / "data").is_dir():
    os.environ.setdefault("LAWFIT_DATA_SOURCE", str(SHARED / "data"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    from lawfit.datasets import DatasetError

    try:
        return (yield)
    except DatasetError as e:
        if (SHARED / "data").is_dir():
            raise
        pytest.skip(f"public dataset unavailable (offline and no {SHARED / 'data'}): {e}")


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is not available on this machine")
    return p
