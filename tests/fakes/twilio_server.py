"""A local Twilio Messages API: create, fetch and list messages as Twilio's REST API does (2010-04-01, form-encoded
requests, basic auth, Twilio's JSON and error bodies, its paging envelope), with Twilio's magic test numbers.

Run alone: `python -m tests.fakes.twilio_server --port 8430 --state-file /tmp/twilio.jsonl`
[--account-sid AC... --auth-token T]."""
from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.fakes import FakeServer, json_response

API = "/2010-04-01/Accounts"
DEFAULT_SID = "AC" + "0" * 32
DEFAULT_TOKEN = "fake-twilio-token"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAGIC_NUMBERS = {  # https://www.twilio.com/docs/iam/test-credentials
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
                            "number: +15005550003."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
               500: "Internal Server Error", 503: "Service Unavailable"}


class FakeTwilio(FakeServer):
    """A local Twilio Messages API."""

    def __init__(self, account_sid: str = DEFAULT_SID, auth_token: str = DEFAULT_TOKEN, **kwargs):
        super().__init__(**kwargs)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict] = []  # Twilio's records, oldest first

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--account-sid", default=DEFAULT_SID)
        parser.add_argument("--auth-token", default=DEFAULT_TOKEN)

    @classmethod
    def from_arguments(cls, args) -> "FakeTwilio":
        return cls(args.account_sid, args.auth_token, state_file=args.state_file)

    # -- test helpers ----------------------------------------------------------------------------------------------
    def set_status(self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None):
        """Move a message on, as the carrier's reports would."""
        with self.lock:
            record = next(m for m in self.messages if m["sid"] == sid)
            record.update(status=status, error_code=error_code, error_message=error_message,
                          date_updated=_rfc2822(self.clock()))

    # -- the API ---------------------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        match = re.fullmatch(rf"{API}/([^/]+)/Messages(?:/(SM[0-9a-f]{{32}}))?\.json", request.path)
        if not match:
            return self.error(404, 20404, f"The requested resource {request.path} was not found")
        if match.group(1) != self.account_sid or not self._authorized(request):
            return self.error(401, 20003, "Authenticate")
        if match.group(2):
            if request.method != "GET":
                return self.error(405, 20004, "Method not allowed")
            return self._fetch(match.group(2))
        if request.method == "POST":
            return self._create(request)
        if request.method == "GET":
            return self._list(request)
        return self.error(405, 20004, "Method not allowed")

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and secrets.compare_digest(password, self.auth_token)

    def _create(self, request: Request) -> Response:
        form = request.form
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        media = form.getlist("MediaUrl")  # repeated, one per file; Twilio fetches each over public HTTPS
        if not to:
            return self.error(400, 21604, "A 'To' phone number is required.")
        if not from_:
            return self.error(400, 21603, "A 'From' phone number is required.")
        if not body and not media:
            return self.error(400, 21602, "Message body is required.")
        if len(media) > 10:
            return self.error(400, 21623, "Number of media files exceeds allowed limit of 10.")
        if any(not url.startswith(("http://", "https://")) for url in media):
            return self.error(400, 21620, "Invalid media URL(s).")
        if to.startswith("whatsapp:") != from_.startswith("whatsapp:"):
            return self.error(400, 21910, "Invalid From and To pair. From and To should be of the same channel")
        number = to.removeprefix("whatsapp:")
        if number in MAGIC_NUMBERS:
            return self.error(400, *MAGIC_NUMBERS[number])
        if not E164.match(number):
            return self.error(400, 21211, f"The 'To' number {number} is not a valid phone number.")
        now = self.clock()
        sid = "SM" + secrets.token_hex(16)
        record = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": _rfc2822(now), "date_sent": _rfc2822(now), "date_updated": _rfc2822(now),
            "direction": "outbound-api", "error_code": None, "error_message": None, "from": from_,
            "messaging_service_sid": None, "num_media": str(len(media)), "num_segments": str(1 + len(body) // 160),
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "to": to,
            "uri": f"{API}/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{API}/{self.account_sid}/Messages/{sid}/Media.json"},
        }
        with self.lock:
            self.messages.append(record)
        self.remember({"sid": sid, "to": to, "from": from_, "body": body, "media_urls": media,
                       "status_callback": form.get("StatusCallback"), "received_at": now.isoformat()})
        return json_response(record, status=201)

    def _fetch(self, sid: str) -> Response:
        with self.lock:
            record = next((m for m in self.messages if m["sid"] == sid), None)
        if record is None:
            return self.error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        return json_response(record)

    def _list(self, request: Request) -> Response:
        args = request.args
        try:
            after = _parse_date(args.get("DateSent>"))
            before = _parse_date(args.get("DateSent<"))
        except ValueError:
            return self.error(400, 20001, "Invalid DateSent filter")
        with self.lock:
            records = [m for m in reversed(self.messages)  # newest first, as Twilio lists them
                       if (not args.get("To") or m["to"] == args["To"])
                       and (not args.get("From") or m["from"] == args["From"])
                       and (after is None or _date_sent(m) >= after)
                       and (before is None or _date_sent(m) <= before)]
        size = min(int(args.get("PageSize", 50)), 1000)
        page = int(args.get("Page", 0))
        chunk = records[page * size:(page + 1) * size]
        base = f"{API}/{self.account_sid}/Messages.json"
        query = urlencode([(k, v) for k, v in args.items(multi=True) if k not in ("Page", "PageToken")])
        more = (page + 1) * size < len(records)
        return json_response({
            "messages": chunk, "page": page, "page_size": size, "start": page * size,
            "end": page * size + max(len(chunk) - 1, 0), "uri": f"{base}?{query}&Page={page}",
            "first_page_uri": f"{base}?{query}&Page=0",
            "next_page_uri": f"{base}?{query}&Page={page + 1}&PageToken=PA{page + 1}" if more else None,
            "previous_page_uri": f"{base}?{query}&Page={page - 1}" if page else None,
        })

    def error(self, status: int, code: int, message: str, headers: dict | None = None) -> Response:
        """Twilio's error body, which the SDK turns into TwilioRestException(status, code, message)."""
        more_info = f"https://www.twilio.com/docs/errors/{code}"
        return json_response({"code": code, "message": message, "more_info": more_info, "status": status},
                             status=status, headers=headers)

    def error_response(self, status: int, headers: dict | None = None, code: int | None = None,
                       message: str | None = None) -> Response:
        code = code or (20429 if status == 429 else 20500 if status >= 500 else status)
        return self.error(status, code, message or STATUS_TEXT.get(status, "Error"), headers=headers)


def _rfc2822(when: dt.datetime) -> str:
    return format_datetime(when.astimezone(dt.timezone.utc))


def _date_sent(record: dict) -> dt.datetime:
    return parsedate_to_datetime(record["date_sent"])


def _parse_date(text: str | None) -> dt.datetime | None:
    """Twilio takes a date (YYYY-MM-DD, the start of that day) or an ISO 8601 time."""
    if not text:
        return None
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


if __name__ == "__main__":
    FakeTwilio.main()
