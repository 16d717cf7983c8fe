"""Step 0 of the decision order: classify the attempt once, so every rule reads the same answers."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from app.services.compliance.facts import (
    ELECTRONIC, SYSTEM_REPLY_PURPOSES, TEXT_CHANNELS, Attempt, Email, Facts, Inbound, Phone,
)
from app.services.timezones import Candidates, candidate_zones, normalize_e164

REPLY_WINDOW = dt.timedelta(hours=24)  # D-2 / FREQ-6
SESSION_WINDOW = dt.timedelta(minutes=15)  # TIME-5
STATED_ZONE_MAX_AGE = dt.timedelta(days=90)  # TIME-2
NYC_STATES = frozenset({"NY"})


class cached_property:  # noqa: N801 (named like the functools one it replaces)
    """functools.cached_property without its per-access lock (Python 3.11 takes an RLock on every first read, a
    third of a decision's cost): the value goes into the instance dict, which later reads find first."""

    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.fn(instance)
        return value


@lru_cache(maxsize=65536)
def _candidates(stated, account_tz, state, zip_code, phones) -> Candidates:
    """Zone lookups parse phones and read the ZIP table: cached, since the same files are checked all day."""
    return candidate_zones(stated=stated, account_tz=account_tz, state=state, zip_code=zip_code, phones=phones)


class Context:
    """The attempt, the facts, and what follows from them. Values are computed on first use and kept."""

    def __init__(self, attempt: Attempt, facts: Facts):
        self.attempt = attempt
        self.facts = facts
        self.debtor = facts.debtor
        self.policy = facts.policy
        self.history = facts.history
        self.now = attempt.now
        self.counts: dict[str, int | None] = {}  # filled by the frequency rules for the stored record
        # Read by most rules: plain attributes, not properties (a decision reads them hundreds of times).
        self.channel = attempt.channel
        self.kind = attempt.kind
        self.purpose = attempt.purpose
        self.electronic = attempt.channel in ELECTRONIC
        self.texting = attempt.channel in TEXT_CHANNELS
        self.is_system_reply = attempt.purpose in SYSTEM_REPLY_PURPOSES
        self.to_debtor = attempt.recipient == "debtor"
        self.to_attorney = attempt.recipient == "attorney"

    # -- when -------------------------------------------------------------------------------------------
    @cached_property
    def start(self) -> dt.datetime:
        """The earliest instant the message could go: max(scheduled_at, now)."""
        scheduled = self.attempt.scheduled_at
        return max(scheduled, self.now) if scheduled else self.now

    # -- what -------------------------------------------------------------------------------------------
    @cached_property
    def language(self) -> str:
        return (self.attempt.language or self.debtor.preferred_language or "en")[:2].lower()

    @cached_property
    def text(self) -> str:
        """Subject and body together, for content scans."""
        subject = self.attempt.subject
        return f"{subject}\n{self.attempt.body}" if subject else self.attempt.body

    # -- conversation ---------------------------------------------------------------------------------------
    @cached_property
    def inbound(self) -> Inbound | None:
        """The inbound message this attempt answers, if it names one we know."""
        ref = self.attempt.in_reply_to
        if not ref:
            return None
        return next((m for m in self.history.inbound if m.id == ref), None)

    @cached_property
    def is_reply(self) -> bool:
        """D-2: in reply to an inbound on the same channel received at most 24 h earlier."""
        m = self.inbound
        return bool(m and m.channel == self.channel and dt.timedelta(0) <= self.start - m.received_at <= REPLY_WINDOW)

    @cached_property
    def session_live(self) -> bool:
        """TIME-5: the inbound it answers arrived at most 15 minutes earlier on the same channel."""
        m = self.inbound
        return bool(m and m.channel == self.channel and dt.timedelta(0) <= self.start - m.received_at <= SESSION_WINDOW)

    @cached_property
    def collector_initiated(self) -> bool:
        """Counts toward caps unless it is a reply, a system reply, transactional (D-16) or to the attorney."""
        return not (self.is_reply or self.is_system_reply or self.kind == "transactional" or self.to_attorney)

    @cached_property
    def is_initial_communication(self) -> bool:
        """DISC-1 / VALID: nothing about the debt has been conveyed to the consumer yet."""
        return self.debtor.validation.initial_comm_at is None

    # -- where ----------------------------------------------------------------------------------------
    @cached_property
    def address(self) -> str | None:
        """The destination, normalized: E.164 for phones, lower-case for email."""
        to = self.attempt.to_address
        if not to:
            return None
        if self.channel in TEXT_CHANNELS or self.channel == "voice":
            return normalize_e164(to) or to
        return to.strip().lower()

    @cached_property
    def phone(self) -> Phone | None:
        """The debtor's phone record for the destination number."""
        return next((p for p in self.debtor.phones if p.e164 == self.address), None) if self.address else None

    @cached_property
    def email(self) -> Email | None:
        return next((e for e in self.debtor.emails if e.address.lower() == self.address), None) if self.address else None

    @cached_property
    def state(self) -> str | None:
        value = (self.debtor.state or "").strip().upper()
        return value[:2] if len(value) >= 2 else None

    @cached_property
    def candidates(self) -> Candidates:
        """TIME-2: a zone the consumer stated within 90 days wins alone; else every zone the file suggests."""
        d = self.debtor
        stated = d.stated_tz if d.stated_tz and d.stated_tz_at and self.now - d.stated_tz_at <= STATED_ZONE_MAX_AGE else None
        phones = tuple(p.e164 for p in d.phones if p.active)
        return _candidates(stated, d.account_tz, d.state, d.zip, phones)

    @property
    def zones(self) -> tuple[str, ...]:
        return self.candidates.effective_zones()
