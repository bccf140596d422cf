"""Anthropic's, Google's and Ollama's native APIs, translated to and from the stub's chat completions.

The stub answers every request as an OpenAI chat completion. A request to ``/v1/messages``
(Anthropic), ``/v1[beta]/models/MODEL:generateContent`` (Google's Gemini API) or ``/api/chat``
(Ollama's native API) is first rewritten into that shape (so the responder, the faults and
:class:`RecordedRequest` work unchanged), and the completion is rewritten back into the
provider's reply. Only what the langchain integrations send and read is translated: text
messages, one forced tool (Anthropic, Google), a JSON-schema ``format`` (Ollama).
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = [
    "error_body",
    "from_anthropic",
    "from_gemini",
    "from_ollama",
    "to_anthropic",
    "to_gemini",
    "to_ollama",
]

# Google's error statuses (google.rpc.Code names) by HTTP status
_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def _arguments(call: dict[str, Any]) -> dict[str, Any] | None:
    """A tool call's arguments as an object, or None when they are not one (malformed JSON)."""
    try:
        arguments = json.loads(call["function"]["arguments"])
    except json.JSONDecodeError:
        return None
    return arguments if isinstance(arguments, dict) else None


def _stage(schema: dict[str, Any]) -> str:
    """A stage name from a pydantic schema's title: ``JudgeOutput`` -> ``judge``."""
    title = str(schema.get("title", "reply")).removesuffix("Output")
    return "".join(("_" + c.lower()) if c.isupper() else c for c in title).lstrip("_")


def from_anthropic(body: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic Messages request as a chat-completions request."""
    messages = [{"role": "system", "content": _text(body["system"])}] if body.get("system") else []
    messages += [{"role": m["role"], "content": _text(m.get("content"))} for m in body["messages"]]
    out: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    if body.get("tools"):
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t["name"],
                    "description": t.get("description", ""),
                    "parameters": t.get("input_schema", {}),
                },
            }
            for t in body["tools"]
        ]
    return out


def to_anthropic(completion: dict[str, Any]) -> dict[str, Any]:
    """A chat completion as an Anthropic Messages reply (a tool call becomes ``tool_use``)."""
    choice = completion["choices"][0]
    message = choice["message"]
    content: list[dict[str, Any]] = []
    stop = "max_tokens" if choice["finish_reason"] == "length" else "end_turn"
    for call in message.get("tool_calls") or []:
        arguments = _arguments(call)
        if arguments is not None:
            content.append(
                {
                    "type": "tool_use",
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "input": arguments,
                }
            )
            stop = "tool_use" if stop != "max_tokens" else stop
        else:  # not an object: Anthropic would send text
            content.append({"type": "text", "text": call["function"]["arguments"]})
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    usage = completion["usage"]
    return {
        "id": completion["id"].replace("chatcmpl", "msg"),
        "type": "message",
        "role": "assistant",
        "model": completion["model"],
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": usage["completion_tokens"],
        },
    }


def from_ollama(body: dict[str, Any]) -> dict[str, Any]:
    """An Ollama ``/api/chat`` request as a chat-completions request (``format`` as json_schema)."""
    out: dict[str, Any] = {
        "model": body.get("model"),
        "messages": [
            {"role": m["role"], "content": _text(m.get("content"))} for m in body["messages"]
        ],
    }
    schema = body.get("format")
    if isinstance(schema, dict):
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": _stage(schema), "schema": schema},
        }
    return out


def to_ollama(completion: dict[str, Any]) -> bytes:
    """A chat completion as Ollama's reply: one NDJSON line that ends the (streamed) answer."""
    choice = completion["choices"][0]
    usage = completion["usage"]
    line = {
        "model": completion["model"],
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "message": {"role": "assistant", "content": choice["message"].get("content") or ""},
        "done": True,
        "done_reason": "length" if choice["finish_reason"] == "length" else "stop",
        "prompt_eval_count": usage["prompt_tokens"],
        "eval_count": usage["completion_tokens"],
    }
    return (json.dumps(line) + "\n").encode("utf-8")


def from_gemini(body: dict[str, Any], model: str) -> dict[str, Any]:
    """A Gemini ``generateContent`` request (for ``model``) as a chat-completions request.

    The forced function (``toolConfig``'s allowed name, else the first declaration) becomes
    the one tool, with its schema's Gemini type names (``OBJECT``) back in JSON-schema case.
    """
    system = body.get("systemInstruction")
    messages = [{"role": "system", "content": _parts_text(system["parts"])}] if system else []
    messages += [
        {
            "role": "assistant" if c.get("role") == "model" else "user",
            "content": _parts_text(c.get("parts")),
        }
        for c in body["contents"]
    ]
    out: dict[str, Any] = {"model": model, "messages": messages}
    config = body.get("generationConfig") or {}
    for theirs, ours in (("maxOutputTokens", "max_tokens"), ("temperature", "temperature")):
        if theirs in config:
            out[ours] = config[theirs]
    declarations = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    if declarations:
        calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        allowed = calling.get("allowedFunctionNames") or []
        forced = next((d for d in declarations if d["name"] in allowed), declarations[0])
        schema = forced.get("parametersJsonSchema") or forced.get("parameters") or {}
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": forced["name"],
                    "description": forced.get("description", ""),
                    "parameters": _json_schema(schema),
                },
            }
        ]
        out["tool_choice"] = {"type": "function", "function": {"name": forced["name"]}}
    return out


def to_gemini(completion: dict[str, Any]) -> dict[str, Any]:
    """A chat completion as a Gemini reply (a tool call becomes a ``functionCall`` part)."""
    choice = completion["choices"][0]
    message = choice["message"]
    parts: list[dict[str, Any]] = []
    for call in message.get("tool_calls") or []:
        arguments = _arguments(call)
        if arguments is not None:
            parts.append({"functionCall": {"name": call["function"]["name"], "args": arguments}})
        else:  # not an object: Gemini would send text
            parts.append({"text": call["function"]["arguments"]})
    if message.get("content"):
        parts.append({"text": message["content"]})
    usage = completion["usage"]
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": parts},
                "finishReason": "MAX_TOKENS" if choice["finish_reason"] == "length" else "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": usage["prompt_tokens"],
            "candidatesTokenCount": usage["completion_tokens"],
            "totalTokenCount": usage["prompt_tokens"] + usage["completion_tokens"],
        },
        "modelVersion": completion["model"],
        "responseId": completion["id"],
    }


def _parts_text(parts: Any) -> str:
    """A Gemini message's text; a function call or response as its JSON."""
    texts = []
    for part in parts or []:
        if "functionCall" in part:
            texts.append(json.dumps(part["functionCall"].get("args") or {}))
        elif "functionResponse" in part:
            texts.append(json.dumps(part["functionResponse"].get("response") or {}))
        else:
            texts.append(str(part.get("text", "")))
    return "".join(texts)


def _json_schema(schema: Any) -> Any:
    """A Gemini ``Schema`` as JSON schema: its type names (``STRING``) in lower case."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        k: v.lower() if k == "type" and isinstance(v, str) else _json_schema(v)
        for k, v in schema.items()
    }


def error_body(dialect: str, kind: str, message: str, status: int = 500) -> dict[str, Any]:
    """An error reply in the provider's shape (``status``: the HTTP status it goes with)."""
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    if dialect == "gemini":
        name = _GEMINI_STATUS.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": status, "message": message, "status": name}}
    if dialect == "ollama":
        return {"error": message}
    return {"error": {"message": message, "type": kind}}
