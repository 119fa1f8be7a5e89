"""The explorer shows what was just done: the newest fit on every page (named there), its
quality badge, extrapolation warnings next to the plot, train and held-out runs disjoint, the
sidebar counters current; uploads with lawfit.io options, binary files named."""

import sys
from types import SimpleNamespace as NS

import numpy as np
import pytest
from app_helpers import APPS, assert_clean, new_app, packed, page, tiny_runs

from lawfit.runs import Run, RunSet

if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))


def long_run() -> Run:
    """A constant-LR run twice as long as the tiny runs (predicting it extrapolates)."""
    t = np.arange(1, 801)
    lr = np.full(800, 1e-3)
    loss = 2.5 + 0.8 * (np.cumsum(lr) / 0.4 * 4 + 0.1) ** -0.5
    keep = (t - 1) % 10 == 0
    return Run("tiny_long", lr=lr, metrics={"loss": ((t - 1)[keep], loss[keep])})


def fit_once(at, train, starts=2):
    at.multiselect(key="train_runs").set_value(train).run()
    at.number_input(key="num_starts").set_value(starts)
    at.button(key="fit").click().run()
    assert_clean(at)


@pytest.fixture(scope="module")
def two_fits():
    runs = RunSet(list(tiny_runs()) + [long_run()])
    at = new_app(_defaults_loaded=True, datasets={"tiny": packed(runs)})
    at.run()
    page(at, "fit")
    fit_once(at, ["tiny_const", "tiny_decay"])
    first = at.selectbox(key="fit_choice").value
    fit_once(at, ["tiny_const"])
    return at, first


def test_the_newest_fit_is_shown_on_every_page(two_fits):
    at, first = two_fits
    names = list(at.session_state["fits"])
    assert len(names) == 2 and names[0] == first and first.startswith("#1 ")
    newest = names[1]
    assert newest.startswith("#2 ") and newest.endswith("on tiny_const")
    assert at.selectbox(key="fit_choice").value == newest
    # the sidebar counter counts the fit just made (it is drawn after the page)
    assert any("2 fits" in c.value and newest in c.value for c in at.sidebar.caption)
    for name, key in (("predict", "predict_fit"), ("optimize", "opt_fit")):
        page(at, name)
        assert_clean(at)
        assert at.selectbox(key=key).value == newest, name
    # picking the older fit makes it the current one everywhere; a new fit takes over again
    at.selectbox(key="opt_fit").select(first).run()
    page(at, "predict")
    assert at.selectbox(key="predict_fit").value == first
    page(at, "fit")
    assert at.selectbox(key="fit_choice").value == first


def test_train_and_heldout_are_disjoint_and_extrapolation_is_flagged(two_fits):
    at, _ = two_fits
    page(at, "fit")
    train = at.multiselect(key="train_runs").value
    held = at.multiselect(key="heldout_runs")
    assert not set(train) & set(held.options)
    assert set(held.options) | set(train) == {"tiny_const", "tiny_decay", "tiny_warm", "tiny_long"}
    # the newest fit holds tiny_long out: predicting its 800 steps extrapolates a 400-step fit
    fit_once(at, ["tiny_const"])
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("tiny_long: ") and "extrapolation" in w for w in warnings), warnings


def test_fit_badge():
    """The badge is the engine's verdict (FitResult.status) with its coded warnings."""
    import _fitpick

    assert _fitpick.fit_badge(NS(status="ok", warnings=())) == ("ok", "Converged")
    level, text = _fitpick.fit_badge(NS(status="doubtful", warnings=("[law_diagnostics] trend violated",)))
    assert level == "doubtful" and "trend violated" in text
    level, text = _fitpick.fit_badge(NS(status="unusable", warnings=("[not_identified] C = 1 +/- inf",)))
    assert level == "doubtful" and text.startswith("Unusable fit") and "not_identified" in text
    assert _fitpick.fit_badge(NS(status="not_converged", warnings=()))[0] == "bad"


UPLOAD = """
import sys
sys.path.insert(0, {apps!r})
import streamlit as st
import _state
with _state.guard("could not import"):
    runs = _state.parse_upload(st.session_state["files"], st.session_state["options"])
    st.session_state["lr"] = runs[0].lr
    st.session_state["meta"] = dict(runs[0].meta)
"""


def run_upload(files, options):
    from app_helpers import TIMEOUT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(UPLOAD.format(apps=str(APPS)), default_timeout=TIMEOUT)
    at.session_state["files"] = files
    at.session_state["options"] = options
    at.run()
    return at


LATE = b"step,lr,loss\n100,0.001,3.0\n200,0.001,2.9\n300,0.0005,2.8\n"


def test_late_logged_lr_imports_by_default_and_hold_is_an_option():
    """lawfit.io infers the LR before its first logged value (recorded in the run's meta, as a
    warning, never silently); "hold" holds the first logged value instead."""
    at = run_upload([("late.csv", LATE)], {})
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error]
    inferred = at.session_state["meta"]["inferred"]
    assert inferred and all({"what", "from"} <= set(item) for item in inferred), inferred
    at = run_upload([("late.csv", LATE)], {"lr_extrapolate": "hold"})
    assert_clean(at)
    lr = at.session_state["lr"]
    assert lr.size == 301 and lr[0] == 0.001 and lr[300] == 0.0005  # held before step 100
    assert at.session_state["meta"]["lr_extrapolated"] == [[0, 99]]


def test_a_png_renamed_csv_is_named_as_an_image():
    at = run_upload([("plot.csv", b"\x89PNG\r\n\x1a\n\x00\x00")], {})
    (msg,) = [e.value for e in at.error]
    assert "plot.csv" in msg and "PNG image" in msg and "encoding" not in msg
