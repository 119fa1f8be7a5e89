"""Placeholder page (filled in as the library piece lands)."""

import streamlit as st

st.title("cpt")
st.info("Not available yet.")
