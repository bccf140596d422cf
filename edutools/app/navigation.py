"""Page registry for the Streamlit app.

Every staff page sits behind :func:`edutools.app.auth.guard`.
"""

from __future__ import annotations

import streamlit as st

from edutools.app import auth, resources
from edutools.app.pages import course


def _staff(render, title: str, url_path: str, icon: str, default: bool = False) -> st.Page:  # type: ignore[no-untyped-def]
    return st.Page(
        auth.guard(render, resources.settings),
        title=title,
        url_path=url_path,
        icon=icon,
        default=default,
    )


def main() -> None:
    """Build the navigation and run the selected page."""
    st.set_page_config(page_title="edutools", page_icon="📝", layout="wide")
    pages = {
        "Instructor": [
            _staff(course.render, "Course", "course", ":material/school:", default=True),
        ],
    }
    st.navigation(pages).run()
