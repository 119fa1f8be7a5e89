"""Helpers of the real-browser end-to-end tests of the explorer (imported by the tests and by
benchmarks/app.py; a uniquely named module so it never clashes with other conftest files): ``streamlit run`` headless on a free local
port, Debian's Chromium (``/usr/bin/chromium``) driven by Playwright (never ``playwright install``;
launch flags from ECOSYSTEM.md section 3.2). Screenshots go to a temporary folder (``SHOTS``;
``LAWFIT_E2E_SHOTS`` chooses it), which a failing test names in its report."""

import os
import socket
import tempfile
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"  # the server log
SHOTS = Path(os.environ.get("LAWFIT_E2E_SHOTS") or tempfile.mkdtemp(prefix="lawfit-e2e-shots-"))



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


def shot(page, name: str) -> Path:
    """A full-page screenshot ``SHOTS/<name>.png`` (look at it: is the page readable?)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # Streamlit scrolls inside its main block, so a full-page shot is one screen: grow the
    # viewport to the page's height for the shot
    size = page.viewport_size
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                           "'[data-testid=stMain], [data-testid=stAppViewContainer]')]"
                           ".map(e => e.scrollHeight), 0)")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]),
                                                                   6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def write_late_lr_run(path: Path, first_logged: int = 100) -> Path:
    """One run in the MPL CSV layout whose LR (and loss) are logged only from step
    ``first_logged`` on, like ``data/mpl/csv_100/wsdcon_9.csv`` (LR logged from step 2176)."""
    t = np.arange(first_logged, 401, 10)
    lr = np.where(t < 300, 1e-3, 1e-3 * (400 - t + 1) / 101)
    loss = 2.5 + 0.8 * (t / 400 * 4 + 0.1) ** -0.5
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("step,lr,loss\n" + "".join(f"{s},{float(a)!r},{float(b)!r}\n"
                                               for s, a, b in zip(t, lr, loss, strict=True)))
    return path


def goto(page, title: str) -> None:
    """Open a page from the sidebar and wait for its script run."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.wait_for_timeout(300)
    wait_for_app(page)


def upload(page, files, *, which: int = 0) -> None:
    """Put files into the ``which``-th file uploader of the page and press "Import uploads"."""
    page.locator("[data-testid='stFileUploader'] input[type='file']").nth(which).set_input_files(
        [str(f) for f in files])
    page.wait_for_timeout(500)
    wait_for_app(page)
    page.get_by_role("button", name="Import uploads").click()
    wait_for_app(page)


def alerts(page, kind: str) -> list[str]:
    """Texts of the visible alert boxes of ``kind`` ("Warning", "Error", "Success", "Info")."""
    box = page.locator(f"[data-testid='stAlertContent{kind}']")
    return [box.nth(i).inner_text() for i in range(box.count())]
