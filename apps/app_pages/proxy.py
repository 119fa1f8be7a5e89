"""Proxy training: configure small JAX language-model runs (or a sweep over peak LRs and seeds),
train them in a separate process (``lawfit train``), watch progress and live curves, cancel;
finished runs join this session's data and can be fitted at once."""

import json
import sys
import time

import _designer
import _proxy_jobs
import _state
import streamlit as st

import lawfit.plot as lplot

st.title("Proxy training")
if not _state.require("proxy", "read_runs", "RunConfig", what="Proxy training"):
    st.stop()
from lawfit import proxy  # noqa: E402

MAX_STEPS = 20_000
MAX_WALL_S = 3600
MAX_RUNS = 16
session = _state.session_key()
registry = _proxy_jobs.registry()

# -- configuration --------------------------------------------------------------------------
with st.expander("Configure runs", expanded=not registry.jobs(session)):
    c1, c2, c3, c4 = st.columns(4)
    name = c1.text_input("Run name", "proxy", key="px_name")
    steps = int(c2.number_input("Steps", 10, MAX_STEPS, 200, step=10, key="px_steps"))
    optimizer = c3.selectbox("Optimizer", proxy.OPTIMIZERS, key="px_optimizer",
                             help="schedule_free_adamw logs the training loss at y and the "
                             "evaluation loss at the averaged point x")
    wall = int(c4.number_input("Wall-time limit (s)", 10, MAX_WALL_S, 600, key="px_wall"))
    m1, m2, m3, m4, m5 = st.columns(5)
    width = int(m1.number_input("Width", 8, 512, 32, step=8, key="px_width"))
    depth = int(m2.number_input("Depth", 1, 12, 2, key="px_depth"))
    heads = int(m3.number_input("Heads", 1, 16, 2, key="px_heads"))
    context = int(m4.number_input("Context", 8, 1024, 32, step=8, key="px_context"))
    batch = int(m5.number_input("Batch size", 1, 256, 8, key="px_batch"))
    d1, d2, d3, d4 = st.columns(4)
    domains = d1.multiselect("Domains", list(proxy.builtin_domains()), default=["stdlib"],
                             key="px_domains")
    mixture_text = d2.text_input("Mixture weights (comma separated, optional)", "",
                                 key="px_mixture")
    eval_every = int(d3.number_input("Evaluate every", 1, 10_000, 10, key="px_eval"))
    peaks_text = d4.text_input("Sweep: peak LRs (comma separated, optional)", "",
                               key="px_peaks", help="one run per peak LR (and per seed)")
    seeds_text = d4.text_input("Sweep: seeds", "0", key="px_seeds")
    st.markdown("**Schedule**")
    schedule = None
    with _state.guard("invalid schedule"):
        schedule = _designer.design({"total_steps": steps, "peak_value": 3e-3,
                                     "warmup_steps": max(steps // 20, 1)}, prefix="px", ncols=4)
    start = st.button("Start training", type="primary", key="px_start",
                      disabled=schedule is None)


def build_configs() -> list[dict]:
    """The run configs of the form (one per peak LR x seed); only parsing, no maths."""
    def floats(text, what):
        try:
            return [float(x) for x in text.replace(" ", "").split(",") if x]
        except ValueError:
            raise ValueError(f"{what} must be numbers separated by commas, got {text!r}") from None

    peaks = floats(peaks_text, "peak LRs") or [schedule.get("peak_value")]
    seeds = [int(s) for s in floats(seeds_text, "seeds")] or [0]
    mixture = floats(mixture_text, "mixture weights") or None
    if not domains:
        raise ValueError("pick at least one domain")
    if len(peaks) * len(seeds) > MAX_RUNS:
        raise ValueError(f"{len(peaks) * len(seeds)} runs requested; at most {MAX_RUNS} per job")
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"run name {name!r}: use letters, digits, '-' and '_' only")
    cfgs = []
    for p in peaks:
        for s in seeds:
            rid = name if len(peaks) * len(seeds) == 1 else f"{name}_lr{p:g}_s{s}"
            cfgs.append({
                "run_id": rid, "steps": steps, "schedule": {**schedule, "peak_value": p},
                "model": {"width": width, "depth": depth, "heads": heads, "context": context},
                "optimizer": {"name": optimizer}, "batch_size": batch, "domains": list(domains),
                "mixture": mixture, "seed": s, "eval_every": eval_every,
            })
    # let lawfit validate every config now, so mistakes are reported before a process starts
    for c in cfgs:
        proxy.RunConfig.from_dict(c)
    return cfgs


if start:
    with _state.guard("could not start the training"):
        cfgs = build_configs()
        job_id = f"job{len(registry.jobs(session)) + 1}-{int(time.time())}"
        folder = _state.session_dir() / "proxy" / job_id
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "sweep.json"
        config.write_text(json.dumps({"runs": cfgs}))
        argv = [sys.executable, "-c", "from lawfit.cli import main; main()", "train",
                str(config), "--out", str(folder / "runs")]
        registry.start(session, job_id, argv, folder, max_wall_s=wall)
        st.session_state.setdefault("px_meta", {})[job_id] = {
            "runs": [c["run_id"] for c in cfgs], "steps": steps}
        st.toast(f"started {job_id}: {len(cfgs)} run(s)")


# -- live view ------------------------------------------------------------------------------
def read_job_runs(job):
    """Runs written so far by a job (the canonical logs, read by lawfit.proxy)."""
    folder = job.run_dir / "runs"
    runs = []
    for d in sorted(folder.glob("*")) if folder.exists() else []:
        if (d / "log.jsonl").exists():
            try:
                runs.append(proxy.read_run_dir(d))
            except (ValueError, OSError):
                pass  # a run directory still being created
    return runs


def finish(job) -> None:
    """Add a finished job's runs to this session's data (once)."""
    added = st.session_state.setdefault("px_added", [])
    if job.job_id in added:
        return
    added.append(job.job_id)
    if job.returncode == 0:
        with _state.guard(f"could not read the runs of {job.job_id}"):
            runs = proxy.read_runs(job.run_dir / "runs")
            _state.add_dataset(f"proxy {job.job_id}", runs)
            st.toast(f"{job.job_id}: {len(runs)} run(s) added to the Data page")


def fit_runs(ids: list[str]) -> None:
    """Open the Fit page with these runs as the train runs (held out: none)."""
    st.session_state["train_runs"] = [i for i in ids if i in _state.all_runs()]
    st.session_state["heldout_runs"] = []
    st.switch_page("app_pages/fit.py")


jobs = registry.jobs(session)
any_running = any(j.running for j in jobs)


@st.fragment(run_every=1.0 if any_running else None)
def live() -> None:
    jobs = registry.jobs(session)
    if not jobs:
        st.info("No training yet: configure runs above and press **Start training**.")
        return
    for job in reversed(jobs):
        meta = st.session_state.get("px_meta", {}).get(job.job_id, {})
        runs = read_job_runs(job)
        total = meta.get("steps") or 1
        done = max((int(r.metrics[m].steps[-1]) + 1 for r in runs for m in r.metrics
                    if len(r.metrics[m].steps)), default=0)
        with st.container(border=True):
            head, btn = st.columns([5, 1])
            elapsed = time.monotonic() - job.started
            if job.running:
                head.markdown(f"**{job.job_id}** · running · {len(meta.get('runs', []))} run(s)")
                if done == 0:  # nothing logged yet: JAX is compiling the model and the step
                    head.progress(min(elapsed / (elapsed + 30.0), 0.95) * 0.05,
                                  text=f"compiling the model and training step with JAX "
                                  f"(before step 1) · {elapsed:.0f} s")
                else:
                    head.progress(min(done / total, 1.0),
                                  text=f"training: step {done} / {total} · {elapsed:.0f} s")
                if btn.button("Cancel", key=f"px_cancel::{job.job_id}"):
                    job.stop("cancelled")
                    st.rerun()
            else:
                state = ("finished" if job.returncode == 0 and not job.stopped_reason
                         else f"stopped: {job.stopped_reason}" if job.stopped_reason
                         else f"failed (exit code {job.returncode})")
                head.markdown(f"**{job.job_id}** · {state}")
                if job.returncode == 0:
                    head.progress(1.0, text=f"step {done} / {total}")
                    ids = [r.run_id for r in runs]
                    if ids and btn.button("Fit these runs", key=f"px_fit::{job.job_id}"):
                        fit_runs(ids)
                elif not job.stopped_reason:
                    st.error(f"training {job.job_id} failed: " + (job.log_tail(600).strip()
                             .splitlines() or ["no output"])[-1])
            if runs:
                metric = "val_loss" if any("val_loss" in r.metrics for r in runs) else "loss"
                st.plotly_chart(lplot.loss_curves(runs, metric=metric, show_lr=True),
                                key=f"px_plot::{job.job_id}")
    if any_running and not any(j.running for j in jobs):
        st.rerun()  # full rerun: the finished runs join the data, the polling stops


for job in jobs:
    if not job.running:
        finish(job)
live()
