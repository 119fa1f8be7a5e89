"""Fit page: a fit on tiny runs (main path), its report, parameters, plots, held-out metrics and
download; readable errors for bad settings; the app keeps working afterwards."""

import json

import pytest
from app_helpers import assert_clean, errors, frame, page, tiny_app

import lawfit


@pytest.fixture(scope="module")
def fitted():
    at = tiny_app()
    at.run()
    page(at, "fit")
    assert_clean(at)
    at.selectbox(key="law").select("mpl")
    at.multiselect(key="train_runs").set_value(["tiny_const"]).run()
    # a run moved out of train is offered as held-out (the default: the rest of its dataset)
    assert at.multiselect(key="heldout_runs").options == ["tiny_decay", "tiny_warm"]
    at.multiselect(key="heldout_runs").set_value(["tiny_decay", "tiny_warm"])
    at.number_input(key="num_starts").set_value(2)
    at.button(key="fit").click().run()
    return at


def test_fit_main_path(fitted):
    at = fitted
    assert_clean(at)
    fits = at.session_state["fits"]
    assert len(fits) == 1
    (d,) = fits.values()
    assert d["law"]["options"]["convention"] == "paper"
    assert d["run_ids"] == ["tiny_const"]
    # the app's numbers are lawfit's: the stored fit reloads and predicts like a direct fit
    res = lawfit.load_fit(d)
    # one constant-LR run cannot identify the MPL loss-drop terms: converged, but unusable
    assert res.n_converged > 0 and res.status == "unusable" and not res.success
    assert len(at.get("plotly_chart")) >= 2  # observed vs fitted, residuals
    report = [c.value for c in at.code]
    assert report and report[0] == res.report()
    held = frame(at, "run_id")  # the held-out metrics
    assert list(held["run_id"]) == ["tiny_decay", "tiny_warm"]
    ev = lawfit.evaluate(res, tiny_runs_selected("tiny_decay", "tiny_warm"))
    assert list(held["r2"]) == pytest.approx([r["r2"] for r in ev["runs"]])


def tiny_runs_selected(*ids):
    from app_helpers import tiny_runs

    return tiny_runs().select(list(ids))


def test_interactions_after_fit_do_not_refit(fitted):
    at = fitted
    at.checkbox(key="fit_log_x").check().run(timeout=60)
    at.checkbox(key="fit_log_y").check().run(timeout=60)
    assert_clean(at)
    assert len(at.session_state["fits"]) == 1


def test_fit_json_round_trip(fitted):
    (d,) = fitted.session_state["fits"].values()
    text = json.dumps(d)
    assert lawfit.load_fit(json.loads(text)).params == lawfit.load_fit(d).params


def test_no_train_runs_is_a_readable_error():
    at = tiny_app()
    at.run()
    page(at, "fit")
    at.multiselect(key="train_runs").set_value([])
    at.button(key="fit").click().run()
    assert not at.exception
    assert any("pick at least one train run" in e for e in errors(at))
    assert at.session_state["fits"] == {}
    # the app keeps working: the Data page still renders
    page(at, "data")
    assert_clean(at)


def test_bad_options_json_is_a_readable_error():
    at = tiny_app()
    at.run()
    page(at, "fit")
    at.text_input(key="law_options").input("{not json")
    at.button(key="fit").click().run()
    assert not at.exception
    (msg,) = errors(at)
    assert "JSON object" in msg


def test_fit_json_reader_round_trip_and_readable_errors(fitted):
    import sys

    from app_helpers import APPS

    if str(APPS) not in sys.path:
        sys.path.insert(0, str(APPS))
    import _fitcache

    (d,) = fitted.session_state["fits"].values()
    res = _fitcache.read_fit_json(json.dumps(d).encode())
    assert res.params == lawfit.load_fit(d).params and res.law == lawfit.load_fit(d).law
    with pytest.raises(ValueError, match="not valid JSON"):
        _fitcache.read_fit_json(b"\x80\x04K\x01.")  # a pickle is never loaded
    with pytest.raises(ValueError, match="not a lawfit fit"):
        _fitcache.read_fit_json(b'{"step": [1, 2]}')
