"""Study admin page: create a study from its files, share the link, preview, watch progress,
verify completion codes, export and analyse."""

from __future__ import annotations

import re
import time
from pathlib import Path

import streamlit as st

from edutools.app import resources
from edutools.app.widgets import error, md_escape
from edutools.errors import EdutoolsError
from edutools.studyflow import (
    FlowOptions,
    StudyRuntime,
    load_bundle,
    load_runtime,
    register_study,
)
from edutools.studyflow.admin import (
    analysis_requirement,
    export_zip,
    find_studies,
    participant_link,
    progress,
    raw_zip,
    report_zip,
    run_analysis,
    verify_code_list,
)

_REPORT = "admin_report"
_CREATED = "admin_created"
_IMAGE_LINE = re.compile(r"^!\[.*\]\(.*\)\s*$")


def _create() -> None:
    st.subheader("Create a study")
    folder = st.text_input(
        "Study folder",
        value="studies",
        help="Each subfolder holds a study file (e.g. study.yaml) and its stimuli file.",
    )
    files = find_studies(Path(folder))
    if not files:
        st.info(f"No study files found in {md_escape(folder)}/*/.")
        return
    choice = st.selectbox(
        "Study file",
        files,
        format_func=lambda f: f"{f.title} ({f.path.parent.name}/{f.path.name})",
    )
    if choice is None:
        return
    if choice.problem:
        st.warning(f"Not runnable yet: {choice.problem}")
    c1, c2 = st.columns(2)
    seconds = c1.number_input(
        "Minimum reading time per step (seconds)",
        min_value=0.0,
        max_value=60.0,
        value=FlowOptions().min_response_seconds,
        step=0.5,
        help="An answer given sooner is not counted (it stops a double click from answering "
        "the next step unseen).",
    )
    practice = c2.number_input(
        "Practice trials", min_value=0, max_value=10, value=FlowOptions().practice_trials
    )
    if st.button("Create study", type="primary", disabled=not choice.ready):
        try:
            study, stimuli = load_bundle(choice.path)
            options = FlowOptions(practice_trials=int(practice), min_response_seconds=seconds)
            register_study(resources.store(), study, stimuli, options)
        except EdutoolsError as exc:
            error(exc)
        else:
            st.session_state["admin_study"] = study.id
            st.session_state[_CREATED] = study.id
            st.rerun()  # the list above shows the new study at once


@st.fragment(run_every=5)
def _progress(runtime: StudyRuntime) -> None:
    p = progress(resources.store(), runtime)
    cols = st.columns(5)
    cols[0].metric("Started", p.started)
    cols[1].metric("In progress", p.in_progress)
    cols[2].metric("Completed", p.completed)
    cols[3].metric("Excluded (attention)", p.excluded)
    cols[4].metric("Answers stored", p.answers)
    cap = runtime.study.max_participants
    full = " The study is full: new participants are turned away." if p.started >= cap else ""
    st.caption(
        f"Updated {time.strftime('%H:%M:%S')}; refreshes every 5 seconds. "
        f"Up to {cap} participants (study file: max_participants).{full}"
    )


def _downloads(runtime: StudyRuntime) -> None:
    store = resources.store()
    ended = store.study_progress(runtime.study_id)
    c1, c2 = st.columns(2)
    c1.download_button(
        "Raw data (zip of CSV, with Prolific ids)",
        data=lambda: raw_zip(store, runtime),
        file_name=f"{runtime.key}-raw.zip",
        mime="application/zip",
        on_click="ignore",
    )
    finished = ended.completed + ended.excluded
    c2.download_button(
        "Analysis export (pseudonymous)",
        data=lambda: export_zip(store, runtime),
        file_name=f"{runtime.key}-export.zip",
        mime="application/zip",
        on_click="ignore",
        disabled=finished == 0,
        help=None if finished else "Available once a participant has finished.",
    )


def _verify(runtime: StudyRuntime) -> None:
    with st.expander("Verify completion codes"):
        st.caption(
            "Upload a CSV with a participant column (participant_id, PROLIFIC_PID, pid) and a "
            "code column (completion_code, code, entered_code): each row gets a verdict. A "
            "code counts only for a participant who completed the study here."
        )
        upload = st.file_uploader("Codes (CSV)", type=["csv"], key=f"codes-{runtime.key}")
        if upload is None:
            return
        try:
            verdicts = verify_code_list(resources.store(), runtime, upload.name, upload.getvalue())
        except EdutoolsError as exc:
            error(exc)
            return
        counts = verdicts["verdict"].value_counts()
        st.write(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
        st.dataframe(verdicts, hide_index=True)
        st.download_button(
            "Verdicts (CSV)",
            data=verdicts.to_csv(index=False),
            file_name=f"{runtime.key}-code-verdicts.csv",
            mime="text/csv",
            on_click="ignore",
        )


def _analysis(runtime: StudyRuntime) -> None:
    st.subheader("Analysis")
    need = analysis_requirement(resources.store(), runtime)
    if need is None:
        st.caption("The analysis runs once participants have completed the study.")
    else:
        needed, have = need
        st.caption(f"The analysis needs at least {needed} completed participants (now {have}).")
    if st.button("Run the analysis", disabled=need is None or need[1] < need[0]):
        out = (
            resources.settings().data_dir / "reports" / runtime.key / time.strftime("%Y%m%d-%H%M%S")
        )
        with st.spinner("Analysing ..."):
            try:
                report = run_analysis(resources.store(), runtime, out)
            except EdutoolsError as exc:
                error(exc)
                return
        st.session_state[_REPORT] = (runtime.key, str(report.out))
    saved = st.session_state.get(_REPORT)
    if not saved or saved[0] != runtime.key:
        return
    folder = Path(saved[1])
    text = (folder / "report.md").read_text(encoding="utf-8")
    st.download_button(
        "Download the report (zip)",
        data=lambda: report_zip(folder),
        file_name=f"{runtime.key}-report.zip",
        mime="application/zip",
        on_click="ignore",
    )
    with st.container(border=True):
        # The report is generated by edutools (tables of estimates); figures are shown below.
        st.markdown("\n".join(line for line in text.splitlines() if not _IMAGE_LINE.match(line)))
        for png in sorted((folder / "figures").glob("*.png")):
            st.image(str(png), caption=png.stem)


def _running() -> None:
    st.subheader("Running studies")
    if created := st.session_state.pop(_CREATED, None):
        st.success(f"Study '{created}' is ready for participants.")
    store = resources.store()
    studies = store.list_studies()
    if not studies:
        st.info("No study has been created yet.")
        return
    keys = [s.study_key for s in studies]
    wanted = st.session_state.get("admin_study")
    pick = st.selectbox(
        "Study",
        keys,
        index=keys.index(wanted) if wanted in keys else 0,
        format_func=lambda k: next(f"{s.title} ({k})" for s in studies if s.study_key == k),
    )
    if pick is None:
        return
    try:
        runtime = load_runtime(store, pick)
    except EdutoolsError as exc:
        error(exc)
        return
    if runtime is None:
        return
    prolific = st.toggle("Prolific link (with PROLIFIC_PID, STUDY_ID, SESSION_ID)", value=True)
    base = st.context.url or "http://127.0.0.1:8501/"
    st.code(participant_link(base, runtime.key, prolific=prolific), language=None, wrap_lines=True)
    st.link_button(
        "Preview the participant view (nothing is stored)",
        participant_link(base, runtime.key, preview=True),
    )
    _progress(runtime)
    _downloads(runtime)
    _verify(runtime)
    _analysis(runtime)


def render() -> None:
    """Create studies, share their link, watch progress, export and analyse the data."""
    st.title("Study admin", anchor=False)
    _running()
    st.divider()
    _create()
