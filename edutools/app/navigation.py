"""Page registry for the Streamlit app.

A participant link (``?study=...``) shows the participant page alone, with navigation hidden;
every other page is a staff page behind :func:`edutools.app.auth.guard`.

Page modules are imported when their page first runs: the LLM, IRT and plotting stacks take
seconds to import, and the first page (the course) needs none of them. Once a page has been
drawn, a background thread imports the rest so that later pages open at once.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

import streamlit as st

from edutools.app import auth, resources

PARTICIPANT_PARAM = "study"
_PAGES: tuple[str, ...] = (
    "course", "generate", "claims", "review", "export", "calibrate", "compare", "assemble",
    "downloads", "study_admin", "participant",
)  # fmt: skip


def _lazy(name: str) -> Callable[[], None]:
    """A page function that imports ``edutools.app.pages.<name>`` when it first runs."""

    def render() -> None:
        importlib.import_module(f"edutools.app.pages.{name}").render()

    render.__name__ = render.__qualname__ = name
    return render


@st.cache_resource(show_spinner=False)
def _warm_up() -> threading.Thread:
    """Import every page module once per server process, in the background."""

    def work() -> None:
        for name in _PAGES:
            importlib.import_module(f"edutools.app.pages.{name}")

    thread = threading.Thread(target=work, name="edutools-warm-up", daemon=True)
    thread.start()
    return thread


#: The staff pages of the running app by name, for links between pages (``st.page_link``).
PAGES: dict[str, st.Page] = {}


def _staff(name: str, title: str, icon: str, default: bool = False) -> st.Page:
    PAGES[name] = st.Page(
        auth.guard(_lazy(name), resources.settings),
        title=title,
        url_path=name,
        icon=icon,
        default=default,
    )
    return PAGES[name]


def main() -> None:
    """Build the navigation and run the selected page."""
    participate = st.Page(
        _lazy("participant"), title="Study", url_path="participate", visibility="hidden"
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
            _staff("course", "Course", ":material/school:", default=True),
            _staff("generate", "Generate", ":material/auto_awesome:"),
            _staff("claims", "Claims", ":material/fact_check:"),
            _staff("review", "Review", ":material/rate_review:"),
            _staff("export", "Export", ":material/download:"),
        ],
        "Researcher": [
            _staff("calibrate", "Calibrate", ":material/insights:"),
            _staff("compare", "Compare", ":material/compare_arrows:"),
            _staff("assemble", "Assemble", ":material/checklist:"),
            _staff("downloads", "Downloads", ":material/folder_zip:"),
        ],
        "Study": [
            _staff("study_admin", "Admin", ":material/groups:"),
        ],
    }
    st.navigation(pages).run()
    _warm_up()
