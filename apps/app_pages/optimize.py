"""Optimize: the free-form optimal schedule under a fitted Multi-Power Law, its closed form,
and the best schedules of each family, with their predicted curves."""

import _designer
import _fitcache
import _state
import pandas as pd
import streamlit as st

import lawfit.plot as lplot

st.title("Optimize the schedule")
if not _state.require("optimize", "optimize_schedule", "search_family",
                      what="Schedule optimization"):
    st.stop()
fits = {n: d for n, d in _fitcache.session_fits().items() if d["law"]["name"] == "mpl"}
if not fits:
    st.info("Fit the Multi-Power Law first (page **Fit**): the optimizer works on MPL fits.")
    st.stop()

names = list(fits)
current = st.session_state.get("fit_result")
chosen = st.selectbox("MPL fit", names, index=names.index(current) if current in names else 0,
                      key="opt_fit")
result = _fitcache.get_fit(chosen)
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
    with st.status("Optimizing the schedule…", expanded=True) as status:
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
            st.session_state["opt_out"] = _fitcache.optimize(result, settings, tuple(families))
            status.update(label="Optimization finished", state="complete", expanded=False)
        except Exception as exc:  # noqa: BLE001
            status.update(label="Optimization failed", state="error")
            st.error(f"schedule optimization failed: {_state.describe(exc)}")

out = st.session_state.get("opt_out")
if not out:
    st.info("Set the horizon and press **Optimize**.")
    st.stop()

for w in out["warnings"]:
    st.warning(w)
s = out["summary"]
m1, m2, m3 = st.columns(3)
m1.metric("Free-form predicted final loss", f"{s['final_loss']:.5f}")
m2.metric("Closed form predicted loss", f"{s['closed_form_loss']:.5f}")
m3.metric("Converged", "yes" if s["converged"] else "no")
cf = out["closed_form"]
st.markdown(
    f"**Closed form**: WSD with a power decay: peak {cf['peak_lr']:.4g} for "
    f"{cf['stable_steps']:.0f} stable steps, then `end + (peak - end)·(1 - p)^{cf['exponent']:.3g}` "
    f"over {cf['decay_steps']:.0f} decay steps to {cf['end_value']:.4g}."
)
arrays = {"optimized (free-form)": out["lr"], "closed form": out["closed_form_lr"]}
arrays.update({f"best {f}": a for f, a in out["family_lrs"].items()})
steps = _fitcache.display_steps(len(out["lr"]))
with _state.guard("could not predict the schedules"):
    preds = {n: _fitcache.predict_lr(result, a, steps) for n, a in arrays.items()}
    st.plotly_chart(lplot.schedule_comparison(preds, lrs=arrays, metric=result.metric),
                    key="opt_plot")
if out["families"]:
    st.subheader("Best schedule of each family")
    st.dataframe(pd.DataFrame(out["families"]), hide_index=True, key="family_table")
st.download_button("Download optimized schedule (CSV)",
                   pd.DataFrame({"step": range(len(out["lr"])), "lr": out["lr"]}).to_csv(index=False),
                   file_name="optimized_schedule.csv", mime="text/csv", key="download_opt", on_click="ignore")
