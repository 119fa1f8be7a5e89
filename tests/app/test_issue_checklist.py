"""The explorer issue's bullets not covered by the per-page main paths: LR on the secondary axis,
folder uploads and the upload size limit, prediction bands and the parameter table with
uncertainty, the schedule designer for every family, spec download, the proxy wall-time bound,
and the progress bar while a run trains."""

import base64
import json
import sys
import time

import numpy as np
import pytest
from app_helpers import APPS, TIMEOUT, assert_clean, frame, page, tiny_app

import lawfit

if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))


def arr(trace: dict, k: str) -> np.ndarray:
    """A trace's array from the figure JSON (plotly writes numpy arrays as base64 typed arrays)."""
    v = trace[k]
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).astype(np.float64)
    return np.asarray(v, dtype=np.float64)


def chart_specs(at) -> dict[str, dict]:
    """Each plotly chart's figure JSON, by widget key (the element id ends with the key)."""
    out = {}
    for c in at.get("plotly_chart"):
        key = c.proto.id.rsplit("-", 1)[-1]
        out[key] = json.loads(c.proto.spec)
    return out


# -- Data page ------------------------------------------------------------------------------
def test_lr_is_drawn_on_the_secondary_axis(app):
    fig = chart_specs(app)["data_curves"]
    lr = [t for t in fig["data"] if t["name"].endswith("· LR")]
    loss = [t for t in fig["data"] if not t["name"].endswith("· LR")]
    assert len(lr) == len(loss) == 8
    assert {t.get("yaxis") for t in lr} == {"y2"} and {t.get("yaxis", "y") for t in loss} == {"y"}
    assert fig["layout"]["yaxis2"]["title"]["text"] == "learning rate"
    assert fig["layout"]["yaxis2"]["overlaying"] == "y"
    # the LR drawn is the run's own per-step array, thinned for display (first and last kept)
    from lawfit.datasets import proxy_runs
    from lawfit.plot import DISPLAY_MAX_POINTS

    run = proxy_runs("w64")[lr[0]["name"].split(" · ")[0]]
    x, y = arr(lr[0], "x"), arr(lr[0], "y")
    assert x.size <= DISPLAY_MAX_POINTS < run.lr.size
    assert x[0] == 0 and x[-1] == run.lr.size - 1
    np.testing.assert_array_equal(y, run.lr[x.astype(int)])
    app.checkbox(key="show_lr").uncheck().run()
    assert_clean(app)
    fig = chart_specs(app)["data_curves"]
    assert not [t for t in fig["data"] if t["name"].endswith("· LR")]
    assert "yaxis2" not in fig["layout"]


def test_log_axes_reach_the_figure(app):
    app.checkbox(key="log_x").check().run()
    app.checkbox(key="log_y").check().run()
    lay = chart_specs(app)["data_curves"]["layout"]
    assert lay["xaxis"]["type"] == "log" and lay["yaxis"]["type"] == "log"


FOLDER_SCRIPT = """
import sys
sys.path.insert(0, {apps!r})
import streamlit as st
import _state
with _state.guard("could not import folder"):
    runs = _state.parse_upload(st.session_state["files"])
    st.session_state["ids"] = list(runs.ids)
    st.session_state["lrs"] = {{r.run_id: r.lr for r in runs}}
"""


def run_handler(files, **state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(FOLDER_SCRIPT.format(apps=str(APPS)), default_timeout=TIMEOUT)
    at.session_state["files"] = files
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    return at


def test_folder_upload_reads_every_file_of_the_folder(tmp_path):
    from app_helpers import tiny_runs

    files = []
    for r in tiny_runs().select(["tiny_const", "tiny_decay"]):
        obs = r.observed("loss")
        rows = "".join(f"{s},{float(r.lr[s])!r},{float(v)!r}\n" for s, v in zip(obs.steps, obs.values, strict=True))
        files.append((f"logs/{r.run_id}.csv", ("step,lr,loss\n" + rows).encode()))
    at = run_handler(files)
    assert_clean(at)
    assert at.session_state["ids"] == ["tiny_const", "tiny_decay"]
    lr = at.session_state["lrs"]["tiny_const"]
    assert lr.size == 391 and np.all(lr == 1e-3)  # the LR column at the logged steps 0..390


def test_upload_size_limit_is_a_readable_error():
    import _state

    big = b"step,lr,loss\n" + b"0" * (_state.MAX_UPLOAD_MB * 2**20)
    at = run_handler([("big.csv", big)])
    assert not at.exception
    (msg,) = [e.value for e in at.error]
    assert "big.csv" in msg and f"the limit is {_state.MAX_UPLOAD_MB} MB per file" in msg
    assert "_session_dir" not in at.session_state  # refused before anything was written

    at = run_handler([("ok.csv", b"step,lr,loss\n0,0.1,3.0\n1,0.1,2.9\n2,0.1,2.8\n")])
    assert_clean(at)


def test_upload_limit_is_the_server_limit():
    import tomllib

    import _state

    cfg = tomllib.loads((APPS / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] == _state.MAX_UPLOAD_MB


# -- Fit page: bands and the parameter table with uncertainty -------------------------------
@pytest.fixture(scope="module")
def boot_fit():
    at = tiny_app()
    at.run()
    page(at, "fit")
    at.multiselect(key="train_runs").set_value(["tiny_const", "tiny_decay"])
    at.multiselect(key="heldout_runs").set_value(["tiny_warm"])
    at.number_input(key="num_starts").set_value(2)
    at.number_input(key="n_boot").set_value(8)
    at.button(key="fit").click().run()
    return at


def test_fit_runs_in_a_status_with_bands_and_stderr(boot_fit):
    at = boot_fit
    assert_clean(at)
    (d,) = at.session_state["fits"].values()
    res = lawfit.load_fit(d)
    assert res.draws is not None and len(next(iter(res.draws.values()))) == 8
    labels = [b.label for b in at.get("status")]
    assert len(labels) == 1 and labels[0].startswith("Fit finished"), labels
    fig = chart_specs(at)["fit_plot"]
    bands = [t for t in fig["data"] if t.get("fill") == "tonexty"]
    assert {t["name"] for t in bands} == {f"{r} band" for r in ("tiny_const", "tiny_decay", "tiny_warm")}
    # grouped by run: one legend entry per run (points, curve and band share its group)
    shown = [t for t in fig["data"] if t.get("showlegend", True)]
    assert sorted(t["legendgroup"] for t in shown) == ["tiny_const", "tiny_decay", "tiny_warm"]
    params = frame(at, "parameter").set_index("parameter")
    assert list(params.index) == list(res.law.param_names)
    for k, v in res.stderr.items():
        got = params.loc[k, "stderr"]
        assert (np.isnan(v) and np.isnan(got)) or got == pytest.approx(v, rel=1e-12)
    assert any("95%" in c.value or "interval" in c.value.lower() for c in at.code)


def test_fit_bands_are_the_bootstrap_quantiles(boot_fit):
    """The drawn band is lawfit's 90% band (5% and 95% quantiles over the draws)."""
    (d,) = boot_fit.session_state["fits"].values()
    res = lawfit.load_fit(d)
    fig = chart_specs(boot_fit)["fit_plot"]
    by = {t["name"]: t for t in fig["data"]}
    from app_helpers import tiny_runs

    run = tiny_runs()["tiny_decay"]
    center = next(t for t in fig["data"] if t["name"] == "tiny_decay" and t["mode"] == "lines")
    steps = arr(center, "x").astype(int)
    c, lo, hi = res.predict(run, steps, band=0.9)
    np.testing.assert_allclose(arr(by["tiny_decay lower"], "y"), lo, rtol=1e-12)
    np.testing.assert_allclose(arr(by["tiny_decay band"], "y"), hi, rtol=1e-12)
    np.testing.assert_allclose(arr(center, "y"), c, rtol=1e-12)
    assert np.all(lo <= hi) and np.any(hi > lo)


# -- Predict page: every family of the designer ---------------------------------------------
def test_designer_draws_every_family(boot_fit):
    import _designer

    at = boot_fit
    page(at, "predict")
    assert_clean(at)
    fams = _designer.families()
    assert {"wsd", "cosine", "constant", "linear", "inverse_sqrt"} <= set(fams)
    for fam in fams:
        at.selectbox(key="sd_family").select(fam).run()
        assert not at.exception, (fam, [e.value for e in at.exception])
        assert not at.error, (fam, [e.value for e in at.error])
        (spec,) = [c.value for c in at.caption if c.value.startswith("Spec: ")]
        assert spec.startswith(f"Spec: family = {fam} ·"), spec
        lr = chart_specs(at)["designer_plot"]["data"][0]
        assert lr["name"] == "designed"
    at.selectbox(key="sd_family").select("cosine").run()
    at.button(key="add_schedule").click().run()
    assert_clean(at)
    # several schedules at once, each with its bootstrap band (the fit has draws)
    at.selectbox(key="sd_family").select("constant").run()
    at.button(key="add_schedule").click().run()
    fig = chart_specs(at)["compare_plot"]
    bands = {t["name"] for t in fig["data"] if t.get("fill") == "tonexty"}
    assert bands == {f"{n} band" for n in at.session_state["compare_specs"]} and len(bands) == 2
    (dl,) = [b for b in at.get("download_button") if b.proto.id.endswith("download_specs")]
    assert dl.proto.url.endswith(".json") and "specs" in dl.proto.label


# -- Proxy: bounded processes and progress --------------------------------------------------
def test_wall_time_limit_stops_a_job(tmp_path):
    import sys

    import _proxy_jobs

    reg = _proxy_jobs.JobRegistry()
    job = reg.start("s-test", "sleepy", [sys.executable, "-c", "import time; time.sleep(60)"],
                    tmp_path / "job", max_wall_s=1.0)
    deadline = time.monotonic() + 30
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not job.running
    assert job.stopped_reason == "wall-time limit of 1 s reached"
    reg.stop_all()


def test_progress_bar_while_training():
    from test_proxy_page import configure, jobs_of

    at = tiny_app()
    at.run()
    page(at, "proxy")
    configure(at, steps=5000, name="slow")
    at.button(key="px_start").click().run()
    (job,) = jobs_of(at)
    assert job.running
    bars = at.get("progress")
    assert bars and "step" in str(bars[0].proto)
    job.stop("cancelled")
