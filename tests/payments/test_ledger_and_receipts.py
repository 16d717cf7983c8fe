"""The ledger applies each change to a balance once, and the receipt tells the debtor through the compliance gate."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.extensions import db
from app.models import Account, Business, Payment
from app.services.payments import ledger, receipts
from tests.factories import NOW
from tests.payments.one_time_helpers import balance_of, paying_debtor, receipts_of


def _payment(account, amount="100.00", method="check", status="pending", **fields) -> Payment:
    payment = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal(amount),
                      payment_method=method, status=status, created_at=NOW, updated_at=NOW, **fields)
    db.session.add(payment)
    db.session.commit()
    return payment


def test_a_success_is_applied_once():
    business, account, _ = paying_debtor("412.50")
    payment = _payment(account)
    assert ledger.apply_success(db.session, payment, now=NOW, charge_id="ch_1") is True
    db.session.commit()
    assert ledger.apply_success(db.session, payment, now=NOW) is False
    db.session.commit()
    assert balance_of(account.id) == Decimal("312.50")
    payment = db.session.get(Payment, payment.id)
    assert (payment.status, payment.balance_after, payment.stripe_charge_id) == ("succeeded", Decimal("312.50"), "ch_1")
    assert payment.succeeded_at == NOW and payment.processed_at == NOW
    assert len(receipts_of(account.id)) == 1


def test_a_failure_never_undoes_a_success():
    business, account, _ = paying_debtor("412.50")
    payment = _payment(account)
    ledger.apply_success(db.session, payment, now=NOW)
    assert ledger.mark_failed(db.session, payment, reason="Your card was declined.", now=NOW) is False
    db.session.commit()
    assert db.session.get(Payment, payment.id).status == "succeeded"


def test_stripe_reporting_success_after_a_failure_is_recorded():
    """The money was taken (the debtor finished the PaymentIntent after we gave up on it): the ledger records it."""
    business, account, _ = paying_debtor("412.50")
    payment = _payment(account, method="card", stripe_payment_intent_id="pi_late")
    assert ledger.mark_failed(db.session, payment, reason="The card's security check was not completed.", now=NOW,
                              code="authentication_abandoned") is True
    assert ledger.apply_success(db.session, payment, now=NOW) is True
    db.session.commit()
    assert balance_of(account.id) == Decimal("312.50")
    assert db.session.get(Payment, payment.id).failure_reason is None
    manual = _payment(account, status="failed")
    assert ledger.apply_success(db.session, manual, now=NOW) is False


def test_refunds_apply_only_the_increase_of_stripes_total():
    business, account, _ = paying_debtor("100.00")
    payment = _payment(account, method="card", stripe_payment_intent_id="pi_r")
    ledger.apply_success(db.session, payment, now=NOW)
    db.session.commit()
    assert db.session.get(Account, account.id).status == "paid_in_full"

    assert ledger.apply_refunded_total(db.session, payment, Decimal("30.00"), now=NOW) == Decimal("30.00")
    db.session.commit()
    account = db.session.get(Account, account.id)
    assert (account.current_balance, account.status) == (Decimal("30.00"), "active")
    assert db.session.get(Payment, payment.id).status == "partially_refunded"
    assert ledger.apply_refunded_total(db.session, payment, Decimal("30.00"), now=NOW) == Decimal("0.00")
    assert ledger.apply_refunded_total(db.session, payment, Decimal("20.00"), now=NOW) == Decimal("0.00")
    assert ledger.apply_refunded_total(db.session, payment, Decimal("150.00"), now=NOW) == Decimal("70.00")
    db.session.commit()
    payment = db.session.get(Payment, payment.id)
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("100.00"))
    assert balance_of(account.id) == Decimal("100.00")


def test_a_refund_of_a_payment_that_never_succeeded_changes_nothing():
    business, account, _ = paying_debtor("100.00")
    payment = _payment(account, method="card")
    assert ledger.apply_refunded_total(db.session, payment, Decimal("10.00"), now=NOW) == Decimal("0.00")
    assert balance_of(account.id) == Decimal("100.00")


def test_receipt_numbers_count_per_business():
    business, account, _ = paying_debtor("900.00")
    numbers = []
    for _ in range(3):
        payment = _payment(account, amount="10.00")
        ledger.apply_success(db.session, payment, now=NOW)
        db.session.commit()
        numbers.append(payment.receipt_number)
    assert numbers == ["R-2026-000001", "R-2026-000002", "R-2026-000003"]
    other_business, other, _ = paying_debtor("50.00")
    payment = _payment(other, amount="10.00")
    ledger.apply_success(db.session, payment, now=NOW + dt.timedelta(days=40))
    assert payment.receipt_number == "R-2027-000001"
    assert db.session.get(Business, business.id).receipt_number_seq == 3


def test_the_receipt_is_a_transactional_email_with_the_balance_after_the_payment():
    business, account, _ = paying_debtor("412.50")
    payment = _payment(account, amount="12.50", method="money_order")
    ledger.apply_success(db.session, payment, now=NOW)
    db.session.commit()
    [message] = receipts_of(account.id)
    assert (message.kind, message.purpose, message.channel, message.sender_type) == (
        "transactional", "receipt", "email", "system")
    assert message.subject == "Payment receipt R-2026-000001"
    assert message.delivery_status == "queued" and message.compliance_passed
    assert message.content.startswith(
        f"{business.name}: payment received. $12.50 on November 25, 2026 by money order. Receipt number "
        f"R-2026-000001. Remaining balance: $400.00. View your receipt: http")
    assert f"/p/receipts/{payment.id}" in message.content


def test_without_an_email_the_receipt_is_a_text_in_the_debtors_language():
    business, account, _ = paying_debtor("80.00", email=None, preferred_language="es")
    payment = _payment(account, amount="80.00", method="cash")
    ledger.apply_success(db.session, payment, now=NOW)
    db.session.commit()
    [message] = receipts_of(account.id)
    assert (message.channel, message.kind) == ("sms", "transactional")
    assert message.delivery_status == "queued" and message.compliance_passed  # the receipt number is no PII (PRIV-4)
    assert "pago recibido. $80.00 el 25 de noviembre de 2026 con efectivo." in message.content
    assert "Saldo restante: $0.00. Su cuenta está pagada en su totalidad." in message.content


def test_under_a_cease_the_receipt_states_facts_only_and_the_gate_decides():
    """CEASE-3: no balance in it, and without the debtor's own request after the cease the gate blocks it."""
    business, account, _ = paying_debtor("412.50", cease_received_at=NOW - dt.timedelta(days=3), cease_type="cease")
    payment = _payment(account, amount="12.50")
    ledger.apply_success(db.session, payment, now=NOW)
    db.session.commit()
    [message] = receipts_of(account.id)
    assert "balance" not in message.content.lower() and "$12.50" in message.content
    assert message.delivery_status == "blocked" and "CEASE-3" in message.compliance_issues
    assert db.session.get(Payment, payment.id).status == "succeeded"


def test_an_account_with_no_address_gets_no_message_but_the_payment_stands():
    business, account, _ = paying_debtor("50.00", email=None, phone=None)
    payment = _payment(account, amount="5.00")
    assert ledger.apply_success(db.session, payment, now=NOW) is True
    db.session.commit()
    assert not receipts_of(account.id) and balance_of(account.id) == Decimal("45.00")


def test_the_receipt_links_to_the_account_page_until_a_receipt_page_exists(monkeypatch):
    business, account, _ = paying_debtor("50.00")
    payment = _payment(account, amount="5.00")
    assert receipts.page_url(payment).endswith(f"/p/receipts/{payment.id}")
    monkeypatch.setattr(receipts, "RECEIPT_ENDPOINT", "portal.no_such_page")
    assert receipts.page_url(payment) == "http://127.0.0.1:5000/p/account"


def test_a_receipt_that_cannot_be_queued_does_not_undo_the_payment(monkeypatch):
    business, account, _ = paying_debtor("50.00")

    def broken(*args, **kwargs):
        raise RuntimeError("template missing")
    monkeypatch.setattr(receipts, "send", broken)
    payment = _payment(account, amount="5.00")
    assert ledger.apply_success(db.session, payment, now=NOW) is True
    db.session.commit()
    assert balance_of(account.id) == Decimal("45.00") and not receipts_of(account.id)


def test_the_receipt_is_dated_in_the_debtors_zone_when_it_is_known():
    """05:00 UTC on the 26th is still the evening of the 25th in Los Angeles."""
    business, account, _ = paying_debtor("50.00", timezone="America/Los_Angeles")
    late = dt.datetime(2026, 11, 26, 5, 0, tzinfo=dt.timezone.utc)
    payment = _payment(account, amount="5.00")
    ledger.apply_success(db.session, payment, now=late)
    assert "$5.00 on November 25, 2026" in receipts.text(payment, account, business.name)
