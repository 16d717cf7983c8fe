"""Properties of the whole gate, through decide(), over generated debtors, histories, policies and attempts."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.compliance import hours
from app.services.compliance.decision import BLOCK, DEFER
from app.services.compliance.facts import (
    SYSTEM_REPLY_PURPOSES, Blackout, Call, Cease, Dispute, History, Inbound, OptOut, Outbound,
)
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import EMAIL, PHONE, at, attempt, debtor, facts, phone, policy

UTC = dt.timezone.utc
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOCATIONS = {
    "new_york": dict(),
    "ca_with_212": dict(state="CA", zip=None),
    "navajo": dict(state="AZ", zip="86515", phones=(phone("+19285550100"),)),
    "hawaii": dict(state="HI", zip="96813", phones=(phone("+18085550100"),)),
    "alaska": dict(state="AK", zip="99501", phones=(phone("+19075550100"),)),
    "puerto_rico_212": dict(state="PR", zip="00901"),
    "unknown": dict(state=None, zip=None, city=None, phones=(phone("+18005550100"),)),
    "stated_la": dict(stated_tz="America/Los_Angeles", stated_tz_at=at("2026-01-01T00:00Z")),
    "massachusetts": dict(state="MA", zip="02108", phones=(phone("+16175550100"),)),
    "washington": dict(state="WA", zip="98101", phones=(phone("+12065550100"),)),
}
CHANNELS = ("sms", "email", "whatsapp", "web_chat", "voice")
STATUSES = ("accepted", "sent", "delivered", "undelivered", "rejected", "failed", "queued")

instants = st.datetimes(min_value=dt.datetime(2026, 1, 2), max_value=dt.datetime(2026, 12, 28),
                        timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0))
ago = st.integers(min_value=0, max_value=10 * 24 * 3600).map(lambda s: dt.timedelta(seconds=s))
clock = st.builds(dt.time, st.integers(0, 23), st.sampled_from((0, 30)))


@st.composite
def blackouts(draw):
    return Blackout(draw(clock), draw(clock), weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                    channels=frozenset(draw(st.sets(st.sampled_from(CHANNELS), max_size=2))))


@st.composite
def outbound(draw, now):
    channel = draw(st.sampled_from(CHANNELS[:4]))
    address = EMAIL if channel == "email" else PHONE
    return Outbound(channel, now - draw(ago), decision=draw(st.sampled_from(("allow", "allow", "block", "defer"))),
                    provider_status=draw(st.sampled_from(STATUSES)), address=address,
                    kind=draw(st.sampled_from(("campaign", "agent", "ai"))))


@st.composite
def inbound(draw, now, index):
    channel = draw(st.sampled_from(CHANNELS[:4]))
    received = now - draw(st.integers(0, 3 * 24 * 3600).map(lambda s: dt.timedelta(seconds=s)))
    labels = frozenset(draw(st.sets(st.sampled_from(("time_ok", "question")), max_size=1)))
    return Inbound(f"in-{index}", channel, received, "what do I owe?", address=EMAIL if channel == "email" else PHONE,
                   labels=labels)


@st.composite
def calls(draw, now):
    return Call(now - draw(ago), connected=draw(st.booleans()), conversation=draw(st.booleans()), address=PHONE)


@st.composite
def cases(draw):
    """(attempt, facts) over the families' inputs: location, channel, kind, replies, schedules, blackouts,
    caps and switches, history of every kind."""
    now = draw(instants)
    location = draw(st.sampled_from(sorted(LOCATIONS)))
    d = debtor(**LOCATIONS[location], whatsapp_optin_at=at("2026-01-01T00:00Z"),
               whatsapp_last_inbound_at=now - dt.timedelta(hours=draw(st.integers(0, 48))),
               authenticated_addresses=frozenset({PHONE, EMAIL}),
               inconvenient_times=tuple(draw(st.lists(blackouts(), max_size=2))),
               nyc=draw(st.booleans()), nyc_consent_at=at("2026-01-01T00:00Z"))
    caps = draw(st.dictionaries(st.sampled_from(("FREQ-2", "FREQ-3", "FREQ-4", "FREQ-5")), st.integers(0, 4),
                                max_size=2))
    p = policy(freq5_enabled=draw(st.booleans()), freq7_enabled=draw(st.booleans()),
               time7_blocking=draw(st.booleans()), caps=caps,
               nyc_cap=draw(st.one_of(st.none(), st.integers(1, 4))),
               window_start=draw(st.sampled_from((dt.time(8), dt.time(9), dt.time(6)))),
               window_end=draw(st.sampled_from((dt.time(21), dt.time(20), dt.time(23)))))
    received = tuple(draw(inbound(now, i)) for i in range(draw(st.integers(0, 3))))
    history = History(outbound=tuple(draw(st.lists(outbound(now), max_size=8))), inbound=received,
                      calls=tuple(draw(st.lists(calls(now), max_size=8))))
    channel = draw(st.sampled_from(CHANNELS))
    a = attempt(now, channel=channel, kind=draw(st.sampled_from(("campaign", "agent", "ai", "transactional"))))
    if channel == "web_chat":
        a = replace(a, to_address="chat:1")
    if channel == "whatsapp":
        a = replace(a, template="payment_reminder_v1")
    if received and draw(st.booleans()):
        a = replace(a, in_reply_to=draw(st.sampled_from(received)).id)
    if draw(st.booleans()):
        a = replace(a, scheduled_at=now + dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60))))
    if draw(st.integers(0, 9)) == 0:
        a = replace(a, kind="system", purpose="help_reply", body="Acme Recovery: help at +18005550100. Reply STOP to "
                    "opt out. Msg&data rates may apply. Up to 3 msgs/week.")
    return a, facts(d, p, history)


def _session_live(a, f, t) -> bool:
    m = next((m for m in f.history.inbound if m.id == a.in_reply_to), None)
    return (m is not None and m.channel == a.channel and a.kind != "campaign"
            and dt.timedelta(0) <= t - m.received_at <= dt.timedelta(minutes=15))


@SETTINGS
@given(cases())
def test_a_deferral_lands_on_an_allowed_instant_never_before_the_start(case):
    a, f = case
    decision = decide(a, f)
    if decision.outcome != DEFER:
        return
    start = max(a.now, a.scheduled_at) if a.scheduled_at else a.now
    assert decision.until > start
    exempt = (a.purpose in SYSTEM_REPLY_PURPOSES or a.recipient == "attorney" or a.channel == "mail"
              or _session_live(a, f, decision.until))
    if not exempt:
        assert hours.allowed_at(decision.candidate_zones, decision.until), decision
        for name in decision.candidate_zones:  # and by the IANA rules directly, independent of hours.py
            local = decision.until.astimezone(ZoneInfo(name)).time()
            assert dt.time(8) <= local < dt.time(21), (name, decision)


@st.composite
def more_history(draw, now):
    """Only what can make things stricter: messages sent, opt-outs, ceases, disputes."""
    extra_out = tuple(draw(st.lists(outbound(now), max_size=4)))
    optouts = tuple(OptOut(c, EMAIL if c == "email" else PHONE, now - s, now - s, rule_id="OPT-1")
                    for c, s in draw(st.lists(st.tuples(st.sampled_from(CHANNELS[:4]), ago), max_size=2)))
    ceases = tuple(Cease(now - s) for s in draw(st.lists(ago, max_size=1)))
    disputes = tuple(Dispute(now - s) for s in draw(st.lists(ago, max_size=1)))
    return extra_out, optouts, ceases, disputes


@SETTINGS
@given(st.data())
def test_more_history_never_turns_a_block_into_allow_or_defer(data):
    a, f = data.draw(cases())
    a, f = data.draw(st.sampled_from([(a, f), _blocking(a, f)]))
    before = decide(a, f)
    if before.outcome != BLOCK:
        return
    extra_out, optouts, ceases, disputes = data.draw(more_history(a.now))
    h = f.history
    grown = replace(f, history=replace(h, outbound=h.outbound + extra_out, optouts=h.optouts + optouts),
                    debtor=replace(f.debtor, ceases=f.debtor.ceases + ceases, disputes=f.debtor.disputes + disputes))
    after = decide(a, grown)
    assert after.outcome == BLOCK, (before.issues, after.issues)


def _blocking(a, f):
    """A variant that blocks through the caps (a cap of 0 can never be met), so the property is exercised."""
    return a, replace(f, policy=replace(f.policy, caps={"FREQ-2": 0, "FREQ-3": 0, "FREQ-4": 0, "FREQ-5": 0},
                                        freq5_enabled=True))


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_rules_are_listed_in_does_not_matter(case, rnd):
    a, f = case
    shuffled = list(RULES)
    rnd.shuffle(shuffled)
    assert decide(a, f, rules=shuffled) == decide(a, f)


@SETTINGS
@given(cases())
def test_deciding_twice_gives_the_same_decision(case):
    a, f = case
    assert decide(a, f) == decide(a, f)
