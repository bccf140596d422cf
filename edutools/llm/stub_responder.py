"""The stub server's default replies: a plausible answer to every edutools prompt stage.

It reads the request the way a model would (the tagged data blocks of the prompt files in
``prompts/``) and answers with simple, deterministic text rules, so whole engine runs work
end to end against :class:`edutools.llm.stubserver.StubServer`. It is a test double, not a
model: its verdicts come from word overlap with the reference answer.

Any other schema name (e.g. a stage another module adds) gets a minimal instance of the
requested JSON schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from edutools.schema import normalize_text

__all__ = ["instance_from_schema", "request_schema", "request_stage", "respond"]

_BLOCK = re.compile(
    r"<(?P<kind>[a-z_]+)-(?P<nonce>[0-9a-f]{12})(?P<attrs>[^>\n]*)>\n?(?P<text>.*?)\n?</(?P=kind)-(?P=nonce)>",
    re.DOTALL,
)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_REFERENCE = re.compile(r"<reference>\n?(.*?)\n?</reference>", re.DOTALL)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|;\s*|\s+\d\)\s*")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "the a an and or of to in on at for with by from is are was were be been it its this "
        "that these those as into than then so such their there they them which who what when "
        "where why how also because can could would should will just like very more most some "
        "any each other",
    )
)


def request_stage(body: dict[str, Any]) -> str | None:
    """The schema (stage) name a chat-completions request asks for, if any."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        return str(fmt["json_schema"].get("name"))
    tools = body.get("tools")
    if tools:
        return str(tools[0].get("function", {}).get("name"))
    return None


def request_schema(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a request asks for ({} when none)."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        return dict(fmt["json_schema"].get("schema") or {})
    tools = body.get("tools")
    if tools:
        return dict(tools[0].get("function", {}).get("parameters") or {})
    return {}


def _user_text(body: dict[str, Any]) -> str:
    # the first user message: later ones are re-asks, which repeat no data
    for m in body.get("messages", []):
        if m.get("role") == "user":
            content = m.get("content")
            return content if isinstance(content, str) else str(content)
    return ""


def _blocks(text: str, kind: str) -> list[tuple[int, dict[str, str], str]]:
    out = []
    for m in _BLOCK.finditer(text):
        if m.group("kind") != kind:
            continue
        attrs = dict(_ATTR.findall(m.group("attrs")))
        out.append((int(attrs.get("n", "0")), attrs, m.group("text").strip()))
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in normalize_text(text).split() if len(w) > 2 and w not in _STOP}


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip(" -*•")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _analyse(body: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, dict[str, Any]] = {}
    for n, _, text in _blocks(_user_text(body), "answer"):
        for piece in _SENTENCE_SPLIT.split(text):
            if len(piece.split()) < 3:
                continue
            key = normalize_text(piece)
            claim = claims.setdefault(key, {"text": _sentence(piece), "answers": []})
            if n not in claim["answers"]:
                claim["answers"].append(n)
    return {"claims": list(claims.values())}


def _judge(body: dict[str, Any]) -> dict[str, Any]:
    text = _user_text(body)
    ref = _REFERENCE.search(text)
    reference = _content_words(ref.group(1) if ref else "")
    verdicts = []
    for n, _, claim in _blocks(text, "claim"):
        words = _content_words(claim)
        overlap = len(words & reference) / len(words) if words else 0.0
        verdict = "correct" if overlap >= 0.6 else "irrelevant" if overlap < 0.2 else "incorrect"
        verdicts.append(
            {
                "claim": n,
                "verdict": verdict,
                "reason": f"{overlap:.0%} of its content words are in the reference",
            }
        )
    return {"verdicts": verdicts}


def _rewrite(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "assertions": [
            {"claim": n, "assertion": _sentence(text)}
            for n, _, text in _blocks(_user_text(body), "claim")
        ]
    }


def _merge(body: dict[str, Any]) -> dict[str, Any]:
    # greedy grouping: an assertion joins the first group of the same truth whose first
    # member shares at least half of their content words (Jaccard >= 0.5)
    groups: list[dict[str, Any]] = []
    heads: list[tuple[str, set[str]]] = []
    for n, attrs, text in _blocks(_user_text(body), "assertion"):
        truth = attrs.get("truth", "")
        words = _content_words(text) or {normalize_text(text)}
        for (head_truth, head_words), group in zip(heads, groups, strict=True):
            if head_truth == truth and len(words & head_words) / len(words | head_words) >= 0.5:
                group["members"].append(n)
                break
        else:
            heads.append((truth, words))
            groups.append(
                {
                    "members": [n],
                    "text": text,
                    "misconception": " ".join(text.split()[:6]) if truth == "incorrect" else None,
                }
            )
    return {"groups": groups}


_NEGATE = ((re.compile(r"\b(is|are|was|were|can|does|do|has|have)\b"), r"\1 not"),)


def _negate(sentence: str) -> str:
    for pattern, repl in _NEGATE:
        if pattern.search(sentence):
            return pattern.sub(repl, sentence, count=1)
    return "It is not true that " + sentence[0].lower() + sentence[1:]


def _baseline(body: dict[str, Any]) -> dict[str, Any]:
    ref = _REFERENCE.search(_user_text(body))
    sentences = [
        _sentence(s)
        for s in _SENTENCE_SPLIT.split(ref.group(1) if ref else "")
        if len(s.split()) >= 3
    ]
    sentences = list(dict.fromkeys(sentences)) or ["The reference answer is correct."]
    foils = [
        {"text": _negate(s), "misconception": "negation of: " + " ".join(s.split()[:5])}
        for s in sentences
    ]
    return {"correct": sentences, "foils": foils}


def _self_check(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "reviews": [
            {"item": n, "ok": True, "problems": []} for n, _, _ in _blocks(_user_text(body), "item")
        ]
    }


_STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "analyse": _analyse,
    "judge": _judge,
    "rewrite": _rewrite,
    "merge": _merge,
    "baseline": _baseline,
    "self_check": _self_check,
}


def instance_from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A minimal value that satisfies a (pydantic-generated) JSON schema.

    Example
    -------
    >>> instance_from_schema({"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})
    {'x': 0}
    """
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return instance_from_schema(root.get("$defs", {}).get(name, {}), root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance_from_schema(options[0], root)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            k: instance_from_schema(props[k], root)
            for k in schema.get("required", [])
            if k in props
        }
    if kind == "array":
        return [
            instance_from_schema(schema.get("items", {}), root)
            for _ in range(schema.get("minItems", 0))
        ]
    if kind == "string":
        return "stub " * max(1, int(schema.get("minLength", 1)) // 5 + 1)
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0.0))
    if kind == "boolean":
        return False
    return None


def respond(body: dict[str, Any]) -> Any:
    """Answer a chat-completions request body: by stage, or from the schema."""
    stage = request_stage(body)
    if stage in _STAGES:
        return _STAGES[stage](body)
    return instance_from_schema(request_schema(body))
