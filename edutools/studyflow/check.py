"""Is a study file runnable offline? One verdict, naming exactly what is missing.

A participant study runs without any LLM provider once its rewrites exist: participants read
pre-generated stimuli, questionnaires come from the shipped instruments, and the GSP sampler
and the analysis are local. :func:`check_study` checks every piece a running study reads, in
the order a researcher would fix them, and stops at the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from edutools.errors import EdutoolsError, StudyError
from edutools.studyflow.questionnaire import questionnaire
from edutools.studyflow.stimuli import read_stimuli
from edutools.survey.config import StudyDefinition, load_study

__all__ = ["StudyCheck", "check_study", "is_study_file"]


@dataclass(frozen=True)
class StudyCheck:
    """The verdict on one study file: ``problem`` is None when participants can run it."""

    path: Path
    study: StudyDefinition | None
    problem: str | None
    n_stimuli: int = 0

    @property
    def ready(self) -> bool:
        """True when the study runs offline as it is."""
        return self.problem is None

    def summary(self) -> str:
        """One line for the command line."""
        if self.problem is not None or self.study is None:
            return f"{self.path}: {self.problem}"
        s = self.study
        return (
            f"{self.path}: {s.design} study '{s.id}' runs offline ({len(s.base_items)} base "
            f"items, {self.n_stimuli} rewrites in {s.stimuli}, up to {s.max_participants} "
            "participants)"
        )


def is_study_file(path: str | Path) -> bool:
    """True when a YAML file declares a participant study (top-level ``design`` and ``dimensions``).

    Other YAML files in a studies folder (an analysis plan, a simulation's settings) are not
    studies and are not offered as such.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    except yaml.YAMLError:
        return True  # broken YAML: let load_study say where
    return isinstance(data, dict) and "design" in data and "dimensions" in data


def check_study(path: str | Path) -> StudyCheck:
    """Check that the study at ``path`` runs offline; the first problem found is named.

    Checks, in order: the file declares a study; it validates; it has base items; its
    stimuli file exists and covers every rewrite participants can reach; every questionnaire
    loads. Nothing here needs a network or an LLM provider.

    Example
    -------
    >>> check_study("studies/style_preference/study.yaml").ready  # doctest: +SKIP
    True
    """
    p = Path(path)
    if not p.is_file():
        return StudyCheck(p, None, "no such file")
    if not is_study_file(p):
        return StudyCheck(
            p,
            None,
            "is not a participant study file (it has no top-level 'design' and 'dimensions'); "
            "see studies/style_preference/study.yaml for one",
        )
    try:
        study = load_study(p)
    except StudyError as exc:
        return StudyCheck(p, None, str(exc).removeprefix(f"{p}: "))
    if not study.base_items:
        return StudyCheck(
            p,
            study,
            "has no base_items, so there is nothing to show participants; add base prompts and "
            "responses (the study can still analyse data collected elsewhere)",
        )
    stimuli_path = p.parent / study.stimuli
    if not stimuli_path.is_file():
        return StudyCheck(
            p,
            study,
            f"{study.stimuli} is missing next to the study file; write it with "
            f"`edutools study stimuli {p} --engine local` (no LLM provider needed)",
        )
    try:
        stimuli = read_stimuli(stimuli_path, study)
        for use in study.instruments:
            questionnaire(use)
    except EdutoolsError as exc:
        return StudyCheck(p, study, str(exc))
    return StudyCheck(p, study, None, len(stimuli.stimuli))
