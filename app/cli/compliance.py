"""flask compliance explain / decisions: what the gate would decide for an account and why, and what it decided.

For support engineers: `explain` loads the account's facts as the pipelines would and prints every rule's verdict,
the candidate zones with the local time in each, and the next allowed time; it stores nothing. `decisions` counts
a business's stored decisions by outcome and by rule."""
from __future__ import annotations

import datetime as dt
import textwrap
import uuid
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Business
from app.services.clock import get_clock
from app.services.compliance import decide
from app.services.compliance.decision import ALLOW, BLOCK, DEFER, REQUIRE_CONTENT
from app.services.compliance.facts import CHANNELS, KINDS, PURPOSES, Attempt, Facts
from app.services.compliance.loader import DbLoader
from app.services.compliance.registry import RULES
from app.services.compliance.store import counts
from app.services.timezones import US_FALLBACK_ZONES

compliance_cli = AppGroup("compliance", help="Explain gate decisions; count stored ones.")

UTC = dt.timezone.utc
SUBJECT = "An update on your account"
ROUNDS = 3  # the pipeline's "append the required snippets and resubmit", as often as it can help


@compliance_cli.command("explain")
@click.argument("account_id")
@click.option("--channel", type=click.Choice(CHANNELS), default="sms", show_default=True)
@click.option("--at", "at_text", default=None, help="ISO time to decide at (default: now).")
@click.option("--body", default=None, help="Message text (default: a compliant text from the approved snippets).")
@click.option("--subject", default=None, help="Email subject.")
@click.option("--kind", type=click.Choice(KINDS), default="campaign", show_default=True)
@click.option("--purpose", type=click.Choice(PURPOSES), default="collection", show_default=True)
@click.option("--to", "to_address", default=None, help="Destination (default: the account's phone or email).")
def explain(account_id, channel, at_text, body, subject, kind, purpose, to_address):
    """Print the decision for a message to ACCOUNT_ID, every rule's verdict, the zones and the next allowed time."""
    try:
        key = uuid.UUID(account_id)
    except ValueError:
        raise click.ClickException(f"{account_id!r} is not an account id") from None
    row = db.session.execute(select(Account, Business).join(Business, Business.id == Account.business_id).where(
        Account.id == key, Account.deleted_at.is_(None))).first()
    if row is None:
        raise click.ClickException(f"account {account_id} not found")
    account, business = row
    now = _parse_time(at_text) if at_text else get_clock().now()
    to = to_address or (account.email if channel == "email" else account.phone)
    loader = DbLoader(db.session)
    attempt = Attempt(business_id=business.id, account_id=account.id, channel=channel, to_address=to,
                      body=body or "", now=now, kind=kind, purpose=purpose,
                      subject=subject or (SUBJECT if channel == "email" else None))
    facts = loader.load(attempt)
    default_body = body is None
    if default_body:
        attempt, decision = _default_body(attempt, facts)
    else:
        decision = decide(attempt, facts)
    db.session.rollback()  # explain reads only

    echo = click.echo
    echo(f"Account {account.account_number} ({account.first_name} {account.last_name}, "
         f"{account.state or '?'} {account.zip or ''}".rstrip() + f") of {business.name}")
    echo(f"Attempt: {channel} to {to or '(no address)'}, kind {kind}, purpose {purpose}, at {_iso(now)}")
    if attempt.subject:
        echo(f"Subject: {attempt.subject}")
    echo("Body (default, built from the approved snippets):" if default_body else "Body:")
    for line in attempt.body.splitlines() or [""]:
        echo(f"  | {line}")
    echo("")
    echo(f"Decision: {_headline(decision)}")
    echo(f"Next allowed time: {_next_allowed(decision, now)}")
    echo("")
    echo("Rules with a verdict:")
    if not decision.issues:
        echo("  (none)")
    for issue in decision.issues:
        extra = f"  until {_iso(issue.until)}" if issue.until else ""
        items = f"  items: {', '.join(issue.items)}" if issue.items else ""
        echo(f"  {issue.rule:<14} {issue.severity:<16} {issue.detail}{extra}{items}")
    quiet = sorted({r.id for r in RULES} - {i.rule for i in decision.issues}, key=_rule_order)
    wrapped = textwrap.wrap(", ".join(quiet), width=100, initial_indent="  ", subsequent_indent="  ")
    echo(f"No issue ({len(quiet)} rules):")
    for line in wrapped:
        echo(line)
    echo("")
    _print_zones(decision, now)


@compliance_cli.command("decisions")
@click.option("--business", "business_id", required=True, help="Business id (UUID).")
@click.option("--since", "since_text", required=True, help="ISO time: count decisions from here.")
@click.option("--until", "until_text", default=None, help="ISO time: up to here (default: now).")
@click.option("--rule", default=None, help="Only decisions naming this rule id (e.g. TIME-1).")
def decisions(business_id, since_text, until_text, rule):
    """Count a business's stored decisions by outcome and by rule."""
    try:
        key = uuid.UUID(business_id)
    except ValueError:
        raise click.ClickException(f"{business_id!r} is not a business id") from None
    business = db.session.get(Business, key)
    if business is None:
        raise click.ClickException(f"business {business_id} not found")
    since = _parse_time(since_text)
    until = _parse_time(until_text) if until_text else None
    found = counts(db.session, key, since, until, rule=rule)
    span = f"from {_iso(since)}" + (f" to {_iso(until)}" if until else "") + (f", naming {rule}" if rule else "")
    click.echo(f"{business.name} ({business.id}): {found.total} decisions {span}")
    if not found.total:
        return
    click.echo("By outcome:")
    for outcome in (ALLOW, DEFER, REQUIRE_CONTENT, BLOCK):
        if found.by_outcome.get(outcome):
            click.echo(f"  {outcome:<16} {found.by_outcome[outcome]:>8}")
    click.echo("By rule (rule, outcome of the decision, count):")
    if not found.by_rule:
        click.echo("  (no rule stopped or warned)")
    for (rule_id, outcome), n in sorted(found.by_rule.items(), key=lambda kv: (-kv[1], _rule_order(kv[0][0]),
                                                                               kv[0][1])):
        click.echo(f"  {rule_id:<14} {outcome:<16} {n:>8}")


# -- helpers ------------------------------------------------------------------------------------------------------
def _default_body(attempt: Attempt, facts: Facts):
    """A plain sentence, then the approved snippets the gate asks for, as the pipeline would append them."""
    from dataclasses import replace

    name = facts.debtor.first_name or "there"
    sender = facts.policy.business_name or "us"
    attempt = replace(attempt, body=f"Hi {name}, this is {sender} with an update about your account.")
    decision = decide(attempt, facts)
    try:
        from app.services.compliance.snippets import footer
    except ImportError:
        return attempt, decision
    for _ in range(ROUNDS):
        items = tuple(dict.fromkeys(item for i in decision.issues if i.severity == REQUIRE_CONTENT for item in i.items))
        if not items:
            break
        extra = footer(items, facts, language=facts.debtor.preferred_language, channel=attempt.channel,
                       provided_on=attempt.now.date())
        if not extra or extra in attempt.body:
            break
        attempt = replace(attempt, body=f"{attempt.body}\n{extra}")
        decision = decide(attempt, facts)
    return attempt, decision


def _headline(decision) -> str:
    if decision.outcome == DEFER:
        return f"DEFER until {_iso(decision.until)}"
    if decision.outcome == REQUIRE_CONTENT:
        return f"REQUIRE_CONTENT ({', '.join(decision.items)})"
    if decision.outcome == BLOCK:
        return f"BLOCK by {', '.join(decision.rules)}"
    return "ALLOW"


def _next_allowed(decision, now: dt.datetime) -> str:
    if decision.outcome == ALLOW:
        return f"now ({_iso(now)})"
    if decision.outcome == REQUIRE_CONTENT:
        return f"now ({_iso(now)}), once the required content is added"
    if decision.outcome == DEFER:
        local = ", ".join(f"{zone} {_local(decision.until, zone)}" for zone in _zones(decision))
        return f"{_iso(decision.until)} ({local})"
    if decision.issue("DEFER_HORIZON"):
        return "none within 14 days"
    return "none: blocked until the blocking facts change"


def _print_zones(decision, now: dt.datetime) -> None:
    sources: dict[str, list[str]] = {}
    for label, zones in decision.zone_sources.items():
        for zone in zones.split(","):
            sources.setdefault(zone, []).append(label)
    click.echo("Candidate zones (local time now, where each comes from):")
    for zone in _zones(decision):
        origin = ", ".join(sorted(sources.get(zone, []))) or (
            "nothing on file: every US zone" if zone in US_FALLBACK_ZONES else "")
        click.echo(f"  {zone:<22} {_local(now, zone)}   from {origin}")


def _zones(decision) -> tuple[str, ...]:
    return decision.candidate_zones or tuple(sorted(US_FALLBACK_ZONES))


def _local(at: dt.datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _rule_order(rule_id: str):
    """Decision order (stage), then family and number: CONTENT-2 before CONTENT-10."""
    stage = min((r.stage for r in RULES if r.id == rule_id), default=99)
    family, _, rest = rule_id.rpartition("-")
    return (stage, family, int(rest), "") if rest.isdigit() else (stage, rule_id, 0, rest)


def _parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.ClickException(f"{text!r} is not an ISO time (e.g. 2026-07-15T13:30:00Z)") from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

