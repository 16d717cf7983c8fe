"""The compliance page's figures: what the gate decided, day by day and rule by rule, from compliance_decisions.

Days are UTC days. A decision is counted under its outcome, except that an ALLOW naming rules (only warnings can
leave an ALLOW with rule ids, D-10/D-18) is counted as "warned". The rule table counts each rule's own verdict
inside a decision (read from the stored record's issues): a rule that only warned inside a blocked decision is a
warning there, not a block. Aggregation runs in the database (GROUP BY), so ninety days of a busy business read
as a few hundred rows.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, distinct, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from app.models import Account, Business, ComplianceDecision, Message
from app.services.compliance.decision import ALLOW, BLOCK, DEFER, REQUIRE_CONTENT, WARN
from app.services.compliance.registry import RULES

UTC = dt.timezone.utc
RANGES = (7, 30, 90)
DEFAULT_RANGE = 30
CHANNELS = (("sms", "SMS"), ("email", "Email"), ("whatsapp", "WhatsApp"), ("web_chat", "Web chat"),
            ("voice", "Voice"), ("mail", "Mail"))
SERIES = ((BLOCK, "Blocked"), (DEFER, "Deferred"), (REQUIRE_CONTENT, "Required content"), (WARN, "Warned"))
"""The stacked bars, bottom to top."""
OUTCOMES = (*SERIES, (ALLOW, "Allowed"))
RECENT_LIMIT = 25


@dataclass(frozen=True)
class Filters:
    """What the page shows; read from the URL leniently (an unknown value is ignored, never an error)."""

    days: int = DEFAULT_RANGE
    channel: str | None = None
    outcome: str | None = None
    rule: str | None = None

    @classmethod
    def from_args(cls, args) -> "Filters":
        try:
            days = int(args.get("range") or DEFAULT_RANGE)
        except (TypeError, ValueError):
            days = DEFAULT_RANGE
        channel = args.get("channel") or None
        outcome = args.get("outcome") or None
        rule = (args.get("rule") or "").strip().upper() or None
        return cls(days=days if days in RANGES else DEFAULT_RANGE,
                   channel=channel if channel in dict(CHANNELS) else None,
                   outcome=outcome if outcome in dict(OUTCOMES) else None,
                   rule=rule if rule and len(rule) <= 40 and rule in known_rules() | {"DEFER_HORIZON"} else None)

    def args(self, **override) -> dict:
        """URL arguments for these filters (defaults left out), with some replaced."""
        values = {"range": self.days, "channel": self.channel, "outcome": self.outcome, "rule": self.rule, **override}
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "range" and v == DEFAULT_RANGE)}

    @property
    def narrowed(self) -> bool:
        return bool(self.channel or self.outcome or self.rule)


@dataclass
class RuleRow:
    rule: str
    counts: Counter = field(default_factory=Counter)  # severity -> decisions

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RecentDecision:
    id: uuid.UUID
    evaluated_at: dt.datetime
    account_id: uuid.UUID | None
    account_number: str | None
    account_name: str | None
    business_name: str | None
    channel: str
    kind: str
    purpose: str
    outcome: str
    rules: list[str]
    message_id: uuid.UUID | None
    conversation_id: uuid.UUID | None

    @property
    def bucket(self) -> str:
        return bucket(self.outcome, self.rules)


@dataclass
class Report:
    filters: Filters
    since: dt.datetime
    until: dt.datetime
    days: list[dt.date]
    series: dict[str, list[int]]
    totals: Counter
    rules: list[RuleRow]
    recent: list[RecentDecision]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def stopped(self) -> int:
        return sum(self.totals[k] for k in (BLOCK, DEFER, REQUIRE_CONTENT))


def bucket(outcome: str, rules) -> str:
    """The chart's category of one decision: its outcome, or "warn" for an ALLOW that names rules."""
    return WARN if outcome == ALLOW and rules else outcome


def known_rules() -> frozenset[str]:
    return frozenset(r.id for r in RULES)


def rule_choices() -> list[str]:
    """Every registered rule id in decision order (stage), then by family and number."""
    stages: dict[str, int] = {}
    for r in RULES:
        stages[r.id] = min(stages.get(r.id, 99), r.stage)

    def order(rule_id: str):
        family, _, rest = rule_id.partition("-")
        number = int(rest) if rest.isdigit() else 999
        return stages[rule_id], family, number, rest
    return sorted(stages, key=order)


def window(filters: Filters, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    """[since, until): whole UTC days, today included."""
    today = now.astimezone(UTC).date()
    first = today - dt.timedelta(days=filters.days - 1)
    since = dt.datetime.combine(first, dt.time(0, 0), UTC)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), UTC)
    return since, until, [first + dt.timedelta(days=i) for i in range(filters.days)]


def build(db_session, business_id, filters: Filters, now: dt.datetime, *, recent_limit: int = RECENT_LIMIT
          ) -> Report:
    """The page for one business (business_id None: every business, for a super admin)."""
    since, until, days = window(filters, now)
    dialect = db_session.get_bind().dialect.name
    where = _where(dialect, business_id, filters, since, until)
    D = ComplianceDecision

    has_rules = _has_rules(dialect)
    day = _day(dialect)
    series = {key: [0] * len(days) for key, _ in SERIES}
    totals: Counter = Counter()
    index = {d.isoformat(): i for i, d in enumerate(days)}
    rows = db_session.execute(select(day.label("day"), D.outcome, has_rules.label("has_rules"), func.count())
                              .where(*where).group_by(day, D.outcome, has_rules)).all()
    for day_value, outcome, named, count in rows:
        key = bucket(outcome, bool(named))
        totals[key] += count
        position = index.get(str(day_value)[:10])
        if key in series and position is not None:
            series[key][position] += count

    return Report(filters=filters, since=since, until=until, days=days, series=series, totals=totals,
                  rules=_rule_rows(db_session, dialect, where),
                  recent=_recent(db_session, where, business_id is None, recent_limit))


# -- SQL pieces --------------------------------------------------------------------------------------------------
def _where(dialect: str, business_id, filters: Filters, since: dt.datetime, until: dt.datetime) -> list:
    D = ComplianceDecision
    where = [D.evaluated_at >= since, D.evaluated_at < until]
    if business_id is not None:
        where.append(D.business_id == (business_id if isinstance(business_id, uuid.UUID)
                                       else uuid.UUID(str(business_id))))
    if filters.channel:
        where.append(D.channel == filters.channel)
    if filters.outcome in (BLOCK, DEFER, REQUIRE_CONTENT):
        where.append(D.outcome == filters.outcome)
    elif filters.outcome == WARN:
        where.extend([D.outcome == ALLOW, _has_rules(dialect) == 1])
    elif filters.outcome == ALLOW:
        where.extend([D.outcome == ALLOW, _has_rules(dialect) == 0])
    if filters.rule:
        where.append(_names_rule(dialect, filters.rule))
    return where


def _has_rules(dialect: str):
    D = ComplianceDecision
    length = func.jsonb_array_length(D.rules) if dialect == "postgresql" else func.json_array_length(D.rules)
    return case((func.coalesce(length, 0) > 0, 1), else_=0)


def _day(dialect: str):
    D = ComplianceDecision
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", D.evaluated_at), "YYYY-MM-DD")
    return func.substr(D.evaluated_at, 1, 10)  # stored as "YYYY-MM-DD HH:MM:SS" in UTC


def _names_rule(dialect: str, rule: str):
    D = ComplianceDecision
    if dialect == "postgresql":
        return type_coerce(D.rules, JSONB).contains([rule])
    each = func.json_each(D.rules).table_valued("value")
    return select(1).select_from(each).where(each.c.value == rule).exists()


def _rule_rows(db_session, dialect: str, where: list) -> list[RuleRow]:
    """(rule, its own severity) -> decisions, from the stored issues."""
    D = ComplianceDecision
    if dialect == "postgresql":
        issue = func.jsonb_array_elements(D.record["issues"]).table_valued("value").lateral("issue")
        rule_id, severity = issue.c.value.op("->>")("rule"), issue.c.value.op("->>")("severity")
    else:
        issue = func.json_each(D.record, "$.issues").table_valued("value").alias("issue")
        rule_id = func.json_extract(issue.c.value, "$.rule")
        severity = func.json_extract(issue.c.value, "$.severity")
    stmt = (select(rule_id.label("rule"), severity.label("severity"), func.count(distinct(D.id)))
            .select_from(D).join(issue, true()).where(*where,
                                                      severity.in_((BLOCK, DEFER, REQUIRE_CONTENT, WARN)))
            .group_by(rule_id, severity))
    found: dict[str, RuleRow] = {}
    for rule, severity, count in db_session.execute(stmt):
        if rule:
            found.setdefault(rule, RuleRow(rule)).counts[severity] += count
    return sorted(found.values(), key=lambda r: (-r.counts[BLOCK], -r.total, r.rule))


def _recent(db_session, where: list, with_business: bool, limit: int) -> list[RecentDecision]:
    D = ComplianceDecision
    stmt = (select(D.id, D.evaluated_at, D.account_id, Account.account_number, Account.first_name, Account.last_name,
                   Business.name, D.channel, D.kind, D.purpose, D.outcome, D.rules, D.message_id,
                   Message.conversation_id)
            .outerjoin(Account, and_(Account.id == D.account_id, Account.business_id == D.business_id))
            .outerjoin(Business, Business.id == D.business_id)
            .outerjoin(Message, and_(Message.id == D.message_id, Message.business_id == D.business_id))
            .where(*where).order_by(D.evaluated_at.desc(), D.id).limit(limit))
    return [RecentDecision(id=r[0], evaluated_at=r[1], account_id=r[2], account_number=r[3],
                           account_name=" ".join(x for x in (r[4], r[5]) if x) or None,
                           business_name=r[6] if with_business else None, channel=r[7], kind=r[8], purpose=r[9],
                           outcome=r[10], rules=list(r[11] or []), message_id=r[12], conversation_id=r[13])
            for r in db_session.execute(stmt)]


__all__ = ["CHANNELS", "OUTCOMES", "RANGES", "SERIES", "Filters", "Report", "bucket", "build", "rule_choices"]
