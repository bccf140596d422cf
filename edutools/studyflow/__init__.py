"""The participant flow and study administration, without any UI.

The Streamlit pages in :mod:`edutools.app` draw what :class:`ParticipantFlow` says and pass
answers back to it; everything durable (assignment, the plan, each answer once, resuming,
exclusion, completion) happens here and is tested without a browser.
"""

from edutools.studyflow.gsp import DatabaseGSP
from edutools.studyflow.plan import FlowOptions, Step, build_plan
from edutools.studyflow.runtime import StudyRuntime, load_bundle, load_runtime, register_study
from edutools.studyflow.session import (
    Identity,
    ParticipantFlow,
    Position,
    SessionTakenError,
    StudyFullError,
)
from edutools.studyflow.stimuli import Stimulus, StimulusSet, read_stimuli

__all__ = [
    "DatabaseGSP",
    "FlowOptions",
    "Identity",
    "ParticipantFlow",
    "Position",
    "SessionTakenError",
    "Step",
    "Stimulus",
    "StimulusSet",
    "StudyFullError",
    "StudyRuntime",
    "build_plan",
    "load_bundle",
    "load_runtime",
    "read_stimuli",
    "register_study",
]
