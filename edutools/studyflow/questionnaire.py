"""What a questionnaire page shows: instructions, item texts with placeholders filled, scale.

Reads the declarative instrument files of :mod:`edutools.survey` (``instruments/*.yaml``);
scoring lives there, not here: the flow stores raw item responses only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from edutools.errors import StudyError
from edutools.survey.config import INSTRUMENT_DIR, InstrumentUse

__all__ = ["Questionnaire", "questionnaire"]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Questionnaire:
    """One instrument as shown to participants."""

    id: str
    name: str
    instructions: str
    item_stem: str
    scale: tuple[int, ...]
    labels: Mapping[int, str]
    items: tuple[tuple[str, str], ...]

    def label(self, value: int) -> str:
        """The option text for ``value``: its label when the scale names it, else the number."""
        name = self.labels.get(value)
        return f"{value} · {name}" if name else str(value)

    def check(self, answers: Mapping[str, float | None]) -> dict[str, float]:
        """Validate a full page of answers (every item, each on the scale)."""
        ids = [i for i, _ in self.items]
        missing = [i for i in ids if answers.get(i) is None]
        if missing:
            raise StudyError(f"{len(missing)} item(s) of {self.name} have no answer yet")
        extra = sorted(set(answers) - set(ids))
        if extra:
            raise StudyError(f"{extra[0]!r} is not an item of {self.id}")
        out = {}
        for i in ids:
            value = answers[i]
            if value is None or value not in self.scale:
                raise StudyError(
                    f"{value!r} is not on the {self.id} scale {self.scale[0]}-{self.scale[-1]}"
                )
            out[i] = float(value)
        return out


def _fill(text: str, values: Mapping[str, str]) -> str:
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    # A placeholder at the start of a sentence ("{system} is reliable.") starts it in capitals.
    return filled[:1].upper() + filled[1:] if text.startswith("{") else filled


@lru_cache(maxsize=32)
def _raw(instrument_id: str) -> dict[str, Any]:
    path = INSTRUMENT_DIR / f"{instrument_id}.yaml"
    if not path.is_file():
        raise StudyError(f"unknown instrument {instrument_id!r}; no file {path.name}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise StudyError(f"{path.name}: expected a mapping")
    return data


def questionnaire(use: InstrumentUse) -> Questionnaire:
    """The questionnaire page of an instrument as a study uses it (placeholders substituted).

    Example
    -------
    >>> from edutools.survey.config import InstrumentUse
    >>> q = questionnaire(InstrumentUse(id="bfi10"))
    >>> q.scale, len(q.items)
    ((1, 2, 3, 4, 5), 10)
    """
    raw = _raw(use.id)
    try:
        values = {**raw.get("placeholders", {}), **use.substitutions}
        scale = raw["response_scale"]
        low, high = int(scale["min"]), int(scale["max"])
        return Questionnaire(
            id=use.id,
            name=str(raw["name"]),
            instructions=_fill(str(raw.get("instructions", "")), values),
            item_stem=_fill(str(raw.get("item_stem", "") or ""), values),
            scale=tuple(range(low, high + 1)),
            labels={int(k): str(v) for k, v in (scale.get("labels") or {}).items()},
            items=tuple((str(i["id"]), _fill(str(i["text"]), values)) for i in raw["items"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StudyError(f"{use.id}.yaml: cannot show it as a questionnaire ({exc})") from None
