"""Who may act as a participant: session tokens, completion codes and their verification.

A study's secret lives only in the database (:meth:`edutools.store.Store.study_secret`). From
it the server derives, per participant key,

* a **session token**: ``HMAC-SHA256(secret, "session" | key)``, 20 base32 characters (100
  bits). The participant page puts it into the participant's URL (``&token=...``) the first
  time they arrive; a later visit with the same id resumes that session only with the token,
  so knowing someone's Prolific id is not enough to answer for them or to see their code;
* a **completion code** (for studies without a fixed Prolific code):
  ``HMAC-SHA256(secret, "completion" | key)``, 10 base32 characters, which nobody can compute
  from the study id and the participant id alone.

:func:`verify_codes` checks a list of (participant, code) pairs, e.g. Prolific's submissions
export, against the stored sessions: a code is valid only for a participant who completed (or,
for the screened-out code, who was excluded) and only when it is the code that participant was
shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from collections.abc import Callable
from pathlib import PurePosixPath

import pandas as pd

from edutools.errors import DataError

__all__ = [
    "CODE_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "TOKEN_PATTERN",
    "completion_code",
    "read_code_list",
    "session_token",
    "token_matches",
    "verify_codes",
]

TOKEN_PATTERN = re.compile(r"^[a-z2-7]{20}$")
PARTICIPANT_COLUMNS = ("participant_id", "participant", "prolific_pid", "pid", "participant id")
CODE_COLUMNS = ("completion_code", "code", "entered_code", "entered code", "completion code")


def _digest(secret: str, purpose: str, participant_key: str) -> bytes:
    message = f"{purpose}\x1f{participant_key}".encode()
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).digest()


def session_token(secret: str, participant_key: str) -> str:
    """The token that lets a browser resume ``participant_key``'s session (20 base32 chars).

    Example
    -------
    >>> session_token("00" * 32, "5f0c")
    'dgpxy4dyjlfkyiuolu6v'
    """
    return base64.b32encode(_digest(secret, "session", participant_key)).decode()[:20].lower()


def token_matches(secret: str, participant_key: str, token: str | None) -> bool:
    """True when ``token`` is the session token of ``participant_key`` (constant time)."""
    if not token:
        return False
    return hmac.compare_digest(session_token(secret, participant_key), token.strip().lower())


def completion_code(secret: str, participant_key: str) -> str:
    """The participant's personal completion code (10 base32 characters, upper case).

    Example
    -------
    >>> completion_code("00" * 32, "5f0c")
    'U4RAOXYOMC'
    """
    return base64.b32encode(_digest(secret, "completion", participant_key)).decode()[:10]


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def read_code_list(filename: str, data: bytes) -> pd.DataFrame:
    """A CSV of codes to verify: a participant column and a code column (any other ignored).

    Accepted headers (any case): participant ``participant_id``, ``participant``,
    ``prolific_pid``, ``pid``; code ``completion_code``, ``code``, ``entered_code`` (as in
    Prolific's export). Returns columns ``row`` (spreadsheet row), ``participant``, ``code``.
    """
    name = PurePosixPath(filename).name
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    who, code = _column(frame, PARTICIPANT_COLUMNS), _column(frame, CODE_COLUMNS)
    if who is None or code is None:
        missing = "participant" if who is None else "code"
        expected = PARTICIPANT_COLUMNS if who is None else CODE_COLUMNS
        raise DataError(
            f"{name}, row 1 (header): no {missing} column; expected one of {', '.join(expected)}"
        )
    return pd.DataFrame(
        {
            "row": range(2, len(frame) + 2),
            "participant": frame[who].str.strip(),
            "code": frame[code].str.strip(),
        }
    )


def verify_codes(
    codes: pd.DataFrame,
    participants: pd.DataFrame,
    expected_code: Callable[[str], str],
    screened_out_code: str | None = None,
) -> pd.DataFrame:
    """A verdict per (participant, code) row.

    Parameters
    ----------
    codes
        From :func:`read_code_list`: ``row``, ``participant``, ``code``.
    participants
        The study's stored participants (``participant_key``, ``status``).
    expected_code
        The completion code a participant key was (or would be) shown.
    screened_out_code
        The code participants excluded by attention checks get, if any.

    Returns
    -------
    pandas.DataFrame
        ``row``, ``participant``, ``code``, ``verdict`` (``valid``, ``screened out``,
        ``invalid code``, ``not completed``, ``unknown participant``) and ``valid`` (bool).
    """
    status = (
        dict(zip(participants["participant_key"], participants["status"], strict=True))
        if len(participants)
        else {}
    )
    verdicts = []
    for who, code in zip(codes["participant"], codes["code"], strict=True):
        state = status.get(who)
        given = code.strip().upper()
        if state is None:
            verdict = "unknown participant"
        elif state == "excluded":
            ok = screened_out_code is not None and hmac.compare_digest(
                given, screened_out_code.upper()
            )
            verdict = "screened out" if ok else "invalid code"
        elif not hmac.compare_digest(given, expected_code(who).upper()):
            verdict = "invalid code"
        elif state != "completed":
            verdict = "not completed"
        else:
            verdict = "valid"
        verdicts.append(verdict)
    out = codes.copy()
    out["verdict"] = verdicts
    out["valid"] = out["verdict"] == "valid"
    return out
