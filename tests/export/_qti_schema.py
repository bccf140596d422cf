"""Checks of a QTI content package (zip) with the team's RELAX NG grammars in ``schemas/``.

``package_errors(data)`` validates ``imsmanifest.xml`` against ``schemas/manifest.rng`` and every
QTI resource against ``schemas/qti_subset.rng`` (lxml), then checks what a grammar cannot say:
identifiers are unique and every reference names something that exists (a condition's response
and label, a score variable, a feedback block, a manifest file or dependency). Each problem is
one line naming the file, the line, the element's path and what is wrong; an empty list means
the package passed.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
QTI_GRAMMAR = "qti_subset.rng"
MANIFEST_GRAMMAR = "manifest.rng"
QTI_RESOURCE = "imsqti_xmlv1p2"
_RNG = "http://relaxng.org/ns/structure/1.0"
_DEFAULT_VARIABLE = "SCORE"  # QTI 1.2.1: decvar's and setvar's varname default


@functools.cache
def grammar(name: str, start: str | None = None) -> etree.RelaxNG:
    """The grammar ``schemas/<name>``, or the same grammar started at its pattern ``start``."""
    if start is None:
        return etree.RelaxNG(etree.parse(str(SCHEMAS / name)))
    wrapper = (
        f'<grammar xmlns="{_RNG}"><include href="{name}">'
        f'<start><ref name="{start}"/></start></include></grammar>'
    )
    return etree.RelaxNG(etree.fromstring(wrapper, base_url=str(SCHEMAS / f"_{start}.rng")))


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def where(node: etree._Element) -> str:
    """``line N, /questestinterop/assessment/section/item[2] (ident 'x', title 'y')``.

    An enclosing item is named by its ident: ``.../item[2][@ident='x']/presentation``.
    """
    steps = []
    for step in [*reversed(list(node.iterancestors())), node]:
        parent = step.getparent()
        same = [] if parent is None else [s for s in parent if s.tag == step.tag]
        index = f"[{same.index(step) + 1}]" if len(same) > 1 else ""
        named = step is not node and _local(step) == "item" and step.get("ident")
        steps.append(_local(step) + index + (f"[@ident={step.get('ident')!r}]" if named else ""))
    names = [f"{k} {node.get(k)!r}" for k in ("ident", "identifier", "title") if node.get(k)]
    label = f" ({', '.join(names)})" if names else ""
    return f"line {node.sourceline}, /{'/'.join(steps)}{label}"


def _failing(root: etree._Element, name: str, message: str) -> list[etree._Element]:
    """The elements a located-less libxml2 message is about, found by validating each alone."""
    found = re.match(r"Element (\w+) ", message)
    if found is None:
        return []
    try:
        alone = grammar(name, found.group(1))
    except etree.RelaxNGParseError:  # an element the grammar defines inline
        return []
    return [n for n in root.iter(f"{{*}}{found.group(1)}") if not alone.validate(n)]


def schema_errors(xml: bytes, name: str) -> list[str]:
    """Every message of the grammar ``name`` for the document, each with where it is."""
    root = etree.fromstring(xml)
    check = grammar(name)
    if check.validate(root):
        return []
    errors = []
    for entry in check.error_log:
        nodes = root.getroottree().xpath(entry.path) if entry.path else []
        nodes = nodes or _failing(root, name, entry.message)
        if nodes:
            for node in nodes:
                names = [etree.QName(k).localname for k in node.attrib]
                attributes = f" (its attributes: {', '.join(names) or 'none'})"
                extra = attributes if "attribute" in entry.message else ""
                errors.append(f"{where(node)}: {entry.message}{extra}")
        else:
            errors.append(f"line {entry.line}: {entry.message}")
    return errors


def _number(text: str | None) -> float | None:
    try:
        return float(text or "")
    except ValueError:
        return None


def qti_reference_errors(xml: bytes) -> list[str]:
    """What the grammar cannot check: unique idents and references that resolve, per item."""
    root = etree.fromstring(xml)
    errors = []

    def q(node: etree._Element, path: str) -> list[etree._Element]:
        return node.findall(re.sub(r"(\w+)", r"{*}\1", path))

    items = list(root.iter("{*}item"))
    seen: dict[str, etree._Element] = {}
    for node in items:
        ident = node.get("ident", "")
        if ident in seen:
            errors.append(
                f"{where(node)}: item ident {ident!r} already used at {where(seen[ident])}"
            )
        seen.setdefault(ident, node)
    for node in items:
        responses: dict[str, set[str]] = {}
        for response in q(node, "presentation/response_lid"):
            labels = [
                label.get("ident", "") for label in q(response, "render_choice/response_label")
            ]
            if response.get("ident") in responses:
                errors.append(f"{where(response)}: response ident used twice in the item")
            if len(set(labels)) != len(labels):
                errors.append(f"{where(response)}: response_label idents repeat: {labels}")
            responses[response.get("ident", "")] = set(labels)
        for test in node.iter("{*}varequal"):
            respident, value = test.get("respident", ""), (test.text or "").strip()
            if respident not in responses:
                errors.append(
                    f"{where(test)}: respident {respident!r} names no response of the item "
                    f"(responses: {sorted(responses)})"
                )
            elif value not in responses[respident]:
                errors.append(
                    f"{where(test)}: {value!r} is no response_label of response {respident!r} "
                    f"(labels: {sorted(responses[respident])})"
                )
        variables = {d.get("varname", _DEFAULT_VARIABLE): d for d in node.iter("{*}decvar")}
        for setvar in node.iter("{*}setvar"):
            name = setvar.get("varname", _DEFAULT_VARIABLE)
            declared = variables.get(name)
            if declared is None:
                errors.append(f"{where(setvar)}: sets {name!r}, which no decvar declares")
                continue
            if declared.get("vartype", "Integer") in ("Integer", "Decimal", "Scientific"):
                value = _number(setvar.text)
                low, high = _number(declared.get("minvalue")), _number(declared.get("maxvalue"))
                if value is None:
                    errors.append(f"{where(setvar)}: {setvar.text!r} is not a number")
                elif setvar.get("action", "Set") == "Set" and (
                    (low is not None and value < low) or (high is not None and value > high)
                ):
                    errors.append(
                        f"{where(setvar)}: {value:g} is outside the declared range "
                        f"{declared.get('minvalue')}..{declared.get('maxvalue')}"
                    )
        feedback = {f.get("ident") for f in q(node, "itemfeedback")}
        for show in node.iter("{*}displayfeedback"):
            if show.get("linkrefid") not in feedback:
                errors.append(
                    f"{where(show)}: linkrefid {show.get('linkrefid')!r} names no itemfeedback "
                    f"of the item"
                )
    return errors


def manifest_reference_errors(xml: bytes, names: list[str]) -> list[str]:
    """Unique identifiers, dependencies that name resources, files that are in the zip."""
    root = etree.fromstring(xml)
    errors = []
    identifiers: dict[str, etree._Element] = {}
    for node in root.iter():
        ident = node.get("identifier")
        if ident is None:
            continue
        if ident in identifiers:
            errors.append(f"{where(node)}: identifier {ident!r} already used")
        identifiers.setdefault(ident, node)
    resources = {r.get("identifier") for r in root.iter("{*}resource")}
    listed = set()
    for resource in root.iter("{*}resource"):
        files = [f.get("href", "") for f in resource.findall("{*}file")]
        listed.update(files)
        href = resource.get("href")
        if href is not None and href not in files:
            errors.append(f"{where(resource)}: href {href!r} is none of its files {files}")
        for dependency in resource.findall("{*}dependency"):
            if dependency.get("identifierref") not in resources:
                errors.append(f"{where(dependency)}: names no resource of the manifest")
    for href in sorted(listed - set(names)):
        errors.append(f"a file lists {href!r}, which is not in the zip")
    for name in sorted(set(names) - listed - {"imsmanifest.xml"}):
        errors.append(f"{name!r} is in the zip but no resource lists it")
    return errors


def assessment_errors(xml: bytes) -> list[str]:
    """The grammar's messages for a QTI document or, when it passes, the reference checks'."""
    return schema_errors(xml, QTI_GRAMMAR) or qti_reference_errors(xml)


def package_errors(data: bytes) -> list[str]:
    """Every problem of a QTI zip: grammars, references, files; [] when it passes."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    if "imsmanifest.xml" not in names:
        return [f"no imsmanifest.xml in the zip (it holds {names})"]
    manifest = archive.read("imsmanifest.xml")
    errors = [f"imsmanifest.xml: {e}" for e in schema_errors(manifest, MANIFEST_GRAMMAR)]
    errors += [f"imsmanifest.xml: {e}" for e in manifest_reference_errors(manifest, names)]
    if errors:
        return errors
    qti = [
        f.get("href")
        for r in etree.fromstring(manifest).iter("{*}resource")
        if r.get("type") == QTI_RESOURCE
        for f in r.findall("{*}file")
    ]
    if not qti:
        errors.append(f"imsmanifest.xml: no resource of type {QTI_RESOURCE}")
    for href in qti:
        xml = archive.read(href)
        errors += [f"{href}: {e}" for e in assessment_errors(xml)]
    return errors
