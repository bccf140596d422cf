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
import contextlib
import contextvars
import functools
import hashlib
import heapq
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from edutools.errors import ConfigError, GenerationError
from edutools.llm.batch import BatchQueue, BatchRegistry, BatchResult
from edutools.llm.cache import LLMCache, cache_key
from edutools.llm.factory import LOCAL_SERVER_KEY, make_chat_model
from edutools.llm.prompts import Prompt, load_prompt
from edutools.llm.providers import ModelProfile, profile
from edutools.llm.ratelimit import rate_limiter
from edutools.llm.retry import RetryPolicy, is_retryable, retry_after_seconds, status_code
from edutools.llm.structured import Method, ReplyError, parse_reply, reply_text, request_options
from edutools.llm.usage import PRICES, UsageMeter
from edutools.schema import Usage
from edutools.settings import Settings

__all__ = ["CALL_PRIORITY", "ChainPriority", "LLMClient"]

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("edutools.llm")

_MAX_TOKENS_CAP = 32_768
_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
# finish reasons that mean "cut off at the token limit", by provider
_CUT_OFF = {"length", "max_tokens", "MAX_TOKENS"}


@dataclass
class ChainPriority:
    """The place of one chain of dependent calls (one question) in the queue for call slots.

    A chain that has made fewer calls has more of them still to come, and gets a free slot
    first; among equals, the lower ``position`` does. This is the longest-remaining-chain-first
    rule (Hu's rule for chains), which keeps every slot busy to the end of a run: by the time
    the last questions start, the ones in flight have as much left as they do, rather than a
    few late questions running their whole chains alone at the end.
    """

    position: int
    calls: int = 0


#: Priority of the calls made in this context: an ``int`` (lower gets a free slot first) or
#: a :class:`ChainPriority` shared by the tasks of one question (the runner sets one per
#: question; tasks started from it share the object, so their calls count together).
CALL_PRIORITY: contextvars.ContextVar[int | ChainPriority] = contextvars.ContextVar(
    "edutools_call_priority", default=0
)


class _Slots:
    """A semaphore that wakes waiters by priority (lowest first), then in arrival order."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: list[tuple[tuple[int, int], int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: tuple[int, int]) -> None:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # the slot came as the waiter was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        current = CALL_PRIORITY.get()
        if isinstance(current, ChainPriority):
            key = (current.calls, current.position)
            current.calls += 1
        else:
            key = (0, current)
        await self.acquire(key)
        try:
            yield
        finally:
            self.release()


@functools.lru_cache(maxsize=256)
def _schema(output_type: type[BaseModel]) -> tuple[dict[str, Any], str, str]:
    """The JSON schema of a stage's type, its one-line description and the schema's hash.

    Built once per type: pydantic's schema generation costs about a millisecond, which
    adds up on the critical path of hundreds of concurrent calls.
    """
    schema = output_type.model_json_schema()
    description = (output_type.__doc__ or output_type.__name__).strip().splitlines()[0]
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    return schema, description, digest


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
    temperature : float or None, optional
        Sampling temperature (part of the cache key); default ``settings.temperature``
        (``EDUTOOLS_TEMPERATURE``); None sends none. Never sent to reasoning models.
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
    batch : bool
        Send requests through OpenAI's Batch API (see :mod:`edutools.llm.batch`): half the
        price, replies within hours; OpenAI and servers with its files and batches endpoints.
    batch_notify : callable, optional
        ``batch_notify(line)`` for each batch submitted, picked up again or finished.

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
        temperature: float | Literal["settings"] | None = "settings",
        max_tokens: int = 4096,
        max_attempts: int = 3,
        retry: RetryPolicy | None = None,
        cache: LLMCache | bool = True,
        prices: Mapping[str, tuple[float, float]] = PRICES,
        batch: bool = False,
        batch_notify: Callable[[str], None] | None = None,
    ) -> None:
        settings.require_api_access(alternative=None, model=model)
        if max_attempts < 1:
            raise ConfigError(f"max_attempts={max_attempts} is invalid; use 1 or more")
        if max_tokens < 1:
            raise ConfigError(f"max_tokens={max_tokens} is invalid; use 1 or more")
        self.settings = settings
        self.model = model or settings.model
        wanted = settings.temperature if temperature == "settings" else temperature
        self.profile: ModelProfile = profile(settings, self.model, wanted)
        self.method: Method = (
            "json_schema" if self.profile.shape == "json_schema" else "function_calling"
        )
        self.temperature = self.profile.temperature
        self.max_tokens = max_tokens
        self.max_attempts = max_attempts
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self._owns_cache = cache is True
        self.cache: LLMCache | None = (
            LLMCache.from_settings(settings) if cache is True else (cache or None)
        )
        self.meter = UsageMeter(prices=prices)
        self._limiter = rate_limiter(settings.requests_per_minute)
        self._slots = _Slots(settings.max_concurrency)
        self._http = openai.DefaultAsyncHttpxClient(timeout=settings.timeout)
        self._chat = make_chat_model(
            settings,
            model=self.model,
            http_async_client=self._http,
            model_profile=self.profile,
        )
        self._bound: dict[str, Runnable[Any, Any]] = {}
        self._reask = load_prompt("reask")
        self._provider = _endpoint(settings, self.profile)
        self._batch: BatchQueue | None = None
        if batch:
            if self.profile.provider != "openai":
                raise ConfigError(
                    f"--batch works with OpenAI (or a server with its files and batches "
                    f"endpoints), not {self.profile.provider}; leave out --batch"
                )
            self._batch = BatchQueue(
                openai.AsyncOpenAI(
                    api_key=settings.openai_api_key or LOCAL_SERVER_KEY,
                    base_url=settings.openai_base_url,
                    http_client=self._http,
                    timeout=settings.timeout,
                    max_retries=settings.max_retries,
                ),
                BatchRegistry(settings.data_dir / BatchRegistry.FILE_NAME),
                poll_seconds=settings.batch_poll_seconds,
                # a stage's requests arrive within milliseconds of each other
                window=min(0.5, settings.batch_poll_seconds),
                notify=batch_notify,
            )

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close the connection pool (and the cache when this client opened it)."""
        if self._batch is not None:
            await self._batch.aclose()
            self._batch.registry.close()
        try:
            await _close_own_clients(self._chat)
        finally:
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
            # where the replies come from (a base URL or endpoint, never a key): the same
            # model name at another server is another run, which must not resume this one
            "endpoint": self._provider,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "structured_output": self.profile.shape,
            "max_attempts": self.max_attempts,
        }

    def request_key(self, prompt: Prompt, output_type: type[BaseModel], messages: Any) -> str:
        """The cache key of one request: what determines the reply, never the API key."""
        return cache_key(
            {
                "provider": self._provider,
                "model": self.profile.key,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "method": self.profile.shape,
                "name": prompt.name,
                "schema": _schema(output_type)[2],
                "messages": messages,
            }
        )

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
        schema, description, _ = _schema(output_type)
        key = self.request_key(prompt, output_type, messages)
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
        options = self._options(prompt.name, schema, description)
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
        if self._batch is not None:
            return await self._complete_batch(
                self._batch, convo, options, max_tokens, meter, attempts
            )
        retries = 0
        while True:
            if self._limiter is not None:
                await self._limiter.aacquire()
            async with self._slots.slot():
                try:
                    message = await self._invoke(convo, options, max_tokens)
                except openai.LengthFinishReasonError as exc:
                    usage = exc.completion.usage
                    p, c = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
                    meter.add_call(self.profile.name, p, c)
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
                    meter.add_call(self.profile.name, p, c)
                    return _Reply(reply_text(message, self.method), _cut_off(message), p, c)
            # back off outside the semaphore so waiting does not hold a slot
            await asyncio.sleep(wait)

    async def _complete_batch(
        self,
        queue: BatchQueue,
        convo: list[BaseMessage],
        options: dict[str, Any],
        max_tokens: int,
        meter: UsageMeter,
        attempts: list[str],
    ) -> _Reply:
        """One request through the Batch API; failed lines go again in a later batch."""
        p = self.profile
        body: dict[str, Any] = {
            "model": p.name,
            "messages": [{"role": _ROLE_NAMES[type(m)], "content": str(m.content)} for m in convo],
            p.token_limit: max_tokens,
            **options,
        }
        if p.temperature is not None:
            body["temperature"] = p.temperature
        retries = 0
        while True:
            result = await queue.call(body, retry=retries)
            if result.status == 200:
                return self._batch_reply(result.body, meter)
            problem = f"batch request failed: HTTP {result.status}: {result.message[:200]}"
            if result.status != 429 and result.status < 500:
                if result.status in (401, 403, 404) or "json_schema" in result.message:
                    raise self._fatal(_BatchLineError(result), attempts)
                raise GenerationError(
                    f"the LLM provider rejected a batch request ({result.status}): "
                    f"{result.message[:300]}",
                    [*attempts, problem],
                )
            meter.add_failed()
            attempts.append(problem)
            if retries >= self.retry.max_retries:
                raise GenerationError(
                    f"a batch request kept failing ({problem}) after {retries} retries; the "
                    "work done so far is kept, run again later",
                    attempts,
                )
            retries += 1

    def _batch_reply(self, body: dict[str, Any], meter: UsageMeter) -> _Reply:
        usage = body.get("usage") or {}
        p, c = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        meter.add_call(self.profile.name, p, c, batch=True)
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        text = str(message.get("content") or "")
        if self.method == "function_calling" and message.get("tool_calls"):
            text = str(message["tool_calls"][0].get("function", {}).get("arguments") or "")
        return _Reply(text, str(choice.get("finish_reason")) in _CUT_OFF, p, c)

    def _options(self, name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        """How this provider is asked for JSON matching ``schema``."""
        if self.profile.shape == "ollama_format":
            return {"format": schema}
        options = request_options(self.method, name, schema, description)
        if self.profile.provider not in ("openai", "azure_openai"):
            # other providers take the tool through bind_tools, converted to their format
            if name not in self._bound:
                self._bound[name] = self._chat.bind_tools(options["tools"], tool_choice=name)
            return {"bound": name}
        return options

    async def _invoke(
        self, convo: list[BaseMessage], options: dict[str, Any], max_tokens: int
    ) -> AIMessage:
        """One request: the output format, the token limit under its provider's name."""
        kwargs = dict(options)
        chat: Runnable[Any, Any] = self._chat
        if "bound" in kwargs:
            chat = self._bound[kwargs.pop("bound")]
        p = self.profile
        if p.token_limit_in_body:
            extra: dict[str, Any] = {p.token_limit: max_tokens}
            if "response_format" in kwargs:
                # sent as is, in the body: given as a parameter, langchain would route the call
                # through the SDK's beta parse helper, which re-walks the whole schema and
                # messages on every call (milliseconds of CPU per call at high concurrency)
                extra["response_format"] = kwargs.pop("response_format")
            kwargs["extra_body"] = extra
        elif p.token_limit == "num_predict":
            kwargs["options"] = {
                "num_predict": max_tokens,
                **({"temperature": p.temperature} if p.temperature is not None else {}),
            }
        else:
            kwargs[p.token_limit] = max_tokens
        message = await chat.ainvoke(convo, **kwargs)
        if not isinstance(message, AIMessage):  # pragma: no cover - every chat model's reply
            raise GenerationError(f"the chat model returned {type(message).__name__}, not a reply")
        return message

    def _fatal(self, exc: BaseException, attempts: list[str]) -> Exception:
        where = self._provider
        status = status_code(exc)
        text = str(getattr(exc, "message", exc))
        if status in (401, 403):
            return ConfigError(
                f"the LLM provider at {where} rejected the API key ({status}); check "
                f"{_KEY_NAMES.get(self.profile.provider, 'OPENAI_API_KEY')}"
            )
        if status == 404:
            return ConfigError(
                f"model {self.model!r} was not found at {where} (404); set EDUTOOLS_MODEL "
                "(or --model) to a model the server serves"
            )
        if status == 400 or isinstance(exc, openai.BadRequestError):
            if self.method == "json_schema" and (
                "json_schema" in text or "response_format" in text
            ):
                return ConfigError(
                    f"the server at {where} rejected json_schema structured output; set "
                    "EDUTOOLS_STRUCTURED_OUTPUT=function_calling"
                )
            for param, fix in (
                ("temperature", "EDUTOOLS_TEMPERATURE=default"),
                ("max_completion_tokens", "EDUTOOLS_TOKEN_LIMIT=max_tokens"),
                ("max_tokens", "EDUTOOLS_TOKEN_LIMIT=max_completion_tokens"),
            ):
                if f"'{param}'" in text or f'"{param}"' in text or f"{param} " in text:
                    return ConfigError(
                        f"the LLM provider at {where} rejected the parameter {param} for model "
                        f"{self.model!r}; set {fix}"
                    )
            return GenerationError(
                f"the LLM provider rejected the request (400): {text[:300]}", attempts
            )
        return GenerationError(f"LLM call failed: {_describe(exc)}", [*attempts, _describe(exc)])


_KEY_NAMES = {
    "openai": "OPENAI_API_KEY",
    "azure_openai": "AZURE_OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google_genai": "GOOGLE_API_KEY",
}


async def _close_own_clients(chat: Any) -> None:
    """Close the HTTP client a provider's chat model opened itself (Anthropic, Ollama, Google).

    OpenAI and Azure use the client's own pool (closed by the caller); Anthropic and Ollama
    keep theirs in ``_async_client`` (closed here only when it was created, never created to
    be closed); Google's ``google.genai`` client keeps an async side in ``client.aio``.
    """
    private = getattr(chat, "__pydantic_private__", None) or {}
    own = chat.__dict__.get("_async_client") or private.get("_async_client")
    close = getattr(own, "close", None)
    if close is not None and asyncio.iscoroutinefunction(close):
        await close()
    genai = chat.__dict__.get("client")
    if genai is not None and type(genai).__module__.startswith("google.genai"):
        aclose = getattr(getattr(genai, "aio", None), "aclose", None)
        if aclose is not None and asyncio.iscoroutinefunction(aclose):
            await aclose()


def _endpoint(settings: Settings, p: ModelProfile) -> str:
    """Where requests go (for the cache key and messages): never a key."""
    if p.provider == "openai":
        return settings.openai_base_url or "openai"
    if p.provider == "azure_openai":
        return f"azure_openai {settings.azure_openai_endpoint}"
    if p.provider == "ollama":
        return f"ollama {settings.ollama_base_url or 'http://localhost:11434'}"
    if p.provider == "anthropic" and settings.anthropic_base_url:
        return f"anthropic {settings.anthropic_base_url}"
    if p.provider == "google_genai" and settings.google_base_url:
        return f"google_genai {settings.google_base_url}"
    return p.provider


_ROLE_NAMES = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


class _BatchLineError(Exception):
    """A batch line's error response, shaped like the openai client's errors for ``_fatal``."""

    def __init__(self, result: BatchResult) -> None:
        super().__init__(result.message)
        self.status_code = result.status
        self.message = result.message


def _cut_off(message: AIMessage) -> bool:
    meta = message.response_metadata
    return any(
        str(meta.get(k)) in _CUT_OFF for k in ("finish_reason", "stop_reason", "done_reason")
    )


def _describe(exc: BaseException) -> str:
    status = status_code(exc)
    name = type(exc).__name__
    if isinstance(exc, openai.APITimeoutError) or "Timeout" in name:
        return "timeout"
    if status is not None:
        kind = (
            "rate limit" if status == 429 else "server error" if status >= 500 else "client error"
        )
        return f"HTTP {status} {kind}"
    return f"{name}: {str(exc)[:200]}"
