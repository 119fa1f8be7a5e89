"""Data: bundled curves, uploads (through lawfit.io), the run table and the loss curves."""

import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Data")

# -- sources -------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Bundled curves")
    st.caption("Official Multi-Power-Law curves (MIT): 9 schedules per model size.")
    size = st.selectbox("Model size", _state.BUNDLED_SIZES, index=2, key="bundled_size")
    if st.button("Load bundled curves", key="load_bundled"):
        with _state.guard("could not load the bundled curves"):
            _state.add_dataset(f"bundled MPL {size}", _state.load_bundled(size))
            st.toast(f"loaded bundled MPL {size}")

with right:
    st.subheader("Upload logs")
    st.caption(
        "CSV / Parquet / JSONL tables, W&B CSV exports, `trainer_state.json`, text logs; or a "
        "whole folder (TensorBoard, MLflow file store). Parsed by `lawfit.io`; pickles are "
        f"never loaded. Limit {_state.MAX_UPLOAD_MB} MB per file."
    )
    files = st.file_uploader("Files", accept_multiple_files=True, key="upload_files",
                             max_upload_size=_state.MAX_UPLOAD_MB)
    folder = st.file_uploader("…or a folder", accept_multiple_files="directory",
                              key="upload_folder", max_upload_size=_state.MAX_UPLOAD_MB)
    if st.button("Import uploads", key="import_upload", disabled=not (files or folder)):
        if _state.require("io", "read", what="Importing logs"):
            for group, label in ((files, "files"), (folder, "folder")):
                if not group:
                    continue
                names = ", ".join(f.name for f in group[:3]) + ("…" if len(group) > 3 else "")
                with _state.guard(f"could not import {label} {names}"):
                    runs = _state.parse_upload([(f.name, f.getvalue()) for f in group])
                    _state.add_dataset(f"upload: {names}", runs)
                    st.success(f"imported {len(runs)} runs from {names}")

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
st.dataframe(table, hide_index=True, key="runs_table")

# -- curves ---------------------------------------------------------------------------------
@st.fragment
def curves(runs) -> None:
    """Run/metric pickers, axis toggles, the figure and the export: a fragment, so changing any
    of them reruns only this part of the page (figures are thinned to
    ``lawfit.plot.DISPLAY_MAX_POINTS`` points per trace for display)."""
    st.subheader("Curves")
    c1, c2 = st.columns([3, 2])
    picked = c1.multiselect("Runs", runs.ids, default=list(runs.ids[:9]), key="data_runs")
    metrics = c2.multiselect("Metrics", runs.metrics, default=list(runs.metrics[:1]),
                             key="data_metrics")
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
