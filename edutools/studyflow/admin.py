"""Study administration without UI: find study files, participant links, progress, downloads."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd

from edutools.errors import EdutoolsError
from edutools.store import Store, StudyProgress
from edutools.studyflow.export import export_study, raw_tables
from edutools.studyflow.runtime import StudyRuntime
from edutools.survey.config import load_study
from edutools.survey.data import write_export
from edutools.survey.report import AnalysisOptions, AnalysisReport, analyze_export

__all__ = [
    "Progress",
    "StudyFile",
    "export_zip",
    "find_studies",
    "participant_link",
    "progress",
    "raw_zip",
    "report_zip",
    "run_analysis",
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
    """Every ``*.yaml`` study definition one folder below ``root``, with its problem if any.

    Example
    -------
    >>> [f.path.name for f in find_studies("studies")]  # doctest: +SKIP
    ['pairwise.yaml', 'study.yaml']
    """
    from edutools.studyflow.runtime import load_bundle

    found = []
    for path in sorted(Path(root).glob("*/*.yaml")):
        try:
            study = load_study(path)
        except EdutoolsError as exc:
            found.append(StudyFile(path, None, path.parent.name, None, str(exc)))
            continue
        problem = None
        if not study.base_items:
            problem = "has no base items, so there is nothing to show participants (analysis only)"
        else:
            try:
                load_bundle(path)
            except EdutoolsError as exc:
                problem = str(exc)
        found.append(StudyFile(path, study.id, study.title, study.design, problem))
    return found


def participant_link(app_url: str, study_key: str, *, prolific: bool = True) -> str:
    """The link participants open: the app's root with the study and, for Prolific, its ids.

    Example
    -------
    >>> participant_link("http://127.0.0.1:8501/study_admin", "s1", prolific=False)
    'http://127.0.0.1:8501/?study=s1'
    """
    parts = urlsplit(app_url)
    query = urlencode({"study": study_key})
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
