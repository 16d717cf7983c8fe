"""Recording compliance facts on an account (who may, what the gate then reads), the "Can we contact now?" check,
and the compliance page's aggregations, against the real database."""
import datetime as dt
import random
import string
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, ComplianceDecision, ConsentEvent, DebtDispute, DoNotContact
from app.services.compliance import account_records as records
from app.services.compliance import reports, store
from app.services.compliance.contact_check import check_now
from app.services.compliance.decision import ALLOW, BLOCK, DEFER
from app.services.compliance.facts import Attempt
from app.services.compliance.loader import DbLoader
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_user

UTC = dt.timezone.utc


def _business():
    """A business whose name has no digits (a digit run in a message is masked by PRIV-4, which would change the
    standard message's verdict)."""
    return gen_business("Agency " + "".join(random.choice(string.ascii_lowercase) for _ in range(10)))


def _principal(business, role="manager", user=None):
    user = user or gen_user(business, role)
    return Principal(business_id=business.id, role=role, user_id=user.id, email=user.email)


def _account(business, **fields):
    account = gen_account(business, original_creditor="Lakeside Medical Group", **fields)
    db.session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel="sms", address=account.phone,
                                granted=True, source="creditor_attested", evidence={"via": "import"},
                                occurred_at=NOW - dt.timedelta(days=30)))
    db.session.commit()
    return account


def _facts(account, channel="sms"):
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel=channel,
                      to_address=account.email if channel == "email" else account.phone, body="Hi", now=NOW)
    return DbLoader(db.session).load(attempt)


def _sms(principal, account, now=NOW):
    return next(c for c in check_now(db.session, principal, account, now) if c.channel == "sms")


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


# -- who may ---------------------------------------------------------------------------------------------------
def test_another_business_account_is_not_found_and_debtors_may_not_record():
    business = _business()
    account = _account(business)
    stranger = _principal(_business(), "business_admin")
    with pytest.raises(NotFound):
        records.record_opt_out(db.session, stranger, account, received_via="voice", received_at=NOW, now=NOW)
    with pytest.raises(NotFound):
        records.load_file(db.session, stranger, account)
    with pytest.raises(NotFound):
        check_now(db.session, stranger, account, NOW)
    debtor = Principal(business_id=business.id, role="debtor", user_id=None)
    with pytest.raises(Forbidden):
        records.record_cease(db.session, debtor, account, received_at=NOW, cease_type="cease", only_this_debt=False,
                             channel=None, now=NOW)
    with pytest.raises(Forbidden):
        records.load_file(db.session, debtor, account)


def test_an_agent_records_protections_in_the_queue_only_and_clears_nothing():
    business = _business()
    agent = gen_user(business, "agent")
    principal = _principal(business, "agent", agent)
    mine = _account(business, assigned_agent_id=agent.id)
    queued = _account(business)
    theirs = _account(business, assigned_agent_id=gen_user(business, "agent").id)
    records.record_opt_out(db.session, principal, mine, received_via="voice", received_at=NOW, now=NOW)
    records.record_attorney_mention(db.session, principal, queued, mentioned_at=NOW, note=None, now=NOW)
    records.record_dispute(db.session, principal, mine, kind="dispute", received_at=NOW, written=True, channel=None,
                           portion=None, note=None, now=NOW)
    records.record_cease(db.session, principal, mine, received_at=NOW, cease_type="cease", only_this_debt=False,
                         channel="mail", now=NOW)
    with pytest.raises(Forbidden):
        records.record_opt_out(db.session, principal, theirs, received_via="voice", received_at=NOW, now=NOW)
    with pytest.raises(Forbidden):
        records.withdraw_cease(db.session, principal, mine, reason="mistake", now=NOW)
    with pytest.raises(Forbidden):
        records.add_do_not_contact(db.session, principal, mine, kind="account", now=NOW)
    with pytest.raises(Forbidden):
        records.grant_consent(db.session, principal, mine, channel="sms", address=mine.phone, granted_at=NOW,
                              source="creditor_attested", evidence=None, now=NOW)
    assert records.can_record(principal, "dispute") and not records.can_record(principal, "dnc")
    assert not records.can_edit(principal)


# -- opt-outs and consent -----------------------------------------------------------------------------------------
def test_a_staff_opt_out_covers_every_channel_from_receipt_and_flags_a_late_record():
    business = _business()
    account = _account(business)
    manager = _principal(business)
    assert _sms(manager, account).outcome == ALLOW
    event = records.record_opt_out(db.session, manager, account, received_via="mail",
                                   received_at=NOW - dt.timedelta(hours=30), note="Letter: no more texts", now=NOW)
    db.session.commit()
    assert records.recorded_late(event) and event.scope == "all" and event.actor_user_id == manager.user_id
    assert _audit("opt_out_recorded")[0].meta["late"] is True
    check = _sms(manager, account)
    assert check.outcome == BLOCK and "OPT-3" in check.blocking_rules
    assert next(c for c in check_now(db.session, manager, account, NOW) if c.channel == "email").outcome == BLOCK
    with pytest.raises(ValidationError) as error:
        records.record_opt_out(db.session, manager, account, received_via="fax", received_at=NOW, now=NOW)
    assert error.value.field == "received_via"
    with pytest.raises(ValidationError) as error:
        records.record_opt_out(db.session, manager, account, received_via="voice",
                               received_at=NOW + dt.timedelta(hours=1), now=NOW)
    assert error.value.field == "received_at"


def test_consent_needs_the_evidence_of_its_source_and_keeps_the_grid_summary():
    business = _business()
    account = _account(business)
    manager = _principal(business)
    with pytest.raises(ValidationError) as error:
        records.grant_consent(db.session, manager, account, channel="whatsapp", address=account.phone,
                              granted_at=NOW, source="oral", evidence="", now=NOW)
    assert error.value.field == "evidence"
    with pytest.raises(ValidationError) as error:
        records.grant_consent(db.session, manager, account, channel="sms", address="+13055550199", granted_at=NOW,
                              source="written", evidence="doc-1", now=NOW)
    assert error.value.field == "address"
    records.grant_consent(db.session, manager, account, channel="whatsapp", address=account.phone,
                          granted_at=NOW - dt.timedelta(days=1), source="oral", evidence="rec-7", now=NOW)
    db.session.commit()
    phone = _facts(account, "whatsapp").debtor.phones[0]
    assert phone.whatsapp_consent.method == "oral" and phone.whatsapp_consent.evidence == "rec-7"
    assert account.whatsapp_consent and account.whatsapp_consent_date == NOW - dt.timedelta(days=1)
    records.revoke_consent(db.session, manager, account, channel="sms", address=account.phone, revoked_at=NOW,
                           source="oral", note="Called in", now=NOW)
    db.session.commit()
    assert not account.sms_consent
    assert _facts(account).debtor.phones[0].sms_consent.revoked_at == NOW
    assert _sms(manager, account).outcome == BLOCK
    file = records.load_file(db.session, manager, account)
    assert [(c.channel, c.granted) for c in file.consents] == [("sms", False), ("whatsapp", True)]
    assert len(_audit("consent_granted")) == 1 and len(_audit("consent_revoked")) == 1


# -- do-not-contact, cease, attorney --------------------------------------------------------------------------------
def test_do_not_contact_entries_and_the_account_flag():
    business = _business()
    account = _account(business)
    manager = _principal(business)
    entry = records.add_do_not_contact(db.session, manager, account, kind="phone", value=account.phone,
                                       reason="Asked", now=NOW)
    db.session.commit()
    assert account.phone in _facts(account).debtor.dnc_addresses
    with pytest.raises(ValidationError):
        records.add_do_not_contact(db.session, manager, account, kind="phone", value=account.phone, now=NOW)
    records.remove_do_not_contact(db.session, manager, account, entry_id=str(entry.id), reason="Wrong file", now=NOW)
    account.do_not_contact = True  # set by the account form or the API, with no list entry
    db.session.commit()
    assert records.load_file(db.session, manager, account).account_flag_only
    with pytest.raises(ValidationError) as error:
        records.remove_do_not_contact(db.session, manager, account, entry_id=records.ACCOUNT_FLAG, reason=" ",
                                      now=NOW)
    assert error.value.field == "reason"
    records.remove_do_not_contact(db.session, manager, account, entry_id=records.ACCOUNT_FLAG, reason="Cleared",
                                  now=NOW)
    db.session.commit()
    assert not account.do_not_contact and not _facts(account).debtor.dnc
    assert db.session.scalar(select(func.count()).select_from(DoNotContact).where(
        DoNotContact.removed_at.is_(None))) == 0
    assert [r.meta["kind"] for r in _audit("do_not_contact_removed")] == ["phone", "account"]


def test_a_cease_names_one_debt_or_all_and_a_candidate_is_confirmed_or_cleared():
    business = _business()
    manager = _principal(business)
    account = _account(business)
    records.record_cease(db.session, manager, account, received_at=NOW - dt.timedelta(days=1),
                         cease_type="refuse_to_pay", only_this_debt=True, channel="mail", now=NOW)
    db.session.commit()
    cease = _facts(account).debtor.ceases[0]
    assert cease.type == "refuse_to_pay" and cease.account_id == account.id and cease.channel == "mail"
    with pytest.raises(ValidationError):
        records.record_cease(db.session, manager, account, received_at=NOW, cease_type="cease",
                             only_this_debt=False, channel=None, now=NOW)
    records.withdraw_cease(db.session, manager, account, reason="Withdrawn in writing", now=NOW)
    db.session.commit()
    assert not _facts(account).debtor.ceases and _sms(manager, account).outcome == ALLOW

    candidate = _account(business, cease_candidate_at=NOW - dt.timedelta(hours=3))
    with pytest.raises(ValidationError) as error:
        records.review_cease_candidate(db.session, manager, candidate, confirm=False, now=NOW)
    assert error.value.field == "reason"
    records.review_cease_candidate(db.session, manager, candidate, confirm=True, cease_type="cease", now=NOW)
    db.session.commit()
    assert candidate.cease_candidate_at is None and candidate.cease_received_at == NOW - dt.timedelta(hours=3)
    assert candidate.cease_all_debts and _audit("cease_candidate_confirmed")


def test_the_attorney_is_sealed_read_by_the_gate_and_a_mention_waits_for_review():
    business = _business()
    manager = _principal(business)
    account = _account(business)
    records.record_attorney_mention(db.session, manager, account, mentioned_at=NOW - dt.timedelta(hours=1),
                                    note="Talk to my lawyer", now=NOW)
    db.session.commit()
    assert _sms(manager, account).blocking_rules == ("ATTY-3",)
    with pytest.raises(ValidationError):
        records.review_attorney_pending(db.session, manager, account, confirm=True, reason=None, now=NOW)
    with pytest.raises(ValidationError) as error:
        records.save_attorney(db.session, manager, account, name="Ada Counsel", address=None, email="not-an-email",
                              phone=None, known_at=None, consented_direct_at=None, now=NOW)
    assert error.value.field == "email"
    records.save_attorney(db.session, manager, account, name="Ada Counsel", address="9 Court St, Boston MA",
                          email="Ada@Counsel.example", phone="617-555-0100", known_at=NOW - dt.timedelta(days=2),
                          consented_direct_at=None, now=NOW)
    records.review_attorney_pending(db.session, manager, account, confirm=True, reason=None, now=NOW)
    db.session.commit()
    assert "Ada" not in account.attorney_encrypted
    attorney = _facts(account).debtor.attorney
    assert attorney.name == "Ada Counsel" and attorney.email == "ada@counsel.example"
    assert _facts(account).debtor.attorney_pending_at is None
    assert _sms(manager, account).blocking_rules == ("ATTY-1",)
    records.save_attorney(db.session, manager, account, name="Ada Counsel", address="9 Court St, Boston MA",
                          email=None, phone=None, known_at=None, consented_direct_at=NOW - dt.timedelta(hours=1),
                          now=NOW)
    db.session.commit()
    assert "ATTY-1" not in _sms(manager, account).blocking_rules
    row = _audit("attorney_saved")[0]
    assert row.changes and "Ada" not in str(row.changes) and row.meta.get("knownAt")


# -- disputes, times, account facts --------------------------------------------------------------------------------
def test_a_dispute_inside_the_validation_period_holds_collection_until_answered():
    business = _business()
    manager = _principal(business)
    account = _account(business, validation_period_end=dt.date(2026, 12, 10), initial_communication_at=NOW -
                       dt.timedelta(days=10), validation_notice_sent_at=NOW - dt.timedelta(days=10))
    with pytest.raises(ValidationError) as error:
        records.record_dispute(db.session, manager, account, kind="dispute", received_at=NOW, written=True,
                               channel="mail", portion=Decimal("0"), note=None, now=NOW)
    assert error.value.field == "portion"
    row = records.record_dispute(db.session, manager, account, kind="dispute", received_at=NOW - dt.timedelta(days=1),
                                 written=True, channel="mail", portion=Decimal("125.00"), note="Wrong amount",
                                 now=NOW)
    db.session.commit()
    assert row.within_vp and account.dispute_status == "open"
    assert _facts(account).debtor.disputes[0].portion == Decimal("125.00")
    assert "DISPUTE-1" in _sms(manager, account).blocking_rules
    with pytest.raises(ValidationError):
        records.answer_dispute(db.session, manager, account, dispute_id=str(row.id),
                               answered_at=NOW - dt.timedelta(days=5), now=NOW)
    records.answer_dispute(db.session, manager, account, dispute_id=str(row.id), answered_at=NOW, now=NOW)
    db.session.commit()
    assert account.dispute_status == "verified" and "DISPUTE-1" not in _sms(manager, account).blocking_rules
    with pytest.raises(NotFound):
        records.answer_dispute(db.session, manager, account, dispute_id="nope", answered_at=NOW, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(DebtDispute)) == 1


def test_working_hours_and_inconvenient_times_are_local_blackouts_the_gate_reads():
    business = _business()
    manager = _principal(business)
    account = _account(business)
    with pytest.raises(ValidationError) as error:
        records.add_inconvenient_time(db.session, manager, account, start=dt.time(9), end=dt.time(12), weekdays=[],
                                      now=NOW)
    assert error.value.field == "weekdays"
    records.add_inconvenient_time(db.session, manager, account, start=dt.time(9), end=dt.time(12), weekdays=[2],
                                  now=NOW)
    db.session.commit()
    check = _sms(manager, account)  # Wednesday 10:00 in New York
    assert check.outcome == DEFER and check.decision.until == dt.datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    index = records.inconvenient_times(account)[0][0]
    records.remove_inconvenient_time(db.session, manager, account, index=index, now=NOW)
    db.session.commit()
    assert not records.inconvenient_times(account) and account.inconvenient_times[0]["revokedAt"]
    assert _sms(manager, account).outcome == ALLOW
    records.save_workplace(db.session, manager, account, objected_at=NOW - dt.timedelta(days=1),
                           start=dt.time(8), end=dt.time(16), weekdays=[0, 1, 2, 3, 4], now=NOW)
    db.session.commit()
    debtor = _facts(account).debtor
    assert debtor.workplace_objection_at == NOW - dt.timedelta(days=1)
    assert debtor.work_hours[0].start == dt.time(8) and debtor.work_hours[0].weekdays == frozenset(range(5))
    assert _sms(manager, account).outcome == DEFER
    records.clear_workplace(db.session, manager, account, reason="Retired", now=NOW)
    db.session.commit()
    assert _facts(account).debtor.workplace_objection_at is None


def test_account_level_facts_change_only_what_is_given_and_audit_changes_once():
    business = _business()
    manager = _principal(business)
    account = _account(business)
    with pytest.raises(ValidationError):
        records.save_account_stops(db.session, manager, account, bankruptcy=False, deceased=False,
                                   representative_address="exec@example.com", now=NOW)
    changed = records.save_account_stops(db.session, manager, account, bankruptcy=True, deceased=False,
                                         representative_address=None, now=NOW)
    assert changed == {"bankruptcy": [False, True]}
    assert records.save_account_stops(db.session, manager, account, bankruptcy=True, deceased=False,
                                      representative_address=None, now=NOW) == {}
    assert len(_audit("account_stops_updated")) == 1
    with pytest.raises(ValidationError) as error:
        records.save_privacy(db.session, manager, account, ccpa="executed", ccpa_at=None, ccpa_denied_reason=None,
                             gdpr_scope=False, marketing_objection=False, now=NOW)
    assert error.value.field == "ccpa_at"
    records.save_privacy(db.session, manager, account, ccpa="executed", ccpa_at=NOW - dt.timedelta(days=1),
                         ccpa_denied_reason=None, gdpr_scope=True, marketing_objection=True, now=NOW)
    with pytest.raises(ValidationError) as error:
        records.save_email_facts(db.session, manager, account, provenance="other", is_work=False,
                                 employer_domain="not a domain", now=NOW)
    assert error.value.field == "employer_domain"
    records.save_email_facts(db.session, manager, account, provenance="consumer_emailed", is_work=True,
                             employer_domain="@Employer.example", now=NOW)
    records.save_consent_dates(db.session, manager, account, nyc_consent_at=NOW, esign_consent_at=None, now=NOW)
    with pytest.raises(ValidationError):
        records.save_collection_flags(db.session, manager, account, time_barred="true", legal_action_approved=True,
                                      now=NOW)
    db.session.commit()
    debtor = _facts(account, "email").debtor
    assert debtor.bankruptcy and debtor.privacy.ccpa_delete_done and debtor.privacy.marketing_objection
    assert debtor.emails[0].provenance == "consumer_emailed" and debtor.emails[0].employer_operated
    assert debtor.nyc_consent_at == NOW and account.employer_domain == "employer.example"
    assert _sms(manager, account).outcome == BLOCK


# -- the contact check stores nothing -------------------------------------------------------------------------------
def test_the_contact_check_stores_no_decision_and_reports_no_address():
    business = _business()
    manager = _principal(business)
    account = _account(business, email=None)
    checks = check_now(db.session, manager, account, NOW)
    assert [c.channel for c in checks] == ["sms", "email", "whatsapp"]
    email = checks[1]
    assert email.outcome == "no_address" and email.decision is None
    sms = checks[0]
    assert sms.outcome == ALLOW and "the opt-out notice" in sms.added_labels
    assert sms.zones[0].zone == "America/New_York" and sms.zones[0].local.hour == 10
    assert db.session.scalar(select(func.count()).select_from(ComplianceDecision)) == 0
    night = _sms(manager, account, dt.datetime(2026, 11, 26, 2, 30, tzinfo=UTC))
    assert night.outcome == DEFER and night.next_allowed[0].local.hour == 8


# -- reports --------------------------------------------------------------------------------------------------------
def _decide(business, account, when, channel="sms", body="Hello"):
    store.evaluate(db.session, Attempt(business_id=business.id, account_id=account.id, channel=channel,
                                       to_address=account.email if channel == "email" else account.phone,
                                       body=body, now=when, kind="agent"),
                   principal=Principal(business_id=business.id, role="manager"))


def test_reports_count_by_day_and_outcome_and_each_rule_by_its_own_verdict():
    business, other = _business(), _business()
    account = _account(business)
    bare = gen_account(business)  # no SMS consent: CONSENT-1 blocks
    _decide(business, account, NOW)  # at 10:00 in New York: needs content (VALID-2, DISC-1, OPT-6)
    _decide(business, account, NOW.replace(hour=3))  # 22:00 the evening before: deferred
    _decide(business, bare, NOW - dt.timedelta(days=2))
    _decide(business, bare, NOW - dt.timedelta(days=40))  # outside every range but 90 days
    _decide(other, _account(other), NOW)
    db.session.commit()
    report = reports.build(db.session, business.id, reports.Filters(days=7), NOW)
    assert report.total == 3 and report.days[-1] == NOW.date() and len(report.days) == 7
    assert report.totals[BLOCK] == 1 and report.totals[DEFER] == 1 and report.totals["require_content"] == 1
    assert report.series[BLOCK][-3] == 1 and report.series[DEFER][-1] == 1
    rows = {r.rule: r for r in report.rules}
    assert rows["CONSENT-1"].counts[BLOCK] == 1 and rows["TIME-1"].counts[DEFER] == 1
    assert rows["CONSENT-4"].counts["warn"] >= 1 and rows["CONSENT-4"].counts[BLOCK] == 0, "its own verdict"
    assert report.rules[0].rule in {r for r, row in rows.items() if row.counts[BLOCK]}, "most blocks first"
    assert [d.evaluated_at for d in report.recent] == sorted((d.evaluated_at for d in report.recent), reverse=True)
    assert report.recent[0].account_number == account.account_number and report.recent[0].business_name is None

    assert reports.build(db.session, business.id, reports.Filters(days=90), NOW).total == 4
    assert reports.build(db.session, business.id, reports.Filters(days=7, outcome=DEFER), NOW).total == 1
    assert reports.build(db.session, business.id, reports.Filters(days=7, rule="CONSENT-1"), NOW).total == 1
    assert reports.build(db.session, business.id, reports.Filters(days=7, channel="email"), NOW).total == 0
    assert reports.build(db.session, None, reports.Filters(days=7), NOW).total == 4, "platform view: every business"


def test_an_allowed_decision_with_warnings_is_counted_as_warned():
    business = _business()
    account = _account(business)
    for rule, outcome in ((["STATE-NYC-1"], ALLOW), ([], ALLOW)):
        db.session.add(ComplianceDecision(business_id=business.id, account_id=account.id, channel="sms", kind="agent",
                                          purpose="collection", outcome=outcome, rules=rule,
                                          record={"issues": [{"rule": r, "severity": "warn"} for r in rule]},
                                          evaluated_at=NOW))
    db.session.commit()
    report = reports.build(db.session, business.id, reports.Filters(), NOW)
    assert report.totals == {"warn": 1, ALLOW: 1} and report.series["warn"][-1] == 1
    assert [(r.rule, dict(r.counts)) for r in report.rules] == [("STATE-NYC-1", {"warn": 1})]
    assert reports.build(db.session, business.id, reports.Filters(outcome="warn"), NOW).total == 1
    assert reports.build(db.session, business.id, reports.Filters(outcome=ALLOW), NOW).total == 1


def test_report_filters_come_from_the_url_leniently():
    f = reports.Filters.from_args({"range": "90", "channel": "sms", "outcome": "block", "rule": "opt-3"})
    assert (f.days, f.channel, f.outcome, f.rule) == (90, "sms", "block", "OPT-3")
    f = reports.Filters.from_args({"range": "12", "channel": "fax", "outcome": "maybe", "rule": "NOPE-1"})
    assert (f.days, f.channel, f.outcome, f.rule) == (30, None, None, None) and not f.narrowed
    assert reports.Filters(days=30, rule="OPT-3").args(channel="sms") == {"rule": "OPT-3", "channel": "sms"}
    assert reports.rule_choices()[0].startswith("ACCT-") and "TIME-1" in reports.rule_choices()
