"""The Anthropic engine: Claude reads a debtor's message and drafts the reply in one structured call.

One `messages.create` per turn, with a tool whose input schema is the answer (intent, sentiment, confidence,
language, reply, handoff reason) and `tool_choice` forcing it; the tool input is validated strictly and free text is
never read. The rules, the account facts and the debtor's words are built in prompts.py (the debtor's text is data,
never instructions). Only an opaque hash of the conversation id goes in `metadata.user_id`; no name, phone, email or
account number is sent.

Failures, by the SDK's exception classes (anthropic 2.x), so the caller knows whether to fall back:

- `EngineUnavailable` (the API cannot be used now; answer with the local engine and record the fallback):
  `APITimeoutError` and `APIConnectionError` (no answer in `timeout` seconds, refused or reset connections),
  `InternalServerError` and its subclasses (5xx, including 503 `ServiceUnavailableError` and 529 `OverloadedError`),
  `RateLimitError` (429), `AuthenticationError` (401) and `PermissionDeniedError` (403). The SDK has already
  retried the transient ones `max_retries` times (honouring `retry-after`) before they reach us.
- `EngineError` (the API answered but we cannot use the answer; the caller falls back too): any other
  `APIStatusError` (400 bad request, 404 unknown model, 413, 422), `APIResponseValidationError`, any other
  `AnthropicError`, and an answer without exactly one call of the forced tool or whose input breaks the schema.

`EngineUnavailable` is an `EngineError`, so `except EngineError` covers both.
"""
from __future__ import annotations

import hashlib
import math
import time

import anthropic

from app.services.ai import prompts
from app.services.ai.labels import INTENTS, LANGUAGES, SENTIMENTS

ENGINE = "anthropic"
MAX_TOKENS = 1024
REVIEW_MAX_TOKENS = 512

UNAVAILABLE = (anthropic.APIConnectionError, anthropic.InternalServerError, anthropic.RateLimitError,
               anthropic.AuthenticationError, anthropic.PermissionDeniedError)
"""SDK exceptions that mean the service cannot be used now (APITimeoutError is an APIConnectionError;
OverloadedError and ServiceUnavailableError are InternalServerErrors)."""


class EngineError(Exception):
    """The engine gave no answer we can trust."""


class EngineUnavailable(EngineError):
    """The API could not be reached or refused to serve: an outage, not a bad answer."""


def opaque_user_id(conversation_id) -> str | None:
    """A stable pseudonym for the conversation, so the provider can tell conversations apart and nothing else."""
    if conversation_id is None:
        return None
    return "conv-" + hashlib.sha256(f"funnelchat:{conversation_id}".encode()).hexdigest()[:32]


class AnthropicEngine:
    """`timeout` bounds each attempt (connecting at most 3 s of it); the SDK retries the transient failures
    `max_retries` times with its backoff (0.5 s, 1 s, or the server's retry-after), so the longest call is about
    (max_retries + 1) x timeout plus the backoff before EngineUnavailable reaches the caller."""

    def __init__(self, api_key: str, base_url: str | None, model: str, timeout: float = 10.0,
                 max_retries: int = 2):
        self.model = model
        self.timeout = timeout
        # base_url None lets the SDK read ANTHROPIC_BASE_URL; a short connect timeout so a dead host fails fast
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=max_retries,
                                          timeout=anthropic.Timeout(timeout, connect=min(timeout, 3.0)))

    @classmethod
    def from_config(cls, config, **kwargs) -> AnthropicEngine | None:
        """The engine the app's settings choose (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, AI_MODEL); None without
        a key, when the local engine answers alone."""
        if not config.get("ANTHROPIC_API_KEY"):
            return None
        return cls(config["ANTHROPIC_API_KEY"], config.get("ANTHROPIC_BASE_URL"), config["AI_MODEL"], **kwargs)

    # -- reading and replying ----------------------------------------------------------------------------------------
    def read_and_reply(self, context: dict, history: list[dict], text: str, *, violation: str | None = None) -> dict:
        """Intent, sentiment, confidence, language and a drafted reply (or a handoff reason) for one inbound text.

        `context` holds the account facts (prompts.account_facts: business_name, creditor, balance, due_date,
        status, channel, first_contact, plan_facts, proposals, portal_url) and `conversation_id`. `violation`,
        on a regeneration, names what the previous reply broke."""
        started = time.perf_counter()
        message = self._call(
            system=prompts.system_blocks(context), tools=prompts.RESPOND_TOOLS, tool=prompts.RESPOND_TOOL,
            content=prompts.user_content(history, text, violation), context=context, max_tokens=MAX_TOKENS)
        answer = parse_respond(_tool_input(message, prompts.RESPOND_TOOL))
        return {
            **answer, "engine": ENGINE, "model": message.model or self.model,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "input_tokens": message.usage.input_tokens, "output_tokens": message.usage.output_tokens,
        }

    def review(self, reply_text: str, context: dict) -> dict:
        """The model's compliance review of a drafted reply (PRD 9.6): {compliant, issues, severity}."""
        started = time.perf_counter()
        message = self._call(
            system=prompts.review_system_blocks(context), tools=prompts.REVIEW_TOOLS, tool=prompts.REVIEW_TOOL,
            content=prompts.review_content(reply_text), context=context, max_tokens=REVIEW_MAX_TOKENS)
        verdict = parse_review(_tool_input(message, prompts.REVIEW_TOOL))
        return {**verdict, "engine": ENGINE, "model": message.model or self.model,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)}

    # -- the call ----------------------------------------------------------------------------------------------------
    def _call(self, *, system, tools, tool, content, context, max_tokens):
        kwargs = {}
        user_id = opaque_user_id(context.get("conversation_id"))
        if user_id:
            kwargs["metadata"] = {"user_id": user_id}
        try:
            return self.client.messages.create(
                model=self.model, max_tokens=max_tokens, system=system, tools=tools,
                tool_choice={"type": "tool", "name": tool}, messages=[{"role": "user", "content": content}],
                **kwargs)
        except UNAVAILABLE as exc:
            raise EngineUnavailable(f"{type(exc).__name__}: {_describe(exc)}") from exc
        except anthropic.AnthropicError as exc:  # other status errors, response validation, client setup
            raise EngineError(f"{type(exc).__name__}: {_describe(exc)}") from exc


def _describe(exc: anthropic.AnthropicError) -> str:
    status = getattr(exc, "status_code", None)
    detail = getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)
    return f"{status} {detail}" if status else detail


def _tool_input(message, name: str) -> dict:
    """The input of the one forced tool call; anything else in the answer is a failure, never read as text."""
    if message.stop_reason != "tool_use":
        raise EngineError(f"the model stopped with {message.stop_reason!r} before finishing the tool call")
    calls = [block for block in message.content if block.type == "tool_use"]
    if len(calls) != 1 or calls[0].name != name:
        raise EngineError(f"expected one {name} call, got {[getattr(b, 'name', b.type) for b in message.content]}")
    if not isinstance(calls[0].input, dict):
        raise EngineError(f"{name} input is not an object")
    return calls[0].input


def _exact_keys(data: dict, schema: dict, name: str) -> None:
    keys = set(data)
    missing = set(schema["required"]) - keys
    extra = keys - set(schema["properties"])
    if missing or extra:
        raise EngineError(f"{name} input: missing {sorted(missing)}, unexpected {sorted(extra)}")


def _choice(data: dict, key: str, allowed: tuple[str, ...]) -> str:
    value = data[key]
    if value not in allowed:
        raise EngineError(f"{key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _optional_text(data: dict, key: str, limit: int) -> str | None:
    value = data[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise EngineError(f"{key} must be a string or null, got {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise EngineError(f"{key} is {len(value)} characters, more than {limit}")
    return value or None


def parse_respond(data: dict) -> dict:
    """The respond tool's input, checked against its schema; EngineError on anything else."""
    _exact_keys(data, prompts.RESPOND_SCHEMA, prompts.RESPOND_TOOL)
    confidence = data["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not math.isfinite(confidence) \
            or not 0 <= confidence <= 1:
        raise EngineError(f"confidence {confidence!r} is not a number from 0 to 1")
    answer = {
        "intent": _choice(data, "intent", INTENTS),
        "confidence": float(confidence),
        "sentiment": _choice(data, "sentiment", SENTIMENTS),
        "lang": _choice(data, "language", LANGUAGES),
        "reply_text": _optional_text(data, "reply", prompts.MAX_REPLY_CHARS),
        "handoff_reason": _optional_text(data, "handoff_reason", 500),
    }
    if answer["reply_text"] is None and answer["handoff_reason"] is None:
        raise EngineError("neither a reply nor a handoff reason")
    return answer


def parse_review(data: dict) -> dict:
    """The review tool's input: a non-compliant verdict must name its violations."""
    _exact_keys(data, prompts.REVIEW_SCHEMA, prompts.REVIEW_TOOL)
    if not isinstance(data["compliant"], bool):
        raise EngineError(f"compliant must be true or false, got {data['compliant']!r}")
    violations = data["violations"]
    if not isinstance(violations, list) or not all(isinstance(v, str) for v in violations):
        raise EngineError("violations must be a list of strings")
    issues = [" ".join(v.split()) for v in violations if v.strip()]
    if not data["compliant"] and not issues:
        raise EngineError("a non-compliant verdict without any violation named")
    return {"compliant": data["compliant"], "issues": issues,
            "severity": _choice(data, "severity", prompts.SEVERITIES)}
