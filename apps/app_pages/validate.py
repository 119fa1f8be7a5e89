"""Validate: did the law's schedule ranking hold when the schedules were trained? Shows a
``validation.json`` written by ``lawfit validate`` / ``lawfit.optimize.validate_schedules``
(default: the result shipped with the docs, at the default proxy size)."""

import json
from pathlib import Path

import _state
import streamlit as st

import lawfit.plot as lplot

st.title("Validate schedules by training")
if not _state.require("optimize", "validate_schedules", "ValidationResult",
                      what="Schedule validation"):
    st.stop()
from lawfit.optimize import ValidationResult  # noqa: E402

ASSETS = Path(__file__).resolve().parents[2] / "docs" / "assets"
SHIPPED = {p.stem: p for p in sorted(ASSETS.glob("validation_default*.json"))}

st.markdown(
    "The law is fitted on constant / linear / WSD proxy runs; its optimum (the default of "
    "*Optimize*), its smooth optimum and best WSD are then trained next to cosine, UBA and the "
    "refined schedule, for several seeds. Run a new validation with "
    "`lawfit validate --out DIR` and load `DIR/validation.json` here.")
upload = st.file_uploader("validation.json", type=["json"], key="val_upload")
result = None
with _state.guard("cannot read the validation result"):
    if upload is not None:
        result = ValidationResult.from_dict(json.loads(upload.getvalue()))
    elif SHIPPED:
        shown = st.selectbox("Shipped result (docs/validate.md)", list(SHIPPED), key="val_shipped",
                             help="validation_default: MPL 'repo' fit; _paper: the same runs "
                             "refitted with the 'paper' convention plus that fit's schedules")
        result = ValidationResult.from_json(SHIPPED[shown])
if result is None:
    st.info("Upload a validation.json written by `lawfit validate`.")
    st.stop()

cfg = result.config
c1, c2, c3, c4 = st.columns(4)
c1.metric("Kendall tau", f"{result.kendall_tau:.2f}", help=f"p = {result.kendall_p:.3g}")
held = result.kendall_tau_held_out
c2.metric("tau, held-out only", "n/a" if held is None else f"{held:.2f}")
c3.metric("Seeds", len(result.seeds))
c4.metric("Steps", cfg.get("total_steps", "?"))
for name, v in result.verdicts.items():
    text = (f"**{name}** vs best baseline **{v['baseline']}**: {v['margin']:+.4f} "
            f"(pooled seed std {v['pooled_std']:.4f}; paired {v['paired_mean']:+.4f} "
            f"± {v['paired_std']:.4f})")
    (st.success if v["no_worse"] else st.warning)(text)
st.dataframe(result.to_frame(), hide_index=True, key="val_table")
st.plotly_chart(lplot.validation_scatter(result), key="val_scatter")
if result.lr:
    st.plotly_chart(lplot.validation_schedules(result), key="val_lr")
