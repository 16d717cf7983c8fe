"""Can a support engineer read, from the command line, what the gate decides for an account and why, and what it
has decided for a business?"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import ComplianceDecision
from app.services.compliance import store
from tests.unit.test_compliance_loader import _ana, _attempt, _business, _consent

UTC = dt.timezone.utc


def _three_zones():
    """Debtors in New York, Los Angeles and Honolulu; at 15:00 UTC it is 10:00, 07:00 and 05:00 there."""
    business = _business()
    ny = _ana(business, first_name="Nia")
    ca = _ana(business, first_name="Cal", phone="+12135550143", state="CA", zip="90012", city="Los Angeles")
    hi = _ana(business, first_name="Hoku", phone="+18085550143", state="HI", zip="96813", city="Honolulu")
    for account in (ny, ca, hi):
        _consent(account, address=account.phone)
    return business, ny, ca, hi


def _explain(runner, account, *args):
    result = runner.invoke(args=["compliance", "explain", str(account.id), "--channel", "sms", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _line(lines, start):
    found = [line for line in lines if line.strip().startswith(start)]
    assert found, f"no line starting {start!r} in:\n" + "\n".join(lines)
    return found[0].strip()


def test_explain_in_new_york_los_angeles_and_honolulu(runner):
    business, ny, ca, hi = _three_zones()

    lines = _explain(runner, ny)
    assert _line(lines, "Account").startswith(f"Account {ny.account_number} (Nia Ruiz, NY 10001) of Acme Recovery")
    assert _line(lines, "Attempt:") == ("Attempt: sms to +12125550143, kind campaign, purpose collection, at "
                                        "2026-11-25T15:00:00Z")
    assert _line(lines, "Decision:") == "Decision: ALLOW"
    assert _line(lines, "Next allowed time:") == "Next allowed time: now (2026-11-25T15:00:00Z)"
    assert " ".join(_line(lines, "America/New_York").split()) == (
        "America/New_York Wed 2026-11-25 10:00 EST from area_code:212, zip:10001")
    assert _line(lines, "| This communication is from a debt collector.")
    assert _line(lines, "| Reply STOP to opt out.")

    lines = _explain(runner, ca)
    assert _line(lines, "Decision:") == "Decision: DEFER until 2026-11-25T16:00:00Z"
    assert _line(lines, "Next allowed time:") == (
        "Next allowed time: 2026-11-25T16:00:00Z (America/Los_Angeles Wed 2026-11-25 08:00 PST)")
    assert " ".join(_line(lines, "TIME-1").split()) == (
        "TIME-1 defer America/Los_Angeles 07:00 < 08:00 until 2026-11-25T16:00:00Z")
    assert " ".join(_line(lines, "America/Los_Angeles").split()) == (
        "America/Los_Angeles Wed 2026-11-25 07:00 PST from area_code:213, zip:90012")

    lines = _explain(runner, hi)
    assert _line(lines, "Decision:") == "Decision: DEFER until 2026-11-25T18:00:00Z"
    assert _line(lines, "Next allowed time:") == (
        "Next allowed time: 2026-11-25T18:00:00Z (Pacific/Honolulu Wed 2026-11-25 08:00 HST)")
    assert " ".join(_line(lines, "Pacific/Honolulu").split()) == (
        "Pacific/Honolulu Wed 2026-11-25 05:00 HST from area_code:808, zip:96813")
    no_issue = _line(lines, "No issue")
    assert no_issue.startswith("No issue (") and "ACCT-1" in "\n".join(lines)

    assert db.session.scalar(select(func.count()).select_from(ComplianceDecision)) == 0, "explain stores nothing"


def test_explain_with_a_given_body_time_kind_and_purpose(runner):
    _, ny, _, _ = _three_zones()
    lines = _explain(runner, ny, "--body", "Pay now", "--at", "2026-11-25T20:00:00Z", "--kind", "agent")
    assert _line(lines, "Body:") == "Body:"
    assert _line(lines, "| Pay now") == "| Pay now"
    assert _line(lines, "Decision:").startswith("Decision: REQUIRE_CONTENT (")
    assert "debt_collector_disclosure" in _line(lines, "Decision:")
    assert _line(lines, "Next allowed time:") == (
        "Next allowed time: now (2026-11-25T20:00:00Z), once the required content is added")
    assert " ".join(_line(lines, "OPT-6").split()).startswith("OPT-6 require_content no opt-out instructions")
    blocked = _explain(runner, ny, "--channel", "whatsapp")
    assert _line(blocked, "Decision:") == "Decision: BLOCK by CONSENT-2"
    assert _line(blocked, "Next allowed time:") == "Next allowed time: none: blocked until the blocking facts change"


def test_explain_refuses_unknown_accounts_and_bad_times(runner):
    _, ny, _, _ = _three_zones()
    result = runner.invoke(args=["compliance", "explain", "00000000-0000-4000-8000-00000000dead"])
    assert result.exit_code == 1 and "not found" in result.output
    result = runner.invoke(args=["compliance", "explain", str(ny.id), "--at", "yesterday"])
    assert result.exit_code == 1 and "not an ISO time" in result.output


def test_decisions_counts_by_outcome_and_rule(runner):
    business, ny, ca, hi = _three_zones()
    for account in (ny, ca, hi):
        store.evaluate(db.session, _attempt(account, to_address=account.phone))
    store.evaluate(db.session, _attempt(ny, channel="whatsapp"))
    db.session.commit()
    result = runner.invoke(args=["compliance", "decisions", "--business", str(business.id),
                                 "--since", "2026-11-25T00:00:00Z"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Acme Recovery ({business.id}): 4 decisions from 2026-11-25T00:00:00Z"
    assert " ".join(_line(lines, "allow").split()) == "allow 1"
    assert " ".join(_line(lines, "defer").split()) == "defer 2"
    assert " ".join(_line(lines, "block").split()) == "block 1"
    assert " ".join(_line(lines, "TIME-1").split()) == "TIME-1 defer 2"
    assert " ".join(_line(lines, "CONSENT-2").split()) == "CONSENT-2 block 1"
    only = runner.invoke(args=["compliance", "decisions", "--business", str(business.id), "--since",
                               "2026-11-25T00:00:00Z", "--rule", "TIME-1"])
    assert only.output.splitlines()[0].endswith("2 decisions from 2026-11-25T00:00:00Z, naming TIME-1")
    later = runner.invoke(args=["compliance", "decisions", "--business", str(business.id), "--since",
                                "2026-11-26T00:00:00Z"])
    assert later.output.strip().endswith("0 decisions from 2026-11-26T00:00:00Z")
