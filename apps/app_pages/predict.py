"""Predict & compare: design schedules of every family, predict their curves (with bands) under
a fit, overlay observed runs, rank them; download the specs."""

import json

import _designer
import _fitcache
import _fitpick
import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Predict & compare schedules")
if not _state.require("fitting", "load_fit", what="Prediction"):
    st.stop()
result = _fitpick.pick_fit("predict_fit", label="Predicting with fit")
if result is None:
    st.stop()
_fitpick.show_badge(result)
runs = _state.all_runs()
fit_runs = runs.select([i for i in result.run_ids if i in runs])
defaults = _designer.data_defaults(fit_runs if len(fit_runs) else runs)

specs = st.session_state.setdefault("compare_specs", {})

# -- designer -------------------------------------------------------------------------------
st.subheader("Schedule designer")
spec = None
with _state.guard("invalid schedule"):
    spec = _designer.design(defaults)
    horizon = int(spec.get("total_steps") or defaults.get("total_steps", 1000))
    lr = _fitcache.schedule_array(spec, horizon)
    st.plotly_chart(lplot.lr_curves({"designed": lr}), key="designer_plot")
    st.caption("Spec: " + " · ".join(f"{k} = {lplot.number(v) if isinstance(v, float) else v}"
                                      for k, v in spec.items()))
c1, c2, c3 = st.columns([2, 1, 1])
label = c1.text_input("Name (optional)", key="schedule_name")
if c2.button("Add to comparison", key="add_schedule", disabled=spec is None):
    base = label.strip() or spec["family"]
    name, i = base, 2
    while name in specs:
        name, i = f"{base} {i}", i + 1
    specs[name] = spec
if c3.button("Clear comparison", key="clear_schedules"):
    specs.clear()

# -- comparison -----------------------------------------------------------------------------
st.subheader("Predicted curves")
curve_runs = [r.run_id for r in runs if r.lr is not None]
observed_ids = st.multiselect("Observed runs to overlay (predicted with their own LR)",
                              curve_runs, default=[], key="compare_runs")
total = st.number_input("Horizon (steps)", min_value=2, value=int(defaults.get("total_steps", 1000)),
                        key="compare_total")
if not specs and not observed_ids:
    st.info("Add designed schedules (or pick observed runs) to compare them.")
    st.stop()

arrays = {}
with _state.guard("could not build the schedules"):
    for name, s in specs.items():
        arrays[name] = _fitcache.schedule_array(s, total)
    for rid in observed_ids:
        arrays[rid] = runs[rid].lr[: int(total)] if runs[rid].total_steps >= total else runs[rid].lr
steps = _fitcache.display_steps(total)
with _state.guard("could not predict"):
    pred = _fitcache.predict_lr(result, arrays, steps)
    _fitpick.show_warnings(pred.warnings)
    st.plotly_chart(lplot.schedule_comparison(pred.curves, lrs=arrays,
                                              observed=runs.select(observed_ids),
                                              metric=result.metric), key="compare_plot")

st.subheader("Ranking")
with _state.guard("could not rank the schedules"):
    same = {n: a for n, a in arrays.items() if a.size == total}
    if len(same) < len(arrays):
        st.caption("Observed runs shorter than the horizon are drawn but not ranked: "
                   f"{sorted(set(arrays) - set(same))}.")
    if same:
        rows, notes = _fitcache.compare(result, same, total)
        _fitpick.show_warnings(notes)
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="ranking_table",
                     column_config={c: st.column_config.NumberColumn(c, format="%.5g")
                                    for c in (rows[0] if rows else {})
                                    if isinstance(rows[0][c], float)})

st.download_button("Download schedule specs (JSON)", json.dumps(specs, indent=1),
                   file_name="schedules.json", mime="application/json", key="download_specs", on_click="ignore")
