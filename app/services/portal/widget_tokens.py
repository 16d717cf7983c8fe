"""The chat widget's session on a business's own site, carried without cookies.

A site frames /widget from another site, where the browser sends no SameSite=Lax cookie (and often no third-party
cookie at all), so after the identity check the frame holds a signed token instead: it sends it in the
`X-Widget-Token` header and in the socket's auth, and every answer carries a fresh one, so it expires after the
portal's 30 idle minutes like the cookie session. The token holds the same facts as the portal session (link,
account, a reference, when the check passed and when the debtor was last seen), signed with the app's secret; it is
checked exactly as the cookie session is. A header is no ambient credential, so requests carrying it need no CSRF
token."""
from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "funnelchat.widget-session"
HEADER = "X-Widget-Token"
FIELDS = ("link", "account", "ref", "verifiedAt")


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def issue(secret: str, facts: dict, now: dt.datetime) -> str:
    """A token for these portal-session facts, last seen `now`."""
    payload = {name: str(facts[name]) for name in FIELDS if facts.get(name) is not None}
    payload["seenAt"] = now.isoformat()
    return _serializer(secret).dumps(payload)


def read(secret: str, token: str | None) -> dict | None:
    """The facts a token carries when its signature holds, else None (whether it is still current is the portal
    session's check)."""
    if not token or len(token) > 2048:
        return None
    try:
        facts = _serializer(secret).loads(token)
    except BadSignature:
        return None
    return facts if isinstance(facts, dict) else None
