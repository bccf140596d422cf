"""What makes a self-contained declarative sentence, and a free-text question a stem.

Shared by option polishing (:mod:`edutools.generate.options`), the item-writing checks and
assembly. Word lists and patterns, no course knowledge:

* :func:`fragment_reason` says why a text is not a sentence of its own (no verb, a dangling
  first word, a subject that points back, a cut-off list or bracket, a note "label: ...");
* :func:`strip_lead` drops a leading connective or short label when the rest stands alone;
* :func:`question_subject` finds the one clear subject of a question, which
  :func:`restore_subject` puts in front of an option that lacks one;
* :func:`stem_question` takes the free-text question's writing instructions out of a stem.
"""

from __future__ import annotations

import functools
import re

from edutools.text import STOPWORDS, words

__all__ = [
    "fragment_reason",
    "question_subject",
    "restore_subject",
    "stem_question",
    "strip_lead",
]

# Common verbs of explanatory answers (3rd person and base forms are both listed where the
# base form is not also a common noun). A sentence needs one of these, a word ending in a
# verb suffix, or an auxiliary to count as a clause.
_AUX = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "having",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "hasnt",
        "havent",
        "hadnt",
    ]
)
_VERBS = frozenset(
    [
        "make",
        "makes",
        "made",
        "cause",
        "causes",
        "caused",
        "create",
        "creates",
        "created",
        "produce",
        "produces",
        "produced",
        "contain",
        "contains",
        "contained",
        "use",
        "uses",
        "used",
        "need",
        "needs",
        "needed",
        "allow",
        "allows",
        "allowed",
        "prevent",
        "prevents",
        "prevented",
        "become",
        "becomes",
        "became",
        "get",
        "gets",
        "got",
        "give",
        "gives",
        "gave",
        "go",
        "goes",
        "went",
        "take",
        "takes",
        "took",
        "keep",
        "keeps",
        "kept",
        "let",
        "lets",
        "provide",
        "provides",
        "provided",
        "require",
        "requires",
        "required",
        "increase",
        "increases",
        "increased",
        "decrease",
        "decreases",
        "decreased",
        "reduce",
        "reduces",
        "reduced",
        "depend",
        "depends",
        "depended",
        "mean",
        "means",
        "meant",
        "send",
        "sends",
        "sent",
        "receive",
        "receives",
        "received",
        "carry",
        "carries",
        "carried",
        "flow",
        "flows",
        "flowed",
        "move",
        "moves",
        "moved",
        "stay",
        "stays",
        "stayed",
        "remain",
        "remains",
        "remained",
        "break",
        "breaks",
        "broke",
        "change",
        "changes",
        "changed",
        "form",
        "forms",
        "formed",
        "turn",
        "turns",
        "turned",
        "lead",
        "leads",
        "led",
        "result",
        "results",
        "resulted",
        "occur",
        "occurs",
        "occurred",
        "happen",
        "happens",
        "happened",
        "work",
        "works",
        "worked",
        "stop",
        "stops",
        "stopped",
        "connect",
        "connects",
        "connected",
        "block",
        "blocks",
        "blocked",
        "pass",
        "passes",
        "passed",
        "lose",
        "loses",
        "lost",
        "gain",
        "gains",
        "gained",
        "absorb",
        "absorbs",
        "absorbed",
        "release",
        "releases",
        "released",
        "store",
        "stores",
        "stored",
        "convert",
        "converts",
        "converted",
        "transfer",
        "transfers",
        "transferred",
        "divide",
        "divides",
        "divided",
        "copy",
        "copies",
        "copied",
        "bind",
        "binds",
        "bound",
        "fit",
        "fits",
        "lower",
        "lowers",
        "lowered",
        "raise",
        "raises",
        "raised",
        "speed",
        "speeds",
        "sped",
        "slow",
        "slows",
        "slowed",
        "kill",
        "kills",
        "killed",
        "help",
        "helps",
        "helped",
        "show",
        "shows",
        "showed",
        "shown",
        "differ",
        "differs",
        "differed",
        "consist",
        "consists",
        "consisted",
        "belong",
        "belongs",
        "belonged",
        "come",
        "comes",
        "came",
        "grow",
        "grows",
        "grew",
        "exist",
        "exists",
        "existed",
        "act",
        "acts",
        "acted",
        "lack",
        "lacks",
        "lacked",
        "depends",
        "include",
        "includes",
        "included",
        "involve",
        "involves",
        "involved",
        "avoid",
        "avoids",
        "avoided",
        "ensure",
        "ensures",
        "ensured",
        "detect",
        "detects",
        "detected",
        "guarantee",
        "guarantees",
        "guaranteed",
        "know",
        "knows",
        "knew",
        "see",
        "sees",
        "saw",
        "say",
        "says",
        "said",
        "read",
        "reads",
        "write",
        "writes",
        "wrote",
        "open",
        "opens",
        "opened",
        "close",
        "closes",
        "closed",
        "light",
        "lights",
        "lit",
    ]
)
_VERB_SUFFIX = re.compile(r"(?:ed|ing|ize|ise|ate|ify)$")
_SUBJECT_PRONOUNS = frozenset({"it", "they", "this", "these"})
# "It is true that ...", "It takes time to ...": an expletive "it" needs no antecedent
_DUMMY_IT = re.compile(
    r"^it\s+(?:(?:is|was|would\s+be|will\s+be|can\s+be|may\s+be)\s+(?:not\s+)?(?:\w+\s+){0,2}"
    r"(?:that|to|for|whether|because)\b|takes|depends|seems|appears|follows)"
)
# a sentence opening with these leans on the one before it
_DANGLING_START = frozenset(
    ["so", "therefore", "thus", "hence", "and", "but", "or", "which", "plus"]
)
# connectives that tie a sentence to the one before it and can go without changing what it says
# ("In addition, the bridge floods the frame." -> "The bridge floods the frame.")
_CONNECTIVE = re.compile(
    r"^(?:in addition|additionally|furthermore|moreover|however|besides|also|as well|"
    r"on the other hand|in contrast|in general|generally|basically|finally|lastly|"
    r"first(?:ly)?|second(?:ly)?|third(?:ly)?|then|nevertheless|nonetheless|in fact|indeed|"
    r"of course)(?:\s*,\s*|\s+)(?=\S)",
    re.IGNORECASE,
)
# subjects that point back to something said before ("Both of them use ...", "The latter is ...")
_POINTER = re.compile(
    r"^\s*(?:(?:both|all|each|one|none|either|neither|some|most|many|two) of (?:them|these|those)"
    r"|the (?:former|latter)|the (?:first|second|other) one)\b",
    re.IGNORECASE,
)
# a short label before a colon ("Disadvantage: ...", "Advantage 2: ...")
_LABEL = re.compile(r"^([^:]{1,40}):\s*(?=\S)")
# the instructions of a free-text question that a multiple-choice item must not repeat: a
# length ("in 2-5 sentences", "in one sentence each") is cut out of its sentence, and a
# sentence that only asks to explain or justify the written answer goes
_ANSWER_LENGTH = re.compile(
    r"[ ,]*\b(?:in|with|within|using)\s+(?:about\s+|at most\s+|no more than\s+)?"
    r"(?:\d+|one|two|three|four|five|a few|a single)(?:\s*(?:-|–|to)\s*\d+)?\s+"
    r"(?:sentences?|words)(?:\s+(?:each|total|in total))?\b\s*",
    re.IGNORECASE,
)
_WRITING_INSTRUCTION = re.compile(
    r"^(?:please\s+)?(?:explain|justify|state|give)\s+(?:\w+\s+)?(?:reasons?\s+for\s+)?"
    r"your\s+(?:answer|reasoning|choice|decision)\b"
    r"|^(?:please\s+)?answer the question\b"
    r"|^(?:you\s+(?:need|have)\s+to|please)\s+justify\b"
    r"|^include\s+(?:a\s+)?justification\b",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset(
    ["from", "through", "via", "with", "by", "into", "in", "on", "at", "to", "for", "of"]
)
# a sentence cut short ("The reserved addresses are:") ends with one of these
_OPEN_END = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "the",
        "a",
        "an",
        "of",
        "to",
        "with",
        "for",
        "and",
        "or",
        "but",
        "because",
        "as",
        "than",
        "by",
        "from",
        "in",
        "on",
        "at",
        "into",
        "that",
        "which",
        "who",
        "whose",
        "such",
        "like",
        "e.g",
        "i.e",
        "since",
        "so",
        "if",
        "when",
        "while",
        "although",
    ]
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|my|me|mine|myself)\b")
_META = re.compile(
    r"\bthe\s+following\b|^(?:there|these|here)\s+are\s+the\b|"
    r"\b(?:mentioned|stated|described|explained|shown)\s+(?:above|below|before|earlier)\b|"
    r"\b(?:the|this|my)\s+(?:question|answer|exercise|task)\s+(?:asks|says|wants)\b",
    re.IGNORECASE,
)
_MAX_WORDS = 35
# a subordinate clause needs a main clause after it ("Because it is open." has none)
_SUBORDINATE = frozenset(
    ["because", "since", "when", "while", "although", "though", "if", "unless", "whereas", "as"]
)


@functools.lru_cache(maxsize=4096)
def question_subject(question_text: str) -> str | None:
    """The one clear subject of a question, or None (cached: asked for every option).

    Recognises "What does/is X ...", "Why does/is X ...", "How does X ...", "Explain why X
    is/was ..." and "What happens to X ..." with X a short noun phrase.

    Example
    -------
    >>> question_subject("Why does the bulb stay on when switch Y is open?")
    'the bulb'
    >>> question_subject("What happens to a red blood cell placed in pure water?")
    'a red blood cell'
    >>> question_subject("Compare A and B.") is None
    True
    """
    text = " ".join(question_text.split())
    verbs = "|".join(sorted(_VERBS | {"stay", "stays", "remain", "remains", "look", "looks"}))
    patterns = (
        r"^(?:why|how)\s+(?:does|do|did|can|will|would|could)\s+"
        r"(?P<np>(?:(?:the|a|an|this|these|each|every)\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        rf"(?:{verbs})\b",
        r"^what\s+(?:does|do|did|can|will|would|could)\s+"
        r"(?P<np>(?:(?:the|a|an|this|these|each|every)\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        rf"(?:{verbs})\b",
        r"^(?:explain|describe)\s+why\s+(?P<np>(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        r"(?:is|are|was|were|does|do|did|has|had|will|can)\b",
        r"^what\s+happens\s+to\s+(?P<np>(?:the|a|an)\s+[\w-]+(?:\s+[\w-]+){0,4}?)"
        r"(?:\s+(?:placed|put|when|if|in|after|during|that|which)\b|\s*[?.,])",
    )
    for pattern in patterns:
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found:
            np_ = found.group("np").strip()
            raw = np_.split()
            tokens = [t.lower() for t in raw]
            names_last = len(raw[-1]) == 1 and raw[-1].isupper()  # "bulb A"
            if set(tokens) & _AUX or (tokens[-1] in STOPWORDS and not names_last):
                continue
            return np_[0].lower() + np_[1:] if tokens[0] in ("the", "a", "an") else np_
    return None


def fragment_reason(text: str) -> str | None:
    """Why ``text`` is not a self-contained declarative sentence, or None when it is one.

    Example
    -------
    >>> fragment_reason("Because it is open."), fragment_reason("Short circuit."), fragment_reason("The switch is open.")
    ("it is only a 'because' clause", 'it has fewer than 4 words', None)
    """
    tokens = words(text)
    if len(tokens) < 4:
        return "it has fewer than 4 words"
    if text.count("(") != text.count(")"):
        return "its brackets do not match (a piece cut from a longer text)"
    if re.search(r":\s*[-–•*]\s", text):
        return "it holds a list, not a sentence"
    if tokens[0] in _DANGLING_START:
        return f"it starts with '{tokens[0]}'"
    finite = sum(t in _AUX or (t in _VERBS and t.endswith("s")) for t in tokens)
    if tokens[0].endswith("ing") and tokens[0] not in _VERBS and finite == 0:
        return "it has no main verb"
    if tokens[0] in _SUBORDINATE and finite < 2 and "," not in text:
        return f"it is only a '{tokens[0]}' clause"
    if tokens[0] in ("it", "they") and not _DUMMY_IT.match(" ".join(tokens)):
        return f"its subject '{tokens[0]}' has no antecedent"
    if tokens[0] in ("this", "that", "these", "those") and (
        tokens[1] in _AUX or tokens[1] in _VERBS
    ):
        return f"its subject '{tokens[0]}' has no antecedent"
    pointer = _POINTER.match(text)
    if pointer is not None:
        return f"its subject '{pointer.group(0).strip()}' has no antecedent"
    last = text.rstrip(" .!?;:").split()[-1:] or [""]
    if tokens[-1] in _OPEN_END and not (len(last[0]) == 1 and last[0].isupper()):
        return f"it stops after '{tokens[-1]}'"
    head, _, tail = text.partition(":")
    if (
        tail
        and len(head.split()) <= 4
        and not any(w.lower().strip(",") in _AUX for w in head.split())
        and fragment_reason(tail.strip()[:1].upper() + tail.strip()[1:]) is not None
    ):
        return "it is a note ('label: ...'), not a sentence"
    if _FIRST_PERSON.search(text) or _META.search(text):
        return "it talks about the answer, not the subject"
    if len(tokens) > _MAX_WORDS:
        return f"it has more than {_MAX_WORDS} words"
    if tokens[0] in _PREPOSITIONS and not any(
        t in _AUX or t in _VERBS or _VERB_SUFFIX.search(t) for t in tokens
    ):
        return "it has no verb"
    if len(tokens) <= 6 and not any(
        t in _AUX or t in _VERBS or _VERB_SUFFIX.search(t) or (t.endswith("s") and len(t) > 3)
        for t in tokens
    ):
        return "it has no verb"
    if tokens[0] in _VERBS or tokens[0] in _AUX - {"do", "does", "did"}:
        return "it has no subject"
    return None


def strip_lead(text: str) -> str:
    """``text`` without a leading connective ("Furthermore, ...") or short label ("Disadvantage:
    ..."), when what follows is a sentence of its own."""
    for _ in range(2):  # "Advantage: however, ..."
        m = _CONNECTIVE.match(text)
        if m is None:
            m = _LABEL.match(text)
            head = m.group(1).split() if m else []
            if not m or len(head) > 4 or any(w.lower().strip("\"'") in _AUX for w in head):
                return text
        rest = text[m.end() :]
        rest = rest[:1].upper() + rest[1:]
        if fragment_reason(rest) is not None:
            return text
        text = rest
    return text


def stem_question(question_text: str) -> str:
    """The question without its instructions for writing a free-text answer.

    "Explain your answer in 2-5 sentences." or "Give two reasons for your answer." ask for an
    essay; in front of "Which statement is correct?" they confuse. Such sentences go, a
    length ("in 1-3 sentences", "in one sentence each") is cut from the sentence it ends, and
    a one-word remnant goes too. The question is kept whole when nothing else would be left.

    Example
    -------
    >>> stem_question("Does the assumption hold for real traffic? Explain your answer in 2-5 sentences.")
    'Does the assumption hold for real traffic?'
    >>> stem_question("Please explain the problem with DQDB in 1-3 sentences.")
    'Please explain the problem with DQDB.'
    """
    sentences = re.split(r"(?<=[.?!])\s+", " ".join(question_text.split()))
    kept = []
    for sentence in sentences:
        cut = _ANSWER_LENGTH.sub(" ", sentence).strip()
        cut = re.sub(r"\s+([.?!])", r"\1", cut)
        if not _WRITING_INSTRUCTION.search(cut) and len(cut.split()) > 1:
            kept.append(cut)
    return " ".join(kept) if kept else " ".join(sentences)


def restore_subject(text: str, subject: str) -> tuple[str, bool]:
    tokens = text.split()
    if not tokens:
        return text, False
    first = tokens[0].lower().strip(",")
    plural = subject.lower().split()[-1].endswith("s") and not subject.lower().endswith("ss")
    if first in ("it", "they") and (first == "they") == plural:
        return " ".join([subject, *tokens[1:]]), True
    if first in _VERBS and first not in ("light", "open", "close", "turn", "work", "break"):
        verb_plural = not first.endswith("s")
        if verb_plural == plural:
            return " ".join([subject, first, *tokens[1:]]), True
    return text, False
