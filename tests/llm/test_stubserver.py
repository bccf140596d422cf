"""The stub server itself: routing, replies, recording, fault scheduling, default responder."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from edutools.llm.stub_responder import instance_from_schema, respond
from edutools.llm.stubserver import StubReply, StubServer


def post(
    stub: StubServer, body: dict[str, Any], path: str = "/chat/completions"
) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(
        stub.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), json.loads(err.read())


def body(name: str = "echo", tools: bool = False, user: str = "hi") -> dict[str, Any]:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    out: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": user}]}
    if tools:
        out["tools"] = [{"type": "function", "function": {"name": name, "parameters": schema}}]
    else:
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema},
        }
    return out


def content(reply: Any) -> str:
    return str(reply["choices"][0]["message"]["content"])


def test_queued_replies_come_first_then_the_responder(stub_server: StubServer) -> None:
    stub_server.enqueue({"text": "one"}, "raw text")
    replies = [post(stub_server, body())[2] for _ in range(3)]
    assert [content(r) for r in replies] == ['{"text": "one"}', "raw text", '{"text": "stub "}']
    assert [r.stage for r in stub_server.requests] == ["echo"] * 3
    assert stub_server.requests[0].text == "hi"


def test_tool_requests_get_a_tool_call(stub_server: StubServer) -> None:
    stub_server.enqueue({"text": "x"})
    _, _, reply = post(stub_server, body(tools=True))
    message = reply["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"][0]["function"] == {"name": "echo", "arguments": '{"text": "x"}'}


def test_stub_reply_sets_finish_reason_and_tokens(stub_server: StubServer) -> None:
    stub_server.enqueue(
        StubReply({"text": "x"}, finish_reason="length", prompt_tokens=7, completion_tokens=3)
    )
    _, _, reply = post(stub_server, body())
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


@pytest.mark.parametrize(
    ("kind", "status", "check"),
    [
        pytest.param("rate_limit", 429, lambda h, r: h["Retry-After"] == "0.5", id="rate-limit"),
        pytest.param(
            "server_error", 503, lambda h, r: "server error" in r["error"]["message"], id="5xx"
        ),
        pytest.param(
            "malformed_json", 200, lambda h, r: not content(r).endswith("}"), id="malformed"
        ),
        pytest.param(
            "schema_invalid",
            200,
            lambda h, r: "unexpected_field" in content(r),
            id="schema-invalid",
        ),
        pytest.param(
            "truncated",
            200,
            lambda h, r: r["choices"][0]["finish_reason"] == "length",
            id="truncated",
        ),
    ],
)
def test_faults(stub_server: StubServer, kind: Any, status: int, check: Any) -> None:
    stub_server.inject(kind, retry_after=0.5, status=503)
    code, headers, reply = post(stub_server, body())
    assert code == status
    assert check(headers, reply)
    assert stub_server.requests[0].fault == kind
    assert post(stub_server, body())[0] == 200


def test_fault_after_and_when(stub_server: StubServer) -> None:
    stub_server.inject("server_error", count=2, after=1, when=lambda b: "judge" in json.dumps(b))
    codes = [
        post(stub_server, body(name=n))[0]
        for n in ["echo", "judge", "judge", "echo", "judge", "judge"]
    ]
    assert codes == [200, 200, 500, 200, 500, 200]


def test_clear_faults_ends_an_outage(stub_server: StubServer) -> None:
    stub_server.inject("server_error", count=1000)
    assert post(stub_server, body())[0] == 500
    stub_server.clear_faults()
    assert post(stub_server, body())[0] == 200


def test_unknown_fault_and_route(stub_server: StubServer) -> None:
    with pytest.raises(ValueError, match="unknown fault 'explode'"):
        stub_server.inject("explode")  # type: ignore[arg-type]
    assert post(stub_server, body(), path="/embeddings")[0] == 404


def test_responder_errors_are_recorded(stub_server: StubServer) -> None:
    def broken(_: dict[str, Any]) -> Any:
        raise RuntimeError("no idea")

    stub_server.responder = broken
    code, _, _reply = post(stub_server, body())
    assert code == 500
    assert stub_server.errors == ["RuntimeError: no idea"]


def test_reset(stub_server: StubServer) -> None:
    stub_server.enqueue("x")
    post(stub_server, body())
    stub_server.reset()
    assert stub_server.requests == []
    assert stub_server.max_in_flight == 0


def test_default_responder_answers_each_stage() -> None:
    def req(stage: str, user: str) -> dict[str, Any]:
        return {
            "messages": [{"role": "user", "content": user}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": stage, "schema": {}},
            },
        }

    n = "0123456789ab"
    answers = (
        f'<answer-{n} n="1">\nOsmosis moves water into the cell. It bursts.\n</answer-{n}>\n'
        f'<answer-{n} n="2">\nosmosis moves water into the cell\n</answer-{n}>'
    )
    out = respond(req("analyse", answers))
    assert out["claims"] == [{"text": "Osmosis moves water into the cell.", "answers": [1, 2]}]
    judged = respond(
        req(
            "judge",
            "<reference>\nWater enters the cell by osmosis.\n</reference>\n"
            f'<claim-{n} n="1">\nWater enters the cell by osmosis.\n</claim-{n}>\n'
            f'<claim-{n} n="2">\nThe weather is nice today outside.\n</claim-{n}>',
        )
    )
    assert [v["verdict"] for v in judged["verdicts"]] == ["correct", "irrelevant"]
    merged = respond(
        req(
            "merge",
            f'<assertion-{n} n="1" truth="incorrect">\nA b c.\n</assertion-{n}>\n'
            f'<assertion-{n} n="2" truth="incorrect">\na b c\n</assertion-{n}>\n'
            f'<assertion-{n} n="3" truth="correct">\nA b c.\n</assertion-{n}>',
        )
    )
    assert [g["members"] for g in merged["groups"]] == [[1, 2], [3]]


def test_instance_from_schema_for_other_stages() -> None:
    schema = {
        "type": "object",
        "properties": {
            "style": {"enum": ["formal", "casual"]},
            "texts": {"type": "array", "items": {"$ref": "#/$defs/T"}, "minItems": 2},
            "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
        },
        "required": ["style", "texts", "note"],
        "$defs": {
            "T": {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 1}},
                "required": ["n"],
            }
        },
    }
    assert instance_from_schema(schema) == {
        "style": "formal",
        "texts": [{"n": 1}, {"n": 1}],
        "note": "stub ",
    }
