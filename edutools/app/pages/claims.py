"""Claims page: what students claim, per question, for the instructor to label, edit and merge.

Every change is written to storage at once, in a widget callback (idempotent upserts under
``(course_id, claim_id)``), so labels survive reloads. "Re-generate with my labels" runs the
local engine with the stored reviews; the Review page then shows the new items.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from edutools.app import claims_ops, resources, state
from edutools.app.widgets import (
    generation_progress,
    label_escape,
    md_escape,
    page_link,
    text_table,
)
from edutools.errors import DataError
from edutools.generate.claims import Claim
from edutools.schema import Course

_FLASH = "claims_flash"
_DETAILS = 20
_ROW_HEIGHT = 72  # above 64 px a table cell wraps its text instead of cutting it off
_NO_LABEL = "no label"
_BULK = {
    "prediction": "its prediction (unsure claims are skipped)",
    "correct": "correct",
    "foil": "foil",
    "off_topic": "off_topic",
    "clear": "no label (clear)",
}

_EXPLAIN = f"""
A **claim** is something several students wrote in nearly the same words: a cluster of their
sentences. For each claim the engine predicts **correct**, **foil** (a wrong statement students
believe: the stuff of good distractors) or **off_topic**, and says **unsure** when the grades and
the similar claims do not settle it. Your labels override its predictions, teach it about the
claims you leave unlabelled, and decide which statements become options when you re-generate.

Claims come in the order in which a label helps most. **Label the first
{claims_ops.SUGGESTED_LABELS} claims of each question** (a minute or two per question); claims you
label move to the end. With *only labelled claims*, every option of the new items is a claim you
labelled or a reference answer.
"""


@st.cache_data(show_spinner="Clustering the answers…", max_entries=32)
def _claims(course_hash: str, question_id: str, version: str, _course: Course) -> list[Claim]:
    """The question's claims with its stored review; mined again only when the course or
    the question's review (``version``) changed, not on every rerun."""
    return claims_ops.question_claims(resources.store(), _course, question_id)


@st.cache_data(show_spinner=False, max_entries=32)
def _merged(
    course_hash: str, question_id: str, version: str, _course: Course
) -> list[claims_ops.MergedClaim]:
    return claims_ops.merged_claims(resources.store(), _course, question_id)


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)


def _write(action: Any, done: str) -> None:
    try:
        action()
    except DataError as exc:
        _flash("error", str(exc))
    else:
        _flash("saved", done)


def _on_table(course_id: str, question_id: str, claims: list[Claim], key: str) -> None:
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    store = resources.store()
    _write(
        lambda: claims_ops.apply_table_edits(store, course_id, question_id, claims, edits),
        "Saved.",
    )


def _on_label(course_id: str, question_id: str, claim_id: str, key: str) -> None:
    value = st.session_state.get(key)
    label = None if value in (None, _NO_LABEL) else str(value)
    store = resources.store()
    _write(
        lambda: store.save_claim_label(course_id, question_id, claim_id, label),
        f"Label saved: {label or 'none'}.",
    )


def _on_text(course_id: str, question_id: str, claim_id: str, key: str) -> None:
    text = str(st.session_state.get(key) or "")
    store = resources.store()
    _write(
        lambda: store.save_claim_text(course_id, question_id, claim_id, text),
        "Text saved." if text.strip() else "The engine's text is back.",
    )


def _on_merge(course_id: str, question_id: str, claim_id: str, key: str) -> None:
    target = st.session_state.get(key)
    if not target:
        _flash("error", "Pick the claim to merge into first.")
        return
    store = resources.store()
    _write(
        lambda: claims_ops.merge(store, course_id, question_id, claim_id, str(target)),
        "Merged.",
    )


def _on_unmerge(course_id: str, question_id: str, claim_id: str) -> None:
    store = resources.store()
    _write(lambda: store.unmerge_claim(course_id, question_id, claim_id), "Merge undone.")


def _on_bulk(course_id: str, question_id: str, claims: list[Claim], key: str) -> None:
    choice = str(st.session_state.get(key, "prediction"))
    try:
        n = claims_ops.bulk_label(resources.store(), course_id, question_id, claims, choice)
    except DataError as exc:
        _flash("error", str(exc))
    else:
        _flash("saved", f"{n} claim{'s' if n != 1 else ''} labelled.")


def _on_regenerate(course: Course, run_id: int | None) -> None:
    store = resources.store()
    request = claims_ops.regeneration_request(
        store, course, run_id, confirmed_only=bool(st.session_state.get("claims_confirmed_only"))
    )
    state.start_job(request)


def _question(course: Course) -> str:
    counts = claims_ops.label_counts(resources.store(), course)
    ids = [q.id for q in course.questions]

    def name(qid: str) -> str:
        text = course.question(qid).text
        return f"{qid} · {text if len(text) <= 100 else text[:99] + '…'}"

    total = sum(counts.values())
    done = [q for q in ids if counts[q]]
    st.caption(
        f"{total} label{'s' if total != 1 else ''} in {len(done)} of {len(ids)} questions so far"
        + (f" ({', '.join(f'{q}: {counts[q]}' for q in done)})" if done else "")
        + f"; suggested: {claims_ops.SUGGESTED_LABELS} per question."
    )
    picked = st.selectbox("Question", ids, format_func=name, key="claims_question")
    return str(picked if picked is not None else ids[0])


def _filters(claims: list[Claim]) -> tuple[list[str], tuple[float, float], str]:
    c1, c2, c3 = st.columns([3, 2, 2])
    predictions = c1.multiselect(
        "Predicted",
        list(claims_ops.PREDICTIONS),
        default=list(claims_ops.PREDICTIONS),
        key="claims_predicted",
    )
    confidence = c2.slider(
        "Confidence of the prediction",
        min_value=0.0,
        max_value=1.0,
        value=(0.0, 1.0),
        step=0.05,
        key="claims_confidence",
    )
    show = c3.radio("Show", claims_ops.SHOW, horizontal=True, key="claims_show")
    return list(predictions), (float(confidence[0]), float(confidence[1])), str(show)


def _table(
    course: Course, question_id: str, shown: list[Claim], ranks: dict[str, int], version: str
) -> None:
    key = f"claims-table-{question_id}-{version}-{len(shown)}"
    st.data_editor(
        claims_ops.claims_table(shown, ranks, course),
        key=key,
        hide_index=True,
        row_height=_ROW_HEIGHT,
        height=min(len(shown), claims_ops.SUGGESTED_LABELS) * _ROW_HEIGHT + 40,
        placeholder="",
        column_order=["#", "text", "students", "grades", "predicted", "confidence", "label"],
        disabled=["#", "claim", "students", "grades", "predicted", "confidence"],
        column_config={
            "#": st.column_config.NumberColumn("#", width=40, help="Place in labelling order"),
            "text": st.column_config.TextColumn(
                "Claim (editable)",
                width=300,
                help="What an option would say. Edit to reword; clear it for the engine's text.",
            ),
            "students": st.column_config.NumberColumn("Students", width=60),
            "grades": st.column_config.TextColumn(
                "Grades", width="small", help="How the answers behind the claim were graded"
            ),
            "predicted": st.column_config.TextColumn("Predicted", width="small"),
            "confidence": st.column_config.ProgressColumn(
                "Confidence",
                min_value=0.0,
                max_value=1.0,
                format="%.2f",
                width="small",
                help="For correct, foil and off_topic: the estimated chance that the "
                "prediction is right. For unsure: how evenly the evidence is split (1 = it "
                "leans neither way).",
            ),
            "label": st.column_config.SelectboxColumn(
                "Your label",
                options=list(claims_ops.CLAIM_LABELS),
                width="small",
                help="correct, foil or off_topic; select the cell and press Delete to clear it",
            ),
        },
        on_change=_on_table,
        args=(course.id, question_id, shown, key),
    )


def _bulk(course: Course, question_id: str, shown: list[Claim]) -> None:
    if not shown:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.selectbox(
        f"Set the label of the {len(shown)} claims shown to",
        list(_BULK),
        format_func=_BULK.__getitem__,
        key="claims_bulk_choice",
    )
    c2.button(
        f"Apply to {len(shown)} claims",
        key="claims_bulk_apply",
        on_click=_on_bulk,
        args=(course.id, question_id, shown, "claims_bulk_choice"),
        use_container_width=True,
    )


def _regenerate(course: Course) -> None:
    with st.container(border=True):
        st.markdown("**Re-generate the items with your labels** (local engine)")
        job = state.jobs().get(course.id)
        running = job is not None and job.running
        st.checkbox(
            "Only labelled claims become options",
            key="claims_confirmed_only",
            help="Every option is then a claim you labelled or a reference answer; questions "
            "with few labels get few items (or none).",
        )
        st.button(
            "Re-generate with my labels",
            type="primary",
            disabled=running,
            key="claims_regenerate",
            on_click=_on_regenerate,
            args=(course, state.current_run_id(course.id)),
        )
        if job is not None:
            generation_progress(course, "claims")


def _key(*parts: str) -> str:
    return "cl-" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def _detail(
    course: Course,
    question_id: str,
    claim: Claim,
    rank: int,
    others: dict[str, str],
    merged_in: list[claims_ops.MergedClaim],
) -> None:
    label = claim.label or "not labelled"
    title = f"#{rank} · {claim.text[:90]}{'…' if len(claim.text) > 90 else ''} · {label}"
    with st.expander(label_escape(title)):
        st.caption(
            f"Predicted **{claim.predicted}** (confidence {claim.confidence:.2f}); "
            f"{claim.n_students} student{'s' if claim.n_students != 1 else ''}; "
            f"claim id {claim.id}."
        )
        text_table(claims_ops.sentences_table(claim, course), height=360)
        options = [_NO_LABEL, *claims_ops.CLAIM_LABELS]
        key = _key("label", claim.id, claim.label or "")
        st.radio(
            "Your label",
            options,
            index=options.index(claim.label or _NO_LABEL),
            horizontal=True,
            key=key,
            on_change=_on_label,
            args=(course.id, question_id, claim.id, key),
        )
        key = _key("text", claim.id, claim.text)
        st.text_input(
            "Claim text (what an option would say; clear it for the engine's text)",
            value=claim.text,
            key=key,
            on_change=_on_text,
            args=(course.id, question_id, claim.id, key),
        )
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        key = _key("merge", claim.id)
        c1.selectbox(
            "Merge into another claim that says the same (it keeps that claim's label and text)",
            [cid for cid in others if cid != claim.id],
            index=None,
            format_func=others.__getitem__,
            placeholder="Pick a claim",
            key=key,
        )
        c2.button(
            "Merge",
            key=_key("merge-button", claim.id),
            on_click=_on_merge,
            args=(course.id, question_id, claim.id, key),
            use_container_width=True,
        )
        for m in merged_in:
            m1, m2 = st.columns([3, 1], vertical_alignment="center")
            m1.markdown(f"Merged in: {md_escape(m.text)}")
            m2.button(
                "Undo merge",
                key=_key("unmerge", m.id),
                on_click=_on_unmerge,
                args=(course.id, question_id, m.id),
                use_container_width=True,
            )


def render() -> None:
    """Label the claims of the current course's questions."""
    course = state.current_course()
    st.title("Claims", anchor=False)
    st.caption(f"Course: {md_escape(course.title)} · {len(course.questions)} questions")
    store = resources.store()
    first_time = not store.claim_reviews(course.id)
    with st.expander("What are claims, and how many should I label?", expanded=first_time):
        st.markdown(_EXPLAIN)
    if flash := st.session_state.pop(_FLASH, None):
        (st.error if flash[0] == "error" else st.toast)(flash[1])
    question_id = _question(course)
    question = course.question(question_id)
    st.markdown(f"**Reference answer:** {md_escape(question.reference_answer)}")
    version = claims_ops.review_version(store, course.id, question_id)
    digest = course.content_hash()
    claims = _claims(digest, question_id, version, course)
    if not claims:
        st.info("No student sentences to cluster for this question.")
        _regenerate(course)
        return
    ranks = {c.id: i + 1 for i, c in enumerate(claims)}
    labelled = sum(c.label is not None for c in claims)
    c = st.columns(4)
    c[0].metric("Claims", len(claims))
    c[1].metric("Labelled", labelled)
    c[2].metric("Predicted unsure", sum(x.predicted == "unsure" for x in claims))
    c[3].metric("Answers", len({a for x in claims for a, _ in x.sentences}))
    predictions, confidence, show = _filters(claims)
    shown = claims_ops.filter_claims(
        claims, predictions=predictions, confidence=confidence, show=show
    )
    st.caption(
        f"{len(shown)} of {len(claims)} claims shown. Pick a label in the **Your label** column "
        "(or set many at once below); open a claim further down to read what students wrote, "
        "reword it or merge it with another."
    )
    _table(course, question_id, shown, ranks, version)
    stale = claims_ops.unmatched(store, course.id, question_id, claims)
    if stale:
        st.caption(
            f"{stale} stored label{'s' if stale != 1 else ''} of this question no longer match a "
            "claim (the answers changed since); they are ignored."
        )
    _bulk(course, question_id, shown)
    _regenerate(course)
    merged = _merged(digest, question_id, version, course)
    others = {x.id: f"#{ranks[x.id]} · {x.text[:80]}" for x in claims}
    st.subheader("Claims and what students wrote", anchor=False)
    for claim in shown[:_DETAILS]:
        _detail(
            course,
            question_id,
            claim,
            ranks[claim.id],
            others,
            [m for m in merged if m.into == claim.id],
        )
    if len(shown) > _DETAILS:
        st.caption(f"The first {_DETAILS} claims shown are listed; filter to reach the others.")
    page_link("review", "Review the items", ":material/rate_review:")
