"""Page registry for the Streamlit app.

A participant link (``?study=...``) shows the participant page alone, with navigation hidden;
every other page is a staff page behind :func:`edutools.app.auth.guard`.
"""

from __future__ import annotations

import streamlit as st

from edutools.app import auth, resources
from edutools.app.pages import (
    calibrate,
    compare,
    course,
    downloads,
    export,
    generate,
    participant,
    review,
    study_admin,
)

PARTICIPANT_PARAM = "study"


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
    participate = st.Page(
        participant.render, title="Study", url_path="participate", visibility="hidden"
    )
    if PARTICIPANT_PARAM in st.query_params:
        # A study link shows the participant page alone, without navigation.
        st.set_page_config(page_title="Study", page_icon="📝", layout="centered")
        st.navigation([participate], position="hidden").run()
        return
    st.set_page_config(page_title="edutools", page_icon="📝", layout="wide")
    pages = {
        # Registered (hidden) so a study link that lost its parameters still resolves.
        "": [participate],
        "Instructor": [
            _staff(course.render, "Course", "course", ":material/school:", default=True),
            _staff(generate.render, "Generate", "generate", ":material/auto_awesome:"),
            _staff(review.render, "Review", "review", ":material/rate_review:"),
            _staff(export.render, "Export", "export", ":material/download:"),
        ],
        "Researcher": [
            _staff(calibrate.render, "Calibrate", "calibrate", ":material/insights:"),
            _staff(compare.render, "Compare", "compare", ":material/compare_arrows:"),
            _staff(downloads.render, "Downloads", "downloads", ":material/folder_zip:"),
        ],
        "Study": [
            _staff(study_admin.render, "Admin", "study_admin", ":material/groups:"),
        ],
    }
    st.navigation(pages).run()
