"""AppTest helpers for the explorer tests: build the app from its entry point with a raised
timeout (JAX compilation alone exceeds AppTest's 3 s default)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APPS = Path(__file__).resolve().parents[2] / "apps"
ENTRY = str(APPS / "app.py")
TIMEOUT = 600


def new_app(**state) -> AppTest:
    """A fresh app session (optionally with seeded session state), not yet run."""
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    return at


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py").run()
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)


def packed(runs):
    """Runs in the session-state form the app stores (see apps/_state.py)."""
    import sys

    if str(APPS) not in sys.path:
        sys.path.insert(0, str(APPS))
    import _state

    return _state.pack(runs)
