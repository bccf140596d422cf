"""Delimiters around untrusted text that the text itself cannot close.

Student answers (and claims derived from them) go into prompts between tags that carry a
nonce, e.g. ``<answer-5f0c2a9e1b7d n="3"> ... </answer-5f0c2a9e1b7d>``. The nonce is derived
from the texts it encloses, so the same batch renders to the same prompt (the LLM cache
depends on that), and it is chosen so that it occurs in none of them: a text cannot contain
the closing tag, so it cannot end its block early and pose as instructions. A writer cannot
predict the nonce either, because it hashes their own text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["fence_nonce", "neutralize"]

_NONCE_CHARS = 12


def fence_nonce(texts: Iterable[str], salt: str = "") -> str:
    """A hex nonce that occurs in none of ``texts`` (case-insensitively), derived from them.

    Parameters
    ----------
    texts : iterable of str
        The untrusted texts that will sit inside the tags.
    salt : str
        Distinguishes fences of different kinds in one prompt.

    Returns
    -------
    str
        12 lowercase hex characters.

    Example
    -------
    >>> n = fence_nonce(["water moves in"])
    >>> len(n), n == fence_nonce(["water moves in"])
    (12, True)
    """
    texts = list(texts)
    lowered = [t.casefold() for t in texts]
    seed = hashlib.sha256(salt.encode())
    for t in texts:
        seed.update(b"\x00" + t.encode("utf-8"))
    counter = 0
    while True:
        digest = hashlib.sha256(seed.digest() + counter.to_bytes(8, "big")).hexdigest()
        nonce = digest[:_NONCE_CHARS]
        if not any(nonce in t for t in lowered):
            return nonce
        counter += 1


def neutralize(text: str) -> str:
    """Text made safe for one line inside a tag attribute or a short field: no newlines, quotes.

    Example
    -------
    >>> neutralize('a "b"\\nc')
    "a 'b' c"
    """
    return " ".join(text.replace('"', "'").split())
