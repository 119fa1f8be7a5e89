"""Fixtures of the real-browser end-to-end tests: the app server (``streamlit run`` headless on a
free port, waited for on ``/_stcore/health``), Debian's Chromium driven by Playwright, one new
browser context (= app session) per test. Skipped only where ``/usr/bin/chromium`` is missing
(``make test`` installs it)."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from e2e_helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    SHOTS,
    _free_port,
    _mkdirs,
    wait_for_app,
    write_tiny_runs,
)

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} missing (make test installs it: apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return write_tiny_runs(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def app_url():
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "apps/app.py",
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--runner.postScriptGC", "false", "--server.maxUploadSize", "50",
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




@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, and name the screenshot folder in the report
    of a failing test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed:
        report.sections.append(("screenshots", f"screenshots of this run are in {SHOTS}"))
    return report


@pytest.fixture
def page(browser, app_url, request):
    """A new browser context (= a new app session) with console errors collected; a failing
    test leaves ``FAILED-<test>.png`` in the screenshot folder."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(600_000)  # a loaded 2-core CI machine compiles slowly
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.goto(app_url)
    wait_for_app(pg)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        print(f"screenshot of the failure: {SHOTS / f'FAILED-{request.node.name}.png'}")
    ctx.close()


