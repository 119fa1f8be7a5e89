"""CPT & mixtures: D-CPT fits on a mixture table (uploaded, or built from this session's runs)
and the interactive mixture planners (degradation threshold -> largest domain share; domain-token
budget -> best share), with bootstrap uncertainty when available."""

import io

import _fitcache
import _state
import pandas as pd
import streamlit as st

st.title("CPT & mixtures")
if not _state.require("optimize", "dcpt_max_domain_ratio", "dcpt_limited_domain_ratio",
                      what="Mixture planning"):
    st.stop()
from lawfit.mixtures import MixtureTable  # noqa: E402

st.caption("A mixture table has one row per (model size N, CPT tokens D, domain share r) with the "
           "general and domain validation losses (LAWS.md 7).")
source = st.radio("Mixture table from", ["uploaded CSV", "runs of this session"],
                  horizontal=True, key="mix_source")
table = None
if source == "uploaded CSV":
    up = st.file_uploader("CSV with columns N, D, r, general, domain", type=["csv"],
                          key="mix_upload", max_upload_size=_state.MAX_UPLOAD_MB)
    if up is not None:
        with _state.guard(f"could not read the mixture table {up.name!r}"):
            frame = pd.read_csv(io.BytesIO(up.getvalue()))
            missing = [c for c in ("N", "D", "r") if c not in frame.columns]
            if missing:
                raise ValueError(f"columns {missing} are missing; found {list(frame.columns)}")
            cols = {c: frame[c].to_numpy() for c in frame.columns
                    if c in ("N", "D", "r", "general", "domain", "K", "k1", "k2",
                             "base_general", "base_domain")}
            table = MixtureTable(**cols)
else:
    runs = _state.all_runs()
    c1, c2 = st.columns(2)
    gm = c1.selectbox("General-loss metric", runs.metrics or ["-"], key="mix_general")
    dm = c2.selectbox("Domain-loss metric", runs.metrics or ["-"], key="mix_domain")
    with _state.guard("could not build a mixture table from the runs"):
        mixture_runs = [r for r in runs if r.meta.get("mixture_ratio") is not None]
        if not mixture_runs:
            raise ValueError("no run of this session has meta['mixture_ratio']; train a proxy "
                             "sweep over mixtures or upload a mixture table")
        table = MixtureTable.from_runs(mixture_runs, general_metric=gm, domain_metric=dm)

if table is None:
    st.info("Upload a mixture table, or build one from runs with a mixture ratio.")
    st.stop()
st.write(f"{len(table)} rows")

c1, c2 = st.columns(2)
starts = int(c1.number_input("Starts", 1, 256, 16, key="mix_starts"))
if c2.button("Fit D-CPT (general and domain)", type="primary", key="mix_fit"):
    with st.status("Fitting the D-CPT law…", expanded=True) as status:
        try:
            fits = {t: _fitcache.fit_table("dcpt", {"target": t}, table, starts)
                    for t in ("general", "domain")}
            st.session_state["mix_fits"] = {t: f.to_dict() for t, f in fits.items()}
            status.update(label="D-CPT fits finished", state="complete", expanded=False)
        except Exception as exc:  # noqa: BLE001
            status.update(label="D-CPT fit failed", state="error")
            st.error(f"D-CPT fit failed: {_state.describe(exc)}")

fd = st.session_state.get("mix_fits")
if not fd:
    st.stop()
import lawfit  # noqa: E402
from lawfit.optimize import dcpt_limited_domain_ratio, dcpt_max_domain_ratio  # noqa: E402

general, domain = lawfit.load_fit(fd["general"]), lawfit.load_fit(fd["domain"])
with st.expander("Fit reports"):
    st.code(general.report(), language=None)
    st.code(domain.report(), language=None)

st.subheader("Planners")
c1, c2 = st.columns(2)
N = float(c1.number_input("Model size N", 1.0, value=float(table.N.max()), format="%.4g",
                          key="mix_N"))
D = float(c2.number_input("CPT tokens D", 1.0, value=float(table.D.max()), format="%.4g",
                          key="mix_D"))
threshold = st.slider("Allowed general-loss degradation (relative)", 0.0, 0.2, 0.03, 0.005,
                      key="mix_threshold")
with _state.guard("usage 1 (degradation threshold) failed"):
    plan = dcpt_max_domain_ratio(general, N=N, D=D, threshold=threshold, domain_fit=domain)
    st.metric("Largest domain share within the threshold", f"{plan.ratio:.4f}",
              help=f"interval {plan.interval}" if plan.interval else None)
    st.json(plan.predicted, expanded=False)
    for v in plan.violations:
        st.warning(v)
budget = float(st.number_input("Domain-token budget", 1.0, value=float(table.D.max()) / 4,
                               format="%.4g", key="mix_budget"))
with _state.guard("usage 2 (domain-token budget) failed"):
    plan2 = dcpt_limited_domain_ratio(domain, N=N, domain_tokens=budget, general_fit=general)
    st.metric("Best domain share for the budget", f"{plan2.ratio:.4f}",
              help=f"interval {plan2.interval}" if plan2.interval else None)
    st.json(plan2.predicted, expanded=False)
