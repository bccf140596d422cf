"""Study administration without UI: study files, links, previews, progress, code checks, downloads."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd

from edutools.errors import StudyError
from edutools.store import Store, StudyProgress
from edutools.store.engine import make_memory_engine
from edutools.studyflow.access import read_code_list, verify_codes
from edutools.studyflow.check import check_study, is_study_file
from edutools.studyflow.export import export_study, raw_tables
from edutools.studyflow.runtime import StudyRuntime, load_runtime
from edutools.survey.data import write_export
from edutools.survey.models_common import included_participants
from edutools.survey.report import (
    AnalysisOptions,
    AnalysisReport,
    analyze_export,
    minimum_participants,
)

__all__ = [
    "Progress",
    "StudyFile",
    "analysis_requirement",
    "export_zip",
    "find_studies",
    "participant_link",
    "preview_runtime",
    "progress",
    "raw_zip",
    "report_zip",
    "run_analysis",
    "verify_code_list",
]

# Prolific replaces these placeholders in a study URL with the participant's values.
_PROLIFIC = {
    "PROLIFIC_PID": "{{%PROLIFIC_PID%}}",
    "STUDY_ID": "{{%STUDY_ID%}}",
    "SESSION_ID": "{{%SESSION_ID%}}",
}


@dataclass(frozen=True)
class StudyFile:
    """A study definition found on disk, and whether participants can run it."""

    path: Path
    study_id: str | None
    title: str
    design: str | None
    problem: str | None

    @property
    def ready(self) -> bool:
        """True when the file and its stimuli.csv are valid."""
        return self.problem is None


def find_studies(root: str | Path) -> list[StudyFile]:
    """Every study file one folder below ``root``, with what keeps it from running, if anything.

    YAML files that are not participant studies (no top-level ``design`` and ``dimensions``,
    such as an analysis plan) are left out.

    Example
    -------
    >>> [f.path.name for f in find_studies("studies")]  # doctest: +SKIP
    ['pairwise.yaml', 'study.yaml']
    """
    found = []
    for path in sorted(Path(root).glob("*/*.yaml")):
        if not is_study_file(path):
            continue
        checked = check_study(path)
        study = checked.study
        found.append(
            StudyFile(
                path,
                None if study is None else study.id,
                path.parent.name if study is None else study.title,
                None if study is None else study.design,
                checked.problem,
            )
        )
    return found


def participant_link(
    app_url: str, study_key: str, *, prolific: bool = True, preview: bool = False
) -> str:
    """The link participants open: the app's root with the study and, for Prolific, its ids.

    ``preview`` gives the staff preview of the participant view instead (nothing is stored).

    Example
    -------
    >>> participant_link("http://127.0.0.1:8501/study_admin", "s1", prolific=False)
    'http://127.0.0.1:8501/?study=s1'
    >>> participant_link("http://127.0.0.1:8501/", "s1", preview=True)
    'http://127.0.0.1:8501/?study=s1&preview=1'
    """
    parts = urlsplit(app_url)
    query = urlencode({"study": study_key})
    if preview:
        return urlunsplit((parts.scheme, parts.netloc, "/", query + "&preview=1", ""))
    if prolific:
        # Prolific's placeholders must stay literal: append them unencoded.
        query += "&" + "&".join(f"{k}={v}" for k, v in _PROLIFIC.items())
    return urlunsplit((parts.scheme, parts.netloc, "/", query, ""))


@dataclass(frozen=True)
class Progress:
    """Participants started, completed and excluded, and answers stored."""

    started: int
    completed: int
    excluded: int
    in_progress: int
    answers: int


def progress(store: Store, runtime: StudyRuntime) -> Progress:
    """Live counts for the admin page (GSP answers included)."""
    p: StudyProgress = store.study_progress(runtime.study_id)
    gsp_answers = 0
    if runtime.gsp is not None:
        gsp_answers = len(runtime.gsp.trials_frame())
    return Progress(
        started=p.started,
        completed=p.completed,
        excluded=p.excluded,
        in_progress=p.started - p.completed - p.excluded,
        answers=p.trials + gsp_answers,
    )


def _zip_folder(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder).as_posix())
    return buf.getvalue()


def _jsonable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, dict | list)).any():
            out[col] = out[col].map(lambda v: json.dumps(v, sort_keys=True))
    return out


def raw_zip(store: Store, runtime: StudyRuntime) -> bytes:
    """Every stored table of the study as CSV files in a zip (includes Prolific ids)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in raw_tables(store, runtime).items():
            z.writestr(f"{name}.csv", _jsonable(frame).to_csv(index=False))
    return buf.getvalue()


def export_zip(store: Store, runtime: StudyRuntime) -> bytes:
    """The analysis export (pseudonymous) as a zip of the export folder."""
    with tempfile.TemporaryDirectory(prefix="edutools-export-") as tmp:
        folder = write_export(export_study(store, runtime), Path(tmp) / "export")
        return _zip_folder(folder)


def preview_runtime(store: Store, study_key: str) -> tuple[Store, StudyRuntime]:
    """A copy of a stored study in a private in-memory store, for previewing the participant view.

    Whatever a preview answers goes into the copy and vanishes with it: the study's own
    database never sees it (no participant row, no answer, no event).
    """
    info = store.get_study(study_key)
    if info is None:
        raise StudyError(f"no study '{study_key}' to preview")
    copy = Store(make_memory_engine())
    copy.create_study(info.study_key, info.title, info.definition)
    runtime = load_runtime(copy, study_key)
    if runtime is None:  # pragma: no cover - just created
        raise StudyError(f"the preview of '{study_key}' could not be prepared")
    return copy, runtime


def verify_code_list(
    store: Store, runtime: StudyRuntime, filename: str, data: bytes
) -> pd.DataFrame:
    """A verdict per row of an uploaded CSV of (participant, completion code) pairs.

    See :func:`edutools.studyflow.access.verify_codes` for the verdicts.
    """
    codes = read_code_list(filename, data)
    people = store.study_tables(runtime.study_id)["participants"]
    if people.empty:
        people = pd.DataFrame(columns=["participant_key", "status"])
    return verify_codes(
        codes, people, runtime.completion_code, screened_out_code=runtime.screened_out_code
    )


def analysis_requirement(store: Store, runtime: StudyRuntime) -> tuple[int, int] | None:
    """(participants the analysis needs, participants it has); None before anyone finished."""
    try:
        export = export_study(store, runtime)
    except StudyError:
        return None
    options = AnalysisOptions.from_study(runtime.study)
    return minimum_participants(export, options), len(included_participants(export))


def run_analysis(store: Store, runtime: StudyRuntime, out: str | Path) -> AnalysisReport:
    """Export the study and run the analysis of :mod:`edutools.survey.report` into ``out``.

    The options come from the study's ``analysis`` section (the same report as
    ``edutools study analyze``).
    """
    export = export_study(store, runtime)
    options = AnalysisOptions.from_study(runtime.study)
    return analyze_export(export, out, options=options, title=runtime.study.title)


def report_zip(folder: str | Path) -> bytes:
    """A report folder (report.md, tables, figures) as a zip."""
    return _zip_folder(Path(folder))
