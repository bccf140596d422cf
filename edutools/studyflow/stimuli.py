"""The stimulus set of a participant study: the rewritten responses participants read.

Participants never wait for an LLM: every response they can see is generated beforehand
(style transfer) and listed in ``stimuli.csv`` next to the study's YAML file::

    stimulus_id,base_item,authoritativeness,certainty,articulateness,verbosity,text
    water-1-1-1-1,water,1,1,1,1,"Honestly, I'd just drink when you're thirsty..."

``edutools study stimuli study.yaml`` writes it (style transfer through the configured LLM).
One row per rewrite: the base item, the style level on every study dimension, and the text.
``stimulus_id`` is optional (default ``<base item>-<level>-<level>...``). The table that
:func:`edutools.survey.transfer.rewrite_responses` returns can be saved as it is: its extra
columns (``status``, ``error``, ``prompt``, ``prompt_sha256``, ``model``) are accepted and
rows whose ``status`` is not ``ok`` are left out. A GSP study needs a rewrite for every
combination of levels of every base item (the slider can reach each of them); a pairwise
study needs at least two rewrites per base item.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edutools.errors import DataError
from edutools.survey.config import StudyDefinition

__all__ = ["Stimulus", "StimulusSet", "read_stimuli"]

_TRANSFER_COLUMNS = ("status", "error", "prompt", "prompt_sha256", "model")


@dataclass(frozen=True)
class Stimulus:
    """One rewrite: its id, base item, style levels (in dimension order) and text."""

    id: str
    base_item: str
    levels: tuple[float, ...]
    text: str

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        """JSON-ready form with one key per dimension."""
        out: dict[str, Any] = {"stimulus_id": self.id, "base_item": self.base_item}
        out.update(zip(names, self.levels, strict=True))
        out["text"] = self.text
        return out


def _key(levels: Iterable[float]) -> tuple[float, ...]:
    # Level values compare after rounding, so 3 and 3.0 (or a float read back) are the same.
    return tuple(round(float(v), 9) for v in levels)


@dataclass(frozen=True)
class StimulusSet:
    """The rewrites of a study, looked up by base item and style vector."""

    dimensions: tuple[str, ...]
    stimuli: tuple[Stimulus, ...]
    _index: dict[tuple[str, tuple[float, ...]], Stimulus] = field(
        init=False, repr=False, compare=False
    )
    _by_id: dict[str, Stimulus] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(s.base_item, _key(s.levels)): s for s in self.stimuli}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_by_id", {s.id: s for s in self.stimuli})

    def lookup(self, base_item: str, vector: Sequence[float]) -> Stimulus:
        """The rewrite of ``base_item`` at ``vector``; DataError when none was generated."""
        found = self._index.get((base_item, _key(vector)))
        if found is None:
            levels = ", ".join(f"{n}={v:g}" for n, v in zip(self.dimensions, vector, strict=True))
            raise DataError(
                f"stimuli.csv has no rewrite of '{base_item}' at {levels}; "
                "generate the missing rewrites before starting the study"
            )
        return found

    def by_id(self, stimulus_id: str) -> Stimulus:
        """The rewrite with this id (DataError when unknown)."""
        try:
            return self._by_id[stimulus_id]
        except KeyError:
            raise DataError(f"unknown stimulus '{stimulus_id}'") from None

    def of_item(self, base_item: str) -> list[Stimulus]:
        """All rewrites of one base item, in file order."""
        return [s for s in self.stimuli if s.base_item == base_item]

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready rows (stored with the study so a running study never rereads the file)."""
        return [s.to_dict(self.dimensions) for s in self.stimuli]

    @classmethod
    def from_records(
        cls, dimensions: Sequence[str], records: Iterable[Mapping[str, Any]]
    ) -> StimulusSet:
        """Inverse of :meth:`to_records`."""
        return cls(
            tuple(dimensions),
            tuple(
                Stimulus(
                    str(r["stimulus_id"]),
                    str(r["base_item"]),
                    tuple(float(r[n]) for n in dimensions),
                    str(r["text"]),
                )
                for r in records
            ),
        )

    def check(self, study: StudyDefinition, label: str = "stimuli.csv") -> None:
        """Raise DataError unless the set covers what the study's participants can reach."""
        items = [b.id for b in study.base_items]
        if study.design == "gsp":
            if study.gsp is None or not study.gsp.snap_to_levels:
                raise DataError(
                    f"{study.id}: the app shows pre-generated rewrites, so gsp.snap_to_levels "
                    "must be true (a continuous slider would need a rewrite for every value)"
                )
            grids = [d.level_values for d in study.dimensions]
            for item in items:
                for combo in itertools.product(*grids):
                    if (item, _key(combo)) not in self._index:
                        levels = ", ".join(
                            f"{d.name}={v:g}" for d, v in zip(study.dimensions, combo, strict=True)
                        )
                        raise DataError(
                            f"{label}: no rewrite of base item '{item}' at {levels}; a GSP study "
                            f"needs one for each of the {math.prod(map(len, grids))} level "
                            "combinations of every base item"
                        )
        else:
            for item in items:
                if len(self.of_item(item)) < 2:
                    raise DataError(
                        f"{label}: base item '{item}' has {len(self.of_item(item))} rewrite(s); "
                        "a pairwise study needs at least 2 per base item"
                    )


def _parse_levels(
    study: StudyDefinition, label: str, row: int, cells: Mapping[str, str]
) -> tuple[float, ...]:
    out = []
    for d in study.dimensions:
        raw = cells[d.name].strip()
        try:
            value = float(raw)
        except ValueError:
            raise DataError(
                f"{label}, row {row}, column '{d.name}': '{raw}' is not a number; "
                f"expected one of the levels {', '.join(f'{v:g}' for v in d.level_values)}"
            ) from None
        if not any(math.isclose(value, v) for v in d.level_values):
            raise DataError(
                f"{label}, row {row}, column '{d.name}': {raw} is not a level of '{d.name}'; "
                f"expected one of {', '.join(f'{v:g}' for v in d.level_values)}"
            )
        out.append(value)
    return tuple(out)


def read_stimuli(path: str | Path, study: StudyDefinition) -> StimulusSet:
    """Read and check a study's ``stimuli.csv``.

    Parameters
    ----------
    path
        The CSV file (UTF-8, header row first).
    study
        The study it belongs to: its dimensions name the level columns and its base items
        the valid ``base_item`` values.

    Returns
    -------
    StimulusSet
        Checked for coverage (see :meth:`StimulusSet.check`).

    Raises
    ------
    DataError
        Naming the file, row and column of the first problem.

    Example
    -------
    >>> stimuli = read_stimuli("studies/style_preference/stimuli.csv", study)  # doctest: +SKIP
    >>> stimuli.lookup("water", (3, 3, 3, 3)).text[:20]  # doctest: +SKIP
    """
    p = Path(path)
    label = p.name
    if not p.is_file():
        raise DataError(
            f"{p}: no such file; a participant study needs its rewrites in stimuli.csv "
            "next to the study's YAML file: make it with `edutools study stimuli <study.yaml>`"
        )
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{label}: not valid UTF-8; save the file with UTF-8 encoding") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    names = [d.name for d in study.dimensions]
    expected = ["base_item", *names, "text"]
    allowed = {*expected, "stimulus_id", *_TRANSFER_COLUMNS}
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in allowed]
    if missing or extra or len(set(header)) != len(header):
        problem = (
            f"missing column '{missing[0]}'"
            if missing
            else f"unexpected column '{extra[0]}'"
            if extra
            else "a column appears twice"
        )
        raise DataError(
            f"{label}, row 1 (header): {problem}; expected columns: stimulus_id (optional), "
            f"{', '.join(expected)}"
        )
    items = {b.id for b in study.base_items}
    seen_ids: dict[str, int] = {}
    seen_cells: dict[tuple[str, tuple[float, ...]], int] = {}
    stimuli = []
    for n, raw in enumerate(reader, start=2):
        if not raw or all(not c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            raise DataError(
                f"{label}, row {n}: {len(raw)} fields but the header has {len(header)}; "
                "put text that contains commas inside double quotes"
            )
        cells = dict(zip(header, raw, strict=True))
        if cells.get("status", "ok").strip() not in ("ok", ""):
            continue  # a failed rewrite from style transfer
        item, body = cells["base_item"].strip(), cells["text"].strip()
        levels = _parse_levels(study, label, n, cells)
        sid = cells.get("stimulus_id", "").strip() or "-".join([item, *(f"{v:g}" for v in levels)])
        if sid in seen_ids:
            raise DataError(
                f"{label}, row {n}, column 'stimulus_id': duplicate id '{sid}' (first on row {seen_ids[sid]})"
            )
        if item not in items:
            raise DataError(
                f"{label}, row {n}, column 'base_item': unknown base item '{item}'; "
                f"expected one of {', '.join(sorted(items))}"
            )
        if not body:
            raise DataError(f"{label}, row {n}, column 'text': is empty; every rewrite needs text")
        cell = (item, _key(levels))
        if cell in seen_cells:
            raise DataError(
                f"{label}, row {n}: a second rewrite of '{item}' at the same levels as row {seen_cells[cell]}"
            )
        seen_ids[sid] = n
        seen_cells[cell] = n
        stimuli.append(Stimulus(sid, item, levels, body))
    result = StimulusSet(tuple(names), tuple(stimuli))
    result.check(study, label)
    return result
