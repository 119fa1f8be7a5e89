"""Explorer benchmark: server start -> first rendered page, and Fit click -> plot on the bundled
curves (first fit, the same fit again from the cache), and log-axis toggles after the fit on the
Fit page and on the Data page (click -> the plot's x axis has the new type, read from Plotly's
layout in the browser; no fixed sleeps).

Drives the real app in Debian's Chromium (Playwright), like tests/e2e. Prints seconds and ratios
against the first fit measured in the same run. Usage:
    .venv/bin/python benchmarks/app.py [--size 400M] [--starts 16]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_helpers import CHROMIUM, CHROMIUM_FLAGS, _free_port, wait_for_app  # noqa: E402

PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"


def toggle_times(page, label: str, n: int = 5) -> list[float]:
    """Seconds from clicking the ``label`` checkbox to the first plot showing the new x-axis type
    (read from Plotly's own layout in the page) and the script run finished. No fixed sleeps."""
    out = []
    for _ in range(n):
        was = page.evaluate(f"document.querySelector(\"{PLOT}\").layout.xaxis.type || 'linear'")
        want = "linear" if was == "log" else "log"
        t = time.perf_counter()
        page.get_by_text(label, exact=True).first.click()
        page.wait_for_function(
            f"() => {{ const g = document.querySelector(\"{PLOT}\");"
            f" return g && g.layout && (g.layout.xaxis.type || 'linear') === '{want}'; }}")
        page.wait_for_selector("[data-test-script-state='notRunning']")
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="400M", choices=["25M", "100M", "400M"])
    ap.add_argument("--starts", type=int, default=16)
    ap.add_argument("--toggles", type=int, default=5, help="log-x toggles timed per page")
    args = ap.parse_args()
    import signal

    from playwright.sync_api import sync_playwright

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on kill
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "apps/app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--runner.postScriptGC", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        while True:
            try:
                with opener.open(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.1)
        t_health = time.perf_counter() - t0
        print(f"server start -> /_stcore/health ok      {t_health:8.2f} s", flush=True)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(1_800_000)
            page.goto(url)
            wait_for_app(page)
            page.get_by_test_id("stPlotlyChart").first.wait_for()
            t_first = time.perf_counter() - t0
            print(f"server start -> first page rendered      {t_first:8.2f} s", flush=True)
            if args.size != "400M":
                page.get_by_test_id("stSelectbox").first.click()
                page.get_by_role("option", name=args.size, exact=True).click()
                wait_for_app(page)
                page.get_by_role("button", name="Load bundled curves").click()
                wait_for_app(page)
                page.get_by_role("button", name="Remove", exact=True).first.click()
                wait_for_app(page)
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Fit").click()
            wait_for_app(page)
            page.get_by_test_id("stExpander").filter(has_text="More fit settings").locator(
                "summary").click()  # the number of starts is under "More fit settings"
            box = page.get_by_label("Starts", exact=True)
            box.fill(str(args.starts))
            box.press("Tab")
            wait_for_app(page)

            def fit_to_plot() -> float:
                t = time.perf_counter()
                page.get_by_role("button", name="Fit", exact=True).click()
                page.wait_for_timeout(200)
                wait_for_app(page)
                page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first.wait_for()
                return time.perf_counter() - t

            t_fit = fit_to_plot()
            print(f"click Fit -> plot (first fit)            {t_fit:8.2f} s", flush=True)
            t_refit = fit_to_plot()
            t_fit_toggles = toggle_times(page, "log x", n=args.toggles)
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data").click()
            wait_for_app(page)
            page.locator(PLOT).first.wait_for()
            t_data_toggles = toggle_times(page, "log x", n=args.toggles)
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"summary: bundled MPL {args.size}, train = MPL_TRAIN, {args.starts} starts")
    print(f"click Fit -> plot (first fit)            {t_fit:8.2f} s   (baseline 1.00)")
    print(f"click Fit -> plot (same fit, cached)     {t_refit:8.2f} s   ratio {t_refit / t_fit:.3f}")
    for name, ts in (("Fit page", t_fit_toggles), ("Data page", t_data_toggles)):
        med = statistics.median(ts)
        print(f"toggle log x, {name:9s} (median of {len(ts)})  {med:8.2f} s   ratio {med / t_fit:.3f}"
              f"   all: {', '.join(f'{t:.2f}' for t in ts)}")

if __name__ == "__main__":
    main()
