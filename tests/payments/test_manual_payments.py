"""Can staff record a check, cash or money order, applied at once with who recorded it, within the roles and
queues the permission table allows and never for more than the account still owes?"""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, Payment
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.payments.manual import record_manual
from app.services.tenancy import Principal
from tests.concurrency import race
from tests.factories import NOW, gen_account, gen_business, gen_user


def principal(user) -> Principal:
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id, email=user.email)


@pytest.fixture
def shop():
    business = gen_business()
    return business, gen_account(business, current_balance=Decimal("250.00"), status="active")


def record(user, account, amount, method="check", **extra) -> Payment:
    payment = record_manual(db.session, principal(user), account.id, amount, method, now=NOW, **extra)
    db.session.commit()
    return payment


def test_a_check_is_applied_at_once_with_who_recorded_it(shop):
    """Does a manager's check succeed at once, lower the balance, get a receipt number and keep the processing
    user, the time, the check number, the received date and the note?"""
    business, account = shop
    manager = gen_user(business, "manager")
    payment = record(manager, account, "100.50", reference="1042", note="Mailed to the office",
                     received_on="2026-11-20")
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == "succeeded" and payment.amount == Decimal("100.50")
    assert payment.payment_method == "check" and payment.processed_by_id == manager.id
    assert payment.processed_at == NOW and payment.receipt_number
    assert payment.description == "Check 1042, received 2026-11-20" and payment.notes == "Mailed to the office"
    assert payment.stripe_payment_intent_id is None
    assert db.session.get(Account, account.id).current_balance == Decimal("149.50")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_recorded")).one()
    assert entry.user_id == manager.id and entry.resource_id == payment.id
    assert entry.meta["method"] == "check" and entry.meta["receivedOn"] == "2026-11-20"


@pytest.mark.parametrize("method", ["cash", "money_order", "other"])
def test_every_manual_method_is_accepted(shop, method):
    business, account = shop
    payment = record(gen_user(business, "business_admin"), account, "10", method)
    assert payment.status == "succeeded" and payment.payment_method == method


def test_paying_the_whole_balance_marks_the_account_paid_in_full(shop):
    business, account = shop
    record(gen_user(business, "manager"), account, "250.00", "cash")
    settled = db.session.get(Account, account.id)
    assert settled.current_balance == Decimal("0.00") and settled.status == "paid_in_full"


@pytest.mark.parametrize("amount, message", [
    ("0", "at least $0.01"), ("0.00", "at least $0.01"), ("-5", "negative"), ("250.01", "$250.00"),
    ("12.345", "two decimals"), ("ten dollars", "amount"), ("", "required"),
])
def test_amounts_outside_one_cent_to_the_balance_are_refused(shop, amount, message):
    """Is each amount outside $0.01..balance refused on the amount field, with nothing recorded?"""
    business, account = shop
    with pytest.raises(ValidationError) as refused:
        record(gen_user(business, "manager"), account, amount)
    assert refused.value.field == "amount" and message in refused.value.message
    db.session.rollback()
    assert db.session.scalars(select(Payment)).first() is None
    assert db.session.get(Account, account.id).current_balance == Decimal("250.00")


def test_payments_in_flight_reserve_their_amount(shop):
    """A card payment still processing holds its amount: a check may cover only the rest."""
    business, account = shop
    db.session.add(Payment(business_id=business.id, account_id=account.id, amount=Decimal("100.00"),
                           payment_method="card", status="processing", stripe_payment_intent_id="pi_inflight"))
    db.session.commit()
    manager = gen_user(business, "manager")
    with pytest.raises(ValidationError) as refused:
        record(manager, account, "150.01")
    assert refused.value.message == ("The amount cannot be more than $150.00: payments still being processed "
                                     "hold $100.00 of the $250.00 balance.")
    db.session.rollback()
    assert record(manager, account, "150.00").status == "succeeded"


@pytest.mark.parametrize("field, kwargs", [
    ("paymentMethod", {"method": "card"}), ("paymentMethod", {"method": ""}),
    ("receivedOn", {"received_on": "2026-11-26"}), ("receivedOn", {"received_on": "yesterday"}),
    ("reference", {"reference": "x" * 101}), ("note", {"note": "x" * 1001}),
])
def test_bad_details_are_refused_on_their_field(shop, field, kwargs):
    business, account = shop
    method = kwargs.pop("method", "check")
    with pytest.raises(ValidationError) as refused:
        record(gen_user(business, "manager"), account, "10.00", method, **kwargs)
    assert refused.value.field == field


def test_received_on_defaults_to_today(shop):
    business, account = shop
    payment = record(gen_user(business, "manager"), account, "5.00", "cash")
    assert payment.description == f"Cash, received {NOW.date().isoformat()}"


def test_an_agent_records_within_their_queue_only(shop):
    """Agents may record payments on accounts in their queue (theirs or unassigned), not another agent's."""
    business, account = shop
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    assert record(agent, account, "20.00", "cash").processed_by_id == agent.id
    theirs = gen_account(business, assigned_agent_id=other.id)
    with pytest.raises(Forbidden):
        record(agent, theirs, "20.00", "cash")
    db.session.rollback()
    mine = gen_account(business, assigned_agent_id=agent.id)
    assert record(agent, mine, "20.00", "cash").status == "succeeded"


def test_other_roles_and_other_businesses_are_refused(shop):
    """A debtor may not record payments; another business's account is 404, never found."""
    business, account = shop
    with pytest.raises(Forbidden):
        record_manual(db.session, Principal(business_id=business.id, role="debtor"), account.id, "10.00", "cash",
                      now=NOW)
    stranger = gen_user(gen_business(), "business_admin")
    with pytest.raises(NotFound):
        record(stranger, account, "10.00", "cash")
    db.session.rollback()
    assert db.session.scalars(select(Payment)).first() is None


def test_an_account_with_nothing_owed_takes_no_payment(shop):
    business, account = shop
    account.current_balance = Decimal("0.00")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        record(gen_user(business, "manager"), account, "1.00", "cash")
    assert "no balance" in refused.value.message


def test_received_on_accepts_a_date_object(shop):
    business, account = shop
    payment = record(gen_user(business, "manager"), account, "1.00", "money_order",
                     received_on=dt.date(2026, 11, 1))
    assert payment.description == "Money order, received 2026-11-01"


def test_two_staff_recording_the_whole_balance_at_once_record_it_once(shop, app):
    """Two people record the same $250 check at the same moment: one is applied, the other is refused for the $0
    left, and the balance never goes below zero."""
    business, account = shop
    callers = [principal(gen_user(business, "manager")), principal(gen_user(business, "agent"))]
    account_id = account.id  # read here: the threads must not touch this session's objects
    outcomes = race(app, [lambda caller=caller: record_manual(db.session, caller, account_id, "250.00", "check",
                                                              now=NOW) for caller in callers])
    outcomes = [o.field if isinstance(o, ValidationError) else repr(o) if isinstance(o, Exception) else "recorded"
                for o in outcomes]
    assert sorted(outcomes) == ["amount", "recorded"]
    db.session.expire_all()
    assert db.session.get(Account, account.id).current_balance == Decimal("0.00")
    assert len(db.session.scalars(select(Payment)).all()) == 1
