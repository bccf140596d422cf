"""Exporters: structure, escaping and select-all weights of GIFT, Moodle XML, QTI and CSV."""

from __future__ import annotations

import csv
import doctest
import importlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _qti_schema import QTI_GRAMMAR, assessment_errors, package_errors, schema_errors
from lxml import etree

from edutools import export
from edutools.errors import DataError
from edutools.export._common import MOODLE_FRACTIONS, moodle_fraction, option_weights, percent
from edutools.export.gift import escape
from edutools.schema import Form, Item, ItemBank, Option, Provenance

NASTY = 'Water {moves} = osmosis ~ "fast" #1: a\\b <script>alert(1)</script> & ]]> end'
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def item(
    id: str,
    form: Form,
    keys: set[int],
    k: int = 4,
    *,
    texts: list[str] | None = None,
    status: str = "draft",
) -> Item:
    texts = texts or [f"Statement {id} number {i}" for i in range(k)]
    return Item(
        id=id,
        source="local",
        concept_id="osmosis" if id.startswith("a") else "enzymes",
        question_id="q1",
        form=form,
        stem=f"Stem of {id}: which is right?",
        options=[Option(text=t, is_key=i in keys) for i, t in enumerate(texts)],
        status=status,  # type: ignore[arg-type]
    )


@pytest.fixture
def bank() -> ItemBank:
    return ItemBank(
        course_id="bio 101",
        items=[
            item("a1", "correct_key", {2}, texts=[NASTY, "Plain option", "The key", "Other"]),
            item("a2", "foil_key", {0}),
            item("b1", "select_all", {0, 2, 3}),
            item("b2", "select_all", {1}, k=5),
            item("b3", "correct_key", {0}, status="rejected"),
        ],
        run=Provenance(engine="local"),
    )


@pytest.mark.parametrize("name", ["_common", "gift", "moodle_xml", "qti", "csv", "__init__"])
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(
        "edutools.export" if name == "__init__" else f"edutools.export.{name}"
    )
    assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------- weights


@pytest.mark.parametrize(
    ("keys", "k", "key_weight", "wrong_weight"),
    [
        pytest.param(1, 4, 1.0, -0.3333333, id="1-of-4"),
        pytest.param(2, 4, 0.5, -0.5, id="2-of-4"),
        pytest.param(3, 4, 0.3333333, -1.0, id="3-of-4"),
        pytest.param(3, 10, 0.3333333, -0.1428571, id="3-of-10"),
        pytest.param(6, 7, 0.1666667, -1.0, id="6-of-7"),
        pytest.param(9, 10, 0.1111111, -1.0, id="9-of-10"),
    ],
)
def test_select_all_weights_are_moodle_fractions(
    keys: int, k: int, key_weight: float, wrong_weight: float
) -> None:
    weights = option_weights(item("x", "select_all", set(range(keys)), k=k))
    assert weights == [key_weight] * keys + [wrong_weight] * (k - keys)
    assert all(w in MOODLE_FRACTIONS for w in weights)
    assert sum(w for w in weights if w > 0) == pytest.approx(1.0, abs=1e-6)
    assert sum(w for w in weights if w < 0) == pytest.approx(-1.0, abs=1e-6)


def test_moodle_fraction_and_percent() -> None:
    assert moodle_fraction(0.34) == 0.3333333
    assert moodle_fraction(-0.26) == -0.25
    assert [percent(f) for f in (1.0, 0.8333333, -0.1428571, 0.05)] == [
        "100",
        "83.33333",
        "-14.28571",
        "5",
    ]


# --------------------------------------------------------------------------- GIFT


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("a~b", "a\\~b", id="tilde"),
        pytest.param("a=b", "a\\=b", id="equals"),
        pytest.param("#1", "\\#1", id="hash"),
        pytest.param("{x}", "\\{x\\}", id="braces"),
        pytest.param("a: b", "a\\: b", id="colon"),
        pytest.param("a\\b", "a\\\\b", id="backslash"),
        pytest.param("line\nnext", "line\\nnext", id="newline"),
        pytest.param("plain text", "plain text", id="plain"),
    ],
)
def test_gift_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def _gift_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _gift_questions(text: str) -> list[str]:
    return [b for b in text.split("\n\n") if b.lstrip().startswith("//")]


def test_gift_structure_and_escaping(bank: ItemBank) -> None:
    text = export.to_gift(bank)
    questions = _gift_questions(text)
    assert len(questions) == 4  # the rejected item stays out
    assert text.count("$CATEGORY: $course$/top/edutools/bio_101/") == 2
    first = questions[0]
    body = first.split("{\n", 1)[1].rsplit("\n}", 1)[0]
    # no unescaped special character inside an answer: every ~ = # { } : is preceded by \
    for line in body.splitlines():
        answer = line.strip()[1:]
        assert not re.search(r"(?<!\\)(?:\\\\)*[~=#{}:]", answer), line
    nasty_line = next(line for line in body.splitlines() if "script" in line)
    assert _gift_unescape(nasty_line.strip()[1:]) == (
        '<p>Water {moves} = osmosis ~ "fast" #1: a\\b &lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; end</p>'
    )
    assert sum(line.strip().startswith("=") for line in body.splitlines()) == 1


def test_gift_select_all_weights(bank: ItemBank) -> None:
    questions = _gift_questions(export.to_gift(bank))
    select = [q for q in questions if "select_all" in q.splitlines()[0]]
    assert len(select) == 2
    for q in select:
        weights = [float(w) for w in re.findall(r"^\s*~%(-?[\d.]+)%", q, flags=re.M)]
        assert "=" not in "".join(line.strip()[:1] for line in q.splitlines()[2:])  # no "=" answers
        assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=1e-3)
        assert sum(w for w in weights if w < 0) == pytest.approx(-100, abs=1e-3)
        assert all(
            w / 100 in MOODLE_FRACTIONS or round(w / 100, 7) in MOODLE_FRACTIONS for w in weights
        )


# --------------------------------------------------------------------------- Moodle XML


def test_moodle_xml_structure(bank: ItemBank) -> None:
    root = ET.fromstring(export.to_moodle_xml(bank))
    assert root.tag == "quiz"
    questions = root.findall("question[@type='multichoice']")
    assert [q.findtext("name/text") for q in questions] == ["a1", "a2", "b1", "b2"]
    assert len(root.findall("question[@type='category']")) == 2
    for q in questions:
        for tag in (
            "questiontext/text",
            "single",
            "shuffleanswers",
            "answernumbering",
            "defaultgrade",
        ):
            assert q.find(tag) is not None, tag
        assert q.findtext("shuffleanswers") == "true"
        assert len(q.findall("answer")) in (4, 5)
    by_name = {q.findtext("name/text"): q for q in questions}
    assert by_name["a1"].findtext("single") == "true"
    assert [a.get("fraction") for a in by_name["a1"].findall("answer")] == ["0", "0", "100", "0"]
    # student text comes back exactly, as escaped HTML: no live markup
    first = by_name["a1"].findall("answer")[0].findtext("text")
    assert (
        first
        == '<p>Water {moves} = osmosis ~ "fast" #1: a\\b &lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; end</p>'
    )


@pytest.mark.parametrize(
    ("name", "fractions"),
    [
        pytest.param("b1", ["33.33333", "-100", "33.33333", "33.33333"], id="3-keys"),
        pytest.param("b2", ["-25", "100", "-25", "-25", "-25"], id="1-key-of-5"),
    ],
)
def test_moodle_xml_select_all(bank: ItemBank, name: str, fractions: list[str]) -> None:
    root = ET.fromstring(export.to_moodle_xml(bank))
    q = next(
        q for q in root.findall("question[@type='multichoice']") if q.findtext("name/text") == name
    )
    assert q.findtext("single") == "false"
    got = [a.get("fraction") for a in q.findall("answer")]
    assert got == fractions
    values = [float(f) / 100 for f in got]
    assert all(round(v, 7) in MOODLE_FRACTIONS for v in values)
    assert sum(v for v in values if v > 0) == pytest.approx(1, abs=1e-6)


# --------------------------------------------------------------------------- QTI


def _qti(bank: ItemBank) -> tuple[ET.Element, ET.Element, list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(export.to_qti_zip(bank)))
    names = archive.namelist()
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    href = manifest.find(f"{CP}resources/{CP}resource/{CP}file").get("href")  # type: ignore[union-attr]
    assert href in names
    return manifest, ET.fromstring(archive.read(href)), names


def test_qti_package(bank: ItemBank) -> None:
    manifest, assessment, names = _qti(bank)
    assert sorted(names) == sorted([n for n in names if n.endswith(".xml")])
    assert len(names) == 2
    resource = manifest.find(f"{CP}resources/{CP}resource")
    assert resource is not None
    assert resource.get("type") == "imsqti_xmlv1p2"
    assert assessment.tag == f"{QTI}questestinterop"
    test = assessment.find(f"{QTI}assessment")
    assert test is not None
    assert resource.get("identifier") == test.get("ident")
    items = test.findall(f"{QTI}section/{QTI}item")
    assert [i.get("title") for i in items] == ["a1", "a2", "b1", "b2"]
    assert len({i.get("ident") for i in items}) == 4
    for node in items:
        lid = node.find(f"{QTI}presentation/{QTI}response_lid")
        assert lid is not None
        labels = [
            lab.get("ident") for lab in lid.findall(f"{QTI}render_choice/{QTI}response_label")
        ]
        assert len(set(labels)) == len(labels) >= 4
        assert node.find(f"{QTI}resprocessing/{QTI}outcomes/{QTI}decvar") is not None
        qtype = node.find(
            f".//{QTI}qtimetadatafield[{QTI}fieldlabel='question_type']/{QTI}fieldentry"
        )
        assert qtype is not None
        if node.get("title", "").startswith("b"):
            assert lid.get("rcardinality") == "Multiple"
            assert qtype.text == "multiple_answers_question"
        else:
            assert lid.get("rcardinality") == "Single"
            assert qtype.text == "multiple_choice_question"


def test_qti_scoring_and_text(bank: ItemBank) -> None:
    _, assessment, _ = _qti(bank)
    items = {i.get("title"): i for i in assessment.iter(f"{QTI}item")}
    single = items["a1"]
    labels = [lab.get("ident") for lab in single.iter(f"{QTI}response_label")]
    key = single.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar/{QTI}varequal")
    assert key is not None
    assert key.text == labels[2]
    mattext = next(single.iter(f"{QTI}response_label")).find(f"{QTI}material/{QTI}mattext")
    assert mattext is not None
    assert mattext.get("texttype") == "text/html"
    assert "&lt;script&gt;" in (mattext.text or "")
    multi = items["b1"]
    labels = [lab.get("ident") for lab in multi.iter(f"{QTI}response_label")]
    both = multi.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar/{QTI}and")
    assert both is not None
    required = [v.text for v in both.findall(f"{QTI}varequal")]
    excluded = [v.text for v in both.findall(f"{QTI}not/{QTI}varequal")]
    assert required == [labels[0], labels[2], labels[3]]
    assert excluded == [labels[1]]


def test_qti_is_reproducible(bank: ItemBank) -> None:
    assert export.to_qti_zip(bank) == export.to_qti_zip(bank)


# --------------------------------------------------------------------------- CSV


def test_csv_rows_keys_and_formula_guard(bank: ItemBank) -> None:
    guarded = bank.model_copy(
        update={
            "items": [
                item("a9", "correct_key", {1}, texts=['=HYPERLINK("x")', "ok", "-5 degrees", "@me"])
            ]
        }
    )
    rows = list(csv.DictReader(io.StringIO(export.to_csv(guarded))))
    assert rows[0]["option_a"] == '\'=HYPERLINK("x")'
    assert rows[0]["option_c"] == "'-5 degrees"
    assert rows[0]["key"] == "B"
    raw = list(csv.DictReader(io.StringIO(export.to_csv(guarded, formula_guard=False))))
    assert raw[0]["option_a"] == '=HYPERLINK("x")'
    rows = list(csv.DictReader(io.StringIO(export.to_csv(bank))))
    assert [r["id"] for r in rows] == ["a1", "a2", "b1", "b2"]
    assert rows[0]["option_a"] == NASTY  # commas, quotes and braces survive the round trip
    assert rows[2]["key"] == "A;C;D"
    assert rows[3]["option_e"] != ""
    assert rows[0]["option_e"] == ""


# --------------------------------------------------------------------------- write


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_write_every_format(bank: ItemBank, tmp_path: Path, fmt: str) -> None:
    out = export.write(bank, fmt, tmp_path / "sub" / f"quiz{export.SUFFIXES[fmt]}")
    assert out.exists()
    assert out.read_bytes() == export.render(bank, fmt)


@pytest.mark.parametrize(
    ("fmt", "make_bank", "message"),
    [
        pytest.param("pdf", lambda b: b, "unknown export format 'pdf'", id="unknown-format"),
        pytest.param(
            "gift",
            lambda b: b.model_copy(
                update={"items": [i for i in b.items if i.status == "rejected"]}
            ),
            "no items to export",
            id="all-rejected",
        ),
    ],
)
def test_write_errors(
    bank: ItemBank, tmp_path: Path, fmt: str, make_bank: object, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        export.write(make_bank(bank), fmt, tmp_path / "x")  # type: ignore[operator]


# --------------------------------------------------------------------------- independent consumers

HERE = Path(__file__).parent
GIFT_PARSER = HERE / "gift_parser"
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
WORD = "Water moves in\x0bby osmosis\x0c(Word's line and page breaks)\x01\x1f \ufffe end"


@pytest.fixture
def word_bank(bank: ItemBank) -> ItemBank:
    """Text pasted from Word: vertical tabs, form feeds and other characters XML forbids."""
    items = [
        item("w1", "correct_key", {1}, texts=[WORD, "The key\x0bon two lines", "Other", "Last"]),
        item("w2", "select_all", {0, 2}, texts=["A\x0b1", "B\x0c2", "C\x003", "D\x084"]),
    ]
    items[0].stem = "Which is right?\x0bPick one."
    return bank.model_copy(update={"items": [*bank.items, *items]})


def _human_bank() -> ItemBank:
    from edutools import io as edu_io

    return edu_io.read_item_bank(edu_io.example_course_dir() / "human_bank.json")


def _select_all_bank() -> ItemBank:
    """Select-all items with every number of keys from 1 to k - 1, for k = 3 to 6."""
    items = [
        item(f"s{k}-{n}", "select_all", set(range(n)), k=k)
        for k in range(3, 7)
        for n in range(1, k)
    ]
    return ItemBank(course_id="select all", items=items, run=Provenance(engine="local"))


def _qti_assessment(data: bytes) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive.read(next(n for n in archive.namelist() if n != "imsmanifest.xml"))


# --------------------------------------------------------------------------- QTI: our grammars


@pytest.mark.parametrize("which", ["fixture", "word", "human", "select_all"])
def test_qti_package_passes_the_qti_and_manifest_grammars(
    bank: ItemBank, word_bank: ItemBank, which: str
) -> None:
    chosen = {
        "fixture": bank,
        "word": word_bank,
        "human": _human_bank(),
        "select_all": _select_all_bank(),
    }[which]
    data = export.to_qti_zip(chosen)
    assert package_errors(data) == []
    items = etree.fromstring(_qti_assessment(data)).findall(f".//{QTI}item")
    assert len(items) == sum(i.status != "rejected" for i in chosen.items)


def _with_feedback(xml: bytes) -> bytes:
    """Canvas-style feedback and an `or` condition added to every item of an export."""
    root = etree.fromstring(xml)
    for node in root.iter(f"{QTI}item"):
        labels = [lab.get("ident") for lab in node.iter(f"{QTI}response_label")]
        processing = node.find(f"{QTI}resprocessing")
        assert processing is not None
        right = processing.find(f"{QTI}respcondition")
        assert right is not None
        etree.SubElement(right, f"{QTI}displayfeedback", linkrefid="correct_fb")
        wrong = etree.SubElement(processing, f"{QTI}respcondition", {"continue": "Yes"})
        either = etree.SubElement(etree.SubElement(wrong, f"{QTI}conditionvar"), f"{QTI}or")
        for label in labels[:2]:
            test = etree.SubElement(either, f"{QTI}varequal", respident="response1", case="No")
            test.text = label
        etree.SubElement(
            wrong, f"{QTI}displayfeedback", feedbacktype="Solution", linkrefid="general_fb"
        )
        for ident, view in (("correct_fb", "All"), ("general_fb", "Candidate")):
            block = etree.SubElement(node, f"{QTI}itemfeedback", ident=ident, view=view)
            text = etree.SubElement(etree.SubElement(block, f"{QTI}material"), f"{QTI}mattext")
            text.text = f"<p>{ident}</p>"
    return etree.tostring(root)


def test_qti_grammar_takes_feedback_and_or_conditions(bank: ItemBank) -> None:
    """The parts of the subset the exporter does not write (Canvas reads them) are usable."""
    xml = _with_feedback(_qti_assessment(export.to_qti_zip(bank)))
    assert xml.count(b"<itemfeedback") == 8
    assert assessment_errors(xml) == []


QTI_NS = QTI[1:-1]
FEEDBACK = (
    f'<itemfeedback xmlns="{QTI_NS}" ident="fb"><material><mattext>x</mattext></material>'
    "</itemfeedback>"
)
ITEM_1 = "/questestinterop/assessment/section/item[1][@ident='a1']"
ITEM_3 = "/questestinterop/assessment/section/item[3][@ident='b1']"


def _first(tag: str, n: int = 0) -> Callable[[etree._Element], etree._Element]:
    return lambda root: list(root.iter(f"{QTI}{tag}"))[n]


def _drop(tag: str, attribute: str, n: int = 0) -> Callable[[etree._Element], None]:
    def drop(root: etree._Element) -> None:
        del _first(tag, n)(root).attrib[attribute]

    return drop


def _set(tag: str, attribute: str, value: str, n: int = 0) -> Callable[[etree._Element], None]:
    return lambda root: _first(tag, n)(root).set(attribute, value)


def _swap_presentation_first(root: etree._Element) -> None:
    node = _first("item", 1)(root)
    node.insert(0, node.find(f"{QTI}presentation"))


def _insert(tag: str, into: str, n: int = 0) -> Callable[[etree._Element], None]:
    return lambda root: _first(into, n)(root).insert(0, etree.Element(f"{QTI}{tag}"))


def _remove(tag: str, n: int = 0) -> Callable[[etree._Element], None]:
    def remove(root: etree._Element) -> None:
        node = _first(tag, n)(root)
        node.getparent().remove(node)

    return remove


def _second_test_in_not(root: etree._Element) -> None:
    negation = _first("not")(root)
    negation.append(etree.fromstring(etree.tostring(negation[0])))


def _text(tag: str, value: str, n: int = 0) -> Callable[[etree._Element], None]:
    def text(root: etree._Element) -> None:
        _first(tag, n)(root).text = value

    return text


def _feedback_link_to_nothing(root: etree._Element) -> None:
    _first("item")(root).append(etree.fromstring(FEEDBACK))
    link = etree.fromstring(f'<displayfeedback xmlns="{QTI_NS}" linkrefid="missing"/>')
    _first("respcondition")(root).append(link)


def _append_to_item(xml: str, n: int = 0) -> Callable[[etree._Element], None]:
    return lambda root: _first("item", n)(root).append(etree.fromstring(xml))


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        pytest.param(
            _drop("item", "ident"),
            [
                "/questestinterop/assessment/section/item[1] (title 'a1')",
                "Element item failed to validate attributes (its attributes: title)",
            ],
            id="missing-required-attribute",
        ),
        pytest.param(
            _drop("varequal", "respident"),
            [f"{ITEM_1}/resprocessing", "Element varequal failed to validate attributes"],
            id="missing-respident",
        ),
        pytest.param(
            _swap_presentation_first,
            [
                "/questestinterop/assessment/section/item[2][@ident='a2']/itemmetadata",
                "Did not expect element itemmetadata there",
            ],
            id="wrong-child-order",
        ),
        pytest.param(
            _insert("choice_label", "render_choice"),
            [
                f"{ITEM_1}/presentation/response_lid/render_choice/choice_label",
                "Did not expect element choice_label there",
            ],
            id="unknown-element",
        ),
        pytest.param(
            _set("response_lid", "rcardinality", "One"),
            [
                f"{ITEM_1}/presentation/response_lid",
                "Invalid attribute rcardinality for element response_lid",
            ],
            id="bad-enumerated-value",
        ),
        pytest.param(
            _set("decvar", "vartype", "Float"),
            ["Invalid attribute vartype for element decvar"],
            id="bad-vartype",
        ),
        pytest.param(
            _set("setvar", "action", "Replace", n=2),
            [
                f"{ITEM_3}/resprocessing/respcondition/setvar",
                "Invalid attribute action for element setvar",
            ],
            id="bad-setvar-action",
        ),
        pytest.param(
            _remove("outcomes"),
            [f"{ITEM_1}/resprocessing/respcondition", "Did not expect element respcondition there"],
            id="missing-required-child",
        ),
        pytest.param(
            _second_test_in_not,
            ["/not/varequal[2]", "Did not expect element varequal there"],
            id="two-tests-in-not",
        ),
        pytest.param(
            _insert("qticomment", "item"),
            ["Did not expect element qticomment there"],
            id="qti-element-outside-the-subset",
        ),
        pytest.param(
            _append_to_item('<displayfeedback xmlns="' + QTI_NS + '" linkrefid="fb"/>'),
            ["Did not expect element displayfeedback there"],
            id="feedback-outside-a-condition",
        ),
        pytest.param(
            _text("varequal", "a1_Z"),
            [f"{ITEM_1}/resprocessing", "'a1_Z' is no response_label of response 'response1'"],
            id="key-names-no-option",
        ),
        pytest.param(
            _set("varequal", "respident", "response2"),
            ["respident 'response2' names no response of the item"],
            id="condition-names-no-response",
        ),
        pytest.param(
            _set("item", "ident", "a1", n=1),
            ["item[2] (ident 'a1', title 'a2')", "item ident 'a1' already used at line"],
            id="duplicate-item-ident",
        ),
        pytest.param(
            _set("response_label", "ident", "a1_A", n=1),
            ["response_label idents repeat: ['a1_A', 'a1_A', 'a1_C', 'a1_D']"],
            id="duplicate-option-ident",
        ),
        pytest.param(
            _set("setvar", "varname", "POINTS"),
            ["sets 'POINTS', which no decvar declares"],
            id="undeclared-variable",
        ),
        pytest.param(
            _text("setvar", "150"),
            ["150 is outside the declared range 0..100"],
            id="score-out-of-range",
        ),
        pytest.param(
            _feedback_link_to_nothing,
            ["linkrefid 'missing' names no itemfeedback of the item"],
            id="feedback-link-to-nothing",
        ),
    ],
)
def test_qti_check_rejects_broken_documents(
    bank: ItemBank, mutate: Callable[[etree._Element], None], fragments: list[str]
) -> None:
    root = etree.fromstring(_qti_assessment(export.to_qti_zip(bank)))
    mutate(root)
    errors = assessment_errors(etree.tostring(root))
    assert errors, "the broken document passed"
    assert any(all(f in e for f in fragments) for e in errors), errors
    assert all(re.match(r"line [1-9]\d*, /questestinterop", e) for e in errors), errors


def test_qti_check_rejects_a_wrong_namespace(bank: ItemBank) -> None:
    xml = _qti_assessment(export.to_qti_zip(bank))
    other = xml.replace(QTI_NS.encode(), b"http://www.imsglobal.org/xsd/imsqti_v2p1")
    assert schema_errors(other, QTI_GRAMMAR) == [
        f"line 2, /questestinterop: Element questestinterop has wrong namespace: expecting {QTI_NS}"
    ]


def _repack(data: bytes, edit: Callable[[bytes], bytes], extra: str | None = None) -> bytes:
    """The package with its manifest edited (and perhaps one more file)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            payload = source.read(name)
            archive.writestr(name, edit(payload) if name == "imsmanifest.xml" else payload)
        if extra:
            archive.writestr(extra, b"<x/>")
    return buffer.getvalue()


def _sub(pattern: str, repl: str) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(pattern.encode(), repl.encode(), xml, count=1, flags=re.S)


@pytest.mark.parametrize(
    ("edit", "extra", "fragments"),
    [
        pytest.param(
            _sub(r' type="imsqti_xmlv1p2"', ""),
            None,
            ["/manifest/resources/resource", "Element resource failed to validate attributes"],
            id="missing-resource-type",
        ),
        pytest.param(
            _sub(r"(<organizations />)(\s*)(<resources>.*</resources>)", r"\3\2\1"),
            None,
            ["Did not expect element resources there"],
            id="resources-before-organizations",
        ),
        pytest.param(
            _sub(r"<file ", "<files "),
            None,
            ["Did not expect element files there"],
            id="unknown-element",
        ),
        pytest.param(
            _sub(r'identifier="(\w)', r'identifier="1\1'),
            None,
            ["/manifest", "Element manifest failed to validate attributes"],
            id="identifier-not-an-xml-name",
        ),
        pytest.param(
            _sub(r"(<file href=\")", r"\1missing/"),
            None,
            ["a file lists 'missing/", "which is not in the zip"],
            id="file-not-in-the-zip",
        ),
        pytest.param(
            lambda xml: xml,
            "stray.xml",
            ["'stray.xml' is in the zip but no resource lists it"],
            id="file-not-listed",
        ),
        pytest.param(
            _sub(r"(<file [^>]*/>)", r'\1<dependency identifierref="nothing"/>'),
            None,
            ["/manifest/resources/resource/dependency", "names no resource of the manifest"],
            id="dependency-to-nothing",
        ),
        pytest.param(
            _sub(r"imsqti_xmlv1p2", "imsqti_item_xmlv2p1"),
            None,
            ["no resource of type imsqti_xmlv1p2"],
            id="no-qti-resource",
        ),
    ],
)
def test_manifest_check_rejects_broken_packages(
    bank: ItemBank, edit: Callable[[bytes], bytes], extra: str | None, fragments: list[str]
) -> None:
    errors = package_errors(_repack(export.to_qti_zip(bank), edit, extra))
    assert errors, "the broken package passed"
    assert any(all(f in e for f in fragments) for e in errors), errors
    assert all(e.startswith("imsmanifest.xml: ") for e in errors), errors


@pytest.mark.parametrize("fmt", ["moodle", "qti"])
def test_xml_exports_parse_with_lxml_even_after_word_text(word_bank: ItemBank, fmt: str) -> None:
    from lxml import etree

    data = export.render(word_bank, fmt)
    documents = (
        [
            zipfile.ZipFile(io.BytesIO(data)).read(n)
            for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
        ]
        if fmt == "qti"
        else [data]
    )
    for doc in documents:
        root = etree.fromstring(doc, etree.XMLParser(recover=False, resolve_entities=False))
        text = "".join(root.itertext())
        assert not FORBIDDEN.search(text)
    assert b"by osmosis" in b"".join(documents)


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_no_export_writes_a_forbidden_character(word_bank: ItemBank, fmt: str) -> None:
    data = export.render(word_bank, fmt)
    texts = (
        [
            zipfile.ZipFile(io.BytesIO(data)).read(n)
            for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
        ]
        if fmt == "qti"
        else [data]
    )
    for raw in texts:
        assert not FORBIDDEN.search(raw.decode("utf-8"))


def test_a_course_with_a_vertical_tab_exports_parsable_xml(tmp_path: Path) -> None:
    """From a course file holding Word's line breaks to Moodle XML and QTI that parse."""
    from lxml import etree

    from edutools import generate
    from edutools import io as edu_io
    from edutools.settings import Settings

    folder = edu_io.write_course(edu_io.read_course(edu_io.example_course_dir()), tmp_path / "c")
    questions = (folder / "questions.csv").read_text(encoding="utf-8")
    (folder / "questions.csv").write_text(
        questions.replace("? ", "?\x0b", 3).replace(", ", ",\x0b", 5), encoding="utf-8"
    )
    answers = (folder / "answers.csv").read_text(encoding="utf-8")
    (folder / "answers.csv").write_text(answers.replace(". ", ".\x0b", 40), encoding="utf-8")
    course = edu_io.read_course(folder)
    keep = [q.id for q in course.questions[:2]]
    course = course.model_copy(
        update={
            "questions": course.questions[:2],
            "answers": [a for a in course.answers if a.question_id in keep],
        }
    )
    assert any("\n" in q.text or "\n" in q.reference_answer for q in course.questions)
    bank = generate.run(course, "local", Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path)}))
    assert bank.items
    etree.fromstring(export.render(bank, "moodle"))
    assert package_errors(export.render(bank, "qti")) == []


# --------------------------------------------------------------------------- GIFT through gift-pegjs


@pytest.fixture(scope="module")
def gift_parse() -> object:
    """Parse GIFT files with gift-pegjs from the npm registry (installed once into gift_parser/)."""
    import json
    import os
    import shutil
    import subprocess

    node, npm = shutil.which("node"), shutil.which("npm")
    ci = os.environ.get("CI") == "true"
    if node is None or npm is None:
        if ci:
            pytest.fail("Node.js is needed for the independent GIFT parser test")
        pytest.skip("Node.js is not installed")
    if not (GIFT_PARSER / "node_modules" / "gift-pegjs").exists():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=GIFT_PARSER,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            if ci:
                pytest.fail(f"npm ci for gift-pegjs failed: {done.stderr[-500:]}")
            pytest.skip(f"cannot install gift-pegjs: {done.stderr[-200:]}")

    def parse(paths: list[Path]) -> dict[str, list[dict[str, object]]]:
        done = subprocess.run(
            [node, str(GIFT_PARSER / "parse_gift.mjs"), *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    return parse


def _plain(html_text: str) -> str:
    import html

    body = re.sub(r"^<p>|</p>$", "", html_text).replace("<br>", "\n")
    return html.unescape(body)


def test_gift_parses_with_gift_pegjs(
    bank: ItemBank, word_bank: ItemBank, tmp_path: Path, gift_parse: object
) -> None:
    from edutools.io import clean_text

    banks = {"fixture": bank, "word": word_bank, "human": _human_bank()}
    paths = {}
    for name, b in banks.items():
        paths[name] = tmp_path / f"{name}.gift"
        paths[name].write_text(export.to_gift(b), encoding="utf-8")
    parsed = gift_parse(list(paths.values()))  # type: ignore[operator]
    for name, b in banks.items():
        questions = [q for q in parsed[str(paths[name])] if q["type"] != "Category"]
        items = [i for i in b.items if i.status != "rejected"]
        assert [q["title"] for q in questions] == [i.id for i in items]
        for q, it in zip(questions, items, strict=True):
            assert q["type"] == "MC"
            assert _plain(q["stem"]["text"]) == clean_text(it.stem)
            choices = q["choices"]
            assert [_plain(c["text"]["text"]) for c in choices] == [
                clean_text(o.text) for o in it.options
            ]
            if it.form == "select_all":
                weights = [float(c["weight"]) for c in choices]
                assert [w > 0 for w in weights] == [o.is_key for o in it.options]
                assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=1e-3)
            else:
                assert [c["isCorrect"] for c in choices] == [o.is_key for o in it.options]
