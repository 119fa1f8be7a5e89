"""Proxy training page: a tiny run trains in a separate process, shows progress, finishes and
joins the session's data; cancel stops a run; bad settings are readable errors."""

import time

from app_helpers import assert_clean, errors, page, tiny_app


def configure(at, steps=20, name="t"):
    at.text_input(key="px_name").input(name)
    at.number_input(key="px_steps").set_value(steps)
    at.number_input(key="px_width").set_value(8)
    at.number_input(key="px_depth").set_value(1)
    at.number_input(key="px_heads").set_value(1)
    at.number_input(key="px_context").set_value(8)
    at.number_input(key="px_batch").set_value(2)
    at.number_input(key="px_eval").set_value(5)
    at.selectbox(key="px_family").select("constant")
    at.run()


def jobs_of(at):
    import _proxy_jobs

    return _proxy_jobs.registry().jobs(at.session_state["_session_key"])


def test_tiny_run_trains_in_a_subprocess_and_joins_the_data():
    at = tiny_app()
    at.run()
    page(at, "proxy")
    assert_clean(at)
    configure(at)
    at.button(key="px_start").click().run()
    assert_clean(at)
    (job,) = jobs_of(at)
    assert job.proc.pid != __import__("os").getpid()
    deadline = time.monotonic() + 400
    while job.running and time.monotonic() < deadline:
        time.sleep(2)
    assert job.returncode == 0, job.log_tail()
    at.run()
    assert_clean(at)
    ds = at.session_state["datasets"]
    (name,) = [n for n in ds if n.startswith("proxy ")]
    (run,) = ds[name]
    assert run["run_id"] == "t" and run["lr"].size == 20
    assert "loss" in run["metrics"]
    assert len(at.get("plotly_chart")) == 1
    # ... and can be fitted at once on the Fit page
    page(at, "fit")
    at.multiselect(key="train_runs").set_value(["t"])
    at.multiselect(key="heldout_runs").set_value([])
    at.number_input(key="num_starts").set_value(2)
    at.button(key="fit").click().run()
    assert not at.exception
    assert not errors(at), errors(at)
    (fit,) = at.session_state["fits"].values()
    assert fit["run_ids"] == ["t"]


def test_cancel_stops_the_process():
    at = tiny_app()
    at.run()
    page(at, "proxy")
    configure(at, steps=5000, name="long")
    at.button(key="px_start").click().run()
    (job,) = jobs_of(at)
    assert job.running
    at.button(key=f"px_cancel::{job.job_id}").click().run()
    assert not job.running and job.stopped_reason == "cancelled"
    assert_clean(at)


def test_session_end_stops_its_processes():
    import gc

    at = tiny_app()
    at.run()
    page(at, "proxy")
    configure(at, steps=5000, name="orphan")
    at.button(key="px_start").click().run()
    (job,) = jobs_of(at)
    assert job.running
    del at
    gc.collect()
    assert not job.running and job.stopped_reason == "session ended"


def test_bad_sweep_settings_are_readable():
    at = tiny_app()
    at.run()
    page(at, "proxy")
    at.text_input(key="px_peaks").input("0.01, lots").run()
    at.button(key="px_start").click().run()
    assert not at.exception
    assert any("peak LRs must be numbers" in e for e in errors(at))
    assert not jobs_of(at)
