"""Fit: choose a law, the train runs and the held-out runs; fit (with a moving progress bar);
the newest fit is shown with its quality badge, observed vs fitted curves with bands, residuals,
held-out metrics, parameters and the report; download / re-upload the fit."""

import _docs
import _fitcache
import _fitpick
import _progress
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
ss = st.session_state

# -- runs: train and held-out are disjoint; held-out defaults to the train runs' datasets ----
DEFAULT_TRAIN = ("constant_24000", "cosine_24000", "wsdcon_9")


def _default_heldout(train: list[str]) -> list[str]:
    """The other runs of the datasets the train runs come from (never unrelated data)."""
    where = _state.run_datasets()
    sets = {where.get(i) for i in train}
    return [i for i in curve_runs if i not in train and where.get(i) in sets]


def _train_changed() -> None:
    """A run moved to train leaves held-out; held-out runs of unrelated data are replaced by the
    default of the new train runs."""
    train = ss["train_runs"]
    where = _state.run_datasets()
    held = [i for i in ss.get("heldout_runs", []) if i not in train]
    if not held or not {where.get(i) for i in held} & {where.get(i) for i in train}:
        held = _default_heldout(train)
    ss["heldout_runs"] = held


if "train_runs" not in ss or any(i not in curve_runs for i in ss["train_runs"]):
    kept = [i for i in ss.get("train_runs", []) if i in curve_runs]
    ss["train_runs"] = kept or [i for i in DEFAULT_TRAIN if i in curve_runs] or curve_runs[:3]
    ss["heldout_runs"] = _default_heldout(ss["train_runs"])
held_options = [i for i in curve_runs if i not in ss["train_runs"]]
ss["heldout_runs"] = [i for i in ss.get("heldout_runs", []) if i in held_options]

# -- settings -------------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
law_name = c1.selectbox("Law", laws or ["(none available)"], key="law",
                        help="mpl: Multi-Power Law; momentum: the momentum law. "
                        + _docs.link("laws/mpl", "Laws"))
convention = c2.selectbox(
    "Convention (Multi-Power Law)", ["paper", "repo"], key="convention",
    help="paper: t = 1 after warmup, η₀ = η_max, plus S_W. repo: the whole per-step array from "
    "step 0 with η₀ = 0. Stored with the fit. " + _docs.link("laws/mpl", "Conventions",
                                                             "conventions-an-explicit-stored-option"),
)
metric = c3.selectbox("Metric", runs.metrics or ["loss"], key="fit_metric")
train = st.multiselect("Train runs (the fit sees these)", curve_runs, key="train_runs",
                       on_change=_train_changed)
held = st.multiselect("Held-out runs (predicted and scored, never fitted)", held_options,
                      key="heldout_runs",
                      help="defaults to the other runs of the train runs' datasets")
with st.expander("More fit settings"):
    a1, a2, a3 = st.columns(3)
    num_starts = a1.number_input("Starts", 1, 512, 16, key="num_starts",
                                 help="multi-start L-BFGS, all starts in one compiled call")
    n_boot = a2.number_input("Bootstrap replicates (for bands)", 0, 500, 0, step=10,
                             key="n_boot", help="0: no prediction bands")
    options_text = a3.text_input("Other law options (JSON)", "{}", key="law_options",
                                 help='e.g. {"lam": 0.999} for the momentum law')
submitted = st.button("Fit", type="primary", key="fit")

# The fit's status lives in a slot that exists on every run, so the widgets below keep their
# place in the page (and the expander its open state) when the status is gone on a rerun.
status_area = st.container()
if submitted:
    with status_area:
        try:
            if law_name not in laws:
                raise ValueError("no curve law is available in this installation")
            if not train:
                raise ValueError("pick at least one train run")
            options = _fitcache.parse_options(options_text)
            if law_name == "mpl":
                options.setdefault("convention", convention)
            selected = runs.select(train)
            result = _progress.run_with_progress(
                lambda p: _fitcache.fit(law_name, options, selected, n_boot=int(n_boot),
                                        progress=p, metric=metric, num_starts=int(num_starts)),
                label=f"Fitting {law_name} on {len(train)} run(s)…", phase="preparing the runs", done="Fit finished")
            conv = f" ({options['convention']})" if "convention" in options else ""
            desc = f"{law_name}{conv} on {', '.join(train[:3])}" + (
                f" +{len(train) - 3}" if len(train) > 3 else "")
            _fitcache.remember(desc + (f", {int(n_boot)} bootstrap" if n_boot else ""), result,
                               heldout=held)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            st.error(f"fit of {law_name!r} on runs {train} failed: {_state.describe(exc)}")

# -- re-upload ------------------------------------------------------------------------------
with st.expander("Load a saved fit (JSON)"):
    fit_file = st.file_uploader("Fit JSON", type=["json"], key="fit_upload",
                                max_upload_size=_state.MAX_UPLOAD_MB)
    if fit_file is not None and st.button("Load fit", key="load_fit"):
        with _state.guard(f"could not load the fit {fit_file.name!r}"):
            _fitcache.remember(f"loaded from {fit_file.name}",
                               _fitcache.read_fit_json(fit_file.getvalue()))
            st.success(f"loaded {fit_file.name}")

# -- results: the current fit (the newest unless another is picked) ---------------------------
st.subheader("Result")
result = _fitpick.pick_fit("fit_choice", label="Fit shown",
                           empty="No fit yet: choose the runs and press **Fit**.")
if result is None:
    st.stop()
name = ss[_fitpick.CURRENT]
_fitpick.show_badge(result, f"{result.n_converged} starts converged · "
                    f"{lplot.number(result.n_points, integer=True)} points · "
                    f"convention `{result.convention}`")

held_ids = [i for i in _fitcache.heldout_of(name) if i in runs and i not in result.run_ids]
shown = runs.select([i for i in list(result.run_ids) + held_ids if i in runs])
horizon = result.fitted_steps[1] if result.fitted_steps else None
tab_plot, tab_res, tab_params, tab_report = st.tabs(
    ["Observed vs fitted", "Residuals & held-out", "Parameters", "Report"])


@st.fragment
def observed_vs_fitted(result, shown) -> None:
    """The plot and its axis toggles: a fragment, so a toggle reruns only this part (the
    predictions come from the content-keyed cache; building the figure takes ~10 ms)."""
    o1, o2 = st.columns(2)
    lx = o1.checkbox("log x", key="fit_log_x")
    ly = o2.checkbox("log y", key="fit_log_y")
    with _state.guard("could not predict the runs"):
        pred = _fitcache.predict_observed(result, shown, band=0.9)
        _fitpick.show_warnings(pred.warnings)
        st.plotly_chart(lplot.fit_overlay(shown, pred.curves, metric=result.metric,
                                          fitted=result.run_ids, log_x=lx, log_y=ly,
                                          horizon=horizon),
                        key="fit_plot")
        if not result.draws:
            st.caption("This fit has no bootstrap draws, so no bands: set *Bootstrap "
                       "replicates* > 0 under *More fit settings* and fit again.")
        st.caption("The y axis starts where the curves are compared; double-click the plot "
                   "for the full range.")
    if not shown:
        st.info("The runs of this fit are not loaded in this session: load them to compare.")


METRIC_HELP = {
    "run_id": "held-out run",
    "n": "points compared",
    "r2": "R²: 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (1 is perfect)",
    "mae": "mean absolute error |y − ŷ|",
    "rmse": "root mean squared error",
    "prede": "PredE: mean relative error |y − ŷ| / y",
    "worste": "WorstE: largest relative error |y − ŷ| / y",
    "mse": "mean squared error",
    "huber": "mean Huber loss of the log residual (the fit's objective per point)",
    "n_runs": "runs averaged",
}
METRIC_LABEL = {"r2": "R²", "prede": "PredE (mean rel. error)", "worste": "WorstE (max rel. error)",
                "mae": "MAE", "rmse": "RMSE", "mse": "MSE", "huber": "Huber (log)"}


def metric_table(rows, key: str) -> None:
    """Held-out metrics with readable column names, explained on hover."""
    frame = pd.DataFrame(rows)
    config = {c: st.column_config.NumberColumn(METRIC_LABEL.get(c, c), help=METRIC_HELP.get(c),
                                                format="%.4g")
              for c in frame.columns if c not in ("run_id",)}
    st.dataframe(frame, hide_index=True, key=key, column_config=config)


with tab_plot:
    observed_vs_fitted(result, shown)

with tab_res:
    with _state.guard("could not compute residuals"):
        pred = _fitcache.predict_observed(result, shown)
        st.plotly_chart(lplot.residuals(shown, pred.curves, metric=result.metric),
                        key="resid_plot")
    if held_ids:
        with _state.guard("could not evaluate the held-out runs"):
            ev = _fitcache.evaluate(result, runs.select(held_ids))
            st.write(f"Held-out metrics of **{name}** (hover a column name for its meaning; "
                     + _docs.link("fitting", "metrics") + ")")
            metric_table(ev["runs"], "heldout_table")
            metric_table([ev["mean"]], "heldout_mean")
    else:
        st.caption("No held-out runs were chosen for this fit.")

with tab_params:
    st.dataframe(pd.DataFrame(_fitcache.parameter_rows(result)), hide_index=True,
                 key="param_table",
                 column_config={"value": st.column_config.NumberColumn("value", format="%.4g"),
                                "stderr": st.column_config.NumberColumn(
                                    "standard error", format="%.2g",
                                    help="inf: the data do not identify this parameter")})

with tab_report:
    st.code(result.report(), language=None)

st.download_button("Download fit (JSON)", result.to_json(indent=1), file_name="fit.json",
                   mime="application/json", key="download_fit", on_click="ignore")
