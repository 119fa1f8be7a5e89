"""Optimize: the free-form optimal schedule under a fitted Multi-Power Law, its closed form,
and the best schedules of each family, with their predicted curves."""

import _designer
import _docs
import _fitcache
import _fitpick
import _progress
import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Optimize the schedule")
if not _state.require("optimize", "optimize_schedule", "search_family",
                      what="Schedule optimization"):
    st.stop()
result = _fitpick.pick_fit(
    "opt_fit", label="Optimizing under the MPL fit", only=lambda d: d["law"]["name"] == "mpl",
    empty="Fit the Multi-Power Law first (page **Fit**): the optimizer works on MPL fits.")
if result is None:
    st.stop()
chosen = st.session_state["opt_fit"]
_fitpick.show_badge(result, f"fitted on {len(result.run_ids)} run(s): "
                    f"{', '.join(result.run_ids[:4])}{' …' if len(result.run_ids) > 4 else ''}")
runs = _state.all_runs()
defaults = _designer.data_defaults(runs.select([i for i in result.run_ids if i in runs]) or runs)

with st.form("opt_form"):
    c1, c2, c3, c4 = st.columns(4)
    total = c1.number_input("Total steps", 2, 10_000_000, int(defaults.get("total_steps", 1000)),
                            key="opt_total")
    warmup = c2.number_input("Warmup steps", 0, 10_000_000,
                             int(defaults.get("warmup_steps", 0)), key="opt_warmup")
    peak = c3.number_input("Peak LR", 0.0, 10.0, float(defaults.get("peak_value", 3e-4)),
                           format="%.4g", key="opt_peak")
    conv = c4.selectbox("Warmup formula", ["linspace", "linear", "constant"],
                        index=0 if defaults.get("warmup_convention") == "linspace" else 1,
                        key="opt_warmup_conv")
    budgets_text = c1.text_input("Extra budgets (steps, comma separated)", "",
                                 key="opt_budgets",
                                 help="average the predicted loss over several budgets (WSD-S)")
    max_area = c2.number_input("Max LR area (0: none)", 0.0, value=0.0, format="%.4g",
                               key="opt_area")
    families = c3.multiselect("Families to search", ["wsd", "cosine", "linear", "constant"],
                              default=["wsd", "cosine"], key="opt_families")
    go = st.form_submit_button("Optimize", type="primary", key="optimize")

if go:
    with st.container():
        try:
            try:
                budgets = [int(b) for b in budgets_text.replace(" ", "").split(",") if b]
            except ValueError:
                raise ValueError(f"budgets must be whole step counts separated by commas, got "
                                 f"{budgets_text!r}") from None
            if budgets:
                budgets = sorted(set(budgets) | {int(total)})
            settings = {"total_steps": int(total), "warmup_steps": int(warmup),
                        "peak_lr": float(peak), "warmup": conv, "budgets": budgets,
                        "max_area": float(max_area) or None}
            out = _progress.run_with_progress(
                lambda p: _fitcache.optimize(result, settings, tuple(families), progress=p),
                label=f"Optimizing a {lplot.number(int(total), integer=True)}-step schedule…",
                phase="starting", done="Optimization finished")
            st.session_state.setdefault("opt_out", {})[chosen] = {**out, "settings": settings}
        except Exception as exc:  # noqa: BLE001
            st.error(f"schedule optimization failed: {_state.describe(exc)}")

out = st.session_state.get("opt_out", {}).get(chosen)
if not out:
    st.info(f"Set the horizon and press **Optimize** (under fit **{chosen}**).")
    st.stop()

st.subheader(f"Optimal schedule for {lplot.number(out['settings']['total_steps'], integer=True)} "
             "steps")
horizon = result.fitted_steps[1] if result.fitted_steps else None
if horizon and out["settings"]["total_steps"] > 1.5 * (horizon + 1):
    st.warning(f"The horizon ({lplot.number(out['settings']['total_steps'], integer=True)} steps) "
               f"is {out['settings']['total_steps'] / (horizon + 1):.1f}x the fitted data (up to "
               f"step {lplot.number(horizon, integer=True)}): the predicted losses extrapolate.")
_fitpick.show_warnings(out["warnings"])
s = out["summary"]
m1, m2, m3 = st.columns(3)
m1.metric("Free-form predicted final loss", lplot.number(s["final_loss"], 5))
m2.metric("Closed form predicted loss", lplot.number(s["closed_form_loss"], 5))
m3.metric("Optimizer converged", "yes" if s["converged"] else "no")
cf = out["closed_form"]
st.markdown(
    f"**Closed form**: WSD with a power decay: peak LR {lplot.number(cf['peak_lr'], 3)} for "
    f"{lplot.number(cf['stable_steps'], integer=True)} stable steps, then "
    f"`end + (peak − end)·(1 − p)^{lplot.number(cf['exponent'], 3)}` over "
    f"{lplot.number(cf['decay_steps'], integer=True)} decay steps to "
    f"{lplot.number(cf['end_value'], 3)}."
)
st.caption(
    "Why this shape: under the Multi-Power Law the loss falls with the LR *area* (time spent at "
    "a high LR) and with the *loss reduction* a decay earns; that reduction arrives gradually, "
    "growing with the LR area accumulated after each drop. The optimum trades the two: it drops "
    "the LR steeply but not to zero, early enough for the reduction to be collected, and then "
    "stays at a low, nearly flat LR, which still adds area (the closed form smooths this into a "
    "power decay). " + _docs.link("optimize", "Schedule optimization"))
arrays = {"optimized (free-form)": out["lr"], "closed form": out["closed_form_lr"]}
arrays.update({f"best {f}": a for f, a in out["family_lrs"].items()})
steps = _fitcache.display_steps(len(out["lr"]))
with _state.guard("could not predict the schedules"):
    pred = _fitcache.predict_lr(result, arrays, steps)
    _fitpick.show_warnings(pred.warnings)
    st.plotly_chart(lplot.schedule_comparison(pred.curves, lrs=arrays, metric=result.metric),
                    key="opt_plot")
if out["families"]:
    st.subheader("Best schedule of each family")
    fam = pd.DataFrame(out["families"])
    st.dataframe(fam, hide_index=True, key="family_table",
                 column_config={c: st.column_config.NumberColumn(c, format="%.5g")
                                for c in fam.columns if fam[c].dtype.kind == "f"})
st.download_button("Download optimized schedule (CSV)",
                   pd.DataFrame({"step": range(len(out["lr"])), "lr": out["lr"]}).to_csv(index=False),
                   file_name="optimized_schedule.csv", mime="text/csv", key="download_opt", on_click="ignore")
