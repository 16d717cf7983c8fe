"""A plan travelled through with the clock: reminders three days ahead in the debtor's zone, the auto-pay charge on
the due date, a card that starts failing (retries on days 1, 3 and 5 with a notice each time), a missed
installment after the grace period, and the second miss defaulting the plan."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Notification, PaymentPlan, PortalLink, WebhookDelivery, WebhookEndpoint
from app.services import webhooks
from app.services.payments import installments
from tests.factories import gen_user
from tests.plans.installment_helpers import (FAILS_CHARGE, GOOD_CARD, at, count_payments, local_midnight,
                                             messages_to, payments_for, plan_of, rows_of, saved_card, weekly_plan)
from tests.stripe_support import card_payment_method

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _stripe(stripe_config):
    """Every test here charges this worker's localstripe."""


def _endpoint(business) -> None:
    """A business webhook subscribed to plan defaults (a closed local port: the delivery fails fast)."""
    db.session.add(WebhookEndpoint(business_id=business.id, url="http://127.0.0.1:9/hooks", active=True,
                                   events=["payment_plan.defaulted"],
                                   secret_encrypted=webhooks._keyring().encrypt(b"whsec_test", b"webhook")))
    db.session.commit()


def test_reminder_charge_failures_retries_miss_and_default(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client)
    manager = gen_user(business, "manager")
    _endpoint(business)
    first, second, third = rows_of(plan.id)
    assert [r.due_date for r in (first, second, third)] == [dt.date(2026, 12, 2), dt.date(2026, 12, 9),
                                                            dt.date(2026, 12, 16)]

    # Reminder: three days before, by the debtor's calendar (Chicago), once.
    at(app, clock, local_midnight(dt.date(2026, 11, 29)) - MINUTE)
    assert messages_to(account.id) == []
    at(app, clock, local_midnight(dt.date(2026, 11, 29)))
    [reminder] = messages_to(account.id)
    assert reminder.kind == "transactional" and reminder.purpose == "collection"
    assert reminder.delivery_status == "scheduled"  # midnight in Chicago: the gate holds it for the morning
    assert ("$100.00 for your payment plan will be paid automatically with your card on file on December 2, 2026"
            in reminder.content)
    at(app, clock, local_midnight(dt.date(2026, 11, 29)) + dt.timedelta(hours=3))
    assert len(messages_to(account.id)) == 1 and rows_of(plan.id)[0].reminder_sent_at is not None

    # The charge: not before the due date starts in Chicago, then once.
    at(app, clock, local_midnight(dt.date(2026, 12, 2)) - MINUTE)
    assert count_payments(account.id) == 0
    at(app, clock, local_midnight(dt.date(2026, 12, 2)))
    first = rows_of(plan.id)[0]
    [payment] = payments_for(first.id)
    assert (first.status, first.attempts, first.payment_id) == ("paid", 1, payment.id)
    assert (payment.status, payment.amount, payment.payment_plan_id) == ("succeeded", Decimal("100.00"), plan.id)
    intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.status == "succeeded" and intent.metadata["installment_id"] == str(first.id)
    assert intent.metadata["payment_id"] == str(payment.id)
    current = plan_of(plan.id)
    assert (current.payments_made, current.amount_paid, current.next_payment_date) == (
        1, Decimal("100.00"), dt.date(2026, 12, 9))
    assert db.session.get(Account, account.id).current_balance == Decimal("200.00")
    assert len(messages_to(account.id, "receipt")) == 1

    # The card starts failing: 4000000000000341 attaches and then declines every charge.
    failing = saved_card(stripe_client, account, FAILS_CHARGE)
    db.session.get(PaymentPlan, plan.id).stripe_payment_method_id = failing
    db.session.commit()
    at(app, clock, local_midnight(dt.date(2026, 12, 9)))
    second = rows_of(plan.id)[1]
    assert (second.status, second.attempts) == ("failed", 1)
    assert second.next_retry_at == local_midnight(dt.date(2026, 12, 10))
    assert db.session.get(Account, account.id).status == "payment_failed"
    [notice] = messages_to(account.id, "payment_link")
    assert notice.kind == "transactional"
    assert "the $100.00 payment for your payment plan did not go through" in notice.content
    assert "We will try again on December 10, 2026" in notice.content
    [link] = db.session.scalars(select(PortalLink).where(PortalLink.message_id == notice.id,
                                                         PortalLink.purpose == "payment")).all()
    assert link.revoked_at is None and notice.delivery_status != "blocked"

    # Retries on days 1, 3 and 5 after the first failure, each a new Payment and a notice; none before its time.
    for day, attempts, following in ((10, 2, 12), (12, 3, 14), (14, 4, None)):
        at(app, clock, local_midnight(dt.date(2026, 12, day)) - MINUTE)
        assert rows_of(plan.id)[1].attempts == attempts - 1
        at(app, clock, local_midnight(dt.date(2026, 12, day)))
        second = rows_of(plan.id)[1]
        assert (second.status, second.attempts) == ("failed", attempts)
        assert second.next_retry_at == (local_midnight(dt.date(2026, 12, following)) if following else None)
    assert [p.status for p in payments_for(second.id)] == ["failed"] * 4
    notices = messages_to(account.id, "payment_link")
    assert len(notices) == 4 and "will not try this card again" in notices[-1].content

    # The grace period ends at the end of December 14 (due December 9 + 5 days): missed on the 15th.
    at(app, clock, local_midnight(dt.date(2026, 12, 15)) - MINUTE)
    assert rows_of(plan.id)[1].status == "failed" and plan_of(plan.id).missed_count == 0
    at(app, clock, local_midnight(dt.date(2026, 12, 15)))
    assert rows_of(plan.id)[1].status == "skipped"
    assert (plan_of(plan.id).missed_count, plan_of(plan.id).status) == (1, "active")
    assert plan_of(plan.id).next_payment_date == dt.date(2026, 12, 16)

    # The third installment fails through its retries too, and its miss defaults the plan.
    for day in (16, 17, 19, 21):
        at(app, clock, local_midnight(dt.date(2026, 12, day)))
    assert rows_of(plan.id)[2].attempts == 4
    at(app, clock, local_midnight(dt.date(2026, 12, 22)))
    current = plan_of(plan.id)
    assert (current.status, current.missed_count, current.next_payment_date) == ("defaulted", 2, None)
    assert [r.status for r in rows_of(plan.id)] == ["paid", "skipped", "skipped"]
    assert count_payments(account.id, "succeeded") == 1 and count_payments(account.id, "failed") == 8
    assert db.session.get(Account, account.id).current_balance == Decimal("200.00")
    [ended] = [m for m in messages_to(account.id, "payment_link") if "has ended" in m.content]
    assert ended.kind == "transactional" and "$200.00 is still owed" in ended.content
    assert ended.delivery_status != "blocked"
    [bell] = db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).all()
    assert bell.kind == "review" and "defaulted" in bell.title
    [event] = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.event_type == "payment_plan.defaulted")).all()
    assert f'"id": "{plan.id}"' in event.body or f'"id":"{plan.id}"' in event.body

    # Nothing more happens to a defaulted plan.
    at(app, clock, local_midnight(dt.date(2026, 12, 30)))
    assert count_payments(account.id) == 9


def test_a_later_success_restores_the_account(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, card=FAILS_CHARGE, count=2)
    at(app, clock, local_midnight(dt.date(2026, 12, 2)))
    assert db.session.get(Account, account.id).status == "payment_failed"
    good = saved_card(stripe_client, account, GOOD_CARD)
    db.session.get(PaymentPlan, plan.id).stripe_payment_method_id = good
    db.session.commit()
    at(app, clock, local_midnight(dt.date(2026, 12, 3)))
    first = rows_of(plan.id)[0]
    assert (first.status, first.attempts, first.next_retry_at) == ("paid", 2, None)
    assert [p.status for p in payments_for(first.id)] == ["failed", "succeeded"]
    account = db.session.get(Account, account.id)
    assert (account.status, account.current_balance) == ("active", Decimal("150.00"))

    at(app, clock, local_midnight(dt.date(2026, 12, 9)))
    assert plan_of(plan.id).status == "completed" and plan_of(plan.id).amount_paid == Decimal("300.00")
    assert db.session.get(Account, account.id).status == "paid_in_full"


def test_without_auto_pay_a_reminder_with_a_pay_link_and_no_charge(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, auto_pay=False)
    at(app, clock, local_midnight(dt.date(2026, 11, 29)))
    [reminder] = messages_to(account.id)
    assert reminder.kind == "transactional" and reminder.purpose == "payment_link"
    assert "$100.00 is due on December 2, 2026. Pay here:" in reminder.content
    assert db.session.scalars(select(PortalLink).where(PortalLink.message_id == reminder.id,
                                                       PortalLink.purpose == "payment")).one().revoked_at is None
    at(app, clock, local_midnight(dt.date(2026, 12, 2)) + dt.timedelta(hours=12))
    assert count_payments(account.id) == 0 and rows_of(plan.id)[0].status == "scheduled"
    at(app, clock, local_midnight(dt.date(2026, 12, 8)))
    assert rows_of(plan.id)[0].status == "skipped" and plan_of(plan.id).missed_count == 1


def test_the_due_day_is_the_debtors(app, clock, stripe_client):
    """Due December 2 in Honolulu (UTC-10): not charged at 06:00 UTC, when Chicago's December 2 has begun."""
    business, account, plan = weekly_plan(stripe_client, count=1, total="100.00")
    db.session.get(Account, account.id).timezone = "Pacific/Honolulu"
    db.session.commit()
    at(app, clock, local_midnight(dt.date(2026, 12, 2)))
    assert count_payments(account.id) == 0
    at(app, clock, dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone.utc))
    assert rows_of(plan.id)[0].status == "paid"
    assert installments.local_today(db.session.get(Account, account.id),
                                    dt.datetime(2026, 12, 2, 9, 59, tzinfo=dt.timezone.utc)) == dt.date(2026, 12, 1)


def test_a_spanish_speaking_debtor_is_reminded_in_spanish(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, auto_pay=False)
    db.session.get(Account, account.id).preferred_language = "es"
    db.session.commit()
    at(app, clock, local_midnight(dt.date(2026, 11, 29)))
    [reminder] = messages_to(account.id)
    assert "la cuota de $100.00 de su plan de pagos vence el 2 de diciembre de 2026" in reminder.content
    assert reminder.delivery_status != "blocked"


def test_a_failure_notice_in_spanish(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, card=FAILS_CHARGE)
    db.session.get(Account, account.id).preferred_language = "es"
    db.session.commit()
    at(app, clock, local_midnight(dt.date(2026, 12, 2)))
    [notice] = messages_to(account.id, "payment_link")
    assert "no pudimos cobrar $100.00 a su tarjeta" in notice.content
    assert "Lo intentaremos de nuevo el 3 de diciembre de 2026" in notice.content
    assert notice.delivery_status != "blocked"
