"""Placeholder page (filled in as the library piece lands)."""

import streamlit as st

st.title("predict")
st.info("Not available yet.")
