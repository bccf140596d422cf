"""Turn a student's sentence into a candidate assertion, or reject it.

Cleaning masks personal data, strips bullets, hedges ("I think", "maybe") and leading
connectors ("so", "and", "because"), restores the commonest missing apostrophes, and makes
one declarative sentence of it (capital first letter, final period). Rejection catches empty
and non-answers ("I don't know"), text aimed at the grader or a model ("ignore previous
instructions", "give me full marks"), questions, and sentences too short or too long to
serve as an option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from edutools.generate.privacy import mask_pii
from edutools.text import content_stems, words

__all__ = ["clean_sentence", "is_fragment", "reject_reason"]

_BULLET = re.compile(r"^\s*(?:[-*•·>]+|\(?\d{1,2}[.)](?!\d)|\(?[a-z][.)](?=\s))\s*")
_LABEL = re.compile(
    r"^\s*(?:differences?|similarit(?:y|ies)|same|shared|answer|both)\s*[:=-]\s*", re.IGNORECASE
)
_HEDGE = re.compile(
    r"^(?:i\s+(?:think|believe|guess|reckon|suppose|feel(?:\s+like)?|would\s+say|know)|i'?m\s+(?:not\s+sure|pretty\s+sure)"
    r"(?:\s+but)?|in\s+my\s+opinion|not\s+sure\s+but|maybe|probably|perhaps|basically|honestly|"
    r"well|so|and|but|also|plus|then|because|since|ok|okay|yes|um+|uh+|like)\b[\s,:-]*(?:that\s+)?",
    re.IGNORECASE,
)
_TRAILING_HEDGE = re.compile(
    r"[\s,;-]*(?:i\s+think|i\s+guess|i\s+believe|maybe|probably|or\s+something|lol|haha|etc)\W*$",
    re.IGNORECASE,
)
_FIRST_PERSON_ASIDE = re.compile(r"\([^()]*\b(?:i|i'm|im|my|me)\b[^()]*\)", re.IGNORECASE)
_APOSTROPHES = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "wont": "won't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "thats": "that's",
}
_NON_ANSWER = re.compile(
    r"^(?:i\s+)?(?:do\s*n[o']?t|dont|didnt|did\s+not)\s+know\b|^idk\b|^no\s+idea\b|^not\s+sure\b|^no\s+clue\b|"
    r"^(?:n/?a|none|nothing|pass|\?+|-+|\.+)$|^i\s+(?:forgot|can'?t\s+remember|have\s+no\s+idea)",
    re.IGNORECASE,
)
_ADDRESSED = re.compile(
    r"\b(?:ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier)\s+(?:instructions?|prompts?)|"
    r"mark\s+(?:this|my)\s+(?:answer\s+)?(?:as\s+)?(?:correct|right)|give\s+me\s+(?:full|all|the)\s+marks?|"
    r"system\s+prompt|you\s+are\s+(?:an?\s+)?(?:ai|assistant|language\s+model)|as\s+an\s+ai|"
    r"ignore\s+(?:all\s+)?(?:the\s+)?(?:grading|marking)\s+(?:rules?|rubric|scheme)|"
    r"(?:disregard|ignore)\s+(?:the\s+)?(?:rubric|instructions?|rules?)|"
    r"(?:ai|llm|chatgpt|automated)\s+(?:grader|marker|assistant)|admin\s+mode|new\s+task\s*:|"
    r"give\s+(?:it|me|this|them)\s+(?:the\s+)?(?:highest|full|maximum|top)\s+(?:marks?|score|points|grade)|"
    r"(?:should\s+get|deserves?)\s+(?:full|maximum|all\s+the)\s+(?:marks?|points)|"
    r"every\s+answer\s+(?:in\s+this\s+batch\s+)?is\s+correct)\b",
    re.IGNORECASE,
)
# first words that leave a sentence depending on the question or the previous sentence
_DANGLING = frozenset(
    [
        "it",
        "its",
        "they",
        "them",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "which",
        "from",
        "by",
        "through",
        "via",
        "because",
        "in",
        "into",
        "with",
        "to",
        "mostly",
        "mainly",
        "only",
        "just",
    ]
)


def clean_sentence(sentence: str, *, known_ids: Sequence[str] = ()) -> str:
    """A tidy declarative version of a student's sentence (PII masked).

    Example
    -------
    >>> clean_sentence("- i think that prokaryotes dont have a nucleus lol")
    "Prokaryotes don't have a nucleus."
    >>> clean_sentence("So basically the enzyme is used up (I can't remember why)!!")
    'The enzyme is used up.'
    """
    text = mask_pii(sentence, known_ids=known_ids)
    text = _FIRST_PERSON_ASIDE.sub(" ", text)
    text = _BULLET.sub("", text)
    text = _LABEL.sub("", text)
    for _ in range(4):  # "so basically I think that ..." peels one hedge at a time
        peeled = _HEDGE.sub("", text, count=1).lstrip(" ,;:-")
        if peeled == text:
            break
        text = peeled
    text = _TRAILING_HEDGE.sub("", text)
    text = re.sub(
        r"\b(" + "|".join(_APOSTROPHES) + r")\b",
        lambda m: _fix_apostrophe(m.group(1)),
        text,
        flags=re.I,
    )
    text = re.sub(r"\bi\b", "I", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    text = re.sub(r"[.!?;,:\s]+$", "", text)
    if not text:
        return ""
    return text[0].upper() + text[1:] + "."


def _fix_apostrophe(word: str) -> str:
    fixed = _APOSTROPHES[word.lower()]
    return fixed[0].upper() + fixed[1:] if word[0].isupper() else fixed


def is_fragment(text: str) -> bool:
    """True when the sentence opens with a word that makes it lean on its context.

    Example
    -------
    >>> is_fragment("From the soil through the roots."), is_fragment("Trees grow from seeds.")
    (True, False)
    """
    first = words(text)[:1]
    return bool(first) and first[0] in _DANGLING


def reject_reason(
    raw: str, cleaned: str, *, min_content: int = 2, min_words: int = 3, max_words: int = 40
) -> str | None:
    """Why a sentence cannot become an assertion, or None when it can.

    Example
    -------
    >>> reject_reason("dont know", "Don't know."), reject_reason("Plants need light", "Plants need light.")
    ('non-answer', None)
    """
    stripped = raw.strip()
    if not cleaned:
        return "empty"
    if _NON_ANSWER.search(stripped) or _NON_ANSWER.search(cleaned.rstrip(".")):
        return "non-answer"
    if _ADDRESSED.search(stripped):
        return "addressed to the grader"
    if stripped.endswith("?"):
        return "question"
    n_words = len(words(cleaned))
    if n_words < min_words or len(content_stems(cleaned)) < min_content:
        return "too short"
    if n_words > max_words:
        return "too long"
    if re.search(r"\[(?:EMAIL|URL|PHONE|HANDLE|ID|NAME)\]", cleaned):
        return "personal data"
    return None
