"""Real-browser end-to-end tests of the explorer: ``streamlit run`` headless on a free local
port, Debian's Chromium (``/usr/bin/chromium``) driven by Playwright (never ``playwright install``;
launch flags from ECOSYSTEM.md section 3.2). Screenshots go to ``test-artifacts/e2e/``."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} missing (make test installs it: apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright")


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


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return write_tiny_runs(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def app_url():
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "apps/app.py",
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.maxUploadSize", "50",
           "--client.showErrorDetails", "none"]
    log = open(ARTIFACTS.parent / "e2e-server.log", "wb") if _mkdirs() else None  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 120
    while True:
        try:
            with opener.open(url + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("Streamlit server did not become healthy")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    if log:
        log.close()


def _mkdirs() -> bool:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return True


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    """A new browser context (= a new app session) with console errors collected."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(600_000)  # a loaded 2-core CI machine compiles slowly
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.goto(app_url)
    wait_for_app(pg)
    yield pg
    ctx.close()


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
