"""What a questionnaire page shows: instructions, item texts with placeholders filled, scale.

The instruments are :mod:`edutools.survey.instruments`; scoring lives there, not here: the flow
stores raw item responses only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from edutools.errors import StudyError
from edutools.survey.config import InstrumentUse
from edutools.survey.instruments import Instrument, load_instrument

__all__ = ["Questionnaire", "questionnaire"]


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


@lru_cache(maxsize=32)
def _instrument(instrument_id: str) -> Instrument:
    return load_instrument(instrument_id)


def questionnaire(use: InstrumentUse) -> Questionnaire:
    """The questionnaire page of an instrument as a study uses it (placeholders substituted).

    Example
    -------
    >>> from edutools.survey.config import InstrumentUse
    >>> q = questionnaire(InstrumentUse(id="bfi10"))
    >>> q.scale, len(q.items)
    ((1, 2, 3, 4, 5), 10)
    """
    inst = _instrument(use.id)
    subs = dict(use.substitutions)
    texts = inst.texts(subs)
    return Questionnaire(
        id=use.id,
        name=inst.name,
        instructions=inst.instructions_for(subs),
        item_stem=inst.item_stem,
        scale=tuple(range(inst.scale.min, inst.scale.max + 1)),
        labels=dict(inst.scale.labels),
        items=tuple((i, texts[i]) for i in inst.item_ids),
    )
