"""Data page: bundled curves, curves figure, dataset management, uploads and their errors."""

import gc
import os

import numpy as np
from app_helpers import ENTRY, TIMEOUT, assert_clean, new_app, packed, page

from lawfit.datasets import PROXY_RUNS
from lawfit.runs import Run, RunSet


def test_opens_on_bundled_proxy_curves(app):
    assert_clean(app)
    assert [t.value for t in app.title] == ["Data"]
    ds = app.session_state["datasets"]
    assert list(ds) == ["bundled proxy w64"]
    assert [d["run_id"] for d in ds["bundled proxy w64"]] == list(PROXY_RUNS)
    assert len(app.get("plotly_chart")) == 1
    # the run table lists every run
    table = app.dataframe[0].value
    assert list(table["run"]) == list(PROXY_RUNS)


def test_log_axes_and_metric_selection(app):
    app.checkbox(key="log_x").check().run()
    app.checkbox(key="log_y").check().run()
    app.checkbox(key="show_lr").uncheck().run()
    assert_clean(app)
    app.multiselect(key="data_runs").set_value(["cosine_4000"]).run()
    assert_clean(app)
    assert len(app.get("plotly_chart")) == 1
    app.multiselect(key="data_runs").set_value([]).run()
    assert_clean(app)
    assert len(app.get("plotly_chart")) == 0
    assert any("Pick at least one run" in i.value for i in app.info)


def test_second_bundled_set_gets_prefixed_ids(app):
    for size in ("25M", "100M"):
        app.selectbox(key="bundled_size").select(size).run()
        app.button(key="load_bundled").click().run()
    assert_clean(app)
    names = ["bundled proxy w64", "bundled MPL 25M", "bundled MPL 100M"]
    assert list(app.session_state["datasets"]) == names
    ids = list(app.dataframe[0].value["run"])
    assert len(ids) == 8 + 18 and "bundled MPL 100M/constant_24000" in ids
    app.button(key="remove::bundled proxy w64").click().run()
    assert_clean(app)
    assert list(app.session_state["datasets"]) == names[1:]


def test_other_bundled_proxy_widths_load_offline(app):
    from lawfit.datasets import PROXY_RUNS

    app.selectbox(key="proxy_size").select("w32").run()
    app.button(key="load_proxy").click().run()
    assert_clean(app)
    assert list(app.session_state["datasets"]) == ["bundled proxy w64", "bundled proxy w32"]
    ids = list(app.dataframe[0].value["run"])
    assert len(ids) == 2 * len(PROXY_RUNS) and "bundled proxy w32/constant_4000" in ids


def test_sessions_are_isolated():
    a, b = new_app(), new_app()
    a.run()
    b.run()
    a.selectbox(key="bundled_size").select("25M").run()
    a.button(key="load_bundled").click().run()
    b.run()
    assert len(a.session_state["datasets"]) == 2
    assert list(b.session_state["datasets"]) == ["bundled proxy w64"]
    assert a.session_state["_session_dir"] != b.session_state["_session_dir"]
    assert a.session_state["_session_key"] != b.session_state["_session_key"]


def test_session_folder_removed_when_session_ends():
    at = new_app()
    at.run()
    folder = at.session_state["_session_dir"]
    assert os.path.isdir(folder)
    del at
    gc.collect()
    assert not os.path.exists(folder)


def test_every_page_opens(app):
    for name in ("proxy", "fit", "predict", "optimize", "cpt", "data"):
        page(app, name)
        assert not app.exception, (name, [e.value for e in app.exception])


def test_seeded_runs_without_lr_are_listed():
    run = Run("nolr", metrics={"loss": ([1, 2, 3], [3.0, 2.9, 2.8])})
    at = new_app(_defaults_loaded=True, datasets={"mine": packed(RunSet([run]))})
    at.run()
    assert_clean(at)
    assert list(at.dataframe[0].value["run"]) == ["nolr"]


def test_empty_session_says_what_to_do():
    at = new_app(_defaults_loaded=True)
    at.run()
    assert not at.exception
    assert any("No runs loaded" in i.value for i in at.info)


# -- the upload handler (file uploads cannot be driven by AppTest; the browser test does) ------
UPLOAD_SCRIPT = """
import sys
sys.path.insert(0, {apps!r})
import streamlit as st
import _state
files = st.session_state["files"]
with _state.guard("could not import"):
    runs = _state.parse_upload(files)
    st.session_state["ids"] = list(runs.ids)
    st.session_state["lr0"] = runs[0].lr
    st.session_state["folder_files"] = sorted(p.name for p in _state.session_dir().rglob("*"))
"""


def run_upload(files):
    from app_helpers import APPS
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(UPLOAD_SCRIPT.format(apps=str(APPS)), default_timeout=TIMEOUT)
    at.session_state["files"] = files
    at.run()
    return at


def test_upload_refuses_pickles_with_a_readable_error():
    at = run_upload([("runs.pkl", b"\x80\x04K\x01.")])
    assert not at.exception
    (msg,) = [e.value for e in at.error]
    assert "runs.pkl" in msg and "never loaded" in msg


def test_upload_refuses_unsafe_names():
    at = run_upload([("../evil.csv", b"step,lr,loss\n0,0.1,3\n")])
    assert not at.exception
    (msg,) = [e.value for e in at.error]
    assert "unsafe file name" in msg


def test_upload_of_mpl_style_csv_goes_through_lawfit_io():

    steps = np.arange(0, 50)
    lr = np.linspace(1e-3, 1e-4, 50)
    loss = 3.0 + 1.0 / (1.0 + steps)
    csv = "step,lr,loss\n" + "".join(
        f"{s},{float(a)!r},{float(b)!r}\n" for s, a, b in zip(steps, lr, loss, strict=True)
    )
    at = run_upload([("myrun.csv", csv.encode())])
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["ids"] == ["myrun"]
    np.testing.assert_array_equal(at.session_state["lr0"], lr)
    # the uploaded bytes were only in the session folder during the read
    assert at.session_state["folder_files"] == []


def test_upload_of_garbage_shows_which_file():

    at = run_upload([("broken.csv", b"this is not,a table\n\x00\x01")])
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "could not import" in msg and "lawfit-app-" not in msg


def test_entry_point_exists():
    assert os.path.exists(ENTRY)


def test_data_flag_opens_the_given_folder(tmp_path, monkeypatch):
    """``lawfit app --data PATH`` passes PATH as LAWFIT_APP_DATA; the app opens it via lawfit.io."""
    t = np.arange(0, 30)
    (tmp_path / "given.csv").write_text(
        "step,lr,loss\n" + "".join(f"{s},0.001,{3.0 - 0.01 * s}\n" for s in t))
    monkeypatch.setenv("LAWFIT_APP_DATA", str(tmp_path))
    at = new_app()
    at.run()
    assert_clean(at)
    assert list(at.session_state["datasets"]) == [tmp_path.name]
    assert list(at.dataframe[0].value["run"]) == ["given"]


def test_bad_data_flag_is_a_readable_error(monkeypatch):
    monkeypatch.setenv("LAWFIT_APP_DATA", "/nonexistent/logs")
    at = new_app()
    at.run()
    assert not at.exception
    assert any("could not read --data /nonexistent/logs" in e.value for e in at.error)
