"""A local Anthropic Messages API (POST /v1/messages, version 2023-06-01) for the real `anthropic` SDK.

It checks what the API checks that matters to us (an API key in `x-api-key` or `Authorization: Bearer`, the
`anthropic-version` header, the request's required fields, no unknown top-level fields, `tool_choice` naming an
offered tool) and answers a `message` object: `content` blocks (`text`, or one `tool_use` when tools are offered),
`stop_reason` and `usage`. Errors use the API's body, `{"type": "error", "error": {"type", "message"}}`, with a
`request-id` header, so the SDK raises its own classes (529 -> OverloadedError).

Scripting from tests: `answer_tool(input)`, `answer_text(text)` and `answer_raw(message)` queue answers, taken one
per request; `delay(seconds)` holds the next answers (longer than the client's timeout: APITimeoutError);
`fail(529, requests=1)` and `drop_answers(1)` (a reset connection) come from FakeServer. `bodies` holds every
request body as sent. With the queue empty it answers by itself: a few keyword rules read the text inside the
<debtor_message> block and fill the forced tool, for demos and benchmarks only (never a product dependency).

Run alone: `python -m tests.fakes.anthropic_server --port 8440 [--api-key K]`.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
from html import unescape

from werkzeug.wrappers import Request, Response

from tests.fakes import FakeServer, json_response

DEFAULT_KEY = "sk-ant-fake-key"
VERSION = "2023-06-01"
FIELDS = {"model", "max_tokens", "messages", "system", "metadata", "stop_sequences", "stream", "temperature",
          "top_k", "top_p", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers",
          "output_config", "context_management", "inference_geo"}
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               503: "api_error", 529: "overloaded_error"}
ERROR_TEXT = {429: "Number of request tokens has exceeded your per-minute rate limit", 500: "Internal server error",
              503: "Service unavailable", 529: "Overloaded"}


class FakeAnthropic(FakeServer):
    """A local Anthropic Messages API."""

    def __init__(self, api_key: str = DEFAULT_KEY, **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self._answers: list[dict] = []
        self._delays: list[float] = []
        self._released = threading.Event()

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--api-key", default=DEFAULT_KEY)

    @classmethod
    def from_arguments(cls, args) -> "FakeAnthropic":
        return cls(args.api_key, state_file=args.state_file)

    def stop(self) -> None:
        self._released.set()  # let held answers go so their threads end
        super().stop()

    # -- scripting -------------------------------------------------------------------------------------------------
    def answer_tool(self, tool_input, *, name: str | None = None, stop_reason: str = "tool_use") -> None:
        """Queue a tool_use answer; `name` defaults to the tool the request forces (or its first tool)."""
        with self.lock:
            self._answers.append({"kind": "tool", "input": tool_input, "name": name, "stop_reason": stop_reason})

    def answer_text(self, text: str, *, stop_reason: str = "end_turn") -> None:
        with self.lock:
            self._answers.append({"kind": "text", "text": text, "stop_reason": stop_reason})

    def answer_raw(self, message: dict) -> None:
        """Queue a whole message object, sent as given (for malformed answers)."""
        with self.lock:
            self._answers.append({"kind": "raw", "message": message})

    def delay(self, seconds: float, requests: int = 1) -> None:
        """Hold the next `requests` answers `seconds` each before answering."""
        with self.lock:
            self._delays.extend([seconds] * requests)

    @property
    def last(self) -> dict:
        """The last request body."""
        return self.bodies[-1]

    # -- the API ---------------------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if request.path != "/v1/messages":
            return self.error(404, f"Not found: {request.path}")
        if request.method != "POST":
            return self.error(405, "Method not allowed")
        if not self._authorized(request):
            return self.error(401, "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return self.error(400, "anthropic-version: header is required")
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError:
            return self.error(400, "The request body is not valid JSON.")
        with self.lock:
            self.bodies.append(body)
            self.headers.append(dict(request.headers))
            wait = self._delays.pop(0) if self._delays else 0
        if wait:
            self._released.wait(wait)
        problem = _invalid(body)
        if problem:
            return self.error(400, problem)
        with self.lock:
            answer = self._answers.pop(0) if self._answers else None
        message = self._message(body, answer)
        self.remember({"model": body["model"], "stop_reason": message.get("stop_reason"),
                       "content": message.get("content")})
        return json_response(message, headers={"request-id": _id("req_")})

    def _authorized(self, request: Request) -> bool:
        key = request.headers.get("x-api-key") or ""
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            key = key or bearer[7:]
        return bool(key) and secrets.compare_digest(key, self.api_key)

    def _message(self, body: dict, answer: dict | None) -> dict:
        if answer is not None and answer["kind"] == "raw":
            return answer["message"]
        forced = _forced_tool(body)
        if answer is None:
            answer = _default_answer(body, forced)
        if answer["kind"] == "tool":
            name = answer["name"] or forced or body["tools"][0]["name"]
            content = [{"type": "tool_use", "id": _id("toolu_"), "name": name, "input": answer["input"]}]
            output = json.dumps(answer["input"])
        else:
            content = [{"type": "text", "text": answer["text"]}]
            output = answer["text"]
        return {
            "id": _id("msg_"), "type": "message", "role": "assistant", "model": body["model"], "content": content,
            "stop_reason": answer["stop_reason"], "stop_sequence": None,
            "usage": {"input_tokens": _tokens(json.dumps(body.get("system", "")) + json.dumps(body["messages"])),
                      "output_tokens": _tokens(output), "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"},
        }

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
                "request_id": _id("req_")}
        return json_response(body, status=status, headers={"request-id": body["request_id"], **(headers or {})})

    def error_response(self, status: int, headers: dict | None = None, message: str | None = None) -> Response:
        # the API tells clients how long to wait; a millisecond keeps the SDK's retries quick in tests
        headers = {"retry-after-ms": "1", **(headers or {})}
        return self.error(status, message or ERROR_TEXT.get(status, "Error"), headers=headers)


def _invalid(body) -> str | None:
    """The first thing the real API would reject with a 400, for the checks that catch our mistakes."""
    if not isinstance(body, dict):
        return "body: Input should be an object"
    extra = sorted(set(body) - FIELDS)
    if extra:
        return f"{extra[0]}: Extra inputs are not permitted"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return "messages: first message must use the \"user\" role"
    for before, after in zip(messages, messages[1:]):
        if before.get("role") == after.get("role") == "assistant":
            return "messages: roles must alternate between \"user\" and \"assistant\""
    metadata = body.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict) or set(metadata) - {"user_id"}):
        return "metadata: only user_id is permitted"
    tools = body.get("tools") or []
    names = [tool.get("name") for tool in tools]
    if any(not name or "input_schema" not in tool for name, tool in zip(names, tools)):
        return "tools: each tool needs a name and an input_schema"
    choice = body.get("tool_choice")
    if choice:
        if not tools and choice.get("type") != "none":
            return "tool_choice: may only be specified while providing tools"
        if choice.get("type") == "tool" and choice.get("name") not in names:
            return f"tool_choice: tool {choice.get('name')!r} not found in tools"
    return None


def _forced_tool(body: dict) -> str | None:
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return choice["name"]
    if body.get("tools") and choice.get("type") in (None, "auto", "any"):
        return body["tools"][0]["name"]
    return None


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(18).replace("-", "a").replace("_", "b")


# -- the default answers: keyword rules, for demos ------------------------------------------------------------------
def _user_text(body: dict) -> str:
    content = body["messages"][-1].get("content")
    if isinstance(content, list):
        content = " ".join(block.get("text", "") for block in content if isinstance(block, dict))
    return content or ""


def _block(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}>\n?(.*?)\n?</{name}>", text, re.S)
    return unescape(match.group(1)) if match else None


def _system_text(body: dict) -> str:
    system = body.get("system") or ""
    if isinstance(system, list):
        system = "\n".join(block.get("text", "") for block in system if isinstance(block, dict))
    return system


RULES = (  # first match wins: the safety-critical intents before the everyday ones
    ("cease_contact", r"\b(stop (contacting|texting|calling|messaging)|leave me alone|do not contact|don'?t contact|"
                      r"deja(n)? de (llamar|escribir|contactar)|no me (contacte|escriba|llame)n?)\b"),
    ("attorney_represented", r"\b(attorney|lawyer|abogad[oa])\b"),
    ("bankruptcy", r"\b(bankrupt\w*|chapter (7|13)|bancarrota|quiebra)\b"),
    ("wrong_person", r"\b(wrong (number|person)|not me|no soy|numero equivocado|número equivocado)\b"),
    ("hostile", r"\b(fuck\w*|shit\w*|idiot\w*|scam\w*|pendej\w*|estafa\w*|cabr[oó]n\w*)\b"),
    ("request_human", r"\b(human|real person|agent|representative|supervisor|persona|humano|agente)\b"),
    ("already_paid", r"\b(already paid|paid (it|this) off|ya pagu[eé]|ya lo pagu[eé])\b"),
    ("dispute", r"\b(don'?t owe|not my debt|never (had|opened)|no debo|no es mi deuda|dispute|disputar?)\b"),
    ("workplace_objection", r"\b(at (my )?work|my job|mi trabajo|en el trabajo)\b.*\b(don'?t|no|stop)\b"),
    ("hardship", r"\b(lost my job|laid off|can'?t afford|no puedo pagar|perd[ií] mi (trabajo|empleo)|sick)\b"),
    ("payment_plan", r"\b(plan|installments?|a month|per month|monthly|al mes|cuotas|mensual\w*|quincena)\b"),
    ("make_payment", r"\b(pay (now|today|it)|make a payment|pagar|pago hoy|quiero pagar)\b"),
    ("balance_inquiry", r"\b(how much|balance|owe|cu[aá]nto debo|saldo)\b"),
)
ESCALATE = {"request_human", "hostile", "dispute", "attorney_represented", "bankruptcy", "cease_contact"}
SPANISH = re.compile(r"\b(hola|no|que|quiero|puedo|debo|pagar|gracias|mi|por favor|usted|cu[aá]nto|deuda)\b", re.I)
REPLIES = {
    "en": {
        "payment_plan": "Thanks for asking about a plan. Here are the options we can offer: {options}",
        "make_payment": "Thank you. You can pay securely at your payment link: {link}",
        "balance_inquiry": "Your current balance is {balance}.",
        "hardship": "I'm sorry to hear that. We can look at smaller payments: what amount could you afford?",
        "already_paid": "Thank you for letting us know. Could you send a receipt or confirmation of the payment?",
        "workplace_objection": "Understood: we will not contact you at work.",
        "wrong_person": "We're sorry for the mistake. We will update our records.",
        "other": "Thanks for your message. How can I help with your account today?",
    },
    "es": {
        "payment_plan": "Gracias por preguntar por un plan. Estas son las opciones que podemos ofrecer: {options}",
        "make_payment": "Gracias. Puede pagar de forma segura en su enlace de pago: {link}",
        "balance_inquiry": "Su saldo actual es {balance}.",
        "hardship": "Lamento escuchar eso. Podemos ver pagos más pequeños: ¿qué cantidad podría pagar?",
        "already_paid": "Gracias por avisarnos. ¿Podría enviarnos un recibo o comprobante del pago?",
        "workplace_objection": "Entendido: no lo contactaremos en el trabajo.",
        "wrong_person": "Disculpe el error. Actualizaremos nuestros registros.",
        "other": "Gracias por su mensaje. ¿En qué puedo ayudarle con su cuenta?",
    },
}


def _fact(system: str, name: str) -> str | None:
    match = re.search(rf"^{name}: (.+)$", system, re.M)
    return unescape(match.group(1)).strip() if match else None


def _default_answer(body: dict, tool: str | None) -> dict:
    """A plausible answer from keyword rules: what `make run` shows without a key (never graded as AI)."""
    text = _user_text(body)
    if tool is None:
        return {"kind": "text", "text": "Thanks for your message.", "stop_reason": "end_turn"}
    schema = next((t.get("input_schema", {}) for t in body["tools"] if t.get("name") == tool), {})
    props = schema.get("properties", {})
    if "compliant" in props:
        message = _block(text, "message_under_review") or text
        bad = re.search(r"\b(arrest\w*|jail|sue you|lawsuit|garnish\w*|idiot|stupid)\b", message, re.I)
        verdict = {"compliant": not bad, "violations": [f"threatening or abusive wording: {bad.group(0)!r}"]
                   if bad else [], "severity": "high" if bad else "low"}
        return {"kind": "tool", "input": verdict, "name": tool, "stop_reason": "tool_use"}
    message = _block(text, "debtor_message") or text
    lowered = message.lower()
    intent = next((label for label, pattern in RULES if re.search(pattern, lowered)), "other")
    lang = "es" if len(SPANISH.findall(lowered)) >= 2 or re.search(r"[¿¡ñ]", lowered) else "en"
    sentiment = "hostile" if intent == "hostile" else "negative" if intent in (
        "dispute", "hardship", "cease_contact", "request_human") else "neutral"
    system = _system_text(body)
    reply = None
    handoff = f"the debtor's message reads as {intent.replace('_', ' ')}" if intent in ESCALATE else None
    if handoff is None:
        options = " ".join(line.strip() for line in re.findall(r"^  option \d+: .+$", system, re.M))
        reply = REPLIES[lang][intent].format(
            balance=_fact(system, "current_balance") or "", link=_fact(system, "payment_link") or "",
            options=unescape(options) or "")
        if intent == "payment_plan" and not options:
            reply = REPLIES[lang]["hardship"]
        if _fact(system, "first_contact") == "true":
            disclosures = re.search(rf"^  {lang}: (.+)$", system, re.M)
            if disclosures:
                reply = f"{reply} {unescape(disclosures.group(1))}"
    answer = {"intent": intent, "sentiment": sentiment, "confidence": 0.9 if intent != "other" else 0.6,
              "language": lang, "reply": reply, "handoff_reason": handoff}
    return {"kind": "tool", "input": {k: v for k, v in answer.items() if k in props} or answer, "name": tool,
            "stop_reason": "tool_use"}


if __name__ == "__main__":
    FakeAnthropic.main()
