"""lawfit explorer: the entry point (``streamlit run apps/app.py`` or ``lawfit app``).

This frame runs on every rerun, so it stays cheap: page config, session state, navigation and
the sidebar summary. Pages live in ``app_pages/``; all numbers and figures come from ``lawfit``.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # pages import the small helpers next to this file
    sys.path.insert(0, str(_HERE))

import _state  # noqa: E402
import streamlit as st  # noqa: E402

from lawfit._compile_cache import enable_default_compilation_cache  # noqa: E402

enable_default_compilation_cache()  # compiled programs survive restarts (LAWFIT_COMPILATION_CACHE=0: off)
st.set_page_config(page_title="lawfit explorer", layout="wide")  # no page_icon: material favicons are fetched from the internet
_state.init_session()
_state.ensure_default_data()

PAGES = {
    "Data": [
        st.Page("app_pages/data.py", title="Data", default=True),
        st.Page("app_pages/proxy.py", title="Proxy training"),
    ],
    "Laws": [
        st.Page("app_pages/fit.py", title="Fit"),
        st.Page("app_pages/predict.py", title="Predict & compare"),
        st.Page("app_pages/optimize.py", title="Optimize"),
        st.Page("app_pages/validate.py", title="Validate by training"),
        st.Page("app_pages/cpt.py", title="CPT & mixtures"),
    ],
}
nav = st.navigation(PAGES, position="sidebar")

counters = st.sidebar.empty()
try:
    nav.run()
finally:  # after the page: the counters include what the page just loaded or fitted
    n_runs, n_fits = len(_state.all_runs()), len(st.session_state["fits"])
    current = st.session_state.get("fit_result")
    counters.caption(f"{n_runs} runs loaded in this session · {n_fits} fit{'s' * (n_fits != 1)}"
                     + (f" · current fit: {current}" if current else ""))
