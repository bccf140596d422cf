"""GIFT, Moodle's plain-text question format.

Each item becomes one multiple-choice question. Single-key items use ``=`` for the key and
``~`` for distractors; select-all items give every option a ``~%weight%`` from Moodle's
grade list (keys share 100 %, distractors share -100 %), which Moodle imports as a
multiple-answer question. Text is HTML-escaped and then GIFT-escaped (``~ = # { } :`` and
backslash get a backslash), so nothing a student wrote can open or close GIFT syntax.
Questions are grouped into ``$CATEGORY`` blocks per concept.
"""

from __future__ import annotations

import re

from edutools.export._common import clean_text, exportable, html_text, option_weights, percent
from edutools.schema import Item, ItemBank

__all__ = ["escape", "to_gift"]

_SPECIAL = re.compile(r"([~=#{}:\\])")


def escape(text: str) -> str:
    """Escape GIFT's special characters and keep line breaks as ``\\n``.

    Example
    -------
    >>> escape("a=b {c} ~d #e: f\\\\g")
    'a\\\\=b \\\\{c\\\\} \\\\~d \\\\#e\\\\: f\\\\\\\\g'
    """
    return _SPECIAL.sub(r"\\\1", clean_text(text)).replace("\n", "\\n")


def _comment(text: str) -> str:
    return " ".join(clean_text(text).split())


def _question(item: Item) -> str:
    lines = [
        f"// {_comment(item.id)}: {item.form}, concept {_comment(item.concept_id)}, source {_comment(item.source)}",
        f"::{escape(item.id)}::[html]{escape(html_text(item.stem))} {{",
    ]
    for option, weight in zip(item.options, option_weights(item), strict=True):
        body = escape(html_text(option.text))
        if item.form == "select_all":
            lines.append(f"    ~%{percent(weight)}%{body}")
        else:
            lines.append(f"    {'=' if option.is_key else '~'}{body}")
    lines.append("}")
    return "\n".join(lines)


def to_gift(bank: ItemBank, *, include_rejected: bool = False) -> str:
    """The bank as GIFT text.

    Parameters
    ----------
    bank : ItemBank
        The items to export (rejected ones are left out).
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    str

    Example
    -------
    >>> from edutools.schema import Option, Provenance
    >>> item = Item(id="q1-01", source="local", concept_id="cells", form="correct_key",
    ...             stem="Which statement is correct?",
    ...             options=[Option(text="2+2=4", is_key=True), Option(text="2+2=5", is_key=False)])
    >>> print(to_gift(ItemBank(course_id="bio", items=[item], run=Provenance(engine="local"))))
    $CATEGORY: $course$/top/edutools/bio/cells
    <BLANKLINE>
    // q1-01: correct_key, concept cells, source local
    ::q1-01::[html]<p>Which statement is correct?</p> {
        =<p>2+2\\=4</p>
        ~<p>2+2\\=5</p>
    }
    <BLANKLINE>
    """
    blocks: list[str] = []
    category = None
    for item in exportable(bank, include_rejected=include_rejected):
        if item.concept_id != category:
            category = item.concept_id
            # a category path is not GIFT-escaped by Moodle; keep it to safe characters
            path = "/".join(re.sub(r"[^\w.-]+", "_", part) for part in (bank.course_id, category))
            blocks.append(f"$CATEGORY: $course$/top/edutools/{path}")
        blocks.append(_question(item))
    return "\n\n".join(blocks) + "\n"
