import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

from app_helpers import new_app  # noqa: E402


@pytest.fixture
def app():
    """A fresh explorer session, run once (opens on the Data page)."""
    at = new_app()
    at.run()
    return at
