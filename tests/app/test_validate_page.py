"""Validate page: shows the shipped validation result (docs/assets/validation_default.json) with
the numbers of the file itself: Kendall tau, one verdict per law schedule, the table, two charts."""

import json
from pathlib import Path

from app_helpers import assert_clean, page, tiny_app

SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "assets" / "validation_default.json"


def test_shipped_result_is_shown_with_its_numbers():
    data = json.loads(SHIPPED.read_text())
    at = tiny_app()
    at.run()
    page(at, "validate")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kendall tau"] == f"{data['kendall_tau']:.2f}"
    assert metrics["Seeds"] == str(len(data["seeds"]))
    verdicts = [x.value for x in at.success] + [x.value for x in at.warning]
    assert len(verdicts) == len(data["verdicts"])
    for name, v in data["verdicts"].items():
        assert any(f"**{name}**" in t and f"{v['margin']:+.4f}" in t for t in verdicts)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == len(data["rows"])
    assert len(at.get("plotly_chart")) == 2


def test_the_refit_result_can_be_chosen():
    data = json.loads((SHIPPED.parent / "validation_default_paper.json").read_text())
    at = tiny_app()
    at.run()
    page(at, "validate")
    at.selectbox(key="val_shipped").select("validation_default_paper").run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Kendall tau"] == f"{data['kendall_tau']:.2f}"
    assert len(at.dataframe[0].value) == len(data["rows"]) == 12
