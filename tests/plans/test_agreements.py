"""The payment plan agreement (PRD 4.4.3 FR-PAY-022): is its text exact and the same every time, does signing
need consent and the debtor's own name, store the hash of exactly that text, keep a PDF copy on the account file and
send it through the gate, change nothing the second time, and does the plan turn active only once it is signed and
its down payment has succeeded?"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, Document, Message, PaymentPlan, SandboxMessage
from app.services.errors import Conflict, ValidationError
from app.services.payments import agreements
from app.services.portal import overview
from app.services.storage import storage_for
from tests.factories import NOW
from tests.messaging import EMAIL, PHONE, debtor, messaging_business
from tests.plans.agreement_helpers import down_row, pending_plan, settle_down_payment
from tests.stripe_support import card_payment_method
from tests.unit.test_validation_notice import pdf_text

IP, AGENT = "203.0.113.7", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"


def _plan(**fields):
    account = debtor(messaging_business(), contacted=True, **fields)
    return account, pending_plan(account)


def _sign(plan, *, name="Maria Lopez", consent=True, lang="en", now=NOW, **extra):
    return agreements.sign(db.session, plan, typed_name=name, consent=consent, ip=IP, user_agent=AGENT, now=now,
                           lang=lang, **extra)


def _fresh(plan) -> PaymentPlan:
    db.session.expire_all()
    return db.session.get(PaymentPlan, plan.id)


# -- the text ----------------------------------------------------------------------------------------------------
def test_the_text_states_every_term_and_is_the_same_every_time():
    """Does the English text name both parties, mask the account number, and state the total, the down payment
    and its date, every installment with its date, the frequency, no auto-pay, the retries and default, how to
    change or cancel, the dispute rights and the mini-Miranda line; and is a second rendering identical?"""
    account, plan = _plan()
    business = overview.business_facts(db.session, account.business_id)
    text = agreements.render(plan, account, business, "en")
    assert text == agreements.render(_fresh(plan), db.session.get(Account, account.id), business, "en")
    assert business.name in text and "Maria Lopez" in text and "a debt collector" in text
    assert f"ending in {account.account_number[-4:]}" in text and account.account_number not in text
    assert "Total of this plan: $412.50." in text
    assert "Down payment: $50.00, due on December 1, 2026." in text
    assert "Then 3 monthly installments:" in text
    assert "Installment 1: $120.83, due on January 1, 2027" in text
    assert "Installment 2: $120.83, due on February 1, 2027" in text
    assert "Installment 3: $120.84, due on March 1, 2027" in text
    assert "How often: Monthly." in text and "Automatic payments are OFF." in text
    assert "again 1, 3 and 5 days after the due date" in text and "If 2 payments are missed" in text
    assert "(800) 555-0100" in text and "help@acme.example" in text and "cancel the plan at any time" in text
    assert "does not waive any of your rights" in text and "dispute all or part of this debt" in text
    assert "This is an attempt to collect a debt. Any information obtained will be used for that purpose." in text
    assert text.rstrip().endswith("This communication is from a debt collector.")


def test_the_spanish_text_and_the_auto_pay_authorization_with_the_card():
    """Does the Spanish text use Spanish dates and words, and does an auto-pay plan authorize charges to the card
    by brand and last 4 when a payment on the plan shows them (a generic card otherwise)?"""
    account, plan = _plan(preferred_language="es")
    business = overview.business_facts(db.session, account.business_id)
    plan.auto_pay_enabled, plan.stripe_payment_method_id = True, "pm_card_visa"
    db.session.commit()
    text = agreements.render(plan, account, business, "es",
                             card=agreements.Card(brand="visa", last4="4242"))
    assert "ACUERDO DE PLAN DE PAGOS" in text
    assert "Pago inicial: $50.00, con vencimiento el 1 de diciembre de 2026." in text
    assert "Después, 3 cuotas mensuales:" in text and "Cuota 3: $120.84, con vencimiento el 1 de marzo de 2027" in text
    assert "Los pagos automáticos están ACTIVADOS" in text and "su tarjeta Visa que termina en 4242" in text
    assert "Esto es un intento de cobrar una deuda." in text
    generic = agreements.render(plan, account, business, "en")
    assert "Automatic payments are ON" in generic and "the card you gave for automatic payments" in generic
    payment = settle_down_payment(plan)
    payment.card_brand, payment.card_last4 = "mastercard", "4444"
    db.session.commit()
    assert agreements.card_on_file(db.session, plan) == agreements.Card(brand="mastercard", last4="4444")
    assert "your Mastercard card ending in 4444" in agreements.text_for(db.session, plan, "en")


def test_the_auto_pay_card_as_stripe_describes_it(stripe_client):
    """With no payment on the plan yet, is the card's brand and last 4 read from Stripe's payment method, and does
    a payment method Stripe does not know leave the generic wording?"""
    _, plan = _plan()
    plan.auto_pay_enabled = True
    plan.stripe_payment_method_id = card_payment_method(stripe_client, "4242424242424242")
    db.session.commit()
    assert agreements.card_on_file(db.session, plan) == agreements.Card(brand="visa", last4="4242")
    assert "charge your Visa card ending in 4242" in agreements.text_for(db.session, plan, "en")
    plan.stripe_payment_method_id = "pm_unknown_to_stripe"
    assert agreements.card_on_file(db.session, plan) is None


def test_a_plan_without_a_down_payment_says_so():
    account = debtor(messaging_business(), contacted=True)
    plan = pending_plan(account, down=Decimal("0.00"), count=2, frequency="biweekly")
    text = agreements.text_for(db.session, plan, "en")
    assert "Down payment: none." in text and "Then 2 biweekly installments:" in text
    assert "How often: Every two weeks." in text


# -- the name ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, expected", [
    ("Maria Lopez Garcia", True), ("  maria   LOPEZ garcia ", True), ("María López García", True),
    ("Maria Elena Lopez Garcia", True), ("Maria Lopez", True), ("Maria Lopez-Garcia", True),
    ("Lopez Garcia", False), ("Maria", False), ("Mariana Lopez Garcia", False), ("Maria Garcia", False),
    ("Jose Lopez Garcia", False), ("", False),
])
def test_the_typed_name_matches_loosely(typed, expected):
    account = Account(first_name="María", last_name="López García")
    assert agreements.names_match(typed, account) is expected


def test_apostrophes_and_a_single_surname():
    assert agreements.names_match("sean oneil", Account(first_name="Seán", last_name="O'Neil"))
    assert not agreements.names_match("sean o", Account(first_name="Seán", last_name="O'Neil"))


# -- signing -----------------------------------------------------------------------------------------------------
def test_signing_needs_consent_and_the_debtors_name_and_changes_nothing_until_then():
    account, plan = _plan()
    with pytest.raises(ValidationError) as refused:
        _sign(plan, consent=False)
    assert refused.value.field == "consent" and refused.value.extra["text"] == "err_agreement_consent"
    with pytest.raises(ValidationError) as empty:
        _sign(plan, name="   ")
    assert empty.value.field == "typed_name" and empty.value.extra["text"] == "err_agreement_name_missing"
    with pytest.raises(ValidationError) as wrong:
        _sign(plan, name="John Smith")
    assert wrong.value.field == "typed_name" and wrong.value.extra["text"] == "err_agreement_name"
    db.session.rollback()
    fresh = _fresh(plan)
    assert not fresh.agreement_signed and fresh.agreement_sha256 is None and fresh.status == "pending"
    assert db.session.scalar(select(Document.id).where(Document.account_id == account.id)) is None


def test_signing_stores_the_evidence_and_the_hash_of_the_exact_text(app):
    """Are the time, IP, browser, typed name (as typed, spaces tidied) and the SHA-256 of the text stored; is the
    PDF on the account file with that text and the signature block, embedding the exact text; and is it audited?"""
    account, plan = _plan()
    text = agreements.text_for(db.session, plan, "en")
    signed = _sign(plan, name="  maria   lópez ")
    db.session.commit()
    fresh = _fresh(plan)
    assert signed.created and fresh.agreement_signed and fresh.status == "pending"
    assert fresh.agreement_signed_at.replace(tzinfo=dt.timezone.utc) == NOW
    assert fresh.agreement_ip_address == IP and fresh.agreement_user_agent == AGENT
    assert fresh.agreement_signed_name == "maria lópez"
    assert fresh.agreement_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest() == agreements.digest(text)

    document = db.session.get(Document, signed.document.id)
    assert document.document_type == "plan_agreement" and document.account_id == account.id
    assert document.mime_type == "application/pdf" and f"plan:{plan.id}" in document.tags
    data = storage_for(app).get(document.storage_path)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == document.sha256
    assert text.encode("utf-8") in data  # the embedded agreement.txt, byte for byte
    shown = " ".join(pdf_text(data).split())
    assert "PAYMENT PLAN AGREEMENT" in shown and "Installment 3: $120.84, due on March 1, 2027" in shown
    assert "Signed by (typed name): maria lópez" in shown and "2026-11-25 15:00:00 UTC" in shown
    assert f"IP address: {IP}" in shown and fresh.agreement_sha256 in shown
    assert agreements.agreement_document(db.session, fresh).id == document.id

    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_agreement_signed")).one()
    assert entry.resource_type == "payment_plan" and entry.resource_id == plan.id
    assert entry.meta["sha256"] == fresh.agreement_sha256 and entry.meta["documentId"] == str(document.id)
    assert entry.ip_address == IP


def test_a_second_signature_changes_nothing():
    account, plan = _plan()
    first = _sign(plan)
    db.session.commit()
    before = _fresh(plan)
    evidence = (before.agreement_signed_at, before.agreement_ip_address, before.agreement_signed_name,
                before.agreement_sha256)
    again = agreements.sign(db.session, before, typed_name="Maria Lopez", consent=True, ip="198.51.100.1",
                            user_agent="other", now=NOW + dt.timedelta(hours=1), lang="es")
    also = agreements.sign(db.session, before, typed_name="nobody", consent=False, ip=None, user_agent=None,
                           now=NOW + dt.timedelta(hours=2), lang="en")
    db.session.commit()
    after = _fresh(plan)
    assert not again.created and not also.created and again.document.id == first.document.id
    assert (after.agreement_signed_at, after.agreement_ip_address, after.agreement_signed_name,
            after.agreement_sha256) == evidence
    assert len(db.session.scalars(select(Document).where(Document.account_id == account.id)).all()) == 1
    assert len(db.session.scalars(select(Message).where(Message.purpose == "plan_agreement")).all()) == 1
    assert len(db.session.scalars(select(AuditLog).where(
        AuditLog.action == "payment_plan_agreement_signed")).all()) == 1


def test_a_text_that_changed_since_it_was_read_is_refused():
    _, plan = _plan()
    with pytest.raises(Conflict) as changed:
        _sign(plan, expected_sha256="0" * 64)
    assert changed.value.code == "AGREEMENT_CHANGED"
    db.session.rollback()
    assert not _fresh(plan).agreement_signed


def test_a_canceled_plan_cannot_be_signed():
    _, plan = _plan()
    plan.status = "canceled"
    db.session.commit()
    with pytest.raises(Conflict):
        _sign(plan)


# -- the copy ----------------------------------------------------------------------------------------------------
def test_the_copy_is_emailed_through_the_gate_with_the_pdf_attached(app):
    """Is the copy a transactional message through the gate, allowed, to the debtor's email, carrying the stored
    document, and does the delivered email carry the PDF?"""
    account, plan = _plan()
    signed = _sign(plan)
    db.session.commit()
    message = db.session.scalars(select(Message).where(Message.purpose == "plan_agreement")).one()
    assert message.channel == "email" and message.to_address == EMAIL and message.kind == "transactional"
    assert message.compliance_checked and message.compliance_passed and message.delivery_status != "blocked"
    assert message.compliance_record["attempt"]["attachments"] == [f"document:{signed.document.id}"]
    assert "signed copy is attached" in message.content and message.subject == "Your signed payment plan agreement"
    app.extensions["jobs"].work_burst()
    sent = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == EMAIL)).one()
    assert "signed copy is attached" in sent.body
    assert sent.meta["attachments"] == [{"filename": signed.document.filename, "content_type": "application/pdf",
                                         "size": signed.document.file_size}]


def test_without_an_email_the_copy_is_a_text_with_a_portal_link():
    account, plan = _plan(email=None, preferred_language="es")
    _sign(plan, lang="es")
    db.session.commit()
    message = db.session.scalars(select(Message).where(Message.purpose == "plan_agreement")).one()
    assert message.channel == "sms" and message.to_address == PHONE and message.kind == "transactional"
    assert "gracias por firmar su acuerdo" in message.content and "/p/" in message.content
    assert message.compliance_passed
    document = db.session.scalars(select(Document).where(Document.account_id == account.id)).one()
    assert document.filename.startswith("acuerdo-plan-de-pagos-") and "lang:es" in document.tags


def test_under_a_cease_the_copy_is_blocked_but_the_signature_stands():
    account, plan = _plan(cease_received_at=NOW - dt.timedelta(days=1))
    signed = _sign(plan)
    db.session.commit()
    assert signed.outcome.blocked and _fresh(plan).agreement_signed and signed.document is not None


# -- pending -> active -------------------------------------------------------------------------------------------
def test_the_plan_turns_active_only_when_signed_and_the_down_payment_succeeded():
    _, plan = _plan()
    assert not agreements.activate_if_ready(db.session, plan, NOW)  # neither
    settle_down_payment(plan, status="failed")
    assert not agreements.activate_if_ready(db.session, plan, NOW)
    signed = _sign(plan)
    db.session.commit()
    assert not signed.activated and _fresh(plan).status == "pending"  # signed, down payment not made
    settle_down_payment(plan)
    assert agreements.activate_if_ready(db.session, _fresh(plan), NOW)
    db.session.commit()
    assert _fresh(plan).status == "active"
    assert not agreements.activate_if_ready(db.session, _fresh(plan), NOW)  # once
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_activated")).all()) == 1


def test_a_down_payment_made_first_activates_the_plan_at_signing():
    _, plan = _plan()
    row = down_row(plan)
    row.status, row.paid_at = "paid", NOW
    db.session.commit()
    assert not agreements.activate_if_ready(db.session, plan, NOW)  # paid, not signed
    signed = _sign(plan)
    db.session.commit()
    assert signed.activated and _fresh(plan).status == "active"


def test_a_plan_without_a_down_payment_is_active_once_signed():
    account = debtor(messaging_business(), contacted=True)
    plan = pending_plan(account, down=Decimal("0.00"), count=2)
    assert _sign(plan).activated
    db.session.commit()
    assert _fresh(plan).status == "active"


def test_signing_and_the_down_payment_racing_still_activate_the_plan_once(app):
    """The signature and the down payment's success committed at the same moment, each on its own thread and
    session (as the portal request and the Stripe webhook would be): is the plan active in the end, and activated
    once? Repeated to give the interleavings a chance."""
    import threading

    from app.models import Payment

    for _ in range(5):
        _, plan = _plan()
        row_id, plan_id = down_row(plan).id, plan.id
        gate = threading.Barrier(2)
        errors = []

        def signer():
            with app.app_context():
                try:
                    gate.wait()
                    found = db.session.get(PaymentPlan, plan_id)
                    _sign(found)
                    db.session.commit()
                except Exception as exc:  # surfaced below
                    errors.append(exc)
                finally:
                    db.session.remove()

        def payer():
            with app.app_context():
                try:
                    found = db.session.get(PaymentPlan, plan_id)
                    gate.wait()
                    db.session.add(Payment(business_id=found.business_id, account_id=found.account_id,
                                           payment_plan_id=plan_id, installment_id=row_id, amount=Decimal("50.00"),
                                           payment_method="card", status="succeeded", succeeded_at=NOW,
                                           created_at=NOW, updated_at=NOW))
                    db.session.flush()
                    agreements.activate_if_ready(db.session, found, NOW)
                    db.session.commit()
                except Exception as exc:
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=signer), threading.Thread(target=payer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert _fresh(plan).status == "active"
        activations = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_activated",
                                                                AuditLog.resource_id == plan_id)).all()
        assert len(activations) == 1
