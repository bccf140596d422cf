"""CSV: one row per item, for spreadsheets and review.

Columns: ``id, source, concept_id, question_id, form, status, stem, option_a ...``
(as many option columns as the widest item), ``key`` (letters, ``;``-separated for
select-all), ``key_text``, ``flags`` (check names) and ``assertion_ids``. A cell that
starts with ``= + - @`` or a tab gets a leading apostrophe so a spreadsheet shows student
text instead of running it as a formula (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io

from edutools.export._common import clean_text, exportable, letter
from edutools.schema import ItemBank

__all__ = ["to_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str, guard: bool) -> str:
    value = clean_text(value)
    return "'" + value if guard and value.startswith(_FORMULA_START) else value


def to_csv(bank: ItemBank, *, formula_guard: bool = True, include_rejected: bool = False) -> str:
    """The bank as CSV text, one row per item.

    Parameters
    ----------
    bank : ItemBank
        The items to export (rejected ones are left out).
    formula_guard : bool
        Prefix cells that a spreadsheet would run as formulas with an apostrophe.
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    str

    Example
    -------
    >>> from edutools.schema import Item, Option, Provenance
    >>> item = Item(id="q1-01", source="local", concept_id="c", form="correct_key", stem="Which?",
    ...             options=[Option(text="=1+1", is_key=False), Option(text="yes", is_key=True)])
    >>> print(to_csv(ItemBank(course_id="bio", items=[item], run=Provenance(engine="local"))).splitlines()[1])
    q1-01,local,c,,correct_key,draft,Which?,'=1+1,yes,B,yes,,;
    """
    items = exportable(bank, include_rejected=include_rejected)
    width = max(i.k for i in items)
    header = ["id", "source", "concept_id", "question_id", "form", "status", "stem"]
    header += [f"option_{chr(ord('a') + j)}" for j in range(width)]
    header += ["key", "key_text", "flags", "assertion_ids"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for item in items:
        options = [o.text for o in item.options] + [""] * (width - item.k)
        keys = item.key_indices
        row = [
            item.id,
            item.source,
            item.concept_id,
            item.question_id or "",
            item.form,
            item.status,
            item.stem,
        ]
        row += options
        row += [
            ";".join(letter(i) for i in keys),
            " | ".join(item.options[i].text for i in keys),
            "; ".join(f.check for f in item.flags),
            ";".join(o.assertion_id or "" for o in item.options),
        ]
        writer.writerow([_cell(v, formula_guard) for v in row])
    return out.getvalue()
