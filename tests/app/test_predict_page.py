"""Predict & compare page: designer -> spec -> predicted curves and ranking (lawfit's numbers)."""

import numpy as np
import pytest
from app_helpers import assert_clean, errors, page, tiny_app

import lawfit


@pytest.fixture(scope="module")
def at():
    at = tiny_app()
    at.run()
    page(at, "fit")
    at.multiselect(key="train_runs").set_value(["tiny_const", "tiny_decay"])
    at.number_input(key="num_starts").set_value(2)
    at.button(key="fit").click().run()
    assert_clean(at)
    page(at, "predict")
    return at


def test_designer_draws_and_ranks(at):
    assert_clean(at)
    assert at.selectbox(key="sd_family").value == "wsd"
    at.number_input(key="sd_wsd_total_steps").set_value(400).run()
    at.number_input(key="sd_wsd_warmup_steps").set_value(0).run()
    at.button(key="add_schedule").click().run()
    at.selectbox(key="sd_family").select("cosine").run()
    at.number_input(key="sd_cosine_total_steps").set_value(400).run()
    at.number_input(key="sd_cosine_warmup_steps").set_value(0).run()
    at.button(key="add_schedule").click().run()
    at.multiselect(key="compare_runs").set_value(["tiny_decay"]).run()
    assert_clean(at)
    specs = at.session_state["compare_specs"]
    assert [s["family"] for s in specs.values()] == ["wsd", "cosine"]
    table = at.dataframe[0].value
    assert set(table["name"]) == {*specs, "tiny_decay"}
    # the ranking is lawfit's: predicted final loss of the observed run under the fit
    (d,) = at.session_state["fits"].values()
    res = lawfit.load_fit(d)
    from app_helpers import tiny_runs

    run = tiny_runs()["tiny_decay"]
    expected = float(res.predict(run.lr, np.array([399]))[0])
    got = float(table.set_index("name").loc["tiny_decay", "final_loss"])
    assert got == pytest.approx(expected, rel=1e-9)
    assert len(at.get("plotly_chart")) == 2


def test_bad_schedule_option_is_readable(at):
    at.selectbox(key="sd_family").select("wsd").run()
    at.text_input(key="sd_wsd_extra").input('{"decay_fraction": 7}').run()
    assert not at.exception
    assert any("invalid schedule" in e for e in errors(at))
    at.text_input(key="sd_wsd_extra").input("{}").run()
    assert_clean(at)
