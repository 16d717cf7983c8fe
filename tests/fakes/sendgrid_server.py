"""A local SendGrid v3 API: Mail Send (`POST /v3/mail/send`, Bearer auth, 202 with X-Message-Id, SendGrid's
validation errors) and the Email Activity search (`GET /v3/messages?query=...`).

Run alone: `python -m tests.fakes.sendgrid_server --port 8431 --state-file /tmp/sendgrid.jsonl [--api-key K]`."""
from __future__ import annotations

import base64
import binascii
import json
import re
import secrets

from werkzeug.wrappers import Request, Response

from tests.fakes import FakeServer, json_response

DEFAULT_KEY = "SG.fake-sendgrid-key"
QUERY_TERM = re.compile(  # unique_args['name']="value" or field="value", optionally in parentheses
    r"""^\(?\s*(unique_args\['(?P<arg>[^']+)'\]|(?P<field>[a-z_]+))\s*=\s*"(?P<value>[^"]*)"\s*\)?$""")
ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATUS_TEXT = {401: "The provided authorization grant is invalid, expired, or revoked",
               403: "access forbidden", 429: "too many requests", 500: "internal error",
               503: "service unavailable"}


class FakeSendGrid(FakeServer):
    """A local SendGrid v3 API."""

    def __init__(self, api_key: str = DEFAULT_KEY, **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.activity: list[dict] = []  # Email Activity records, one per recipient, newest last

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--api-key", default=DEFAULT_KEY)

    @classmethod
    def from_arguments(cls, args) -> "FakeSendGrid":
        return cls(args.api_key, state_file=args.state_file)

    # -- test helpers ----------------------------------------------------------------------------------------------
    def set_status(self, x_message_id: str, status: str) -> None:
        """Move a message on (processed -> delivered | not_delivered), as SendGrid's events would."""
        with self.lock:
            for record in self.activity:
                if record["msg_id"].split(".")[0] == x_message_id:
                    record["status"] = status

    # -- the API ---------------------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self.errors(401, STATUS_TEXT[401])
        if request.path == "/v3/mail/send":
            return self._send(request) if request.method == "POST" else self.errors(405, "method not allowed")
        if request.path == "/v3/messages" and request.method == "GET":
            return self._search(request)
        return self.errors(404, "not found")

    def _send(self, request: Request) -> Response:
        try:
            mail = json.loads(request.get_data(as_text=True))
        except ValueError:
            return self.errors(400, "Bad Request")
        problem = _invalid(mail) if isinstance(mail, dict) else ("Bad Request", None)
        if problem:
            return self.errors(400, *problem)
        x_message_id = secrets.token_urlsafe(16)[:22]
        now = self.clock()
        records = []
        for number, personalization in enumerate(mail["personalizations"]):
            for recipient in personalization["to"]:
                records.append({
                    "msg_id": f"{x_message_id}.filterdrecv-fake-{number}.{len(records)}",
                    "from_email": mail["from"]["email"], "to_email": recipient["email"],
                    "subject": personalization.get("subject") or mail.get("subject"), "status": "processed",
                    "opens_count": 0, "clicks_count": 0, "last_event_time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "unique_args": {**(mail.get("custom_args") or {}), **(personalization.get("custom_args") or {})},
                })
        with self.lock:
            self.activity.extend(records)
        self.remember({"x_message_id": x_message_id, "mail": mail, "received_at": now.isoformat()})
        return Response("", status=202, headers={"X-Message-Id": x_message_id})

    def _search(self, request: Request) -> Response:
        terms = [t for t in re.split(r"\s+AND\s+", request.args.get("query", "").strip()) if t]
        conditions = []
        for term in terms:
            match = QUERY_TERM.match(term)
            if not match:
                return self.errors(400, f"invalid query: {term}", "query")
            conditions.append(match.groupdict())
        limit = int(request.args.get("limit", 10))
        with self.lock:
            found = [r for r in reversed(self.activity) if all(_matches(r, c) for c in conditions)][:limit]
        return json_response({"messages": [{k: v for k, v in r.items() if k != "unique_args"} for r in found]})

    def errors(self, status: int, message: str, field: str | None = None, headers: dict | None = None) -> Response:
        """SendGrid's error body: `{"errors": [{"message", "field", "help"}]}`."""
        return json_response({"errors": [{"message": message, "field": field, "help": None}]}, status=status,
                             headers=headers)

    def error_response(self, status: int, headers: dict | None = None, message: str | None = None,
                       field: str | None = None) -> Response:
        return self.errors(status, message or STATUS_TEXT.get(status, "error"), field, headers=headers)


def _matches(record: dict, condition: dict) -> bool:
    if condition["arg"]:
        return str(record["unique_args"].get(condition["arg"])) == condition["value"]
    return str(record.get(condition["field"])) == condition["value"]


def _invalid(mail: dict) -> tuple[str, str] | None:
    """The first rule of SendGrid's Mail Send validation this body breaks, as (message, field)."""
    personalizations = mail.get("personalizations")
    if not personalizations:
        return ("The personalizations field is required and must have at least one personalization.",
                "personalizations")
    for p in personalizations:
        if not p.get("to") or not all(ADDRESS.match(r.get("email") or "") for r in p["to"]):
            return "Does not contain a valid address.", "personalizations.0.to"
    if not ADDRESS.match((mail.get("from") or {}).get("email") or ""):
        return ("The from object must be provided for every email send. It is an object that requires the email "
                "parameter, but may also contain a name parameter.", "from")
    if not mail.get("subject") and not mail.get("template_id") and not all(p.get("subject") for p in personalizations):
        return ("The subject is required. You can get around this requirement if you use a template with a subject "
                "defined or if every personalization has a subject defined.", "subject")
    content = mail.get("content") or []
    if not mail.get("template_id") and not any(c.get("value") for c in content):
        return "Unless a valid template_id is provided, the content parameter is required.", "content"
    if len(content) > 1 and content[0].get("type") != "text/plain":
        return "If present, text/plain content must be first, followed by text/html, then any other types.", "content"
    for args in [mail.get("custom_args") or {}] + [p.get("custom_args") or {} for p in personalizations]:
        if not all(isinstance(v, str) for v in args.values()):
            return "Custom args values must be strings.", "custom_args"
    if not all(isinstance(v, str) for v in (mail.get("headers") or {}).values()):
        return "Header values must be strings.", "headers"
    for index, attachment in enumerate(mail.get("attachments") or []):
        if not attachment.get("filename"):
            return "The attachment filename parameter is required.", f"attachments.{index}.filename"
        try:
            base64.b64decode(attachment.get("content") or "", validate=True)
        except (binascii.Error, ValueError):
            return "The attachment content must be base64 encoded.", f"attachments.{index}.content"
    return None


if __name__ == "__main__":
    FakeSendGrid.main()
