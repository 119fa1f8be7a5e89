"""Placeholder page (filled in as the library piece lands)."""

import streamlit as st

st.title("fit")
st.info("Not available yet.")
