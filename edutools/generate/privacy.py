"""Keep students' identities out of prompts and item banks.

:func:`mask_pii` replaces what identifies a person inside free text (email addresses,
phone numbers, URLs, social handles, student numbers and explicit self-identification such
as "my name is Ana Lopez") with placeholders. :func:`pseudonymize` numbers a batch of answers
1..n so prompts refer to answers by run-local numbers; the map back to answer ids stays
with the caller and is never sent.

Masking is pattern-based: it catches the common forms, not every conceivable one (a name
written without a cue such as "my name is" is not detected).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from edutools.schema import StudentAnswer

__all__ = ["PLACEHOLDERS", "mask_pii", "pseudonymize"]

PLACEHOLDERS = ("[EMAIL]", "[URL]", "[PHONE]", "[HANDLE]", "[ID]", "[NAME]")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+"
    r"|\b[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:com|org|net|edu|gov|io|ly|me|co|info)(?:/[^\s<>\"']*)?\b",
    re.IGNORECASE,
)
# a phone number: optional +country code, optional (area), then digit groups split by
# spaces, dots or dashes; at least 7 digits in all (checked in _phone)
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,5}\)[\s.\-]?)?\d{2,5}(?:[\s.\-]?\d{2,5}){1,4}(?![\w.]\d)"
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z_][A-Za-z0-9_.]{1,30}")
_STUDENT_NO = re.compile(
    r"\b((?:student|matriculation|matric|enrol?ment|registration)\s*(?:id|no\.?|number|#)?\s*[:#]?\s*)"
    r"[A-Za-z]{0,3}\d[\w\-]{3,}",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-Z][a-zA-Z'\-]+"
_SELF_ID = re.compile(
    r"\b((?:[Mm]y name is|[Mm]y name's|[Ii] am called|[Ii]'m called|[Ss]igned,?|[Nn]ame:|"
    r"[Rr]egards,|[Cc]heers,|[Tt]hanks,|[Ff]rom:)\s+)"
    rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[PHONE]" if 7 <= digits <= 15 else match.group(0)


def mask_pii(text: str, *, known_ids: Sequence[str] = ()) -> str:
    """Replace emails, URLs, phone numbers, handles, student numbers and self-named names.

    Parameters
    ----------
    text : str
        Free text written by a student.
    known_ids : sequence of str
        Identifiers to mask wherever they appear as whole words (e.g. the student ids of
        the batch); ids shorter than 3 characters are ignored (they would hit ordinary words).

    Returns
    -------
    str
        The text with ``[EMAIL]``, ``[URL]``, ``[PHONE]``, ``[HANDLE]``, ``[ID]`` and
        ``[NAME]`` placeholders; everything else unchanged.

    Example
    -------
    >>> mask_pii("My name is Ana Lopez, mail ana.lopez@uni.edu or call +1 (555) 123-4567.")
    'My name is [NAME], mail [EMAIL] or call [PHONE].'
    >>> mask_pii("Glucose is C6H12O6 and 6 CO2 are fixed per glucose.")
    'Glucose is C6H12O6 and 6 CO2 are fixed per glucose.'
    """
    text = _EMAIL.sub("[EMAIL]", text)
    text = _URL.sub("[URL]", text)
    text = _STUDENT_NO.sub(lambda m: f"{m.group(1)}[ID]", text)
    text = _PHONE.sub(_phone, text)
    text = _HANDLE.sub("[HANDLE]", text)
    text = _SELF_ID.sub(lambda m: f"{m.group(1)}[NAME]", text)
    pattern = _id_pattern(tuple(sorted({i for i in known_ids if len(i) >= 3})))
    return pattern.sub("[ID]", text) if pattern is not None else text


@functools.lru_cache(maxsize=16)
def _id_pattern(ids: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation for a batch of ids (longest first, so prefixes lose)."""
    if not ids:
        return None
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def pseudonymize(answers: Sequence[StudentAnswer]) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """Number answers 1..n with masked text; keep the map back to answer ids locally.

    Besides :func:`mask_pii`, every student id of the batch is masked wherever it appears
    in any answer's text.

    Parameters
    ----------
    answers : sequence of StudentAnswer
        Answers in the order they should be numbered.

    Returns
    -------
    numbered : list of (int, str)
        ``(number, masked text)`` pairs, safe to place in a prompt.
    key : dict of int to str
        ``number -> answer id``; never send this.

    Example
    -------
    >>> a = StudentAnswer(id="a7", student_id="s123", question_id="q", text="Email me: x@y.org")
    >>> pseudonymize([a])
    ([(1, 'Email me: [EMAIL]')], {1: 'a7'})
    """
    numbered: list[tuple[int, str]] = []
    key: dict[int, str] = {}
    # a student may type their own (or a friend's) id into the answer
    student_ids = sorted({a.student_id for a in answers})
    for n, answer in enumerate(answers, start=1):
        numbered.append((n, mask_pii(answer.text, known_ids=student_ids)))
        key[n] = answer.id
    return numbered, key
