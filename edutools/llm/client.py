"""Structured LLM calls with caching, retries, rate limiting, bounded concurrency and usage.

One :class:`LLMClient` per run, used inside one event loop::

    async with LLMClient(settings) as llm:
        out = await llm.structured(load_prompt("judge"), JudgeOutput, {"question": ...})
    llm.usage()  # Usage(calls=..., cached_calls=..., ...)

What one ``structured`` call does:

1. render the prompt; look the request up in the cache (a hit costs no HTTP call);
2. wait for the rate limiter and a concurrency slot, then send it through the real openai
   client (via langchain-openai);
3. on 429 / 5xx / timeout: back off (exponential, jitter, at least ``Retry-After``) and
   send again, up to ``max_retries`` times;
4. parse the reply as the stage's pydantic type; if it is malformed, schema-invalid or
   fails the caller's check, send it back with the error (a re-ask); if it was cut off
   (``finish_reason="length"``), ask again with twice the ``max_tokens``; after
   ``max_attempts`` replies raise :class:`GenerationError` carrying every attempt;
5. store the validated reply in the cache; count calls and tokens of real replies only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from edutools.errors import ConfigError, GenerationError
from edutools.llm.cache import LLMCache, cache_key
from edutools.llm.factory import make_chat_model
from edutools.llm.prompts import Prompt, load_prompt
from edutools.llm.ratelimit import RateLimiter
from edutools.llm.retry import RetryPolicy, is_retryable, retry_after_seconds
from edutools.llm.structured import Method, ReplyError, parse_reply, reply_text, request_options
from edutools.llm.usage import PRICES, UsageMeter
from edutools.schema import Usage
from edutools.settings import Settings

__all__ = ["LLMClient"]

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("edutools.llm")

_MAX_TOKENS_CAP = 32_768
_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


@dataclass(frozen=True)
class _Reply:
    text: str
    truncated: bool
    prompt_tokens: int
    completion_tokens: int


class LLMClient:
    """Structured calls to the configured chat model; see the module docstring.

    Parameters
    ----------
    settings : Settings
        Provider, model, ``structured_output``, ``max_concurrency``,
        ``requests_per_minute``, ``timeout``, ``max_retries``, ``cache``, ``data_dir``.
    model : str, optional
        Overrides ``settings.model``.
    temperature : float
        Sampling temperature (part of the cache key).
    max_tokens : int
        Completion token limit of a first attempt (doubled after a cut-off reply).
    max_attempts : int
        Replies per call before giving up: the first answer plus re-asks.
    retry : RetryPolicy, optional
        Backoff; default ``RetryPolicy(max_retries=settings.max_retries)``.
    cache : LLMCache, bool
        True: the cache in ``settings.data_dir`` when ``settings.cache`` is on; False: none;
        or a cache to use.
    prices : mapping
        USD per million (input, output) tokens by model, for the cost.

    Example
    -------
    >>> import asyncio
    >>> from edutools.llm.stubserver import StubServer
    >>> from edutools.llm.prompts import load_prompt
    >>> from pydantic import BaseModel
    >>> class Echo(BaseModel):
    ...     text: str
    >>> async def main(settings):
    ...     async with LLMClient(settings, cache=False) as llm:
    ...         out = await llm.structured(load_prompt("reask"), Echo, {"error": "e", "schema_name": "x"})
    ...     return out, llm.usage().calls
    >>> with StubServer() as stub:
    ...     stub.enqueue({"text": "hi"})
    ...     asyncio.run(main(stub.settings(Settings.from_env({}))))
    (Echo(text='hi'), 1)
    """

    def __init__(
        self,
        settings: Settings,
        *,
        model: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        max_attempts: int = 3,
        retry: RetryPolicy | None = None,
        cache: LLMCache | bool = True,
        prices: Mapping[str, tuple[float, float]] = PRICES,
    ) -> None:
        settings.require_api_access(alternative=None)
        if max_attempts < 1:
            raise ConfigError(f"max_attempts={max_attempts} is invalid; use 1 or more")
        if max_tokens < 1:
            raise ConfigError(f"max_tokens={max_tokens} is invalid; use 1 or more")
        self.settings = settings
        self.model = model or settings.model
        self.method: Method = (
            "function_calling"
            if settings.structured_output == "function_calling"
            else "json_schema"
        )
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_attempts = max_attempts
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self._owns_cache = cache is True
        self.cache: LLMCache | None = (
            LLMCache.from_settings(settings) if cache is True else (cache or None)
        )
        self.meter = UsageMeter(prices=prices)
        self._limiter = RateLimiter(settings.requests_per_minute)
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        self._http = openai.DefaultAsyncHttpxClient(timeout=settings.timeout)
        self._chat = make_chat_model(
            settings, model=self.model, temperature=temperature, http_async_client=self._http
        )
        self._reask = load_prompt("reask")
        self._provider = settings.openai_base_url or "openai"

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close the connection pool (and the cache when this client opened it)."""
        await self._http.aclose()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ public

    def usage(self) -> Usage:
        """Usage of every call made through this client so far."""
        return self.meter.usage()

    def parameters(self) -> dict[str, Any]:
        """What shapes the replies, for provenance."""
        return {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "structured_output": self.method,
            "max_attempts": self.max_attempts,
        }

    async def structured(
        self,
        prompt: Prompt,
        output_type: type[M],
        variables: Mapping[str, Any],
        *,
        meter: UsageMeter | None = None,
        check: Callable[[M], None] | None = None,
    ) -> M:
        """One stage call: ``prompt`` rendered with ``variables`` → a valid ``output_type``.

        Parameters
        ----------
        prompt : Prompt
            The stage's prompt file; its name names the schema sent to the model.
        output_type : type of pydantic.BaseModel
            The stage's output type.
        variables : mapping
            Template variables.
        meter : UsageMeter, optional
            Where to count this call (a child of :attr:`meter`); default :attr:`meter`.
        check : callable, optional
            Raises ValueError when a schema-valid reply is still wrong for this request;
            the message is sent back as a re-ask.

        Returns
        -------
        pydantic.BaseModel
            An instance of ``output_type``.

        Raises
        ------
        GenerationError
            No valid reply within ``max_attempts``, or the provider kept failing;
            ``attempts`` lists what happened.
        ConfigError
            The provider rejected the key, the model or the structured-output method.
        """
        meter = meter or self.meter
        messages = prompt.render(**variables)
        schema = output_type.model_json_schema()
        description = (output_type.__doc__ or prompt.name).strip().splitlines()[0]
        key = cache_key(
            {
                "provider": self._provider,
                "model": self.model,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "method": self.method,
                "name": prompt.name,
                "schema": schema,
                "messages": messages,
            }
        )
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    value = parse_reply(hit, output_type, check)
                except ReplyError:
                    pass  # stale entry (the check changed): ask the model again
                else:
                    meter.add_cached()
                    return value
        options = request_options(self.method, prompt.name, schema, description)
        convo: list[BaseMessage] = [_ROLES[role](content=text) for role, text in messages]
        max_tokens = self.max_tokens
        attempts: list[str] = []
        spent = [0, 0]
        for attempt in range(1, self.max_attempts + 1):
            reply = await self._complete(convo, options, max_tokens, meter, attempts)
            spent[0] += reply.prompt_tokens
            spent[1] += reply.completion_tokens
            if reply.truncated:
                attempts.append(
                    f"attempt {attempt}: reply cut off at max_tokens={max_tokens} (finish_reason=length)"
                )
                max_tokens = min(2 * max_tokens, _MAX_TOKENS_CAP)
                continue
            try:
                value = parse_reply(reply.text, output_type, check)
            except ReplyError as exc:
                attempts.append(f"attempt {attempt}: {exc}; reply began {reply.text[:200]!r}")
                log.info("stage %s: re-asking after an unusable reply: %s", prompt.name, exc)
                convo = [
                    *convo,
                    AIMessage(content=reply.text),
                    HumanMessage(
                        content=self._reask.render(error=str(exc), schema_name=prompt.name)[-1][1]
                    ),
                ]
                continue
            if self.cache is not None:
                # a disk write: off the event loop, which keeps other calls moving
                await asyncio.to_thread(
                    self.cache.put,
                    key,
                    model=self.model,
                    stage=prompt.name,
                    reply=value.model_dump_json(),
                    prompt_tokens=spent[0],
                    completion_tokens=spent[1],
                )
            return value
        raise GenerationError(
            f"stage {prompt.name!r}: no valid reply in {self.max_attempts} attempt(s); "
            f"last problem: {attempts[-1]}",
            attempts,
        )

    # ------------------------------------------------------------------ transport

    async def _complete(
        self,
        convo: list[BaseMessage],
        options: dict[str, Any],
        max_tokens: int,
        meter: UsageMeter,
        attempts: list[str],
    ) -> _Reply:
        retries = 0
        while True:
            await self._limiter.acquire()
            async with self._semaphore:
                try:
                    message = await self._chat.ainvoke(convo, **self._request(options, max_tokens))
                except openai.LengthFinishReasonError as exc:
                    usage = exc.completion.usage
                    p, c = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
                    meter.add_call(self.model, p, c)
                    return _Reply("", True, p, c)
                except Exception as exc:
                    if not is_retryable(exc):
                        raise self._fatal(exc, attempts) from None
                    meter.add_failed()
                    attempts.append(f"request failed: {_describe(exc)}")
                    if retries >= self.retry.max_retries:
                        raise GenerationError(
                            f"the LLM provider kept failing ({_describe(exc)}) after "
                            f"{retries} retries; the work done so far is kept, run again "
                            "later, or lower EDUTOOLS_MAX_CONCURRENCY / set "
                            "EDUTOOLS_REQUESTS_PER_MINUTE",
                            attempts,
                        ) from None
                    wait = self.retry.delay(retries, retry_after_seconds(exc))
                    retries += 1
                    log.warning(
                        "%s from %s; retry %d of %d in %.2f s",
                        _describe(exc),
                        self._provider,
                        retries,
                        self.retry.max_retries,
                        wait,
                    )
                else:
                    usage_md: Mapping[str, Any] = message.usage_metadata or {}
                    p = int(usage_md.get("input_tokens", 0))
                    c = int(usage_md.get("output_tokens", 0))
                    meter.add_call(self.model, p, c)
                    truncated = message.response_metadata.get("finish_reason") == "length"
                    return _Reply(reply_text(message, self.method), truncated, p, c)
            # back off outside the semaphore so waiting does not hold a slot
            await asyncio.sleep(wait)

    def _request(self, options: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        """Keyword arguments for ``ainvoke``: the output format and the token limit."""
        extra: dict[str, Any] = {}
        kwargs = dict(options)
        if "response_format" in kwargs:
            # sent as is, in the body: given as a parameter, langchain would route the call
            # through the SDK's beta parse helper, which re-walks the whole schema and
            # messages on every call (milliseconds of CPU per call at high concurrency)
            extra["response_format"] = kwargs.pop("response_format")
        if self.settings.openai_base_url is None:
            kwargs["max_tokens"] = max_tokens  # langchain sends OpenAI's max_completion_tokens
        else:
            # compatible servers (vLLM, Ollama, llama.cpp) all read the classic max_tokens,
            # not every one reads max_completion_tokens
            extra["max_tokens"] = max_tokens
        if extra:
            kwargs["extra_body"] = extra
        return kwargs

    def _fatal(self, exc: BaseException, attempts: list[str]) -> Exception:
        where = self._provider
        if isinstance(exc, openai.AuthenticationError):
            return ConfigError(
                f"the LLM provider at {where} rejected the API key (401); check OPENAI_API_KEY"
            )
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(
                f"model {self.model!r} was not found at {where} (404); set EDUTOOLS_MODEL "
                "(or --model) to a model the server serves"
            )
        if isinstance(exc, openai.BadRequestError):
            text = str(getattr(exc, "message", exc))
            if self.method == "json_schema" and (
                "json_schema" in text or "response_format" in text
            ):
                return ConfigError(
                    f"the server at {where} rejected json_schema structured output; set "
                    "EDUTOOLS_STRUCTURED_OUTPUT=function_calling"
                )
            return GenerationError(
                f"the LLM provider rejected the request (400): {text[:300]}", attempts
            )
        return GenerationError(f"LLM call failed: {_describe(exc)}", [*attempts, _describe(exc)])


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if status is not None:
        kind = (
            "rate limit" if status == 429 else "server error" if status >= 500 else "client error"
        )
        return f"HTTP {status} {kind}"
    return f"{name}: {str(exc)[:200]}"
