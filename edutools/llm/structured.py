"""Structured output: how a stage's pydantic type is requested, and how a reply is read.

Two request methods (``Settings.structured_output``):

``json_schema``
    ``response_format={"type": "json_schema", ...}``; the JSON is the message content.
``function_calling``
    one forced tool call whose parameters are the schema; the JSON is its arguments.
    For servers that reject ``json_schema`` (llama.cpp).

Replies are parsed here, not by langchain, so a reply that fails validation can be sent
back with the error (a re-ask) instead of being lost inside a parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from langchain_core.messages import AIMessage
from pydantic import BaseModel, ValidationError

__all__ = ["Method", "ReplyError", "parse_reply", "reply_text", "request_options"]

Method = Literal["json_schema", "function_calling"]
M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_MAX_ERROR_CHARS = 1200


class ReplyError(Exception):
    """A reply that could not be turned into the stage's output type (internal: re-asked)."""


def request_options(
    method: Method, name: str, schema: dict[str, Any], description: str
) -> dict[str, Any]:
    """The keyword arguments that ask the chat model for JSON matching ``schema``.

    Example
    -------
    >>> sorted(request_options("function_calling", "judge", {"type": "object"}, "d"))
    ['tool_choice', 'tools']
    """
    if method == "json_schema":
        # strict=False: OpenAI's strict mode rejects optional fields and defaults; the
        # reply is validated (and re-asked) on our side anyway
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": name,
                    "description": description,
                    "schema": schema,
                    "strict": False,
                },
            }
        }
    return {
        "tools": [
            {
                "type": "function",
                "function": {"name": name, "description": description, "parameters": schema},
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": name}},
    }


def reply_text(message: AIMessage, method: Method) -> str:
    """The JSON text of a reply: the forced tool call's arguments, else the content."""
    if method == "function_calling":
        if message.tool_calls:
            return json.dumps(message.tool_calls[0]["args"], ensure_ascii=False)
        if message.invalid_tool_calls:
            return str(message.invalid_tool_calls[0].get("args") or "")
    content = message.content
    if isinstance(content, list):
        parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
        return "".join(parts)
    return str(content or "")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"]) or "(top level)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_reply(text: str, output_type: type[M], check: Callable[[M], None] | None = None) -> M:
    """Validate a reply's JSON text as ``output_type``, then run ``check`` on it.

    Markdown code fences around the JSON (common with local models) are removed first.

    Parameters
    ----------
    text : str
        The reply's JSON text.
    output_type : type of pydantic.BaseModel
        The stage's output type.
    check : callable, optional
        Raises ValueError when the value is valid JSON but wrong for this request (e.g. it
        cites an answer number that was not in the batch).

    Returns
    -------
    pydantic.BaseModel

    Raises
    ------
    ReplyError
        With a message fit to send back to the model.
    """
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text.strip():
        raise ReplyError("the reply was empty; it must be a JSON object")
    try:
        value = output_type.model_validate_json(text)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ReplyError(f"the reply is not valid JSON ({_describe(exc)[:300]})") from None
        raise ReplyError(
            f"the JSON does not match the schema: {_describe(exc)[:_MAX_ERROR_CHARS]}"
        ) from None
    if check is not None:
        try:
            check(value)
        except ValueError as exc:
            raise ReplyError(str(exc)[:_MAX_ERROR_CHARS]) from None
    return value
