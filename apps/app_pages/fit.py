"""Fit: choose a law and its options, train and held-out runs; fit; report, parameters,
observed vs fitted with bands, residuals, held-out metrics; download / re-upload the fit."""

import json

import _fitcache
import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Fit")
if not _state.require("fitting", "fit", "load_fit", "evaluate", what="Fitting"):
    st.stop()

import lawfit.laws  # noqa: E402

runs = _state.all_runs()
curve_runs = [r.run_id for r in runs if r.lr is not None]
laws = [n for n in lawfit.laws.names() if n in _fitcache.CURVE_LAWS]

# -- settings -------------------------------------------------------------------------------
with st.form("fit_form", border=True):
    c1, c2, c3 = st.columns(3)
    law_name = c1.selectbox("Law", laws or ["(none available)"], key="law")
    convention = c2.selectbox(
        "Convention (Multi-Power Law)", ["paper", "repo"], key="convention",
        help="paper: t = 1 after warmup, η₀ = η_max, plus S_W. repo: the whole per-step array "
        "from step 0 with η₀ = 0 (LAWS.md). Stored with the fit.",
    )
    options_text = c3.text_input("Other law options (JSON)", "{}", key="law_options",
                                 help='e.g. {"lam": 0.999} for the momentum law')
    metric = c1.selectbox("Metric", runs.metrics or ["loss"], key="fit_metric")
    num_starts = c2.number_input("Starts", 1, 512, 16, key="num_starts",
                                 help="multi-start L-BFGS, all starts in one compiled call")
    n_boot = c3.number_input("Bootstrap replicates (for bands)", 0, 500, 0, step=10,
                             key="n_boot", help="0: no prediction bands")
    fast = c1.checkbox("Fast MPL layout (block mode)", value=True, key="fast_mpl",
                       help="MultiPowerLaw.for_fitting: 32-step blocks, at most ~1e-4 from the "
                       "exact law on the shipped curves; stored with the fit")
    default_train = [i for i in ("constant_24000", "cosine_24000", "wsdcon_9") if i in curve_runs]
    train = st.multiselect("Train runs", curve_runs, default=default_train or curve_runs[:3],
                           key="train_runs")
    held = st.multiselect("Held-out runs", curve_runs,
                          default=[i for i in curve_runs if i not in (default_train or curve_runs[:3])],
                          key="heldout_runs")
    submitted = st.form_submit_button("Fit", type="primary", key="fit")

# The fit's status lives in a slot that exists on every run, so the widgets below keep their
# place in the page (and the expander its open state) when the status is gone on a rerun.
status_area = st.container()
if submitted:
    with status_area.status(f"Fitting {law_name} on {len(train)} runs…", expanded=True) as status:
        try:
            if law_name not in laws:
                raise ValueError("no curve law is available in this installation")
            if not train:
                raise ValueError("pick at least one train run")
            options = _fitcache.parse_options(options_text)
            if law_name == "mpl":
                options.setdefault("convention", convention)
                if fast:
                    options = {**lawfit.laws.MultiPowerLaw.for_fitting(
                        options["convention"]).options(), **options}
            st.write(f"law options: `{json.dumps(options)}` · metric `{metric}`")
            result = _fitcache.fit(law_name, options, runs.select(train), n_boot=int(n_boot),
                                   metric=metric, num_starts=int(num_starts))
            name = f"{law_name} {options.get('convention', '')} on {', '.join(train)}".strip()
            _fitcache.remember(name, result)
            st.session_state["fit_heldout"] = held
            status.update(label=f"Fit finished: {result.message or 'done'}", state="complete",
                          expanded=False)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            status.update(label="Fit failed", state="error", expanded=True)
            st.error(f"fit of {law_name!r} on runs {train} failed: {_state.describe(exc)}")

# -- re-upload ------------------------------------------------------------------------------
with st.expander("Load a saved fit (JSON)"):
    fit_file = st.file_uploader("Fit JSON", type=["json"], key="fit_upload",
                                max_upload_size=_state.MAX_UPLOAD_MB)
    if fit_file is not None and st.button("Load fit", key="load_fit"):
        with _state.guard(f"could not load the fit {fit_file.name!r}"):
            _fitcache.remember(f"uploaded: {fit_file.name}",
                               _fitcache.read_fit_json(fit_file.getvalue()))
            st.success(f"loaded {fit_file.name}")

# -- results --------------------------------------------------------------------------------
fits = _fitcache.session_fits()
if not fits:
    st.info("No fit yet: choose the runs and press **Fit**.")
    st.stop()

names = list(fits)
current = st.session_state.get("fit_result", names[-1])
chosen = st.selectbox("Fit", names, index=names.index(current) if current in names else 0,
                      key="fit_choice")
st.session_state["fit_result"] = chosen
result = _fitcache.get_fit(chosen)

ok = result.success
(st.success if ok else st.warning)(
    f"{'Converged' if ok else 'Not converged'}: {result.n_converged} starts converged · "
    f"{result.n_points} points · convention `{result.convention}`"
)
tab_plot, tab_params, tab_res, tab_report = st.tabs(
    ["Observed vs fitted", "Parameters", "Residuals & held-out", "Report"])

shown_ids = [i for i in list(result.run_ids) + st.session_state.get("fit_heldout", [])
             if i in runs]
shown = runs.select(list(dict.fromkeys(shown_ids)))



@st.fragment
def observed_vs_fitted(result, shown) -> None:
    """The plot and its axis toggles: a fragment, so a toggle reruns only this part (the
    predictions come from the content-keyed cache; building the figure takes ~10 ms)."""
    o1, o2 = st.columns(2)
    lx = o1.checkbox("log x", key="fit_log_x")
    ly = o2.checkbox("log y", key="fit_log_y")
    with _state.guard("could not predict the runs"):
        preds = _fitcache.predict_observed(result, shown, band=0.9)
        st.plotly_chart(lplot.fit_overlay(shown, preds, metric=result.metric,
                                          fitted=result.run_ids, log_x=lx, log_y=ly),
                        key="fit_plot")
        if not result.draws:
            st.caption("No bands: set bootstrap replicates > 0 to draw 90% prediction bands.")


with tab_plot:
    observed_vs_fitted(result, shown)

with tab_params:
    st.dataframe(pd.DataFrame(_fitcache.parameter_rows(result)), hide_index=True,
                 key="param_table")

with tab_res:
    with _state.guard("could not compute residuals"):
        preds = _fitcache.predict_observed(result, shown)
        st.plotly_chart(lplot.residuals(shown, preds, metric=result.metric), key="resid_plot")
    held = [i for i in st.session_state.get("fit_heldout", []) if i in runs]
    if held:
        with _state.guard("could not evaluate the held-out runs"):
            ev = _fitcache.evaluate(result, runs.select(held))
            st.write("Held-out metrics")
            st.dataframe(pd.DataFrame(ev["runs"]), hide_index=True, key="heldout_table")
            st.dataframe(pd.DataFrame([ev["mean"]]), hide_index=True, key="heldout_mean")

with tab_report:
    st.code(result.report(), language=None)

st.download_button("Download fit (JSON)", result.to_json(indent=1), file_name="fit.json",
                   mime="application/json", key="download_fit", on_click="ignore")
