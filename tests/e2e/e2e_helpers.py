"""Helpers of the real-browser end-to-end tests of the explorer (imported by the tests and by
benchmarks/app.py; a uniquely named module so it never clashes with other conftest files): ``streamlit run`` headless on a free local
port, Debian's Chromium (``/usr/bin/chromium``) driven by Playwright (never ``playwright install``;
launch flags from ECOSYSTEM.md section 3.2). Screenshots go to ``test-artifacts/e2e/``."""

import socket
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_tiny_runs(path: Path) -> Path:
    """Two short synthetic runs in the MPL CSV layout (``step,lr,loss``, one file per run),
    small enough that fits compile and run quickly in the browser tests."""
    path.mkdir(parents=True, exist_ok=True)
    t = np.arange(1, 401)
    for name, lr in {
        "tiny_const": np.full(400, 1e-3),
        "tiny_decay": np.where(t < 300, 1e-3, 1e-3 * (400 - t + 1) / 101),
    }.items():
        area = np.cumsum(lr)
        loss = 2.5 + 0.8 * (area / area[-1] * 4 + 0.1) ** -0.5 - 50 * (1e-3 - lr) * (t > 300)
        rows = "".join(f"{s},{float(a)!r},{float(b)!r}\n"
                       for s, a, b in zip(t - 1, lr, loss, strict=True) if s % 10 == 0)
        (path / f"{name}.csv").write_text("step,lr,loss\n" + rows)
    return path


def _mkdirs() -> bool:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return True


def wait_for_app(page) -> None:
    """Wait until the script run finished (Streamlit's own e2e pattern)."""
    page.wait_for_selector("[data-testid='stAppViewContainer']")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-test-script-state='notRunning']")
    page.locator("[data-testid='stSkeleton']").first.wait_for(state="detached")


def assert_no_errors(page) -> None:
    errs = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    texts = [errs.nth(i).inner_text() for i in range(errs.count())]
    assert not texts, texts
    assert not page.console_errors, page.console_errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
