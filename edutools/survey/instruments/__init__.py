"""Questionnaires as declarative files, and their scoring.

Each instrument is one YAML file in this folder (``bfi10.yaml``, ``tipi.yaml``,
``trust_automation.yaml``) holding its citation, terms of use, response scale, items, reverse
keys and subscales. :func:`load_instrument` validates a file into an :class:`Instrument`;
the scoring functions live in :mod:`edutools.survey.instruments.scoring` and are re-exported
here.

Example
-------
>>> tipi = load_instrument("tipi")
>>> tipi.scale.min, tipi.scale.max, [s.id for s in tipi.subscales][:2]
(1, 7, ['extraversion', 'agreeableness'])
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from edutools.errors import StudyError

__all__ = [
    "Instrument",
    "InstrumentItem",
    "ResponseScale",
    "Subscale",
    "cronbach_alpha",
    "list_instruments",
    "load_instrument",
    "mcdonald_omega",
    "reliability",
    "reverse_key",
    "score_instrument",
    "spearman_brown",
    "standardize",
    "to_wide",
]

DIRECTORY = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseScale(_Model):
    """The answer options: whole numbers from ``min`` to ``max`` and their labels."""

    min: int
    max: int
    labels: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ResponseScale:
        if self.min >= self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        outside = [k for k in self.labels if not self.min <= k <= self.max]
        if outside:
            raise ValueError(f"labels for {outside} lie outside {self.min}..{self.max}")
        return self


class InstrumentItem(_Model):
    """One item: its id and text (which may contain ``{placeholder}`` fields)."""

    id: Id
    text: str


class Subscale(_Model):
    """A scored subscale: which items it averages and which of them are reverse-keyed."""

    id: Id
    name: str
    items: list[Id] = Field(min_length=1)
    reverse: list[Id] = Field(default_factory=list)


class Instrument(_Model):
    """A questionnaire with its provenance, terms of use and scoring key."""

    id: Id
    name: str
    citation: str
    doi: str = ""
    terms: str = Field(description="Terms of use as checked, in words.")
    terms_source: str = Field(description="Where the terms were found and when.")
    instructions: str
    item_stem: str = ""
    placeholders: dict[str, str] = Field(default_factory=dict)
    scale: ResponseScale = Field(alias="response_scale")
    items: list[InstrumentItem] = Field(min_length=1)
    subscales: list[Subscale] = Field(min_length=1)
    min_fraction: float = Field(
        0.5, gt=0, le=1, description="A subscale score needs at least this fraction of its items."
    )
    notes: str = ""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> Instrument:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item ids must be unique")
        known = set(ids)
        for s in self.subscales:
            unknown = sorted((set(s.items) | set(s.reverse)) - known)
            if unknown:
                raise ValueError(f"subscale {s.id!r} names unknown items {unknown}")
            stray = sorted(set(s.reverse) - set(s.items))
            if stray:
                raise ValueError(f"subscale {s.id!r} reverses items it does not use: {stray}")
        for text in [self.instructions, *(i.text for i in self.items)]:
            missing = sorted(set(_PLACEHOLDER.findall(text)) - set(self.placeholders))
            if missing:
                raise ValueError(f"placeholders {missing} have no default in 'placeholders'")
        return self

    @property
    def item_ids(self) -> list[str]:
        """Item ids in questionnaire order."""
        return [i.id for i in self.items]

    def subscale(self, subscale_id: str) -> Subscale:
        """The subscale ``subscale_id``; StudyError naming the valid ones otherwise."""
        for s in self.subscales:
            if s.id == subscale_id:
                return s
        valid = ", ".join(s.id for s in self.subscales)
        raise StudyError(f"{self.id} has no subscale {subscale_id!r}; valid: {valid}")

    def texts(self, substitutions: dict[str, str] | None = None) -> dict[str, str]:
        """Item texts with placeholders filled (study values over the file's defaults).

        A text that starts with a placeholder gets its first letter capitalised.

        Example
        -------
        >>> tia = load_instrument("trust_automation")
        >>> tia.texts({"system": "the AI assistant"})["tia_01"]
        'The AI assistant is deceptive.'
        """
        values = self._values(substitutions)
        return {item.id: _fill(item.text, values) for item in self.items}

    def instructions_for(self, substitutions: dict[str, str] | None = None) -> str:
        """The instructions with placeholders filled, as :meth:`texts`."""
        return _fill(self.instructions, self._values(substitutions))

    def _values(self, substitutions: dict[str, str] | None) -> dict[str, str]:
        given = dict(substitutions or {})
        unknown = sorted(set(given) - set(self.placeholders))
        if unknown:
            raise StudyError(
                f"{self.id} has no placeholder(s) {unknown}; "
                f"valid: {', '.join(sorted(self.placeholders)) or 'none'}"
            )
        values = {**self.placeholders, **given}
        if "system" in given and "system_possessive" not in given:
            values["system_possessive"] = _possessive(given["system"])
        return values


def _fill(text: str, values: dict[str, str]) -> str:
    filled = _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    return filled[:1].upper() + filled[1:]


def _possessive(noun: str) -> str:
    return f"{noun}'" if noun.endswith("s") else f"{noun}'s"


def list_instruments() -> list[str]:
    """Ids of the instruments shipped with edutools."""
    return sorted(p.stem for p in DIRECTORY.glob("*.yaml"))


def load_instrument(name: str | Path) -> Instrument:
    """Load and validate an instrument by id (a shipped file) or by path.

    Raises
    ------
    StudyError
        Naming the file and the key for a missing or invalid instrument.
    """
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = DIRECTORY / f"{name}.yaml"
        if not path.exists():
            raise StudyError(
                f"unknown instrument {str(name)!r}; available: {', '.join(list_instruments())}"
            )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StudyError(f"{path}: cannot be read as YAML ({exc})") from None
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise StudyError(f"{path}: {where}: {err['msg']}") from None


from edutools.survey.instruments.scoring import (  # noqa: E402 - re-exported API
    cronbach_alpha,
    mcdonald_omega,
    reliability,
    reverse_key,
    score_instrument,
    spearman_brown,
    standardize,
    to_wide,
)
