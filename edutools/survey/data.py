"""The study export format: what ``edutools study analyze`` reads and the simulator writes.

An export is a folder of UTF-8 CSV files (header row first) plus ``manifest.json``. The app's
export of stored study data writes the same folder. Every row is validated by a pydantic model
with ``extra="forbid"``; the first bad cell raises :class:`~edutools.errors.DataError` naming the
file, the row (spreadsheet numbering: the header is row 1) and the column.

``manifest.json`` (:class:`Manifest`)
    ``{"format": "edutools-study-export", "version": 1, "design": "pairwise" | "gsp",
    "study_id": "...", "dimensions": [{"name": "certainty", "low": 0, "high": 1}, ...]}``.
    ``dimensions`` lists the GSP style space (required for ``gsp``; optional for ``pairwise``).
``participants.csv`` (:class:`ParticipantRow`)
    ``participant_id, population, attention_passed`` — one row per participant; ``population``
    may be blank; ``attention_passed`` is ``true``/``false`` or blank when no check was asked.
``questionnaires.csv`` (:class:`QuestionnaireRow`, optional)
    ``participant_id, instrument, item, response`` — raw item responses, one row per item.
``traits.csv`` (:class:`TraitRow`, optional)
    ``participant_id, trait, score`` — scored traits (for example subscale means). When both
    files exist, analyses use ``traits.csv``.
``attributes.csv`` (:class:`AttributeRow`, optional)
    ``participant_id, attribute, value`` — further user attributes (age band, AI use, ...);
    an attribute whose values are all numbers is numeric, otherwise categorical.

Other files in the folder (for example the simulator's ``planted_effects.csv``) are ignored.

Design ``pairwise`` (Study 1):

``trials.csv`` (:class:`PairTrialRow`)
    ``participant_id, trial, prompt_id, response_a, response_b, choice`` with choice ``A``,
    ``B`` or ``tie``; ``trial`` counts from 1 within a participant.
``responses.csv`` (:class:`ResponseRow`)
    ``response_id, prompt_id, text`` — every response shown.
``styles.csv`` (:class:`StyleRow`)
    ``response_id, feature, value`` — measured style features of each response (long format).

Design ``gsp`` (Study 2):

``trials.csv`` (:class:`GSPTrialRow`)
    ``participant_id, chain_id, node, trial, prompt_id, dimension, start_value, reversed,
    response, rt_ms`` — one slider trial: the active ``dimension`` of node ``node`` (0 = the
    chain's random start), the slider's random start value, whether the slider was reversed,
    the chosen value (on the dimension's scale, not the slider's) and the response time in
    milliseconds (may be blank). ``trial`` counts the responses to one node from 1.
``nodes.csv`` (:class:`GSPNodeRow`)
    ``chain_id, node, dimension, value`` — the style vector that defined each node (long format).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edutools.errors import DataError

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "AttributeRow",
    "Dimension",
    "GSPNodeRow",
    "GSPTrialRow",
    "Manifest",
    "PairTrialRow",
    "ParticipantRow",
    "QuestionnaireRow",
    "ResponseRow",
    "StudyExport",
    "StyleRow",
    "TraitRow",
    "read_export",
    "write_export",
]

EXPORT_FORMAT: Literal["edutools-study-export"] = "edutools-study-export"
EXPORT_VERSION: Literal[1] = 1
Design = Literal["pairwise", "gsp"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


class Dimension(_Row):
    """One style dimension of the GSP space and its range."""

    name: str = Field(min_length=1)
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Dimension:
        if not self.low < self.high:
            raise ValueError(
                f"dimension '{self.name}': low ({self.low}) must be below high ({self.high})"
            )
        return self


class Manifest(_Row):
    """``manifest.json``: the format, the design and the style space."""

    format: Literal["edutools-study-export"] = EXPORT_FORMAT
    version: Literal[1] = EXPORT_VERSION
    design: Design
    study_id: str = Field(min_length=1)
    dimensions: tuple[Dimension, ...] = ()

    @model_validator(mode="after")
    def _dimensions(self) -> Manifest:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise ValueError("dimension names must be unique")
        if self.design == "gsp" and not self.dimensions:
            raise ValueError("a gsp export needs its dimensions with low and high")
        return self


class ParticipantRow(_Row):
    """``participants.csv``: one participant."""

    participant_id: str = Field(min_length=1)
    population: str = ""
    attention_passed: bool | None = None


class QuestionnaireRow(_Row):
    """``questionnaires.csv``: one raw item response."""

    participant_id: str = Field(min_length=1)
    instrument: str = Field(min_length=1)
    item: str = Field(min_length=1)
    response: float

    _check = field_validator("response")(_finite)


class TraitRow(_Row):
    """``traits.csv``: one scored trait of one participant."""

    participant_id: str = Field(min_length=1)
    trait: str = Field(min_length=1)
    score: float

    _check = field_validator("score")(_finite)


class AttributeRow(_Row):
    """``attributes.csv``: one user attribute of one participant."""

    participant_id: str = Field(min_length=1)
    attribute: str = Field(min_length=1)
    value: str = Field(min_length=1)


class PairTrialRow(_Row):
    """``trials.csv`` of a pairwise study: one choice between two responses."""

    participant_id: str = Field(min_length=1)
    trial: int = Field(ge=1)
    prompt_id: str = Field(min_length=1)
    response_a: str = Field(min_length=1)
    response_b: str = Field(min_length=1)
    choice: Literal["A", "B", "tie"]


class ResponseRow(_Row):
    """``responses.csv``: one response text."""

    response_id: str = Field(min_length=1)
    prompt_id: str = Field(min_length=1)
    text: str = ""


class StyleRow(_Row):
    """``styles.csv``: one measured style feature of one response."""

    response_id: str = Field(min_length=1)
    feature: str = Field(min_length=1)
    value: float

    _check = field_validator("value")(_finite)


class GSPTrialRow(_Row):
    """``trials.csv`` of a GSP study: one slider trial."""

    participant_id: str = Field(min_length=1)
    chain_id: str = Field(min_length=1)
    node: int = Field(ge=0)
    trial: int = Field(ge=1)
    prompt_id: str = Field(min_length=1)
    dimension: str = Field(min_length=1)
    start_value: float
    reversed: bool
    response: float
    rt_ms: float | None = None

    _check = field_validator("start_value", "response")(_finite)


class GSPNodeRow(_Row):
    """``nodes.csv``: one coordinate of the vector that defined a node."""

    chain_id: str = Field(min_length=1)
    node: int = Field(ge=0)
    dimension: str = Field(min_length=1)
    value: float

    _check = field_validator("value")(_finite)


_FILES: dict[str, dict[str, type[_Row]]] = {
    "pairwise": {
        "participants.csv": ParticipantRow,
        "trials.csv": PairTrialRow,
        "responses.csv": ResponseRow,
        "styles.csv": StyleRow,
    },
    "gsp": {"participants.csv": ParticipantRow, "trials.csv": GSPTrialRow, "nodes.csv": GSPNodeRow},
}
_OPTIONAL: dict[str, type[_Row]] = {
    "questionnaires.csv": QuestionnaireRow,
    "traits.csv": TraitRow,
    "attributes.csv": AttributeRow,
}


@dataclass(frozen=True)
class StudyExport:
    """A validated export: the manifest and one DataFrame per file (empty when absent)."""

    manifest: Manifest
    participants: pd.DataFrame
    trials: pd.DataFrame
    questionnaires: pd.DataFrame
    traits: pd.DataFrame
    responses: pd.DataFrame
    styles: pd.DataFrame
    nodes: pd.DataFrame
    attributes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["participant_id", "attribute", "value"])
    )

    @property
    def design(self) -> Design:
        """``pairwise`` or ``gsp``."""
        return self.manifest.design


def _columns(model: type[_Row]) -> list[str]:
    return list(model.model_fields)


def _describe(error: dict[str, Any]) -> str:
    msg = str(error["msg"]).removeprefix("Value error, ")
    return (
        f"{error['input']!r} is not valid: {msg}"
        if error.get("input") not in (None, "")
        else f"is empty: {msg}"
    )


def _read_table(path: Path, model: type[_Row]) -> pd.DataFrame:
    label = path.name
    expected = _columns(model)
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{label}, row {row}: text is not valid UTF-8; save the file with UTF-8 encoding"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise DataError(f"{label}: the file is empty; expected a header row: {','.join(expected)}")
    for h in header:
        if h not in expected:
            raise DataError(
                f"{label}, row 1 (header): unexpected column '{h}'; expected columns: {', '.join(expected)}"
            )
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise DataError(f"{label}, row 1 (header), column '{dup}': the column appears twice")
    for col in required:
        if col not in header:
            raise DataError(
                f"{label}, row 1 (header): missing column '{col}'; expected columns: {', '.join(expected)}"
            )
    records = []
    for n, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DataError(
                f"{label}, row {n}: {len(cells)} fields but the header has {len(header)}; "
                "put text that contains commas inside double quotes"
            )
        raw = {h: c for h, c in zip(header, cells, strict=True)}
        # a blank optional cell means "use the default"
        payload = {h: c for h, c in raw.items() if c.strip() or h in required}
        try:
            records.append(model.model_validate(payload).model_dump())
        except ValidationError as exc:
            err = exc.errors()[0]
            where = f"{label}, row {n}" + (f", column '{err['loc'][0]}'" if err["loc"] else "")
            raise DataError(f"{where}: {_describe(dict(err))}") from None
    return pd.DataFrame.from_records(records, columns=expected)


def _row_of(frame: pd.DataFrame, mask: Any) -> int:
    """Spreadsheet row number of the first row where ``mask`` is true."""
    return int(frame.index[mask][0]) + 2


def _check_references(export: StudyExport) -> None:
    known = set(export.participants["participant_id"])
    dup = export.participants["participant_id"].duplicated()
    if dup.any():
        pid = export.participants.loc[dup, "participant_id"].iloc[0]
        raise DataError(
            f"participants.csv, row {_row_of(export.participants, dup)}, column 'participant_id': duplicate id '{pid}'"
        )
    for name, frame in (
        ("trials.csv", export.trials),
        ("questionnaires.csv", export.questionnaires),
        ("traits.csv", export.traits),
        ("attributes.csv", export.attributes),
    ):
        if frame.empty:
            continue
        bad = ~frame["participant_id"].isin(known)
        if bad.any():
            pid = frame.loc[bad, "participant_id"].iloc[0]
            raise DataError(
                f"{name}, row {_row_of(frame, bad)}, column 'participant_id': unknown participant '{pid}'; "
                "expected an id from participants.csv"
            )
    if not export.traits.empty:
        dup = export.traits.duplicated(["participant_id", "trait"])
        if dup.any():
            raise DataError(
                f"traits.csv, row {_row_of(export.traits, dup)}, column 'trait': a second score for this participant and trait"
            )
    if not export.attributes.empty:
        dup = export.attributes.duplicated(["participant_id", "attribute"])
        if dup.any():
            raise DataError(
                f"attributes.csv, row {_row_of(export.attributes, dup)}, column 'attribute': "
                "a second value for this participant and attribute"
            )
    if export.design == "pairwise":
        _check_pairwise(export)
    else:
        _check_gsp(export)


def _check_pairwise(export: StudyExport) -> None:
    trials, responses, styles = export.trials, export.responses, export.styles
    dup = trials.duplicated(["participant_id", "trial"])
    if dup.any():
        raise DataError(
            f"trials.csv, row {_row_of(trials, dup)}, column 'trial': this participant already has this trial number"
        )
    dup = responses["response_id"].duplicated()
    if dup.any():
        raise DataError(
            f"responses.csv, row {_row_of(responses, dup)}, column 'response_id': duplicate id"
        )
    ids = set(responses["response_id"])
    for col in ("response_a", "response_b"):
        bad = ~trials[col].isin(ids)
        if bad.any():
            rid = trials.loc[bad, col].iloc[0]
            raise DataError(
                f"trials.csv, row {_row_of(trials, bad)}, column '{col}': unknown response '{rid}'; expected an id from responses.csv"
            )
    same = trials["response_a"] == trials["response_b"]
    if same.any():
        raise DataError(
            f"trials.csv, row {_row_of(trials, same)}, column 'response_b': the same response as response_a"
        )
    bad = ~styles["response_id"].isin(ids)
    if bad.any():
        raise DataError(
            f"styles.csv, row {_row_of(styles, bad)}, column 'response_id': unknown response '{styles.loc[bad, 'response_id'].iloc[0]}'"
        )
    dup = styles.duplicated(["response_id", "feature"])
    if dup.any():
        raise DataError(
            f"styles.csv, row {_row_of(styles, dup)}, column 'feature': a second value for this response and feature"
        )
    features = set(styles["feature"])
    counts = styles.groupby("response_id")["feature"].nunique()
    shown = set(trials["response_a"]) | set(trials["response_b"])
    lacking = [
        r for r in responses["response_id"] if r in shown and counts.get(r, 0) < len(features)
    ]
    if lacking:
        raise DataError(
            f"styles.csv: response '{lacking[0]}' lacks some of the features {', '.join(sorted(features))}; "
            "every response shown needs a value for every feature"
        )


def _check_gsp(export: StudyExport) -> None:
    dims = {d.name: d for d in export.manifest.dimensions}
    trials, nodes = export.trials, export.nodes
    for name, frame in (("trials.csv", trials), ("nodes.csv", nodes)):
        bad = ~frame["dimension"].isin(dims)
        if bad.any():
            raise DataError(
                f"{name}, row {_row_of(frame, bad)}, column 'dimension': unknown dimension '{frame.loc[bad, 'dimension'].iloc[0]}'; "
                f"expected one of {', '.join(dims)} (manifest.json)"
            )
    for name, frame, cols in (
        ("trials.csv", trials, ("start_value", "response")),
        ("nodes.csv", nodes, ("value",)),
    ):
        low = frame["dimension"].map(lambda d: dims[d].low)
        high = frame["dimension"].map(lambda d: dims[d].high)
        for col in cols:
            bad = (frame[col] < low - 1e-9) | (frame[col] > high + 1e-9)
            if bad.any():
                i = frame.index[bad][0]
                d = dims[frame.loc[i, "dimension"]]
                raise DataError(
                    f"{name}, row {i + 2}, column '{col}': {frame.loc[i, col]} is outside the range of "
                    f"'{d.name}'; expected a value from {d.low} to {d.high}"
                )
    dup = trials.duplicated(["chain_id", "node", "participant_id", "trial"])
    if dup.any():
        raise DataError(
            f"trials.csv, row {_row_of(trials, dup)}, column 'trial': a second trial with this chain, node, participant and number"
        )
    dup = nodes.duplicated(["chain_id", "node", "dimension"])
    if dup.any():
        raise DataError(
            f"nodes.csv, row {_row_of(nodes, dup)}, column 'dimension': a second value for this chain, node and dimension"
        )


def read_export(path: str | Path, design: Design | None = None) -> StudyExport:
    """Read and validate a study export folder.

    Parameters
    ----------
    path : str or Path
        The export folder (with ``manifest.json``).
    design : {"pairwise", "gsp"}, optional
        When given, the manifest's design must match it.

    Returns
    -------
    StudyExport

    Example
    -------
    >>> from edutools.survey.simulate import simulate_pairwise
    >>> import tempfile
    >>> folder = write_export(simulate_pairwise(n_participants=5, seed=1).export, tempfile.mkdtemp())
    >>> read_export(folder).design
    'pairwise'
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: no such folder; expected a study export folder with manifest.json"
        )
    mpath = folder / "manifest.json"
    if not mpath.exists():
        raise DataError(
            f"{folder.name}: missing file 'manifest.json'; a study export needs manifest.json"
        )
    try:
        payload = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"manifest.json: invalid JSON ({exc})") from None
    try:
        manifest = Manifest.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise DataError(
            f"manifest.json{', key ' + repr(loc) if loc else ''}: {_describe(dict(err))}"
        ) from None
    if design is not None and manifest.design != design:
        raise DataError(
            f"manifest.json, key 'design': the export is '{manifest.design}' but --design is '{design}'"
        )
    frames: dict[str, pd.DataFrame] = {}
    for name, model in _FILES[manifest.design].items():
        f = folder / name
        if not f.exists():
            raise DataError(
                f"{folder.name}: missing file '{name}'; a {manifest.design} export needs {', '.join(_FILES[manifest.design])}"
            )
        frames[name] = _read_table(f, model)
    for name, model in _OPTIONAL.items():
        f = folder / name
        frames[name] = (
            _read_table(f, model) if f.exists() else pd.DataFrame(columns=_columns(model))
        )
    models = {**_FILES["pairwise"], **_FILES["gsp"], **_OPTIONAL}

    def get(name: str) -> pd.DataFrame:
        return frames[name] if name in frames else pd.DataFrame(columns=_columns(models[name]))

    export = StudyExport(
        manifest=manifest,
        participants=get("participants.csv"),
        trials=get("trials.csv"),
        questionnaires=get("questionnaires.csv"),
        traits=get("traits.csv"),
        responses=get("responses.csv"),
        styles=get("styles.csv"),
        nodes=get("nodes.csv"),
        attributes=get("attributes.csv"),
    )
    _check_references(export)
    return export


def write_export(export: StudyExport, path: str | Path) -> Path:
    """Write an export folder that :func:`read_export` reads back unchanged.

    Parameters
    ----------
    export : StudyExport
    path : str or Path
        The folder to create or overwrite files in.

    Returns
    -------
    Path
        The folder.

    Example
    -------
    >>> import tempfile
    >>> from edutools.survey.simulate import simulate_pairwise
    >>> folder = write_export(simulate_pairwise(n_participants=5, seed=1).export, tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())[:2]
    ['manifest.json', 'participants.csv']
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(
        json.dumps(export.manifest.model_dump(), indent=2) + "\n", encoding="utf-8"
    )
    tables: dict[str, tuple[pd.DataFrame, type[_Row]]] = {
        "participants.csv": (export.participants, ParticipantRow),
        "trials.csv": (export.trials, PairTrialRow if export.design == "pairwise" else GSPTrialRow),
    }
    if export.design == "pairwise":
        tables["responses.csv"] = (export.responses, ResponseRow)
        tables["styles.csv"] = (export.styles, StyleRow)
    else:
        tables["nodes.csv"] = (export.nodes, GSPNodeRow)
    if not export.questionnaires.empty:
        tables["questionnaires.csv"] = (export.questionnaires, QuestionnaireRow)
    if not export.traits.empty:
        tables["traits.csv"] = (export.traits, TraitRow)
    if not export.attributes.empty:
        tables["attributes.csv"] = (export.attributes, AttributeRow)
    for name, (frame, model) in tables.items():
        out = frame[_columns(model)].copy()
        for col in out.columns:
            if out[col].dtype == object:
                out[col] = out[col].map(
                    lambda v: (
                        "" if v is None else ("true" if v is True else "false" if v is False else v)
                    )
                )
            elif pd.api.types.is_bool_dtype(out[col]):
                out[col] = out[col].map({True: "true", False: "false"})
        out.to_csv(folder / name, index=False, float_format="%.10g", lineterminator="\n")
    return folder
