"""CEASE-3 / D-7 through the real gate: after a cease a receipt goes only as the answer to a request the debtor made
after the cease. The portal's pay form offers "Email me a receipt" (or "Text me a receipt") only while a cease
covers the account; a ticked box is recorded with the payment (time, IP) before the charge, and the receipt the
ledger sends answers it, once. Not ticked, or asked before the cease: the gate blocks the receipt, the receipt page
still shows."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, ComplianceDecision, Message, Payment
from app.services.compliance.facts import Attempt
from app.services.compliance.loader import DbLoader
from app.services.payments import one_time, receipts
from app.services.portal import payments as portal_payments
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.payments.one_time_helpers import THREE_D_SECURE, receipts_of
from tests.payments.test_portal_pay import _collected_card, _pay, _signed_in, _text
from tests.stripe_support import authenticate, card_payment_method

CEASED = NOW - dt.timedelta(days=3)
OFFER = 'id="receipt" name="receipt" value="yes"'


def _ceased_debtor(client=None, **fields):
    account = debtor(messaging_business(), contacted=True, cease_received_at=fields.pop("cease_received_at", CEASED),
                     cease_type="cease", cease_channel="mail", **fields)
    if client is not None:
        _signed_in(client, account)
    return account


def _pay_ticked(client, stripe_client, amount: str, *, ticked: bool):
    method = _collected_card(client, stripe_client, "4242424242424242")
    data = {"amount": amount, "method": "card", "payment_method_id": method}
    if ticked:
        data["receipt"] = "yes"
    response = client.post("/p/pay", data=data, headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 200 and body["data"]["status"] == "succeeded", body
    return db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))


def _decision_of(message: Message) -> ComplianceDecision:
    return db.session.scalars(select(ComplianceDecision).where(ComplianceDecision.message_id == message.id)
                              .order_by(ComplianceDecision.evaluated_at.desc())).first()


def _cease3(message: Message) -> dict:
    return next(i for i in message.compliance_record["issues"] if i["rule"] == "CEASE-3")


# -- the offer on the pay form ---------------------------------------------------------------------------------------
def test_the_pay_form_offers_a_receipt_only_while_a_cease_covers_the_account(client, stripe_config):
    plain = debtor(messaging_business(), contacted=True)
    _signed_in(client, plain)
    assert OFFER not in _text(client.get("/p/pay"))
    client.post("/p/sign-out")

    _ceased_debtor(client)
    page = _text(client.get("/p/pay"))
    assert f'<input type="checkbox" {OFFER} aria-describedby="receipt-hint">' in page
    assert '<label for="receipt">Email me a receipt for this payment</label>' in page
    assert re.search(r'<p class="check-hint" id="receipt-hint">You asked Acme Recovery \w+ to stop contacting you, '
                     r"so nothing about this payment is sent to you unless you ask for it here\. Tick the box and we "
                     r"send one receipt with the amount, the date and the receipt number only\.", page)
    spanish = _text(client.get("/p/pay?lang=es"))
    assert "Envíenme un recibo de este pago por correo electrónico" in spanish
    assert "Usted pidió a Acme Recovery" in spanish


def test_the_offer_names_the_channel_the_receipt_would_use_and_follows_the_gates_ceases():
    business = messaging_business()
    by_text = debtor(business, contacted=True, email=None, cease_received_at=CEASED, cease_type="cease")
    assert portal_payments.receipt_offer(db.session, by_text) == "sms"
    candidate = debtor(business, contacted=True, phone="+12145550150", email="c@example.com",
                       cease_candidate_at=CEASED)
    assert portal_payments.receipt_offer(db.session, candidate) == "email"
    nowhere = debtor(business, contacted=True, phone=None, email=None, consent=False, cease_received_at=CEASED)
    assert portal_payments.receipt_offer(db.session, nowhere) is None

    # CEASE-5: a cease on another debt of the same debtor covers this one when it names no single debt.
    person = gen_user(business, "debtor", mfa=False)
    mine = debtor(business, contacted=True, phone="+12145550151", email="m@example.com", debtor_id=person.id)
    other = debtor(business, contacted=True, phone="+12145550152", email="o@example.com", debtor_id=person.id,
                   cease_received_at=CEASED, cease_all_debts=False)
    assert portal_payments.receipt_offer(db.session, mine) is None
    other.cease_all_debts = True
    db.session.commit()
    assert portal_payments.receipt_offer(db.session, mine) == "email"


# -- through the gate ------------------------------------------------------------------------------------------------
def test_ticked_after_a_cease_the_receipt_answers_the_request_once(client, stripe_config, stripe_client):
    account = _ceased_debtor(client)
    payment = _pay_ticked(client, stripe_client, "50", ticked=True)

    assert payment.receipt_request_id.startswith("receipt-request:") and payment.receipt_requested_at == NOW
    request_log = db.session.scalars(select(AuditLog).where(AuditLog.action == "receipt_requested")).one()
    assert (request_log.resource_id, request_log.ip_address, request_log.user_role) == (payment.id, "127.0.0.1",
                                                                                       "debtor")
    assert request_log.meta["requestId"] == payment.receipt_request_id and request_log.meta["channel"] == "email"

    [message] = receipts_of(account.id)
    assert (message.delivery_status, message.compliance_passed, message.channel) == ("queued", True, "email")
    assert _cease3(message)["severity"] == "info"
    assert message.compliance_record["attempt"]["consumer_request_id"] == payment.receipt_request_id
    assert _decision_of(message).consumer_request_id == payment.receipt_request_id
    assert payment.receipt_number in message.content and "$50.00" in message.content
    assert "balance" not in message.content.lower()  # facts only: amount, date, reference

    # The same request cannot be answered twice.
    again = receipts.send(db.session, payment, db.session.get(Account, account.id), now=NOW + dt.timedelta(minutes=5),
                          consumer_request_id=payment.receipt_request_id)
    db.session.commit()
    assert again.message.delivery_status == "blocked"
    assert "already sent" in _cease3(again.message)["detail"]
    assert len([m for m in receipts_of(account.id) if m.delivery_status == "queued"]) == 1


def test_not_ticked_after_a_cease_the_gate_blocks_the_receipt_and_the_page_still_shows(client, stripe_config,
                                                                                      stripe_client):
    account = _ceased_debtor(client)
    payment = _pay_ticked(client, stripe_client, "40", ticked=False)
    assert payment.receipt_request_id is None and payment.receipt_requested_at is None
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "receipt_requested")).all()
    [message] = receipts_of(account.id)
    assert message.delivery_status == "blocked" and "CEASE-3" in message.compliance_issues
    assert _cease3(message)["detail"] == "receipt after cease without a consumer request made after the cease"
    page = client.get(f"/p/receipts/{payment.id}")
    assert page.status_code == 200 and payment.receipt_number in _text(page)


def test_a_request_made_before_the_cease_does_not_let_the_receipt_through(stripe_config, stripe_client, clock):
    """The debtor asks for a receipt, the bank's 3-D Secure step takes a while, a cease letter is logged in between:
    the request predates the cease, so the receipt is blocked."""
    account = debtor(messaging_business(), contacted=True)
    asked = NOW - dt.timedelta(minutes=10)
    card = card_payment_method(stripe_client, THREE_D_SECURE)
    result = one_time.start(db.session, account, Decimal("30.00"), method="card", payment_method_id=card, now=asked,
                            receipt_request=receipts.new_request(account, now=asked), ip="203.0.113.7")
    assert result.status == "requires_action" and result.payment.receipt_requested_at == asked
    account = db.session.get(Account, account.id)
    account.cease_received_at, account.cease_type = asked + dt.timedelta(minutes=2), "cease"
    db.session.commit()
    authenticate(stripe_client, result.payment.stripe_payment_intent_id, result.client_secret)
    assert one_time.complete(db.session, result.payment.id, now=NOW).status == "succeeded"
    [message] = receipts_of(account.id)
    assert message.delivery_status == "blocked" and "CEASE-3" in message.compliance_issues
    assert message.compliance_record["attempt"]["consumer_request_id"] == result.payment.receipt_request_id
    assert _cease3(message)["detail"] == "receipt after cease without a consumer request made after the cease"


def test_ticked_without_a_cease_records_nothing_and_the_receipt_goes_as_always(client, stripe_config,
                                                                                stripe_client):
    """The box is not offered then; a stale form that still sends it changes nothing."""
    account = debtor(messaging_business(), contacted=True)
    _signed_in(client, account)
    payment = _pay_ticked(client, stripe_client, "12.50", ticked=True)
    assert payment.receipt_request_id is None
    [message] = receipts_of(account.id)
    assert message.delivery_status == "queued" and "Remaining balance: $400.00." in message.content


def test_a_refused_amount_records_no_request(client, stripe_config):
    _ceased_debtor(client)
    response = client.post("/p/pay", data={"amount": "9999", "payment_method_id": "pm_x", "receipt": "yes"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert db.session.scalars(select(Payment)).all() == []
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "receipt_requested")).all()


def test_the_gate_reads_receipt_requests_from_payments():
    account = debtor(messaging_business(), contacted=True)
    for status, request_id in (("succeeded", "receipt-request:a"), ("failed", "receipt-request:b"),
                               ("succeeded", None)):
        db.session.add(Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("5.00"),
                               payment_method="card", status=status, receipt_request_id=request_id,
                               receipt_requested_at=NOW if request_id else None, processed_at=NOW, created_at=NOW))
    db.session.commit()
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel="email",
                      to_address=account.email, body="x", now=NOW, kind="transactional", purpose="receipt")
    facts = DbLoader(db.session).load(attempt)
    assert sorted(facts.debtor.receipt_requests) == [("receipt-request:a", NOW), ("receipt-request:b", NOW)]
    assert facts.debtor.recorded_payments == frozenset({Decimal("5.00")})


@pytest.mark.parametrize("lang, expected", [("en", "payment received. $9.00 on November 25, 2026. Receipt number"),
                                            ("es", "pago recibido. $9.00 el 25 de noviembre de 2026. Número de")])
def test_a_cease_on_another_debt_makes_the_receipt_facts_only(lang, expected):
    business = messaging_business()
    person = gen_user(business, "debtor", mfa=False)
    account = debtor(business, contacted=True, debtor_id=person.id, preferred_language=lang)
    debtor(business, contacted=True, phone="+12145550160", email="x@example.com", debtor_id=person.id,
           cease_received_at=CEASED)
    payment = Payment(business_id=business.id, account_id=account.id, amount=Decimal("9.00"), payment_method="cash",
                      status="succeeded", balance_after=Decimal("403.50"), receipt_number="R-2026-000001",
                      succeeded_at=NOW, created_at=NOW)
    db.session.add(payment)
    db.session.commit()
    outcome = receipts.send(db.session, payment, account, now=NOW)
    assert expected in outcome.message.content and "403.50" not in outcome.message.content


def test_a_debtor_with_only_a_phone_gets_the_text_they_asked_for(stripe_config, stripe_client):
    account = debtor(messaging_business(), contacted=True, email=None, preferred_language="es",
                     cease_received_at=CEASED, cease_type="cease")
    request = receipts.new_request(account, now=NOW)
    assert request.channel == "sms"
    card = card_payment_method(stripe_client, "4242424242424242")
    result = one_time.start(db.session, account, Decimal("15.00"), method="card", payment_method_id=card, now=NOW,
                            receipt_request=request)
    assert result.status == "succeeded"
    [message] = receipts_of(account.id)
    assert (message.channel, message.delivery_status, message.compliance_passed) == ("sms", "queued", True)
    assert "pago recibido. $15.00 el 25 de noviembre de 2026." in message.content
    assert "saldo" not in message.content.lower()


def test_a_receipt_number_in_a_text_is_a_reference_not_a_sensitive_number():
    """PRIV-4 asks to mask runs of 7+ digits in texts; R-2026-000123 is the receipt's reference, which stays."""
    from app.services.compliance.rules.content import _pii_spans

    assert _pii_spans("Receipt number R-2026-000123. View it online.", "", None, None) == ()
    kinds = [kind for *_, kind in _pii_spans("Ref XR-2026-000123, or 2026-000123", "", None, None)]
    assert kinds == ["digit run", "digit run"]
