"""Small drawing helpers shared by the pages."""

from __future__ import annotations

import re

import streamlit as st

from edutools.errors import EdutoolsError

__all__ = ["error", "md_escape", "plain_title"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """Escape Markdown (and the HTML angle brackets) so user text shows literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def plain_title(text: str) -> None:
    """A page title from user-provided text, shown literally."""
    st.title(md_escape(text), anchor=False)


def error(exc: EdutoolsError) -> None:
    """Show an edutools error as its one-line message (which names file, row and column)."""
    st.error(str(exc), icon="⚠️")
