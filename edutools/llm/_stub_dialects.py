"""Anthropic's Messages API and Ollama's chat API, translated to and from the stub's chat completions.

The stub answers every request as an OpenAI chat completion. A request to ``/v1/messages``
(Anthropic) or ``/api/chat`` (Ollama's native API) is first rewritten into that shape (so the
responder, the faults and :class:`RecordedRequest` work unchanged), and the completion is
rewritten back into the provider's reply. Only what the langchain integrations send and read
is translated: text messages, one forced tool (Anthropic), a JSON-schema ``format`` (Ollama).
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["error_body", "from_anthropic", "from_ollama", "to_anthropic", "to_ollama"]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


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
        try:
            arguments = json.loads(call["function"]["arguments"])
        except json.JSONDecodeError:
            arguments = None
        if isinstance(arguments, dict):
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


def error_body(dialect: str, kind: str, message: str) -> dict[str, Any]:
    """An error reply in the provider's shape."""
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    if dialect == "ollama":
        return {"error": message}
    return {"error": {"message": message, "type": kind}}
