"""Does the DbLoader read the database into the same Facts a test would build by hand, within the business, the
30-day window and a handful of queries?"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import (ApiKey, ConsentEvent, Conversation, DebtDispute, DoNotContact, Message, OptOutEvent, Payment,
                        PaymentInstallment, PlatformSetting)
from app.services.accounts import attorney as attorney_store
from app.services.compliance import decide
from app.services.compliance.facts import (
    Attempt, Attorney, Blackout, Cease, Consent, Debtor, Dispute, Email, Facts, History, Inbound, Itemization,
    Outbound, Phone, Policy, Validation,
)
from app.services.compliance.loader import DbLoader, blackout_json, in_nyc
from app.services.errors import NotFound
from tests.factories import NOW, gen_account, gen_business, gen_plan, gen_user

UTC = dt.timezone.utc
PHONE = "+12125550143"
EMAIL = "ana.ruiz@example.com"
SMS_BODY = ("Acme Recovery: Hi Ana, a payment on your account is due. This communication is from a debt collector. "
            "Reply STOP to opt out.")
EMAIL_BODY = ("Hi Ana,\n\nA payment on your account with Acme Recovery is due.\n\nThis communication is from a debt "
              "collector.\nTo stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")
SUPPORT = {"support_phone": "+18005550100", "dispute_address": "PO Box 1, New York, NY 10001"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _business(name="Acme Recovery", **compliance):
    business = gen_business(name)
    business.settings = {"compliance": {**SUPPORT, **compliance}}
    db.session.commit()
    return business


def _ana(business, **fields):
    values = dict(first_name="Ana", last_name="Ruiz", phone=PHONE, phone_type="cell", email=EMAIL,
                  email_provenance="consumer_consent", state="NY", zip="10001", city="New York",
                  account_number=f"ACME-{uuid.uuid4().hex[:6]}", original_creditor="First Bank",
                  current_creditor="First Bank", current_balance=Decimal("412.50"), original_balance=Decimal("412.50"),
                  time_barred="false", due_date=dt.date(2026, 4, 30), initial_communication_at=at("2026-05-01T14:00Z"),
                  initial_had_validation=True, validation_notice_sent_at=at("2026-05-01T14:00Z"),
                  validation_method="email", validation_period_end=dt.date(2026, 6, 8))
    values.update(fields)
    return gen_account(business, **values)


def _consent(account, channel="sms", address=PHONE, granted=True, occurred="2026-01-02T15:00Z", source="web",
             **extra):
    row = ConsentEvent(business_id=account.business_id, account_id=account.id, channel=channel, address=address,
                       granted=granted, source=source, occurred_at=at(occurred),
                       ip_address=extra.pop("ip_address", "203.0.113.9" if source == "web" else None), **extra)
    db.session.add(row)
    db.session.commit()
    return row


def _conversation(account, channel="sms", address=PHONE, last_inbound_at=None):
    conv = Conversation(business_id=account.business_id, account_id=account.id, channel=channel,
                        debtor_address=address, last_inbound_at=last_inbound_at)
    db.session.add(conv)
    db.session.commit()
    return conv


def _message(conv, direction="outbound", when=NOW, status="delivered", decision="ALLOW", **fields):
    values = dict(business_id=conv.business_id, conversation_id=conv.id, account_id=conv.account_id,
                  sender_type="agent" if direction == "outbound" else "debtor",
                  kind="campaign" if direction == "outbound" else "inbound", channel=conv.channel,
                  direction=direction, content=fields.pop("content", "Hello"), created_at=when,
                  delivery_status=status if direction == "outbound" else "received",
                  to_address=conv.debtor_address if direction == "outbound" else None,
                  from_address=conv.debtor_address if direction == "inbound" else None,
                  sent_at=when if direction == "outbound" and status in ("sent", "delivered", "read") else None,
                  compliance_checked=direction == "outbound" and decision is not None,
                  compliance_record={"decision": decision, "session": {"is_reply": False}}
                  if direction == "outbound" and decision else None)
    values.update(fields)
    row = Message(**values)
    db.session.add(row)
    db.session.commit()
    return row


def _attempt(account, channel="sms", now=NOW, **changes):
    to = {"sms": PHONE, "whatsapp": PHONE, "email": EMAIL}.get(channel)
    base = Attempt(business_id=account.business_id, account_id=account.id, channel=channel, to_address=to,
                   body=EMAIL_BODY if channel == "email" else SMS_BODY, now=now, kind="campaign",
                   purpose="collection", subject="Your account" if channel == "email" else None)
    return replace(base, **changes)


def _load(attempt, **kwargs):
    return DbLoader(db.session, **kwargs).load(attempt)


# -- the round trip ----------------------------------------------------------------------------------------------
def test_database_rows_give_the_facts_and_decisions_built_in_memory():
    """DB rows -> Facts -> decide equals the decision on Facts written by hand, for several attempts."""
    business = _business()
    account = _ana(business)
    consent = _consent(account)
    conv = _conversation(account, last_inbound_at=at("2026-11-20T16:00Z"))
    inbound = _message(conv, "inbound", at("2026-11-20T16:00Z"), content="Thanks, I will pay Friday")
    sent = _message(conv, "outbound", at("2026-11-23T15:00Z"))
    plan = gen_plan(business, account)
    db.session.add(PaymentInstallment(business_id=business.id, payment_plan_id=plan.id, number=1,
                                      amount=Decimal("100.00"), due_date=dt.date(2026, 12, 1)))
    db.session.commit()

    expected = Facts(
        debtor=Debtor(
            account_id=account.id, first_name="Ana", last_name="Ruiz", state="NY", zip="10001", city="New York",
            account_tz=None, phones=(Phone(e164=PHONE, type="cell",
                                           sms_consent=Consent(at("2026-01-02T15:00Z"), "web", "203.0.113.9"),
                                           last_inbound_text_at=at("2026-11-20T16:00Z")),),
            emails=(Email(address=EMAIL, provenance="consumer_consent"),), account_number=account.account_number,
            original_creditor="First Bank", current_creditor="First Bank", balance=Decimal("412.50"),
            original_balance=Decimal("412.50"), plan_amounts=frozenset({Decimal("600.00"), Decimal("100.00")}),
            itemization=Itemization(date=dt.date(2026, 4, 30), date_type="last statement date",
                                    payments_credits=Decimal("0.00"),
                                    defaulted=frozenset({"date", "date_type", "interest", "fees"})),
            validation=Validation(initial_comm_at=at("2026-05-01T14:00Z"), initial_had_validation=True,
                                  notice_sent_at=at("2026-05-01T14:00Z"), method="email",
                                  period_end=dt.date(2026, 6, 8)),
            time_barred="false", nyc=True,
        ),
        policy=Policy(business_name="Acme Recovery", messaging_number=business.sms_number,
                      support_phone="+18005550100", dispute_address="PO Box 1, New York, NY 10001",
                      portal_url="http://127.0.0.1:5000/p"),
        history=History(
            outbound=(Outbound(channel="sms", sent_at=at("2026-11-23T15:00Z"), decision="allow",
                               provider_status="delivered", kind="campaign", purpose="collection", address=PHONE,
                               id=str(sent.id)),),
            inbound=(Inbound(id=str(inbound.id), channel="sms", received_at=at("2026-11-20T16:00Z"),
                             body="Thanks, I will pay Friday", address=PHONE),),
        ),
    )
    loaded = _load(_attempt(account))
    assert loaded.debtor == expected.debtor
    assert loaded.policy == expected.policy
    assert loaded.history == expected.history

    attempts = [
        _attempt(account),  # 10:00 in New York: allowed
        _attempt(account, now=at("2026-11-25T11:00Z")),  # 06:00: deferred to 08:00
        _attempt(account, channel="email"),
        _attempt(account, channel="whatsapp"),  # no WhatsApp opt-in
        _attempt(account, body="Pay now"),  # missing disclosures
        _attempt(account, in_reply_to=str(inbound.id), kind="agent"),
    ]
    for attempt in attempts:
        facts = _load(attempt)
        assert decide(attempt, facts) == decide(attempt, expected), attempt
    outcomes = [decide(a, expected).outcome for a in attempts]
    assert outcomes == ["allow", "defer", "allow", "block", "require_content", "allow"]
    assert consent.id  # the consent row is what made the first SMS pass


def test_three_sms_in_a_week_defer_the_fourth_like_in_memory():
    """FREQ-2 sees the stored messages exactly as it sees in-memory history."""
    business = _business()
    account = _ana(business)
    _consent(account)
    conv = _conversation(account)
    sent = [_message(conv, when=at(t)) for t in ("2026-11-20T15:00Z", "2026-11-22T15:00Z", "2026-11-24T15:00Z")]
    attempt = _attempt(account)
    facts = _load(attempt)
    decision = decide(attempt, facts)
    assert decision.outcome == "defer" and decision.until == at("2026-11-27T15:00Z")
    assert decision.issue("FREQ-2") is not None and decision.counts["sms_168h"] == 3
    by_hand = replace(facts, history=History(outbound=tuple(
        Outbound(channel="sms", sent_at=m.sent_at, address=PHONE, kind="campaign", provider_status="delivered",
                 id=str(m.id)) for m in sent)))
    assert decide(attempt, by_hand) == decision


# -- tenancy ------------------------------------------------------------------------------------------------------
def test_another_business_account_is_not_found():
    mine, theirs = _business("Mine Co"), _business("Theirs Co")
    account = _ana(theirs)
    with pytest.raises(NotFound):
        _load(replace(_attempt(account), business_id=mine.id))
    assert _load(_attempt(account)).debtor.account_id == account.id


def test_deleted_and_malformed_accounts_are_not_found():
    business = _business()
    account = _ana(business, deleted_at=NOW)
    with pytest.raises(NotFound):
        _load(_attempt(account))
    with pytest.raises(NotFound):
        _load(replace(_attempt(account), account_id="not-a-uuid"))
    with pytest.raises(PermissionError):
        _load(replace(_attempt(account), business_id=None))


def test_rows_of_another_business_never_enter_the_facts():
    """Opt-outs, DNC rows and messages of another business for the same number stay out."""
    mine, theirs = _business("Mine Co"), _business("Theirs Co")
    account, other = _ana(mine), _ana(theirs)
    db.session.add_all([
        OptOutEvent(business_id=theirs.id, account_id=other.id, channel="sms", address=PHONE, received_at=NOW,
                    effective_at=NOW, rule_id="OPT-1"),
        DoNotContact(business_id=theirs.id, account_id=other.id, kind="phone", value=PHONE),
    ])
    db.session.commit()
    _message(_conversation(other), when=NOW - dt.timedelta(hours=1))
    facts = _load(_attempt(account))
    assert facts.history.optouts == () and facts.debtor.dnc_addresses == frozenset()
    assert facts.history.outbound == ()


def test_an_attempt_without_an_account_reads_address_rows_of_the_business():
    business = _business()
    db.session.add(OptOutEvent(business_id=business.id, channel="sms", address="+12125550999", received_at=NOW,
                               effective_at=NOW, rule_id="OPT-1"))
    db.session.commit()
    attempt = Attempt(business_id=business.id, account_id=None, channel="sms", to_address="(212) 555-0999",
                      body="Reply STOP to opt out.", now=NOW + dt.timedelta(minutes=1), purpose="help_reply")
    facts = _load(attempt)
    assert [o.address for o in facts.history.optouts] == ["+12125550999"]
    assert facts.policy.business_name == "Acme Recovery"


# -- the 30-day window ----------------------------------------------------------------------------------------------
def test_history_window_is_thirty_days_to_the_second():
    business = _business()
    account = _ana(business)
    conv = _conversation(account)
    edge = NOW - dt.timedelta(days=30)
    inside = _message(conv, when=edge)
    _message(conv, when=edge - dt.timedelta(seconds=1))
    in_in = _message(conv, "inbound", edge)
    _message(conv, "inbound", edge - dt.timedelta(seconds=1))
    deferred = _message(conv, when=edge - dt.timedelta(days=10), sent_at=edge + dt.timedelta(days=1))
    old_optout = OptOutEvent(business_id=business.id, account_id=account.id, channel="email", address=EMAIL,
                             received_at=NOW - dt.timedelta(days=400), effective_at=NOW - dt.timedelta(days=400),
                             rule_id="OPT-2")
    db.session.add(old_optout)
    db.session.commit()
    facts = _load(_attempt(account))
    assert {o.id for o in facts.history.outbound} == {str(inside.id), str(deferred.id)}
    assert [m.id for m in facts.history.inbound] == [str(in_in.id)]
    assert [o.id for o in facts.history.optouts] == [str(old_optout.id)], "opt-outs do not expire"


def test_last_text_from_the_number_reaches_back_past_the_window():
    """CONSENT-4 looks 60 days back: the conversation keeps the debtor's last message."""
    business = _business()
    account = _ana(business)
    _conversation(account, last_inbound_at=NOW - dt.timedelta(days=50))
    _conversation(account, channel="email", address=EMAIL, last_inbound_at=NOW - dt.timedelta(days=90))
    facts = _load(_attempt(account))
    assert facts.debtor.phones[0].last_inbound_text_at == NOW - dt.timedelta(days=50)
    assert facts.debtor.emails[0].debtor_emailed_from_at == NOW - dt.timedelta(days=90)


def test_outbound_statuses_become_provider_statuses():
    business = _business()
    account = _ana(business)
    conv = _conversation(account)
    t = NOW - dt.timedelta(hours=5)
    rows = {
        "queued": _message(conv, when=t, status="queued"),
        "sending": _message(conv, when=t, status="sending"),
        "scheduled": _message(conv, when=t, status="scheduled", decision="DEFER"),
        "failed_left": _message(conv, when=t, status="failed", external_id="SM1", provider="twilio"),
        "failed_never": _message(conv, when=t, status="failed"),
        "blocked": _message(conv, when=t, status="blocked", decision="BLOCK"),
        "read": _message(conv, when=t, status="read"),
        "legacy": _message(conv, when=t, status="delivered", decision=None),
    }
    _message(conv, when=t, kind="note", content="internal note")
    by_id = {o.id: o for o in _load(_attempt(account)).history.outbound}
    status = {name: (by_id[str(m.id)].decision, by_id[str(m.id)].provider_status) for name, m in rows.items()}
    assert status == {
        "queued": ("allow", "accepted"), "sending": ("allow", "accepted"), "scheduled": ("defer", "queued"),
        "failed_left": ("allow", "undelivered"), "failed_never": ("allow", "rejected"),
        "blocked": ("block", "rejected"), "read": ("allow", "delivered"), "legacy": ("allow", "delivered"),
    }
    assert len(by_id) == len(rows), "notes are not messages to the debtor"
    excluded = _load(_attempt(account), exclude_message_ids=[rows["queued"].id]).history.outbound
    assert str(rows["queued"].id) not in {o.id for o in excluded}


# -- consents, opt-outs, DNC ---------------------------------------------------------------------------------------
def test_consent_is_the_latest_grant_revoked_by_the_first_revocation_after_it():
    business = _business()
    account = _ana(business)
    _consent(account, occurred="2026-01-01T00:00Z")
    _consent(account, granted=False, occurred="2026-02-01T00:00Z")
    _consent(account, occurred="2026-03-01T00:00Z", source="keyword", ip_address=None,
             evidence={"inbound_message_id": "in-42"})
    _consent(account, granted=False, occurred="2026-04-01T00:00Z")
    _consent(account, granted=False, occurred="2026-05-01T00:00Z")
    _consent(account, channel="whatsapp", address=None, source="import", occurred="2026-06-01T00:00Z",
             evidence={"via": "nightly file"})
    api_key = ApiKey(business_id=business.id, name="crm", key_hash=uuid.uuid4().hex, prefix="fc_x")
    db.session.add(api_key)
    db.session.commit()
    _consent(account, channel="email", address=EMAIL.upper(), source="creditor_attested", occurred="2026-07-01T00:00Z",
             actor_api_key_id=api_key.id)
    d = _load(_attempt(account)).debtor
    assert d.phones[0].sms_consent == Consent(at("2026-03-01T00:00Z"), "keyword", "in-42",
                                              revoked_at=at("2026-04-01T00:00Z"))
    assert d.phones[0].whatsapp_consent == Consent(at("2026-06-01T00:00Z"), "creditor_attested", "via=nightly file")
    assert d.emails[0].consent == Consent(at("2026-07-01T00:00Z"), "creditor_attested", f"api_key:{api_key.id}")


def test_do_not_contact_rows_and_channel_flags():
    business = _business()
    account = _ana(business, do_not_email=True)
    db.session.add_all([
        DoNotContact(business_id=business.id, kind="phone", value=PHONE),
        DoNotContact(business_id=business.id, kind="email", value="old@example.com"),
        DoNotContact(business_id=business.id, account_id=account.id, kind="account", removed_at=NOW),
    ])
    db.session.commit()
    sms = _load(_attempt(account)).debtor
    assert sms.dnc is False and sms.dnc_addresses == frozenset({PHONE})
    email = _load(_attempt(account, channel="email")).debtor
    assert email.dnc_addresses == frozenset({PHONE, EMAIL}), "do_not_email covers the email on file"
    assert decide(_attempt(account, channel="email"), _load(_attempt(account, channel="email"))).issue("DNC-1")
    db.session.add(DoNotContact(business_id=business.id, account_id=account.id, kind="account"))
    db.session.commit()
    assert _load(_attempt(account)).debtor.dnc is True


def test_opt_outs_by_address_cover_the_debtor_across_accounts():
    business = _business()
    account, sibling = _ana(business), _ana(business)
    db.session.add(OptOutEvent(business_id=business.id, account_id=sibling.id, channel="sms", address=PHONE,
                               received_at=NOW - dt.timedelta(days=2), effective_at=NOW - dt.timedelta(days=2),
                               rule_id="OPT-1", scope="all"))
    db.session.commit()
    attempt = _attempt(account)
    decision = decide(attempt, _load(attempt))
    assert decision.outcome == "block" and decision.issue("OPT-1") is not None


# -- account facts --------------------------------------------------------------------------------------------------
def test_attorney_cease_dispute_workplace_and_privacy_facts():
    business = _business()
    account = _ana(business, cease_received_at=at("2026-11-01T00:00Z"), cease_type="refuse_to_pay",
                   cease_channel="mail", cease_all_debts=False, attorney_consented_direct_at=at("2026-11-02T00:00Z"),
                   attorney_contacted_at=at("2026-10-01T00:00Z"), ccpa_denied_reason="GLBA data",
                   gdpr_scope=True, marketing_objection_at=NOW, bankruptcy=True, deceased=True,
                   representative_address="Executor@Example.com", employer_domain="acme.example",
                   inconvenient_times=[blackout_json(Blackout(dt.time(20), dt.time(9), designated_at=NOW))],
                   workplace_objection={"at": "2026-11-03T00:00:00Z",
                                        "hours": [{"start": "09:00", "end": "17:00", "weekdays": [0, 1, 2, 3, 4]}]},
                   timezone="America/Chicago", timezone_source="stated", stated_timezone_at=NOW,
                   unverified_addresses=["(212) 555-0143"], email_is_work=False, nyc=False)
    account.attorney_encrypted = attorney_store.seal(account.id, {"name": "Lee Law", "email": "lee@law.example",
                                                                 "knownAt": "2026-10-01T00:00:00+00:00"})
    db.session.add(DebtDispute(business_id=business.id, account_id=account.id, received_at=at("2026-05-10T00:00Z"),
                               portion=Decimal("50.00"), channel="mail"))
    db.session.commit()
    d = _load(_attempt(account)).debtor
    assert d.attorney == Attorney(name="Lee Law", email="lee@law.example", known_at=at("2026-10-01T00:00Z"),
                                  consented_direct_at=at("2026-11-02T00:00Z"),
                                  last_contact_sent_at=at("2026-10-01T00:00Z"))
    assert d.ceases == (Cease(received_at=at("2026-11-01T00:00Z"), type="refuse_to_pay", channel="mail",
                              account_id=account.id),)
    assert d.disputes == (Dispute(received_at=at("2026-05-10T00:00Z"), portion=Decimal("50.00")),)
    assert d.privacy.ccpa_denied_reason == "GLBA data" and d.privacy.gdpr_scope and d.privacy.marketing_objection
    assert d.bankruptcy and d.deceased and d.representative_address == "Executor@Example.com"
    assert d.inconvenient_times == (Blackout(dt.time(20), dt.time(9), designated_at=NOW),)
    assert d.workplace_objection_at == at("2026-11-03T00:00Z")
    assert d.work_hours == (Blackout(dt.time(9), dt.time(17), weekdays=frozenset(range(5))),)
    assert d.stated_tz == "America/Chicago" and d.account_tz == "America/Chicago" and d.stated_tz_at == NOW
    assert d.unverified_addresses == frozenset({PHONE}) and d.phones[0].verified is False
    assert d.emails[0].employer_operated is False and d.nyc is False


def test_unreadable_attorney_details_still_mean_an_attorney():
    business = _business()
    account = _ana(business, attorney_encrypted="dev:bm90IGEgdmFsaWQgY2lwaGVydGV4dA==")
    attempt = _attempt(account)
    facts = _load(attempt)
    assert facts.debtor.attorney == Attorney()
    assert decide(attempt, facts).issue("ATTY-1").severity == "block"


def test_a_cease_on_another_debt_of_the_same_debtor_covers_this_one():
    business = _business()
    person = gen_user(None, "debtor", mfa=False)
    account = _ana(business, debtor_id=person.id)
    _ana(business, debtor_id=person.id, cease_received_at=at("2026-11-10T00:00Z"))
    _ana(business, debtor_id=person.id, cease_received_at=at("2026-11-11T00:00Z"), cease_all_debts=False)
    ceases = _load(_attempt(account)).debtor.ceases
    assert {(c.received_at, c.account_id is None) for c in ceases} == {
        (at("2026-11-10T00:00Z"), True), (at("2026-11-11T00:00Z"), False)}
    decision = decide(_attempt(account), _load(_attempt(account)))
    assert decision.issue("CEASE-1").severity == "block"


def test_itemization_defaults_and_the_payment_ledger():
    business = _business()
    account = _ana(business, due_date=None, itemization_date=dt.date(2026, 3, 1),
                   itemization_date_type="charge_off", itemization_amount=Decimal("500.00"),
                   interest_since_itemization=Decimal("12.34"))
    for amount, refunded, status, when in ((Decimal("50.00"), Decimal("0"), "succeeded", "2026-03-01T12:00Z"),
                                           (Decimal("40.00"), Decimal("10.00"), "partially_refunded",
                                            "2026-04-01T12:00Z"),
                                           (Decimal("25.00"), Decimal("0"), "failed", "2026-04-02T12:00Z"),
                                           (Decimal("30.00"), Decimal("0"), "succeeded", "2026-05-01T12:00Z")):
        db.session.add(Payment(business_id=business.id, account_id=account.id, amount=amount,
                               refunded_amount=refunded, status=status, payment_method="card",
                               processed_at=at(when)))
    db.session.commit()
    debtor = _load(_attempt(account)).debtor
    assert debtor.recorded_payments == frozenset({Decimal("50.00"), Decimal("40.00"), Decimal("30.00")})
    item = debtor.itemization
    assert item == Itemization(date=dt.date(2026, 3, 1), date_type="charge-off date", amount=Decimal("500.00"),
                               interest=Decimal("12.34"), fees=Decimal("0"), payments_credits=Decimal("60.00"),
                               defaulted=frozenset({"fees"}))
    bare = _ana(business, due_date=None, created_at=at("2026-02-02T10:00Z"))
    assert _load(_attempt(bare)).debtor.itemization.date == dt.date(2026, 2, 2)


def test_policy_reads_the_business_settings_and_platform_defaults():
    business = _business(caps={"FREQ-2": 2}, window_start="09:00", tp5_blocking=True, attorney_wait_days=45,
                         portal_url="https://pay.acme.example")
    db.session.add(PlatformSetting(key="compliance", value={"freq5_enabled": False}))
    db.session.commit()
    policy = _load(_attempt(_ana(business))).policy
    assert policy.caps == {"FREQ-2": 2} and policy.window_start == dt.time(9) and policy.tp5_blocking
    assert policy.attorney_wait_days == 45 and policy.freq5_enabled is False
    assert policy.portal_url == "https://pay.acme.example"


def test_nyc_follows_the_flag_else_the_zip_county():
    assert in_nyc("NY", "11201") and in_nyc("NY", "10301") and not in_nyc("NY", "11003")
    business = _business()
    assert _load(_attempt(_ana(business, zip="11375"))).debtor.nyc is True
    assert _load(_attempt(_ana(business, zip="14201"))).debtor.nyc is False
    assert _load(_attempt(_ana(business, zip="14201", nyc=True))).debtor.nyc is True


def test_account_level_consents_combine_the_column_and_events():
    business = _business()
    account = _ana(business, marketing_consent_at=at("2026-01-01T00:00Z"), nyc_consent_at=at("2026-02-01T00:00Z"))
    _consent(account, channel="marketing", address=None, source="portal", occurred="2026-03-01T00:00Z",
             ip_address=None, evidence={"session_id": "s1"})
    _consent(account, channel="marketing", address=None, granted=False, source="portal",
             occurred="2026-04-01T00:00Z", ip_address=None)
    _consent(account, channel="esign", address=None, source="portal", occurred="2026-05-01T00:00Z",
             ip_address=None, evidence={"session_id": "s2"})
    d = _load(_attempt(account)).debtor
    assert d.marketing_consent_at is None, "the debtor's revocation wins"
    assert d.nyc_consent_at == at("2026-02-01T00:00Z")
    assert d.validation.esign_consent_at == at("2026-05-01T00:00Z")


# -- cost ---------------------------------------------------------------------------------------------------------
def test_a_load_takes_a_fixed_handful_of_queries():
    """History size does not change the number of queries: 9 for an account not linked to a debtor user."""
    business = _business()
    account = _ana(business)
    _consent(account)
    conv = _conversation(account, last_inbound_at=NOW)
    for hours in range(1, 40):
        _message(conv, when=NOW - dt.timedelta(hours=hours * 7))
        _message(conv, "inbound", NOW - dt.timedelta(hours=hours * 7 + 1))
    gen_plan(business, account)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.commit()
    attempt = _attempt(account)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        facts = _load(attempt)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(facts.history.outbound) == 39 and len(facts.history.inbound) == 39
    assert len(statements) == 9, [" ".join(s.split())[:90] for s in statements]
