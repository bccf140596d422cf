"""AppTests of the Claims page: labels, edits and merges are stored at once and survive a
reload (a new session); filters and bulk labels; re-generation with the stored labels."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from edutools import io
from edutools.generate.local import LocalEngine
from edutools.schema import Course
from edutools.settings import Settings
from edutools.store import Store


def _course(n: int = 2) -> Course:
    course = io.read_course(io.example_course_dir())
    keep = course.questions[:n]
    ids = {q.id for q in keep}
    return course.model_copy(
        update={
            "id": f"claims{n}",
            "title": f"Biology, {n} questions",
            "questions": keep,
            "concepts": [c for c in course.concepts if c.id in {q.concept_id for q in keep}],
            "answers": [a for a in course.answers if a.question_id in ids],
        }
    )


@pytest.fixture
def course() -> Course:
    course = _course()
    store = Store.from_settings(Settings.from_env())
    store.save_course(course)
    store.close()
    return course


def _store() -> Store:
    return Store.from_settings(Settings.from_env())


def _labels(at: AppTest) -> list[str]:
    return list(at.data_editor[0].value["label"])


def test_claims_in_labelling_order_with_the_explanation(
    app: Callable[..., AppTest], course: Course
) -> None:
    at = app(page="claims").run()
    assert not at.exception
    claims = LocalEngine().claims(course, course.questions[0])
    table = at.data_editor[0].value
    assert list(table["claim"]) == [c.id for c in claims]
    assert list(table["#"]) == list(range(1, len(claims) + 1))
    assert set(table["predicted"]) <= {"correct", "foil", "unsure", "off_topic"}
    assert "unsure" in set(table["predicted"]), "weak evidence is called unsure"
    assert _labels(at) == [""] * len(claims)  # blank, never "None"
    # the grades of the answers behind each claim, blank when none is graded
    grade = {a.id: a.grade for a in course.answers}
    for claim, shown in zip(claims, table["grades"], strict=True):
        given = [grade[a] for a in claim.answer_ids if grade[a] is not None]
        assert (shown == "") == (not given)
        if any(g == 0 for g in given):
            assert f"{sum(g == 0 for g in given)} wrong" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Claims"] == str(len(claims))
    assert metrics["Labelled"] == "0"
    assert "Label the first 8 claims of each question" in " ".join(at.markdown[0].value.split())
    assert at.caption[1].value.startswith("0 labels in 0 of 2 questions")
    # one expander per claim shown (up to 20) with the student sentences, by answer id only
    details = [e for e in at.expander if e.label.startswith("#")]
    assert len(details) == min(20, len(claims))
    sentences = at.table[0].value
    assert list(sentences.columns) == ["answer", "grade", "sentence"]
    assert set(sentences["answer"]) == set(claims[0].answer_ids)
    students = {a.student_id for a in course.answers}
    cells = {str(v) for t in [*at.table, *at.dataframe] for v in t.value.to_numpy().ravel()}
    assert not students & cells, "no student ids on the page"
    assert "None" not in set(sentences["grade"])


def test_a_label_is_stored_at_once_and_survives_a_reload(
    app: Callable[..., AppTest], course: Course
) -> None:
    at = app(page="claims").run()
    first = at.data_editor[0].value["claim"][0]
    at.radio[1].set_value("foil").run()  # radio 0 is the table's "Show" filter
    assert not at.exception
    assert _store().claim_reviews(course.id)["Q01"].labels == {first: "foil"}
    # the labelled claim goes to the end of the labelling order
    assert at.data_editor[0].value["claim"].iloc[-1] == first
    assert _labels(at)[-1] == "foil"
    # a reload is a new session: the label is read back from storage
    again = app(page="claims").run()
    assert {m.label: m.value for m in again.metric}["Labelled"] == "1"
    assert _labels(again)[-1] == "foil"
    assert again.caption[1].value.startswith("1 label in 1 of 2 questions")
    # only the labelled claims: the label is there; "no label" clears it
    again.radio(key="claims_show").set_value("labelled").run()
    assert list(again.data_editor[0].value["claim"]) == [first]
    assert again.radio[1].value == "foil"
    again.radio[1].set_value("no label").run()
    assert _store().claim_reviews(course.id) == {}
    assert again.data_editor[0].value.empty


def test_table_edits_are_saved_by_the_callback(course: Course) -> None:
    """The table's on_change callback (AppTest cannot click into a data editor's cells)."""

    def script(course_id: str) -> None:
        import streamlit as st

        from edutools.app import claims_ops, resources
        from edutools.app.pages import claims

        store = resources.store()
        course = store.get_course(course_id)
        assert course is not None
        shown = claims_ops.question_claims(store, course, "Q01")
        key = "claims-test"
        st.session_state[key] = {
            "edited_rows": {
                0: {"label": "correct"},
                2: {"label": "off_topic", "text": "  A reworded claim.  "},
                3: {"label": None},
            }
        }
        claims._on_table(course_id, "Q01", shown, key)

    at = AppTest.from_function(script, args=(course.id,), default_timeout=60).run()
    assert not at.exception
    claims = LocalEngine().claims(course, course.questions[0])
    review = _store().claim_reviews(course.id)["Q01"]
    assert review.labels == {claims[0].id: "correct", claims[2].id: "off_topic"}
    assert review.texts == {claims[2].id: "A reworded claim."}


def test_filters_and_bulk_labels(app: Callable[..., AppTest], course: Course) -> None:
    at = app(page="claims").run()
    at.multiselect(key="claims_predicted").set_value(["foil"]).run()
    at.slider(key="claims_confidence").set_value((0.7, 1.0)).run()
    table = at.data_editor[0].value
    assert len(table) > 0
    assert set(table["predicted"]) == {"foil"}
    assert (table["confidence"] >= 0.7).all()
    shown = list(table["claim"])
    assert f"Apply to {len(shown)} claims" in [b.label for b in at.button]
    at.selectbox(key="claims_bulk_choice").set_value("prediction").run()
    next(b for b in at.button if b.label == f"Apply to {len(shown)} claims").click().run()
    assert not at.exception
    assert _store().claim_reviews(course.id)["Q01"].labels == dict.fromkeys(shown, "foil")
    at.radio(key="claims_show").set_value("not labelled").run()
    assert at.data_editor[0].value.empty or not set(at.data_editor[0].value["claim"]) & set(shown)
    # another question: its own claims and labels
    at.radio(key="claims_show").set_value("all").run()
    at.multiselect(key="claims_predicted").set_value(["unsure"]).run()
    at.slider(key="claims_confidence").set_value((0.0, 1.0)).run()
    at.selectbox(key="claims_question").set_value("Q02").run()
    unsure = list(at.data_editor[0].value["claim"])
    assert unsure
    assert all(c.startswith("Q02-") for c in unsure)
    at.selectbox(key="claims_bulk_choice").set_value("prediction").run()
    next(b for b in at.button if b.label.startswith("Apply to")).click().run()
    assert "Q02" not in _store().claim_reviews(course.id), "unsure claims are not labelled"
    at.selectbox(key="claims_bulk_choice").set_value("correct").run()
    next(b for b in at.button if b.label.startswith("Apply to")).click().run()
    assert _store().claim_reviews(course.id)["Q02"].labels == dict.fromkeys(unsure, "correct")


def test_edit_merge_and_undo(app: Callable[..., AppTest], course: Course) -> None:
    at = app(page="claims").run()
    claims = LocalEngine().claims(course, course.questions[0])
    first, second = claims[0], claims[1]
    edit = next(t for t in at.text_input if t.value == first.text)
    edit.input("Prokaryotes have no nucleus.").run()
    assert _store().claim_reviews(course.id)["Q01"].texts == {
        first.id: "Prokaryotes have no nucleus."
    }
    assert at.data_editor[0].value["text"][0] == "Prokaryotes have no nucleus."
    # merge the second claim into the first
    merge_box = [s for s in at.selectbox if s.label.startswith("Merge into")][1]
    merge_box.set_value(first.id).run()
    [b for b in at.button if b.label == "Merge"][1].click().run()
    assert not at.exception
    assert _store().claim_reviews(course.id)["Q01"].merges == {second.id: first.id}
    table = at.data_editor[0].value
    assert second.id not in set(table["claim"])
    assert len(table) == len(claims) - 1
    assert {m.label: m.value for m in at.metric}["Claims"] == str(len(claims) - 1)
    merged_in = [m.value for m in at.markdown if m.value.startswith("Merged in:")]
    assert len(merged_in) == 1
    next(b for b in at.button if b.label == "Undo merge").click().run()
    assert _store().claim_reviews(course.id)["Q01"].merges == {}
    assert len(at.data_editor[0].value) == len(claims)


def test_regenerate_with_my_labels(app: Callable[..., AppTest], course: Course) -> None:
    store = _store()
    claims = LocalEngine().claims(course, course.questions[0])
    labelled = {c.id: ("correct" if c.predicted == "correct" else "foil") for c in claims[:8]}
    for cid, label in labelled.items():
        store.save_claim_label(course.id, "Q01", cid, label)
    at = app(page="claims").run()
    at.checkbox(key="claims_confirmed_only").check().run()
    next(b for b in at.button if b.label == "Re-generate with my labels").click().run()
    deadline = time.monotonic() + 60
    while not at.success and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not at.exception
    assert "with your labels of 8 claims (only labelled claims as options)" in at.success[0].value
    runs = store.list_runs(course.id)
    assert len(runs) == 1
    bank = store.load_bank(runs[0].run_id)
    assert bank.run.parameters["confirmed_only"] is True
    assert bank.run.parameters["reviews"]
    assert bank.items
    assert {i.question_id for i in bank.items} == {"Q01"}
    # every option is a claim the instructor labelled or a reference answer
    for item in bank.items:
        for option in item.options:
            assert option.assertion_id in labelled or "-r" in (option.assertion_id or ""), option
    store.close()
