"""Data: a start-here panel, bundled curves, uploads (through lawfit.io, with its options, one
file at a time, every failure listed), joining a cooldown to its base run, the run table and the
loss curves (newly imported runs are drawn at once)."""

import json

import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Data")
ss = st.session_state

with st.container(border=True):
    st.markdown(
        "**Start here.** ① Runs to work on: the bundled curves are already loaded below, or "
        "upload your own logs (CSV `step,lr,loss`, W&B exports, `trainer_state.json`, TensorBoard, "
        "MLflow, text logs). ② **Fit** a loss law on some runs and hold others out to check its "
        "predictions. ③ **Predict & compare** schedules under the fit, or **Optimize** the "
        "schedule. The page **CPT & mixtures** plans continual pre-training and data mixtures."
    )
    l1, l2, l3, l4 = st.columns(4)
    l1.page_link("app_pages/fit.py", label="② Fit a law")
    l2.page_link("app_pages/predict.py", label="③ Predict & compare")
    l3.page_link("app_pages/optimize.py", label="③ Optimize the schedule")
    l4.page_link("app_pages/cpt.py", label="CPT & mixtures")


def show_new_runs(ids) -> None:
    """Add newly imported runs to the runs drawn below."""
    picked = list(ss.get("data_runs", []))
    ss["data_runs"] = picked + [i for i in ids if i not in picked]


def add_and_show(name: str, runs) -> None:
    """Add ``runs`` to the session as dataset ``name`` and draw them below (their ids as the
    session prefixes them)."""
    _state.add_dataset(name, runs)
    show_new_runs(_state.all_runs().ids[-len(runs):])


# -- sources -------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Bundled proxy curves")
    st.caption("lawfit's own small proxy runs (offline, see data/README.md): constant, cosine, "
               "WSD, 8-1-1 and two-stage schedules at three model widths.")
    psize = st.selectbox("Proxy model", _state.PROXY_SIZES, index=2, key="proxy_size")
    if st.button("Load bundled proxy curves", key="load_proxy"):
        with _state.guard("could not load the bundled proxy curves"):
            proxy = _state.load_proxy(psize)
            add_and_show(f"bundled proxy {psize}", proxy)
            st.toast(f"loaded bundled proxy {psize}")
    st.subheader("Public datasets")
    st.caption("Official Multi-Power-Law curves (MIT, Luo et al.): 9 schedules per model size, "
               "downloaded on first use by lawfit.datasets and cached.")
    size = st.selectbox("Model size", _state.BUNDLED_SIZES, index=2, key="bundled_size")
    if st.button("Download MPL curves", key="load_bundled"):
        with _state.guard("could not load the MPL curves"):
            bar = st.progress(0.0, text=f"MPL {size}: fetching")

            def downloaded(done: int, total: int) -> None:
                bar.progress(min(done / total, 1.0) if total else 0.0,
                             text=f"MPL {size}: downloading ({done:,} of {total:,} bytes)")

            bundled = _state.load_bundled(size, progress=downloaded)
            bar.progress(1.0, text=f"MPL {size}: ready")
            add_and_show(f"bundled MPL {size}", bundled)
            st.toast(f"loaded MPL {size}")

#: lawfit.io.read option names -> where they are in this page's "Import options".
OPTION_LABELS = {
    "lr_extrapolate='hold'": "Import options › LR before the first / after the last logged value "
                             "› hold",
    "schedule=<spec>": "Import options › exact schedule",
    "require_lr=False": "Import options › import runs without an LR",
    "duplicates=": "Import options › repeated steps",
    "encoding=": "re-save the file as UTF-8",
}


def hint(message: str) -> str:
    """Where the options an importer error names are found on this page."""
    where = [v for k, v in OPTION_LABELS.items() if k in message]
    return message + (" → on this page: " + "; ".join(where) if where else "")


def import_options() -> dict:
    """lawfit.io.read options from the "Import options" widgets (parsing only)."""
    with st.expander("Import options (sparse or late-logged LR, schedules, columns, units)"):
        o1, o2 = st.columns(2)
        extra = o1.selectbox(
            "LR before the first / after the last logged value", ["refuse", "hold"],
            key="opt_lr_extrapolate",
            help="refuse: a run whose LR log starts late is an error. hold: repeat the nearest "
            "logged LR (recorded in the run's metadata)")
        interp = o2.selectbox("LR between logged points", ["linear", "previous"],
                              key="opt_lr_interpolation")
        spec_text = o1.text_input(
            "Exact schedule (JSON spec, optional)", "", key="opt_schedule",
            help='e.g. {"family": "cosine", "peak_value": 3e-4, "total_steps": 24000, '
            '"warmup_steps": 500}: the per-step LR, checked against any logged LR points')
        dup = o2.selectbox("Repeated steps (resumed runs)", ["error", "last", "first", "mean"],
                           key="opt_duplicates")
        ignore = o1.text_input("Ignore columns (comma separated)", "", key="opt_ignore")
        no_lr = o2.checkbox("Import runs without an LR (they can be plotted, not fitted)",
                            key="opt_no_lr")
        unit = o1.selectbox("x axis unit of the logs", ["step", "samples", "tokens"],
                            key="opt_step_unit")
        per_step = o2.number_input(f"{unit} per optimizer step", 1, value=1, key="opt_per_step",
                                   disabled=unit == "step")
    opts: dict = {}
    if extra == "hold":
        opts["lr_extrapolate"] = "hold"
    if interp != "linear":
        opts["lr_interpolation"] = interp
    if spec_text.strip():
        try:
            opts["schedule"] = json.loads(spec_text)
        except json.JSONDecodeError as e:
            raise ValueError(f"exact schedule: {spec_text!r} is not valid JSON ({e})") from None
    if dup != "error":
        opts["duplicates"] = dup
    cols = [c.strip() for c in ignore.split(",") if c.strip()]
    if cols:
        opts["ignore_columns"] = cols
    if no_lr:
        opts["require_lr"] = False
    if unit != "step":
        opts["step_unit"] = unit
        opts[f"{unit}_per_step"] = int(per_step)
    return opts


with right:
    st.subheader("Upload logs")
    st.caption(
        "CSV / Parquet / JSONL tables, W&B CSV exports, `trainer_state.json`, text logs; or a "
        "whole folder (TensorBoard, MLflow file store). Parsed by `lawfit.io`, each file on its "
        f"own; pickles are never loaded. Limit {_state.MAX_UPLOAD_MB} MB per file."
    )
    gen = ss.setdefault("upload_gen", 0)  # a new uploader after each import: files never pile up
    files = st.file_uploader("Files", accept_multiple_files=True, key=f"upload_files_{gen}",
                             max_upload_size=_state.MAX_UPLOAD_MB)
    folder = st.file_uploader("…or a folder", accept_multiple_files="directory",
                              key=f"upload_folder_{gen}", max_upload_size=_state.MAX_UPLOAD_MB)
    options = None
    with _state.guard("invalid import options"):
        options = import_options()
    if st.button("Import uploads", key="import_upload",
                 disabled=not (files or folder) or options is None):
        groups = [[f] for f in files or []] + ([list(folder)] if folder else [])
        done, failed, imported = [], [], []
        for group in groups:
            label = group[0].name if len(group) == 1 else f"folder ({len(group)} files)"
            try:
                runs = _state.parse_upload([(f.name, f.getvalue()) for f in group], options)
                imported.append((label, runs))
                done.append(f"{label} ({len(runs)} run{'s' * (len(runs) != 1)})")
            except Exception as exc:  # noqa: BLE001 - every failure is listed, none blocks
                failed.append(f"**{label}**: {hint(_state.describe(exc))}")
        # the files of one import form one dataset (held-out runs default to their dataset);
        # files whose run ids clash keep a dataset each
        ids = [i for _, runs in imported for i in runs.ids]
        together = len(ids) == len(set(ids)) and len(imported) > 1
        batches = ([(", ".join(lab for lab, _ in imported),
                     type(imported[0][1])([r for _, rs in imported for r in rs]))]
                   if together else imported)
        for label, runs in batches:
            add_and_show(f"upload: {label}", runs)
        ss["import_report"] = {"done": done, "failed": failed}
        ss["upload_gen"] = gen + 1
        st.rerun()
    report = ss.pop("import_report", None)
    if report:
        if report["done"]:
            n = sum(int(d.rsplit("(", 1)[1].split()[0]) for d in report["done"])
            st.success(f"imported {n} run{'s' * (n != 1)}: " + ", ".join(report["done"]))
        if report["failed"]:
            st.error(f"{len(report['failed'])} upload(s) failed (the others were imported):\n\n"
                     + "\n".join(f"* {m}" for m in report["failed"]))

# -- loaded datasets ------------------------------------------------------------------------
st.subheader("Loaded in this session")
for name in _state.dataset_names():
    c1, c2 = st.columns([6, 1])
    c1.write(f"**{name}**: {len(_state.dataset(name))} runs")
    if c2.button("Remove", key=f"remove::{name}"):
        _state.remove_dataset(name)
        st.rerun()

runs = _state.all_runs()
if len(runs) == 0:
    st.info("No runs loaded: load the bundled curves or upload logs.")
    st.stop()

table = pd.DataFrame(
    [
        {
            "run": r.run_id,
            "steps (LR)": r.total_steps,
            "LR source": r.lr_source,
            "metrics": ", ".join(f"{k} [{len(v.steps)}]" for k, v in r.metrics.items()),
            **{k: (v if isinstance(v, int | float | str | bool) else str(v))
               for k, v in r.meta.items()},
        }
        for r in runs
    ]
)
big = [c for c in table.columns
       if table[c].dtype.kind in "if" and table[c].abs().max() >= 1e6]  # N, tokens: 340M, 1.2B
st.dataframe(table, hide_index=True, key="runs_table",
             column_config={c: st.column_config.NumberColumn(c, format="compact") for c in big})

with st.expander("Join a cooldown branch to its base run"):
    st.caption("A cooldown started from a checkpoint of a base run at a global step becomes one "
               "run: the base's points before that step, the branch's from it on "
               "(`lawfit.io.join_branch`).")
    j1, j2, j3 = st.columns(3)
    base_id = j1.selectbox("Base run", runs.ids, key="join_base")
    branch_id = j2.selectbox("Cooldown branch", runs.ids, key="join_branch",
                             index=min(1, len(runs) - 1))
    at_step = j3.number_input("Branch starts at step", 1, value=1, key="join_at")
    if st.button("Join", key="join_runs"):
        with _state.guard(f"could not join {branch_id!r} to {base_id!r}"):
            import lawfit.io

            if base_id == branch_id:
                raise ValueError("pick two different runs")
            joined = lawfit.io.join_branch(runs[base_id], runs[branch_id], at_step=int(at_step))
            _state.add_dataset(f"joined: {joined.run_id}", type(runs)([joined]))
            show_new_runs([joined.run_id])
            st.rerun()


# -- curves ---------------------------------------------------------------------------------
@st.fragment
def curves(runs) -> None:
    """Run/metric pickers, axis toggles, the figure and the export: a fragment, so changing any
    of them reruns only this part of the page (figures are thinned to
    ``lawfit.plot.DISPLAY_MAX_POINTS`` points per trace for display)."""
    st.subheader("Curves")
    if "data_runs" not in ss:
        ss["data_runs"] = list(runs.ids[:9])
    ss["data_runs"] = [i for i in ss["data_runs"] if i in runs]
    if "data_metrics" in ss:
        ss["data_metrics"] = [m for m in ss["data_metrics"] if m in runs.metrics]
    else:
        ss["data_metrics"] = list(runs.metrics[:1])
    c1, c2 = st.columns([3, 2])
    picked = c1.multiselect("Runs", runs.ids, key="data_runs")
    metrics = c2.multiselect("Metrics", runs.metrics, key="data_metrics")
    o1, o2, o3 = st.columns(3)
    log_x = o1.checkbox("log x", key="log_x")
    log_y = o2.checkbox("log y", key="log_y")
    show_lr = o3.checkbox("LR on secondary axis", value=True, key="show_lr")
    if picked and metrics:
        with _state.guard("could not draw the curves"):
            fig = lplot.loss_curves(runs.select(picked), metric=metrics, show_lr=show_lr,
                                    log_x=log_x, log_y=log_y)
            st.plotly_chart(fig, key="data_curves")
    else:
        st.info("Pick at least one run and one metric.")

    if _state.have("io", "write") and picked:
        selected, folder = runs.select(picked), _state.session_dir()
        # a callable: the (large) CSV is written only when the button is clicked, never on reruns
        st.download_button("Download selected runs (CSV)",
                           lambda: _state.export_csv(selected, folder),
                           file_name="runs.csv", mime="text/csv", key="download_runs")


curves(runs)
