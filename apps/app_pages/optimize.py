"""Placeholder page (filled in as the library piece lands)."""

import streamlit as st

st.title("optimize")
st.info("Not available yet.")
