"""The claims file: what ``edutools claims`` writes and ``edutools generate --claims`` reads.

One row per claim, questions in course order and, within a question, claims in the order in
which labelling them helps most::

    claim_id,question_id,text,predicted,confidence,n_students,answer_ids,label

``answer_ids`` are separated by ``;``. ``label`` is empty when written; the instructor fills
in ``correct``, ``foil`` or ``off_topic`` (or leaves it blank), and may rewrite ``text``.
Reading checks the file against the course as it is now: a claim or question the course
does not have (a file from another course, or from before the answers changed) is an error
that names the row, so labels never land on the wrong claim.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-`` or ``@``)
are written with a leading apostrophe, which reading removes again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from edutools.errors import DataError
from edutools.generate.claims import CLAIM_LABELS, Claim, ClaimLabel, ClaimReview

__all__ = ["CLAIM_COLUMNS", "read_claims", "render_claims", "write_claims"]

CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "question_id",
    "text",
    "predicted",
    "confidence",
    "n_students",
    "answer_ids",
    "label",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_LABEL_SPELLINGS: dict[str, ClaimLabel] = {
    "correct": "correct",
    "true": "correct",
    "foil": "foil",
    "wrong": "foil",
    "misconception": "foil",
    "incorrect": "foil",
    "off_topic": "off_topic",
    "off-topic": "off_topic",
    "offtopic": "off_topic",
}


def _guard(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _unguard(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def render_claims(claims: Sequence[Claim]) -> str:
    """The claims as CSV text (see the module docstring).

    Example
    -------
    >>> c = Claim(id="Q1-c1", question_id="Q1", text="=Plants eat soil.", predicted="foil",
    ...           confidence=0.8, answer_ids=("a1", "a2"), n_students=2, sentences=(),
    ...           p_correct=0.1, p_wrong=0.9)
    >>> print(render_claims([c]).strip())
    claim_id,question_id,text,predicted,confidence,n_students,answer_ids,label
    Q1-c1,Q1,'=Plants eat soil.,foil,0.80,2,a1;a2,
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CLAIM_COLUMNS)
    for c in claims:
        writer.writerow(
            [
                c.id,
                c.question_id,
                _guard(c.text),
                c.predicted,
                f"{c.confidence:.2f}",
                c.n_students,
                ";".join(c.answer_ids),
                c.label or "",
            ]
        )
    return out.getvalue()


def write_claims(claims: Sequence[Claim], path: str | Path) -> Path:
    """Write the claims file; parent folders are created."""
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_claims(claims), encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{out}: cannot write the claims file ({exc.strerror or exc})") from None
    return out


def read_claims(
    path: str | Path, known: Mapping[str, Mapping[str, Claim]]
) -> dict[str, ClaimReview]:
    """The instructor's labels and edits from a claims file, checked against the course.

    Parameters
    ----------
    path : str or Path
        A claims file written by ``edutools claims`` and edited by the instructor.
    known : mapping
        Question id to (claim id to Claim) for the course as it is now.

    Returns
    -------
    dict
        Question id to :class:`~edutools.generate.claims.ClaimReview` (labels and edited
        texts; questions without any become an empty review).

    Raises
    ------
    DataError
        Naming the file, row and column: a missing column, an unknown question or claim,
        answer ids that do not match the claim, or a label that is not one of
        ``correct``, ``foil``, ``off_topic`` (or blank).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; write one with 'edutools claims COURSE --out {p}'")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{p.name}: text is not valid UTF-8; save the file with UTF-8 encoding"
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise DataError(
            f"{p.name}: the file is empty; expected the header {','.join(CLAIM_COLUMNS)}"
        )
    header = [h.strip().lower() for h in rows[0]]
    for col in ("claim_id", "question_id", "label"):
        if col not in header:
            raise DataError(
                f"{p.name}, row 1 (header): missing column '{col}'; expected {','.join(CLAIM_COLUMNS)}"
            )
    at = {h: i for i, h in enumerate(header)}
    labels: dict[str, dict[str, ClaimLabel]] = {q: {} for q in known}
    texts: dict[str, dict[str, str]] = {q: {} for q in known}
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(
                f"{p.name}, row {n}: {len(row)} fields but the header has {len(header)}; "
                "put text that contains commas inside double quotes"
            )

        def cell(col: str, row: list[str] = row) -> str:
            return row[at[col]].strip() if col in at else ""

        question, claim_id = cell("question_id"), cell("claim_id")
        if question not in known:
            raise DataError(
                f"{p.name}, row {n}, column 'question_id': unknown question '{question}'; this "
                "claims file belongs to another course: write a new one with 'edutools claims'"
            )
        claim = known[question].get(claim_id)
        if claim is None:
            raise DataError(
                f"{p.name}, row {n}, column 'claim_id': question {question} has no claim "
                f"'{claim_id}' (the answers changed since the file was written, or it belongs "
                "to another course version): write a new one with 'edutools claims'"
            )
        if claim_id in seen:
            raise DataError(
                f"{p.name}, row {n}, column 'claim_id': '{claim_id}' appears twice (first on row {seen[claim_id]})"
            )
        seen[claim_id] = n
        if "answer_ids" in at and cell("answer_ids"):
            listed = tuple(a.strip() for a in cell("answer_ids").split(";") if a.strip())
            if set(listed) != set(claim.answer_ids):
                raise DataError(
                    f"{p.name}, row {n}, column 'answer_ids': these are not the answers of claim "
                    f"'{claim_id}' now (the course changed); write a new file with 'edutools claims'"
                )
        raw_label = cell("label").lower()
        if raw_label:
            label = _LABEL_SPELLINGS.get(raw_label.replace(" ", "_"))
            if label is None:
                raise DataError(
                    f"{p.name}, row {n}, column 'label': '{cell('label')}' is not a label; use "
                    f"{', '.join(CLAIM_LABELS)}, or leave it blank"
                )
            labels[question][claim_id] = label
        if "text" in at:
            edited = " ".join(_unguard(row[at["text"]]).split())
            if edited and edited != " ".join(claim.text.split()):
                texts[question][claim_id] = edited
    return {q: ClaimReview(labels=labels[q], texts=texts[q]) for q in known}
