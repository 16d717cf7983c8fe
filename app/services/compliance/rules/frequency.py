"""FREQ-1..8, STATE-MA-1/2, STATE-WA-1 and the NYC cap (stage 12): rolling-window caps.

Only collector-initiated attempts are capped (ctx.collector_initiated) and only counted messages count (FREQ-6,
`counted`). Windows roll in UTC with exact second boundaries (FREQ-8): a message sent at T counts at t iff
T <= t < T + window. A cap of n defers to the instant the n-th most recent counted message leaves the window.

Calls are counted from History.calls (the call log: placed by us unless `inbound`); Outbound rows on the voice
channel are not counted a second time. FREQ-5 (and FREQ-7's daily guard) count the PRD's messages: SMS, WhatsApp,
email and web chat. Telephone calls have their own Reg F limits (FREQ-1; with calls in FREQ-5, scenario 38's
eighth call could never be reached). STATE-WA-1 ("any form") and the NYC cap count calls and letters too.
Policy.caps lowers a cap and never raises one (D-1); its keys are the rule
ids ("FREQ-2", "FREQ-3", "FREQ-4", "FREQ-5", "STATE-WA-1") and "FREQ-7:60m" / "FREQ-7:day" for the burst guard.
History is read once per decision (`ledger`, kept on the Context instance).
"""
from __future__ import annotations

import bisect
import datetime as dt

from app.services.compliance import hours
from app.services.compliance.decision import DEFER_HORIZON
from app.services.compliance.facts import ELECTRONIC, SYSTEM_REPLY_PURPOSES, Outbound
from app.services.compliance.registry import Later, deferring
from app.services.compliance.rules.timing import zones

STAGE = 12
H1 = dt.timedelta(hours=1)
H24 = dt.timedelta(hours=24)
H168 = dt.timedelta(hours=168)
D30 = dt.timedelta(days=30)
REPLY_WINDOW = dt.timedelta(hours=24)  # D-2
NEVER = DEFER_HORIZON + dt.timedelta(days=1)

SENT = frozenset({"accepted", "sent", "delivered", "undelivered"})
"""Provider statuses of an attempt that left the platform ("attempt to communicate", FREQ-6)."""
NOT_COUNTED_PURPOSES = SYSTEM_REPLY_PURPOSES | {"receipt"}
MA_CHANNELS = frozenset({"sms", "whatsapp", "voice"})
MA_OTHER_TYPES = frozenset({"work"})  # numbers that are not the residence, cell or personal number
CALL_LIMIT = 7  # FREQ-1(A)
CONVERSATION_DAYS = 7  # FREQ-1(B)
CALL_START = dt.time(8, 0)


# -- FREQ-6: what counts ----------------------------------------------------------------------------------------
def counted(o: Outbound, inbound_by_id) -> bool:
    """FREQ-6: an allowed attempt the provider accepted (even if later undelivered), to the debtor, collector-
    initiated. Not: blocked or unsent, provider-rejected, OPT-4/7/8 system replies, messages to the attorney,
    receipts and transactional messages (D-16), replies (stamped, or in reply to an inbound on the same channel
    at most 24 h earlier: D-2). 1006.2(b) [V]; PRD; 209 CMR 18.16(1)(d) "initiated by the debt collector" [V]."""
    if o.decision != "allow" or o.provider_status not in SENT:
        return False
    if o.recipient != "debtor" or o.reply_exempt or o.kind == "transactional" or o.purpose in NOT_COUNTED_PURPOSES:
        return False
    if o.in_reply_to:
        m = inbound_by_id.get(o.in_reply_to)
        if m is not None and m.channel == o.channel and _ZERO <= o.sent_at - m.received_at <= REPLY_WINDOW:
            return False
    return True


_ZERO = dt.timedelta(0)


class Ledger:
    """Counted instants per bucket, ascending: channels, "all" (electronic messages), "any" (every form, calls
    included), MA personal ("ma7") and other numbers ("ma30"), workplace addresses ("work")."""

    __slots__ = ("times", "phone_types", "active")

    def __init__(self, times: dict[str, list[dt.datetime]], phone_types: dict[str, str], active: frozenset[str]):
        self.times = times
        self.phone_types = phone_types
        self.active = active  # the caps that apply to this attempt

    def get(self, bucket: str) -> list[dt.datetime]:
        return self.times.get(bucket, _EMPTY)


_EMPTY: list = []


def ledger(ctx) -> Ledger:
    """One pass over the history per decision; also fills ctx.counts (at ctx.start) for the stored record."""
    found = ctx.__dict__.get("_frequency")
    if found is not None:
        return found
    history, debtor = ctx.history, ctx.debtor
    state = ctx.state
    by_type = state == "MA" or state == "WA"  # personal vs other numbers (MA), workplace (WA)
    phone_types = {p.e164: p.type for p in debtor.phones} if by_type else {}
    work_emails = {e.address.lower() for e in debtor.emails if e.is_work or e.employer_operated} if by_type else ()
    times: dict[str, list[dt.datetime]] = {"all": [], "any": []}
    messages, everything = times["all"], times["any"]
    inbound_by_id = None
    oldest = ctx.start - (D30 if state == "MA" else H168)  # nothing older counts in any window from the start on
    for o in history.outbound:  # `counted`, inline: this loop is the hot path of the family
        if o.decision != "allow" or o.provider_status not in SENT:
            continue
        at, channel = o.sent_at, o.channel
        if at <= oldest or channel == "voice":
            continue
        if o.recipient != "debtor" or o.reply_exempt or o.kind == "transactional" or o.purpose in NOT_COUNTED_PURPOSES:
            continue
        if o.in_reply_to:
            if inbound_by_id is None:
                inbound_by_id = {m.id: m for m in history.inbound}
            m = inbound_by_id.get(o.in_reply_to)
            if m is not None and m.channel == channel and _ZERO <= at - m.received_at <= REPLY_WINDOW:
                continue
        bucket = times.get(channel)
        if bucket is None:
            times[channel] = [at]
        else:
            bucket.append(at)
        everything.append(at)
        if channel in ELECTRONIC:
            messages.append(at)
        if by_type:
            if channel in MA_CHANNELS:
                kind = phone_types.get(o.address, "unknown")
                times.setdefault("ma30" if kind in MA_OTHER_TYPES else "ma7", []).append(at)
                if kind == "work":
                    times.setdefault("work", []).append(at)
            elif o.address and o.address.lower() in work_emails:
                times.setdefault("work", []).append(at)
    for c in history.calls:
        if c.inbound or not c.connected or c.recipient != "debtor" or c.placed_at <= oldest:
            continue
        at = c.placed_at
        times.setdefault("voice", []).append(at)
        everything.append(at)
        if by_type:
            kind = phone_types.get(c.address, "unknown")
            times.setdefault("ma30" if kind in MA_OTHER_TYPES else "ma7", []).append(at)
            if kind == "work":
                times.setdefault("work", []).append(at)
    for values in times.values():
        values.sort()
    found = Ledger(times, phone_types, _applicable(ctx))
    ctx.__dict__["_frequency"] = found
    _fill_counts(ctx, found)
    return found


def _in_window(times: list[dt.datetime], t: dt.datetime, width: dt.timedelta) -> tuple[int, int]:
    """(how many count at t, index just past the last one): T counts iff t - width < T <= t (FREQ-8)."""
    hi = bisect.bisect_right(times, t)
    return hi - bisect.bisect_right(times, t - width), hi


def _cap(times, t, width, limit) -> tuple[int, dt.datetime | None]:
    """(count at t, instant the cap frees up or None when under the cap)."""
    n, hi = _in_window(times, t, width)
    if n < limit:
        return n, None
    if limit <= 0:
        return n, t + NEVER
    return n, times[hi - limit] + width


def _fill_counts(ctx, led: Ledger) -> None:
    t = ctx.start
    week, day = t - H168, t - H24
    right = bisect.bisect_right

    def count(bucket: str, since: dt.datetime) -> int:
        values = led.times.get(bucket)
        return right(values, t) - right(values, since) if values else 0

    counts = ctx.counts
    counts["sms_168h"] = count("sms", week)
    counts["email_168h"] = count("email", week)
    counts["wa_24h"] = count("whatsapp", day)
    counts["all_168h"] = count("all", week)
    state = ctx.state
    counts["ma_text_call_7d"] = count("ma7", week) if state == "MA" else None
    every = count("any", week) if state == "WA" or ctx.debtor.nyc else None
    counts["wa_state_week"] = every if state == "WA" else None
    counts["nyc_7d"] = every if ctx.debtor.nyc and ctx.policy.nyc_cap is not None else None
    counts["calls_7d_by_debt"] = _calls_by_debt(ctx) if ctx.channel == "voice" and ctx.history.calls else {}


def _applicable(ctx) -> frozenset[str]:
    """Which caps judge this attempt: only collector-initiated ones are capped (FREQ-6), per channel and state."""
    channel, policy, state = ctx.channel, ctx.policy, ctx.state
    active = set()
    if channel == "voice" and ctx.to_debtor and ctx.history.calls:
        active.add("FREQ-1")
    if not ctx.collector_initiated:
        return frozenset(active)
    active.add(_PER_CHANNEL.get(channel, ""))
    electronic = channel in ELECTRONIC
    if policy.freq5_enabled and electronic:
        active.add("FREQ-5")
    if policy.freq7_enabled:
        active.add("FREQ-7:60m")
        if electronic:
            active.add("FREQ-7:day")
    if state == "MA" and channel in MA_CHANNELS:
        active.add("STATE-MA")
    if state == "WA":
        active.add("STATE-WA-1")
        if _workplace(ctx):
            active.add("STATE-WA-1:work")
    if policy.nyc_cap is not None and ctx.debtor.nyc:
        active.add("STATE-NYC-1")
    return frozenset(active)


_PER_CHANNEL = {"sms": "FREQ-2", "email": "FREQ-3", "whatsapp": "FREQ-4"}


def _limit(ctx, key: str, default: int) -> int:
    caps = ctx.policy.caps
    value = caps.get(key) if caps else None
    return default if value is None else min(default, int(value))


def _later(n: int, until, what: str, limit: int, width: str) -> Later | None:
    if until is None:
        return None
    return Later(until, f"{n} {what} in {width} (cap {limit})")


def _active(ctx, key: str) -> Ledger | None:
    """This decision's ledger when the cap `key` applies to it, else None."""
    led = ctx.__dict__.get("_frequency") or ledger(ctx)
    return led if key in led.active else None


def _capped(ctx, led: Ledger, t, bucket: str, width: dt.timedelta, key: str, default: int, what: str, label: str):
    limit = _limit(ctx, key, default)
    n, until = _cap(led.get(bucket), t, width, limit)
    return _later(n, until, what, limit, label)


# -- FREQ-2..5 --------------------------------------------------------------------------------------------------
@deferring("FREQ-2", STAGE)
def freq_2(ctx, t):
    """Collector-initiated SMS: at most 3 per debtor (all numbers) in a rolling 168 h. PRD."""
    led = _active(ctx, "FREQ-2")
    if led is None:
        return None
    return _capped(ctx, led, t, "sms", H168, "FREQ-2", 3, "SMS", "168 h")


@deferring("FREQ-3", STAGE)
def freq_3(ctx, t):
    """Collector-initiated email: at most 5 per debtor in a rolling 168 h. PRD."""
    led = _active(ctx, "FREQ-3")
    if led is None:
        return None
    return _capped(ctx, led, t, "email", H168, "FREQ-3", 5, "emails", "168 h")


@deferring("FREQ-4", STAGE)
def freq_4(ctx, t):
    """Collector-initiated WhatsApp: at most 1 per debtor in a rolling 24 h (stricter than a calendar day). PRD."""
    led = _active(ctx, "FREQ-4")
    if led is None:
        return None
    return _capped(ctx, led, t, "whatsapp", H24, "FREQ-4", 1, "WhatsApp messages", "24 h")


@deferring("FREQ-5", STAGE)
def freq_5(ctx, t):
    """All channels combined: at most 3 collector-initiated attempts per rolling 168 h (D-1; platform switch
    Policy.freq5_enabled). PRD."""
    led = _active(ctx, "FREQ-5")
    if led is None:
        return None
    return _capped(ctx, led, t, "all", H168, "FREQ-5", 3, "attempts on all channels", "168 h")


# -- FREQ-7 -----------------------------------------------------------------------------------------------------
@deferring("FREQ-7", STAGE)
def freq_7_channel(ctx, t):
    """Burst guard, off by default (D-11): at most 1 collector-initiated message per channel per 60 min.
    1006.14(a) + comment 14(a)-1 [V]; values = policy."""
    led = _active(ctx, "FREQ-7:60m")
    if led is None:
        return None
    return _capped(ctx, led, t, ctx.channel, H1, "FREQ-7:60m", 1, f"{ctx.channel} messages", "60 min")


@deferring("FREQ-7", STAGE)
def freq_7_day(ctx, t):
    """Burst guard, off by default (D-11): at most 2 collector-initiated messages across channels per local day
    in every candidate zone. 1006.14(a) + comment 14(a)-1 [V]; values = policy."""
    led = _active(ctx, "FREQ-7:day")
    if led is None:
        return None
    limit = _limit(ctx, "FREQ-7:day", 2)
    sent = led.get("all")
    last = bisect.bisect_right(sent, t)
    if last < limit:
        return None
    until, worst_n = None, 0
    for midnight, nxt in hours.day_bounds(zones(ctx), t.timestamp()):
        n = last - bisect.bisect_left(sent, hours.to_datetime(midnight))
        if n >= limit and (until is None or nxt > until):
            until, worst_n = nxt, n
    return _later(worst_n, hours.to_datetime(until) if until is not None else None, "messages", limit, "one local day")


# -- FREQ-1 (telephone calls only) --------------------------------------------------------------------------------
def _call_facts(ctx):
    """(placed calls that count: (instant, call), conversations, consumer callback requests: (instant, date))."""
    found = ctx.__dict__.get("_calls")
    if found is None:
        placed, talks, requests = [], [], []
        for c in ctx.history.calls:
            if c.recipient != "debtor":
                continue
            ts = c.placed_at.timestamp()
            if c.callback_requested_for is not None:
                requests.append((ts, c.callback_requested_for.toordinal()))
            if c.conversation:
                talks.append(ts)
            if not c.inbound and c.connected:
                placed.append(ts)
        found = ctx.__dict__["_calls"] = (placed, talks, requests)
    return found


def _requested(requests, ts: float, day: int) -> bool:
    """1006.14(b)(3)(i): a call on a day the person asked for, within the 7 days before it."""
    return any(day == wanted and 0 <= ts - asked <= 7 * hours.DAY for asked, wanted in requests)


def _call_days(name: str, placed, requests) -> list[int]:
    days = []
    for ts in placed:
        day = hours.local_ordinal(name, ts)
        if not _requested(requests, ts, day):
            days.append(day)
    return days


def _calls_by_debt(ctx) -> dict:
    if not ctx.history.calls:
        return {}
    placed, _, requests = _call_facts(ctx)
    name = zones(ctx)[0]
    today = hours.local_ordinal(name, ctx.start.timestamp())
    n = sum(1 for day in _call_days(name, placed, requests) if today - 6 <= day <= today)
    return {str(ctx.debtor.account_id) if ctx.debtor.account_id else "debt": n}


@deferring("FREQ-1", STAGE)
def freq_1(ctx, t):
    """Telephone calls only, per person per debt, local calendar days in every candidate zone: (A) no 8th placed
    call within 7 consecutive days; (B) no call within 7 consecutive days after a telephone conversation (its date
    is day 1; inbound conversations included). Excluded: calls on a day the person asked for within 7 days, calls
    not connected to the dialed number (Call.connected false: busy, not in service; an unanswered call that rang
    counts), calls to the attorney. Texts, emails and chats are never counted here.
    1006.14(b)(1)-(2) [V]; (b)(3)(i)-(ii) [V], (iii) [U: unverified]."""
    led = _active(ctx, "FREQ-1")
    if led is None:
        return None
    placed, talks, requests = _call_facts(ctx)
    ts = t.timestamp()
    until, why = None, ""
    for name in zones(ctx):
        today = hours.local_ordinal(name, ts)
        if _requested(requests, ts, today):
            continue
        days = _call_days(name, placed, requests)
        talked = [hours.local_ordinal(name, x) for x in talks if x <= ts]
        day, reason = today, ""
        for _ in range(64):
            spoke = [c for c in talked if c <= day < c + CONVERSATION_DAYS]
            if spoke:
                reason = f"(B) conversation on {dt.date.fromordinal(max(spoke)).isoformat()}"
                day = max(spoke) + CONVERSATION_DAYS
                continue
            n = sum(1 for d in days if day - 6 <= d <= day)
            if n >= CALL_LIMIT:
                reason = reason or f"(A) {n} calls in 7 days"
                day += 1
                continue
            break
        if day != today:
            at = hours.to_datetime(hours.local_instant(name, day, CALL_START))
            if until is None or at > until:
                until, why = at, f"{reason} ({name})"
    return Later(until, why) if until is not None and until > t else None


# -- State caps ---------------------------------------------------------------------------------------------------
def _ma(ctx, t):
    led = _active(ctx, "STATE-MA")
    if led is None:
        return None
    kind = ctx.phone.type if ctx.phone is not None else led.phone_types.get(ctx.address, "unknown")
    if kind in MA_OTHER_TYPES:
        n, until = _cap(led.get("ma30"), t, D30, 2)
        return _later(n, until, "calls or texts to other numbers", 2, "30 days")
    n, until = _cap(led.get("ma7"), t, H168, 2)
    return _later(n, until, "calls or texts (SMS, WhatsApp, voice)", 2, "7 days")


@deferring("STATE-MA-1", STAGE)
def state_ma_1(ctx, t):
    """MA debtor, licensed collector: at most 2 collector-initiated calls or texts (SMS, WhatsApp: conservative) per
    rolling 7 days to the residence, cell or personal number, and 2 per 30 days to other numbers, per debt.
    209 CMR 18.16(1)(d) [V] (trailing proviso not read [U])."""
    return _ma(ctx, t)


@deferring("STATE-MA-2", STAGE)
def state_ma_2(ctx, t):
    """MA creditor clients: the same 2-per-7-days limit on telephone, text messages and recorded audio messages
    (every client, D-8). 940 CMR 7.04(1)(f) [V-partial + S quote]; AG guidance [S: Lemberg]."""
    return _ma(ctx, t)


def _workplace(ctx) -> bool:
    if ctx.phone is not None:
        return ctx.phone.type == "work"
    if ctx.email is not None:
        return ctx.email.is_work or ctx.email.employer_operated
    return False


@deferring("STATE-WA-1", STAGE)
def state_wa_1(ctx, t):
    """WA debtor: at most 3 collector-initiated communications per rolling 168 h in any form (all channels, calls
    included). RCW 19.16.250 via WA DFI consumer page [S]; statute subsection text [U: unverified]."""
    led = _active(ctx, "STATE-WA-1")
    if led is None:
        return None
    return _capped(ctx, led, t, "any", H168, "STATE-WA-1", 3, "communications", "168 h")


@deferring("STATE-WA-1", STAGE)
def state_wa_1_work(ctx, t):
    """WA debtor: at most 1 communication per week at the workplace (work phone, work email).
    RCW 19.16.250 via WA DFI consumer page [S]; statute subsection text [U: unverified]."""
    led = _active(ctx, "STATE-WA-1:work")
    if led is None:
        return None
    n, until = _cap(led.get("work"), t, H168, 1)
    return _later(n, until, "communications at the workplace", 1, "168 h")


@deferring("STATE-NYC-1", STAGE)
def state_nyc_cap(ctx, t):
    """NYC consumer: the per-account frequency cap of the amended DCWP rules, as the configurable placeholder
    Policy.nyc_cap per rolling 7 days (D-9). [S: nyc.gov DCWP FAQ, Orrick]; cap numbers [U: unverified]."""
    led = _active(ctx, "STATE-NYC-1")
    if led is None:
        return None
    cap = ctx.policy.nyc_cap
    n, until = _cap(led.get("any"), t, H168, cap)
    return _later(n, until, "communications", cap, "7 days")
