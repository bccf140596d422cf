"""What every exporter shares: which items go out, option letters, Moodle's grade fractions, and
text that every format can hold (:func:`~edutools.io.clean_text` on everything written: a
vertical tab or another character XML 1.0 forbids never reaches a file)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from edutools.errors import DataError
from edutools.io import clean_text
from edutools.schema import Item, ItemBank

__all__ = [
    "MOODLE_FRACTIONS",
    "clean_text",
    "clean_tree",
    "exportable",
    "html_text",
    "letter",
    "moodle_fraction",
    "option_weights",
    "percent",
]

# Moodle accepts only these grade fractions on import (question_bank::fraction_options_full:
# p/q for q <= 6, p/10, 1/q for q <= 10, 1/20, their negatives, 0 and 1), to 7 decimals.
_POSITIVE = (
    1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05,
)  # fmt: skip
MOODLE_FRACTIONS: tuple[float, ...] = (*_POSITIVE, 0.0, *(-f for f in _POSITIVE))


def exportable(bank: ItemBank, *, include_rejected: bool = False) -> list[Item]:
    """The items to export: all but those a reviewer rejected (unless asked to keep them)."""
    items = [i for i in bank.items if include_rejected or i.status != "rejected"]
    if not items:
        raise DataError(
            f"item bank '{bank.course_id}' has no items to export "
            f"({len(bank.items)} items, all rejected or none generated); generate or accept items first"
        )
    return items


def letter(i: int) -> str:
    """Option letter: 0 -> A."""
    return chr(ord("A") + i)


def moodle_fraction(value: float) -> float:
    """The Moodle grade fraction nearest to ``value`` (in -1..1).

    Example
    -------
    >>> moodle_fraction(1 / 3), moodle_fraction(-1 / 7)
    (0.3333333, -0.1428571)
    """
    return min(MOODLE_FRACTIONS, key=lambda f: abs(f - value))


def option_weights(item: Item) -> list[float]:
    """Grade fraction per option, from Moodle's list.

    Single-key items: 1 for the key, 0 otherwise. Select-all items: each key
    ``1 / n_keys``, each distractor ``-1 / n_distractors``, so ticking every option scores 0.

    Example
    -------
    >>> from edutools.schema import Option
    >>> item = Item(id="i", source="s", concept_id="c", form="select_all", stem="Select all.",
    ...             options=[Option(text=t, is_key=t in "AB") for t in "ABCD"])
    >>> option_weights(item)
    [0.5, 0.5, -0.5, -0.5]
    """
    if item.form != "select_all":
        return [1.0 if o.is_key else 0.0 for o in item.options]
    keys = sum(o.is_key for o in item.options)
    wrong = item.k - keys
    return [
        moodle_fraction(1 / keys) if o.is_key else moodle_fraction(-1 / wrong) for o in item.options
    ]


def percent(fraction: float) -> str:
    """A fraction as Moodle writes percentages: 0.3333333 -> '33.33333', 1 -> '100'.

    Example
    -------
    >>> percent(0.3333333), percent(-0.5), percent(0.125), percent(0.0)
    ('33.33333', '-50', '12.5', '0')
    """
    text = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def html_text(text: str) -> str:
    """Plain text as an HTML paragraph: markup characters escaped, line breaks kept.

    Example
    -------
    >>> html_text("a <b> & c\\nnext")
    '<p>a &lt;b&gt; &amp; c<br>next</p>'
    """
    escaped = html.escape(clean_text(text), quote=False)
    return "<p>" + re.sub(r"\r?\n", "<br>", escaped) + "</p>"


def clean_tree(root: ET.Element) -> ET.Element:
    """Every text, tail and attribute value of an XML tree made safe for XML 1.0 (in place).

    Example
    -------
    >>> root = ET.Element("a", {"title": "x\\x0by"})
    >>> root.text = "one\\x0btwo\\x01"
    >>> ET.tostring(clean_tree(root), encoding="unicode")
    '<a title="x&#10;y">one\\ntwo</a>'
    """
    for node in root.iter():
        if node.text:
            node.text = clean_text(node.text)
        if node.tail:
            node.tail = clean_text(node.tail)
        for key, value in node.attrib.items():
            node.attrib[key] = clean_text(value)
    return root
