"""The explorer in a real browser: every page, an upload, a fit with its plot, the fit
download and re-upload, and a tiny proxy run. No error elements, no browser console errors."""

import json

import pytest
from e2e_helpers import assert_no_errors, goto, shot, wait_for_app

pytestmark = pytest.mark.e2e

PAGES = ["Data", "Proxy training", "Fit", "Predict & compare", "Optimize", "CPT & mixtures"]


def test_every_page_opens(page):
    assert page.get_by_text("runs loaded in this session").is_visible()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    shot(page, "data")
    for title in PAGES:
        goto(page, title)
        page.get_by_role("heading", name=title.split(" ")[0]).first.wait_for()
        assert_no_errors(page)
        shot(page, "page-" + title.split(" ")[0].lower())


def test_upload_files(page, tiny_dir):
    files = sorted(str(p) for p in tiny_dir.glob("*.csv"))
    page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(files)
    page.wait_for_timeout(500)
    wait_for_app(page)
    page.get_by_role("button", name="Import uploads").click()
    wait_for_app(page)
    page.get_by_text("imported 2 runs").wait_for()
    assert_no_errors(page)
    shot(page, "data-upload")


def upload_tiny_only(page, tiny_dir) -> None:
    """Upload the tiny runs and drop the bundled set, so fits take seconds."""
    files = sorted(str(p) for p in tiny_dir.glob("*.csv"))
    page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(files)
    page.wait_for_timeout(500)
    wait_for_app(page)
    page.get_by_role("button", name="Import uploads").click()
    wait_for_app(page)
    page.get_by_text("imported 2 runs").wait_for()
    page.get_by_role("button", name="Remove", exact=True).first.click()
    wait_for_app(page)
    page.get_by_text("2 runs loaded in this session").wait_for()


def set_number(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_for_app(page)


def test_fit_plot_download_and_reupload(page, tiny_dir, tmp_path):
    page.set_default_timeout(240_000)
    upload_tiny_only(page, tiny_dir)
    goto(page, "Fit")
    page.get_by_test_id("stExpander").filter(has_text="More fit settings").locator(
        "summary").click()
    box = page.get_by_label("Starts", exact=True)
    box.fill("2")
    box.press("Tab")
    wait_for_app(page)
    page.get_by_role("button", name="Fit", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Fit finished").wait_for()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 2
    assert_no_errors(page)
    shot(page, "fit")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download fit (JSON)", exact=True).click()
    path = tmp_path / "fit.json"
    dl.value.save_as(path)
    d = json.loads(path.read_text())
    assert d["format"].startswith("lawfit.FitResult/") and d["law"]["name"] == "mpl"
    assert d["run_ids"] == ["tiny_const", "tiny_decay"]
    # re-upload the downloaded fit
    wait_for_app(page)  # no rerun in flight after the download (on_click="ignore")
    load = page.locator("[data-testid='stExpander']").filter(has_text="Load a saved fit (JSON)")
    load.locator("summary").click()
    load.locator("input[type='file']").set_input_files(str(path))
    wait_for_app(page)
    load.get_by_role("button", name="Load fit", exact=True).click(timeout=120_000)
    wait_for_app(page)
    page.get_by_text("loaded fit.json").wait_for()
    assert_no_errors(page)
    # the loaded fit is the newest, so it is the one shown
    assert page.get_by_text("current fit: #2 · loaded from fit.json").is_visible()
    # predict page and optimize page work on it
    goto(page, "Predict & compare")
    page.get_by_role("button", name="Add to comparison").click()
    wait_for_app(page)
    page.get_by_text("Ranking").wait_for()
    assert_no_errors(page)
    shot(page, "predict")


def test_tiny_proxy_run(page):
    goto(page, "Proxy training")
    set_number(page, "Steps", 30)
    for label, v in (("Width", 8), ("Depth", 1), ("Heads", 1), ("Context", 8),
                     ("Batch size", 2), ("Evaluate every", 5), ("total_steps", 30),
                     ("warmup_steps", 3)):
        set_number(page, label, v)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    page.get_by_text("running").first.wait_for()
    shot(page, "proxy-running")
    page.get_by_text("· finished").wait_for(timeout=400_000)
    wait_for_app(page)
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert_no_errors(page)
    shot(page, "proxy-finished")
    goto(page, "Data")
    page.get_by_text("proxy job1").first.wait_for()
    assert_no_errors(page)


def test_folder_upload_and_runs_download(page, tiny_dir, tmp_path):
    folder = page.locator("[data-testid='stFileUploader'] input[type='file']").nth(1)
    folder.set_input_files(str(tiny_dir))  # the "…or a folder" uploader (webkitdirectory)
    page.wait_for_timeout(500)
    wait_for_app(page)
    page.get_by_role("button", name="Import uploads").click()
    wait_for_app(page)
    page.get_by_text("imported 2 runs").wait_for()
    assert_no_errors(page)
    shot(page, "data-folder-upload")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download selected runs (CSV)").click()
    path = tmp_path / "runs.csv"
    dl.value.save_as(path)
    import lawfit.io

    runs = lawfit.io.read(path)
    from lawfit.datasets import PROXY_RUNS

    assert len(runs) == len(PROXY_RUNS) + 2  # the runs shown: the bundled ones and the 2 imported
    assert_no_errors(page)


def test_cpt_planner_in_the_browser(page):
    goto(page, "CPT & mixtures")
    page.get_by_role("tab", name="CPT planner").click()
    page.get_by_role("button", name="Fit the CPT law (D_pt and D_cpt)").click()
    wait_for_app(page)
    page.get_by_text("CPT fits finished").wait_for()
    page.get_by_text("Balance weight λ").wait_for()
    panel = page.get_by_role("tabpanel", name="CPT planner")
    charts = panel.get_by_test_id("stPlotlyChart")
    charts.nth(2).wait_for()  # the two fits, then the Pareto front
    assert charts.count() == 3
    before = panel.get_by_test_id("stMetricValue").nth(1).inner_text()
    slider = panel.get_by_role("slider")
    slider.focus()
    for _ in range(10):  # λ 0.5 -> 1.0: only the general loss counts
        slider.press("ArrowRight")
    page.wait_for_timeout(300)
    wait_for_app(page)
    assert slider.get_attribute("aria-valuetext") == "1.0"
    after = panel.get_by_test_id("stMetricValue").nth(1).inner_text()
    assert before and after
    assert_no_errors(page)
    shot(page, "cpt-planner")
