"""IMS QTI 1.2 as a content package (zip) that Canvas imports ("QTI .zip file").

The zip holds ``imsmanifest.xml``, which lists one resource of type ``imsqti_xmlv1p2``,
and that resource's assessment file ``<ident>/<ident>.xml``: a ``<questestinterop>`` with
one ``<assessment>``, one section and one ``<item>`` per exported item. Single-key items are
Canvas ``multiple_choice_question`` items (``response_lid rcardinality="Single"``);
select-all items are ``multiple_answers_question`` items (``rcardinality="Multiple"``) whose
full-score condition requires every key and no distractor, as Canvas writes them. Text goes
in ``mattext texttype="text/html"`` as escaped HTML. The zip is byte-for-byte reproducible.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile

from edutools.export._common import clean_tree, exportable, html_text, letter
from edutools.schema import Item, ItemBank

__all__ = ["QTI_NAMESPACE", "to_qti_zip"]

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
_QTI_SCHEMA = (
    "http://www.imsglobal.org/xsd/ims_qtiasiv1p2 http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
)
_CP_NAMESPACE = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _ident(text: str) -> str:
    """An XML-safe identifier (letters, digits, _ - .) that starts with a letter."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    return clean if clean[:1].isalpha() else f"i{clean}"


def _field(parent: ET.Element, label: str, entry: str) -> None:
    field = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(field, "fieldlabel").text = label
    ET.SubElement(field, "fieldentry").text = entry


def _material(parent: ET.Element, text: str) -> None:
    ET.SubElement(
        ET.SubElement(parent, "material"), "mattext", {"texttype": "text/html"}
    ).text = html_text(text)


def _item(section: ET.Element, item: Item, ident: str) -> None:
    multiple = item.form == "select_all"
    node = ET.SubElement(section, "item", {"ident": ident, "title": item.id})
    meta = ET.SubElement(ET.SubElement(node, "itemmetadata"), "qtimetadata")
    _field(
        meta,
        "question_type",
        "multiple_answers_question" if multiple else "multiple_choice_question",
    )
    _field(meta, "points_possible", "1.0")
    labels = [f"{ident}_{letter(i)}" for i in range(item.k)]
    _field(meta, "original_answer_ids", ",".join(labels))

    presentation = ET.SubElement(node, "presentation")
    _material(presentation, item.stem)
    response = ET.SubElement(
        presentation,
        "response_lid",
        {"ident": "response1", "rcardinality": "Multiple" if multiple else "Single"},
    )
    choices = ET.SubElement(response, "render_choice")
    for label, option in zip(labels, item.options, strict=True):
        _material(ET.SubElement(choices, "response_label", {"ident": label}), option.text)

    processing = ET.SubElement(node, "resprocessing")
    ET.SubElement(
        ET.SubElement(processing, "outcomes"),
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
    test = ET.SubElement(condition, "conditionvar")
    if multiple:
        both = ET.SubElement(test, "and")
        for label, option in zip(labels, item.options, strict=True):
            parent = both if option.is_key else ET.SubElement(both, "not")
            ET.SubElement(parent, "varequal", {"respident": "response1"}).text = label
    else:
        key = labels[item.key_indices[0]]
        ET.SubElement(test, "varequal", {"respident": "response1"}).text = key
    ET.SubElement(condition, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"


def _xml(root: ET.Element) -> bytes:
    ET.indent(clean_tree(root), space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def _manifest(package: str, assessment: str, title: str) -> bytes:
    root = ET.Element(
        "manifest",
        {
            "identifier": f"{package}_manifest",
            "xmlns": _CP_NAMESPACE,
            "xmlns:imsmd": "http://www.imsglobal.org/xsd/imsmd_v1p2",
            "xmlns:xsi": _XSI,
            "xsi:schemaLocation": f"{_CP_NAMESPACE} http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
        },
    )
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    general = ET.SubElement(ET.SubElement(metadata, "imsmd:lom"), "imsmd:general")
    ET.SubElement(ET.SubElement(general, "imsmd:title"), "imsmd:string").text = title
    ET.SubElement(root, "organizations")
    resource = ET.SubElement(
        ET.SubElement(root, "resources"),
        "resource",
        {
            "identifier": assessment,
            "type": "imsqti_xmlv1p2",
            "href": f"{assessment}/{assessment}.xml",
        },
    )
    ET.SubElement(resource, "file", {"href": f"{assessment}/{assessment}.xml"})
    return _xml(root)


def to_qti_zip(
    bank: ItemBank, *, title: str | None = None, include_rejected: bool = False
) -> bytes:
    """The bank as a QTI 1.2 content package (zip bytes) for Canvas.

    Parameters
    ----------
    bank : ItemBank
        The items to export (rejected ones are left out).
    title : str, optional
        Quiz title; default ``"<course id> (<engine>)"``.
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    bytes
        A zip with ``imsmanifest.xml`` and one assessment file.

    Example
    -------
    >>> from edutools.schema import Option, Provenance
    >>> item = Item(id="q1-01", source="local", concept_id="c", form="correct_key", stem="Which?",
    ...             options=[Option(text="yes", is_key=True), Option(text="no", is_key=False)])
    >>> data = to_qti_zip(ItemBank(course_id="bio", items=[item], run=Provenance(engine="local")))
    >>> sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())[-1]
    'imsmanifest.xml'
    """
    items = exportable(bank, include_rejected=include_rejected)
    digest = hashlib.sha256("\n".join(i.id for i in items).encode()).hexdigest()[:12]
    assessment = _ident(f"edutools_{bank.course_id}_{digest}")
    title = title or f"{bank.course_id} ({bank.run.engine})"

    root = ET.Element(
        "questestinterop",
        {"xmlns": QTI_NAMESPACE, "xmlns:xsi": _XSI, "xsi:schemaLocation": _QTI_SCHEMA},
    )
    test = ET.SubElement(root, "assessment", {"ident": assessment, "title": title})
    meta = ET.SubElement(test, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    section = ET.SubElement(test, "section", {"ident": "root_section"})
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        ident = _ident(item.id)
        if ident in seen:  # two ids that differ only in characters _ident replaces
            ident = f"{ident}_{n}"
        seen.add(ident)
        _item(section, item, ident)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in (
            (f"{assessment}/{assessment}.xml", _xml(root)),
            ("imsmanifest.xml", _manifest(assessment, assessment, title)),
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return buffer.getvalue()
