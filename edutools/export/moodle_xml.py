"""Moodle XML: ``<quiz>`` with one ``<question type="multichoice">`` per item.

Single-key items are ``<single>true</single>`` with fraction 100 on the key; select-all
items are ``<single>false</single>`` with the keys sharing 100 and the distractors sharing
-100, every fraction taken from Moodle's grade list (33.33333, 25, -50, ...). Text is an
HTML paragraph with markup escaped, and the XML writer escapes it again, so student text
stays text. Each concept gets a category entry; form, source and concept become tags.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from edutools.export._common import clean_tree, exportable, html_text, option_weights, percent
from edutools.schema import Item, ItemBank

__all__ = ["to_moodle_xml"]


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {"format": "html"})
    ET.SubElement(node, "text").text = value
    return node


def _category(quiz: ET.Element, course_id: str, concept_id: str) -> None:
    question = ET.SubElement(quiz, "question", {"type": "category"})
    path = "/".join(re.sub(r"[^\w.-]+", "_", p) for p in (course_id, concept_id))
    ET.SubElement(
        ET.SubElement(question, "category"), "text"
    ).text = f"$course$/top/edutools/{path}"


def _question(quiz: ET.Element, item: Item) -> None:
    q = ET.SubElement(quiz, "question", {"type": "multichoice"})
    ET.SubElement(ET.SubElement(q, "name"), "text").text = item.id
    _text(q, "questiontext", html_text(item.stem))
    _text(q, "generalfeedback", "")
    ET.SubElement(q, "defaultgrade").text = "1"
    ET.SubElement(q, "penalty").text = "0.3333333"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = item.id[:100]
    ET.SubElement(q, "single").text = "false" if item.form == "select_all" else "true"
    ET.SubElement(q, "shuffleanswers").text = "true"
    ET.SubElement(q, "answernumbering").text = "abc"
    ET.SubElement(q, "showstandardinstruction").text = "0"
    _text(q, "correctfeedback", "Your answer is correct.")
    _text(q, "partiallycorrectfeedback", "Your answer is partially correct.")
    _text(q, "incorrectfeedback", "Your answer is incorrect.")
    ET.SubElement(q, "shownumcorrect")
    for option, weight in zip(item.options, option_weights(item), strict=True):
        answer = ET.SubElement(q, "answer", {"fraction": percent(weight), "format": "html"})
        ET.SubElement(answer, "text").text = html_text(option.text)
        _text(answer, "feedback", "")
    tags = ET.SubElement(q, "tags")
    for tag in (
        "edutools",
        f"form:{item.form}",
        f"source:{item.source}",
        f"concept:{item.concept_id}",
    ):
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag


def to_moodle_xml(bank: ItemBank, *, include_rejected: bool = False) -> str:
    """The bank as a Moodle XML quiz file.

    Parameters
    ----------
    bank : ItemBank
        The items to export (rejected ones are left out).
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    str
        UTF-8 XML text with declaration.

    Example
    -------
    >>> from edutools.schema import Option, Provenance
    >>> item = Item(id="q1-01", source="local", concept_id="cells", form="correct_key",
    ...             stem="Which is correct?",
    ...             options=[Option(text="A < B", is_key=True), Option(text="B < A", is_key=False)])
    >>> xml = to_moodle_xml(ItemBank(course_id="bio", items=[item], run=Provenance(engine="local")))
    >>> ET.fromstring(xml).find("question[@type='multichoice']/answer").get("fraction")
    '100'
    """
    quiz = ET.Element("quiz")
    category = None
    for item in exportable(bank, include_rejected=include_rejected):
        if item.concept_id != category:
            category = item.concept_id
            _category(quiz, bank.course_id, category)
        _question(quiz, item)
    ET.indent(clean_tree(quiz), space="  ")
    # <text></text> rather than <text />: what Moodle itself writes
    body = ET.tostring(quiz, encoding="unicode", short_empty_elements=False)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
