"""Small drawing helpers shared by the pages."""

from __future__ import annotations

import re

import streamlit as st

from edutools.errors import EdutoolsError

__all__ = ["error", "label_escape", "md_escape", "plain_title"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|<>~$])")


def md_escape(text: str) -> str:
    """Escape Markdown (and the HTML angle brackets) so user text shows literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def label_escape(text: str) -> str:
    """Escape the inline Markdown a one-line widget label could carry (links, emphasis, code).

    Block syntax (lists, headings) cannot occur in a label, so dots and dashes stay as they are
    and screen readers read the label without stray backslashes.
    """
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def plain_title(text: str) -> None:
    """A page title from user-provided text, shown literally."""
    st.title(md_escape(text), anchor=False)


def error(exc: EdutoolsError) -> None:
    """Show an edutools error as its one-line message (which names file, row and column)."""
    st.error(str(exc), icon="⚠️")
