"""Shared tiny proxy settings: one model shape, batch and eval interval everywhere, so the
compiled training programs are shared by the tests of a process."""

import pytest

from lawfit import proxy

MODEL = proxy.ModelConfig(width=32, depth=2, heads=2, context=32)
BASE = dict(model=MODEL, batch_size=4, eval_every=20, val_sequences=128)


@pytest.fixture(scope="session")
def tiny():
    """Keyword arguments of a tiny stdlib run (~26K non-embedding parameters)."""
    return dict(BASE)
