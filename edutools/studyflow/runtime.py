"""A stored study, ready to run: definition, stimuli, flow options, secret and GSP coordinator.

A study is stored as one bundle (definition, stimuli and flow options) under its id, so a
running study never rereads files that might have changed. A changed bundle needs a new
study id (the store refuses to overwrite), which keeps collected data meaningful. The study's
secret (for session tokens and completion codes, :mod:`edutools.studyflow.access`) is kept
apart from the bundle and never leaves the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edutools.errors import StudyError
from edutools.store import Store
from edutools.studyflow import access
from edutools.studyflow.gsp import DatabaseGSP
from edutools.studyflow.plan import FlowOptions
from edutools.studyflow.stimuli import StimulusSet, read_stimuli
from edutools.survey.config import StudyDefinition, load_study, parse_study
from edutools.survey.gsp import GSPDesign

__all__ = ["StudyRuntime", "bundle", "load_bundle", "load_runtime", "register_study"]


@dataclass(frozen=True)
class StudyRuntime:
    """Everything a participant session of one stored study needs."""

    study_id: int
    study: StudyDefinition
    stimuli: StimulusSet
    options: FlowOptions
    gsp: DatabaseGSP | None
    secret: str

    @property
    def key(self) -> str:
        """The study id from its file (the participant link names it)."""
        return self.study.id

    def completion_code(self, participant_key: str) -> str:
        """The code shown at the end: the study's Prolific code, else a personal one.

        Prolific accepts only the codes configured for the study, so a study with
        ``completion.code`` shows that code; otherwise each participant gets an HMAC of their
        key under the study's secret (:func:`edutools.studyflow.access.completion_code`).
        """
        if self.study.completion is not None:
            return self.study.completion.code
        return access.completion_code(self.secret, participant_key)

    def session_token(self, participant_key: str) -> str:
        """The token that lets a browser resume this participant's session."""
        return access.session_token(self.secret, participant_key)

    @property
    def completion_url(self) -> str | None:
        """Where to send a participant who finished (Prolific's return URL), if any."""
        return self.study.completion.prolific_url if self.study.completion else None

    @property
    def screened_out_code(self) -> str | None:
        """The code for participants excluded by attention checks, if any."""
        return self.study.completion.screened_out_code if self.study.completion else None


def bundle(study: StudyDefinition, stimuli: StimulusSet, options: FlowOptions) -> dict[str, Any]:
    """The JSON document stored as the study's definition."""
    stimuli.check(study)
    return {
        "study": study.model_dump(mode="json"),
        "stimuli": stimuli.to_records(),
        "flow": options.to_dict(),
    }


def load_bundle(study_path: str | Path) -> tuple[StudyDefinition, StimulusSet]:
    """Read ``study.yaml`` (or any study file) and its stimuli file (``stimuli``, beside it)."""
    path = Path(study_path)
    study = load_study(path)
    return study, read_stimuli(path.parent / study.stimuli, study)


def register_study(
    store: Store,
    study: StudyDefinition,
    stimuli: StimulusSet,
    options: FlowOptions | None = None,
) -> int:
    """Store the study bundle (idempotent for the same bundle) and return the study's row id.

    Example
    -------
    >>> study, stimuli = load_bundle("studies/style_preference/study.yaml")  # doctest: +SKIP
    >>> study_id = register_study(store, study, stimuli)  # doctest: +SKIP
    """
    return store.create_study(
        study.id, study.title, bundle(study, stimuli, options or FlowOptions())
    )


def load_runtime(store: Store, study_key: str) -> StudyRuntime | None:
    """The runtime of the stored study ``study_key``; None when no such study exists."""
    info = store.get_study(study_key)
    if info is None:
        return None
    doc = info.definition
    try:
        study = parse_study(doc["study"], f"stored study '{study_key}'")
        options = FlowOptions(**doc.get("flow", {}))
        stimuli = StimulusSet.from_records([d.name for d in study.dimensions], doc["stimuli"])
    except (KeyError, TypeError) as exc:
        raise StudyError(
            f"stored study '{study_key}' is not a participant study bundle ({exc}); "
            "register it from the study admin page"
        ) from None
    gsp = (
        DatabaseGSP(store.engine, info.study_id, GSPDesign.from_study(study))
        if study.design == "gsp"
        else None
    )
    return StudyRuntime(
        info.study_id, study, stimuli, options, gsp, store.study_secret(info.study_id)
    )
