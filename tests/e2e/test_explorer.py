"""The explorer in a real browser: every page, an upload, a fit with its plot, the fit
download and re-upload, and a tiny proxy run. No error elements, no browser console errors."""

import json

import pytest
from conftest import assert_no_errors, shot, wait_for_app

pytestmark = pytest.mark.e2e

PAGES = ["Data", "Proxy training", "Fit", "Predict & compare", "Optimize", "CPT & mixtures"]


def goto(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.wait_for_timeout(300)
    wait_for_app(page)


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
