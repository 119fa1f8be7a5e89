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


def tiny_runs():
    """Three short synthetic runs (400 steps, loss every 10 steps) that fit in seconds."""
    import numpy as np

    from lawfit.runs import Run, RunSet

    t = np.arange(1, 401)
    out = []
    for name, lr in {
        "tiny_const": np.full(400, 1e-3),
        "tiny_decay": np.where(t < 300, 1e-3, 1e-3 * (400 - t + 1) / 101),
        "tiny_warm": np.minimum(1e-3, 1e-3 * (t - 1) / 20),  # 20-step warmup (paper convention
    }.items():  # leaves it out of predictions)
        area = np.cumsum(lr)
        loss = 2.5 + 0.8 * (area / area[-1] * 4 + 0.1) ** -0.5 - 50 * (1e-3 - lr) * (t > 300)
        keep = (t - 1) % 10 == 0
        out.append(Run(name, lr=lr, metrics={"loss": ((t - 1)[keep], loss[keep])}))
    return RunSet(out)


def tiny_app(**state) -> AppTest:
    """A session whose only dataset is :func:`tiny_runs`."""
    return new_app(_defaults_loaded=True, datasets={"tiny": packed(tiny_runs())}, **state)


def frame(at: AppTest, column: str):
    """The first ``st.dataframe`` table with a column ``column`` (AppTest keeps no keys of
    read-only tables)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)
