"""Page registry for the Streamlit app."""

from __future__ import annotations

import streamlit as st

from edutools.app.pages import course


def main() -> None:
    """Build the navigation and run the selected page."""
    st.set_page_config(page_title="edutools", page_icon="📝", layout="wide")
    pages = {
        "Instructor": [st.Page(course.render, title="Course", url_path="course", default=True)],
    }
    st.navigation(pages).run()
