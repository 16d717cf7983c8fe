"""POST and GET /api/v1/payment-plans: the PRD's 201 body, 400s that name the field, ACTIVE_PLAN, another business's
plan, an agent inside and outside the plan policy, auto-pay cards checked with Stripe (localstripe)."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Payment, PaymentPlan
from app.services.payments import plan_records
from tests.factories import gen_account, gen_business, gen_plan, gen_user
from tests.plans.helpers import caller, create, installments_of, plan_of, total_of
from tests.stripe_support import card_payment_method

GOOD_CARD = "4242424242424242"
DECLINED_AT_ATTACH = "4000000000000002"


@pytest.fixture
def business():
    return gen_business()


@pytest.fixture
def account(business):
    return gen_account(business, current_balance=Decimal("1250.00"))


def test_a_manager_sets_up_the_prd_plan(client, clock, business, account):
    """201 with the PRD fields: installmentAmount 100.00, status pending, the down payment (installment 0) due on
    the start date, installment 1 a month later; the rows stored, the creation audited."""
    user, headers = caller(client, clock, business, "manager")
    response = create(client, headers, account)
    assert response.status_code == 201, response.get_json()
    text = response.get_data(as_text=True)
    assert '"installmentAmount": 100.00' in text and '"totalAmount": 1250.00' in text
    data = response.get_json()["data"]
    assert (data["accountId"], data["status"], data["frequency"]) == (str(account.id), "pending", "monthly")
    assert (data["downPayment"], data["installmentAmount"], data["numberOfInstallments"]) == (250, 100, 10)
    assert (data["startDate"], data["nextPaymentDate"], data["autoPayEnabled"]) == ("2026-12-01", "2026-12-01", False)
    assert data["schedule"][0] == {"installmentNumber": 0, "amount": 250, "dueDate": "2026-12-01",
                                   "status": "scheduled", "paidAt": None}
    assert [(r["installmentNumber"], r["dueDate"]) for r in data["schedule"][1:3]] == [(1, "2027-01-01"),
                                                                                      (2, "2027-02-01")]
    assert data["schedule"][-1]["dueDate"] == "2027-10-01" and len(data["schedule"]) == 11
    assert data["version"] == 1 and data["createdById"] == str(user.id)
    rows = installments_of(data["id"])
    assert total_of(rows) == Decimal("1250.00") and [r.number for r in rows] == list(range(11))
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.resource_id == uuid.UUID(data["id"]))).all()
    assert (audit.action, audit.user_id, audit.meta["withinPolicy"]) == ("payment_plan_created", user.id, True)


def test_defaults_cover_the_balance_from_today_without_a_down_payment(client, clock, business):
    """Only accountId and numberOfInstallments: the whole balance, no down payment, monthly from today (the first
    installment a month later); $1,000 over 3 rounds down with the last taking the cent."""
    account = gen_account(business, current_balance=Decimal("1000.00"))
    _, headers = caller(client, clock, business, "business_admin")
    response = client.post("/api/v1/payment-plans", json={"accountId": str(account.id), "numberOfInstallments": 3},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["totalAmount"], data["downPayment"], data["startDate"]) == (1000, 0, "2026-11-25")
    assert [(r["installmentNumber"], r["amount"], r["dueDate"]) for r in data["schedule"]] == [
        (1, Decimal("333.33"), "2026-12-25"), (2, Decimal("333.33"), "2027-01-25"),
        (3, Decimal("333.34"), "2027-02-25")]
    assert data["nextPaymentDate"] == "2026-12-25"


@pytest.mark.parametrize("overrides, field", [
    ({"accountId": None}, "accountId"),
    ({"numberOfInstallments": None}, "numberOfInstallments"),
    ({"numberOfInstallments": 0}, "numberOfInstallments"),
    ({"numberOfInstallments": 2.5}, "numberOfInstallments"),
    ({"numberOfInstallments": 10 ** 9}, "numberOfInstallments"),
    ({"frequency": "daily"}, "frequency"),
    ({"startDate": "2026-13-01"}, "startDate"),
    ({"startDate": "2026-11-20"}, "startDate"),
    ({"downPayment": "abc"}, "downPayment"),
    ({"downPayment": 1250}, "downPayment"),
    ({"downPayment": -5}, "downPayment"),
    ({"totalAmount": 1250.001}, "totalAmount"),
    ({"totalAmount": 1300}, "totalAmount"),
    ({"installmentAmount": 99.99}, "installmentAmount"),
    ({"autoPayEnabled": True}, "stripePaymentMethodId"),
    ({"autoPayEnabled": "sometimes"}, "autoPayEnabled"),
])
def test_a_bad_request_is_a_400_naming_the_field(client, clock, business, account, overrides, field):
    _, headers = caller(client, clock, business, "manager")
    response = create(client, headers, account, **overrides)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("VALIDATION_ERROR", field), error
    assert db.session.scalar(select(PaymentPlan.id)) is None


def test_a_matching_installment_amount_is_accepted(client, clock, business, account):
    """PRD 10.3's form sends installmentAmount too: the computed amount is accepted."""
    _, headers = caller(client, clock, business, "manager")
    assert create(client, headers, account, installmentAmount=100).status_code == 201


def test_a_second_open_plan_is_409_active_plan(client, clock, business, account):
    _, headers = caller(client, clock, business, "manager")
    first = create(client, headers, account).get_json()["data"]
    response = create(client, headers, account, downPayment=0, numberOfInstallments=12)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (error["code"], error["planId"]) == ("ACTIVE_PLAN", first["id"])
    assert error["message"] == "This account already has a pending payment plan."
    plan = plan_of(first["id"])
    plan.status = "canceled"
    db.session.commit()
    assert create(client, headers, account).status_code == 201  # a canceled plan no longer holds the account


def test_two_requests_that_both_pass_the_check_still_make_one_plan(client, clock, business, account, monkeypatch):
    """The partial unique index holds when the check is overtaken: the second insert answers ACTIVE_PLAN."""
    _, headers = caller(client, clock, business, "manager")
    existing = gen_plan(business, account)  # pending
    monkeypatch.setattr(plan_records, "_refuse_open_plan", lambda db_session, account_id: None)
    response = create(client, headers, account)
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] == "ACTIVE_PLAN"
    assert response.get_json()["error"]["planId"] == str(existing.id)
    db.session.expire_all()
    assert db.session.scalars(select(PaymentPlan.id)).all() == [existing.id]


def test_the_total_cannot_take_what_payments_in_flight_hold(client, clock, business, account):
    """$200 still processing: the plan may cover at most $1,050, and by default covers exactly that."""
    db.session.add(Payment(business_id=business.id, account_id=account.id, amount=Decimal("200.00"),
                           payment_method="ach", status="processing"))
    db.session.commit()
    _, headers = caller(client, clock, business, "manager")
    response = create(client, headers, account)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "totalAmount"
    assert "$1,050.00" in response.get_json()["error"]["message"]
    response = create(client, headers, account, totalAmount=None, downPayment=50)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["totalAmount"] == Decimal("1050.00")


def test_another_business_account_or_plan_is_404(client, clock, business, account):
    other = gen_business()
    other_account = gen_account(other)
    other_plan = gen_plan(other, other_account)
    _, headers = caller(client, clock, business, "business_admin")
    response = create(client, headers, other_account)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"
    assert client.get(f"/api/v1/payment-plans/{other_plan.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/payment-plans?accountId={other_account.id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/payment-plans/{other_plan.id}", json={"status": "paused"},
                        headers=headers).status_code == 404
    assert client.get("/api/v1/payment-plans/not-a-uuid", headers=headers).status_code == 404


@pytest.mark.parametrize("overrides", [{}, {"numberOfInstallments": 45, "downPayment": 0, "frequency": "weekly"}])
def test_an_agent_sets_up_a_plan_inside_the_policy(client, clock, business, account, overrides):
    """The PRD plan, or 45 weekly installments of $27.77 (over the $25 minimum, within 24 months)."""
    agent, headers = caller(client, clock, business, "agent")
    response = create(client, headers, account, **overrides)
    assert response.status_code == 201, response.get_json()
    assert plan_of(response.get_json()["data"]["id"]).created_by_id == agent.id


@pytest.mark.parametrize("overrides, field", [
    ({"numberOfInstallments": 30, "downPayment": 0}, "numberOfInstallments"),  # 30 months > 24
    ({"numberOfInstallments": 60, "downPayment": 0, "frequency": "weekly", "totalAmount": 1000}, "totalAmount"),
    ({"numberOfInstallments": 60, "downPayment": 0, "frequency": "weekly"}, "numberOfInstallments"),  # under $25
])
def test_an_agent_outside_the_policy_gets_a_400_naming_the_field_a_manager_does_not(client, clock, business,
                                                                                    overrides, field):
    account = gen_account(business, current_balance=Decimal("1250.00"))
    _, agent = caller(client, clock, business, "agent")
    response = create(client, agent, account, **overrides)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("VALIDATION_ERROR", field)
    assert "A manager or business admin can set up a plan outside the policy." in error["message"]
    _, manager = caller(client, clock, business, "manager")
    response = create(client, manager, account, **overrides)
    assert response.status_code == 201, response.get_json()
    created = select(AuditLog.meta).where(AuditLog.action == "payment_plan_created")
    assert db.session.scalars(created).one()["withinPolicy"] is False


def test_the_business_policy_is_what_binds_the_agent(client, clock, business, account):
    """A business that allows 36 months lets its agents offer 30."""
    business.settings = {**(business.settings or {}), "payment_plans": {"max_months": 36}}
    db.session.commit()
    _, headers = caller(client, clock, business, "agent")
    assert create(client, headers, account, numberOfInstallments=30, downPayment=0).status_code == 201


def test_an_agent_cannot_set_up_a_plan_outside_their_queue(client, clock, business):
    someone = gen_user(business, "agent")
    account = gen_account(business, assigned_agent_id=someone.id)
    _, headers = caller(client, clock, business, "agent")
    response = create(client, headers, account)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"


def test_a_debtor_reads_their_plan_but_does_not_set_one_up_here(client, clock, business, account):
    debtor, debtor_headers = caller(client, clock, business, "debtor")
    account.debtor_id = debtor.id
    db.session.commit()
    response = create(client, debtor_headers, account)
    assert response.status_code == 403, response.get_json()
    _, staff = caller(client, clock, business, "manager")
    plan_id = create(client, staff, account, notes="Promised to pay on payday").get_json()["data"]["id"]
    response = client.get(f"/api/v1/payment-plans/{plan_id}", headers=debtor_headers)
    assert response.status_code == 200 and response.get_json()["data"]["id"] == plan_id
    assert "notes" not in response.get_json()["data"], "staff notes stay with staff"
    listed = client.get(f"/api/v1/payment-plans?accountId={account.id}", headers=debtor_headers).get_json()["data"]
    assert [p["id"] for p in listed] == [plan_id] and "notes" not in listed[0]
    staff_view = client.get(f"/api/v1/payment-plans/{plan_id}", headers=staff).get_json()["data"]
    assert staff_view["notes"] == "Promised to pay on payday"
    stranger_account = gen_account(business)
    stranger_plan = gen_plan(business, stranger_account)
    assert client.get(f"/api/v1/payment-plans/{stranger_plan.id}", headers=debtor_headers).status_code == 404


def test_an_idempotency_key_replays_the_first_answer(client, clock, business, account):
    _, headers = caller(client, clock, business, "manager")
    keyed = {**headers, "Idempotency-Key": "plan-1"}
    first = create(client, keyed, account)
    again = create(client, keyed, account)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.data == first.data
    assert len(db.session.scalars(select(PaymentPlan.id)).all()) == 1


def test_auto_pay_checks_the_card_with_stripe(client, clock, business, account, stripe_client):
    """A good card is attached to the account's Stripe customer and kept on the plan; the PRD's other name for the
    field works too."""
    _, headers = caller(client, clock, business, "manager")
    card = card_payment_method(stripe_client, GOOD_CARD)
    response = create(client, headers, account, autoPayEnabled=True, paymentMethodId=card)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["autoPayEnabled"], data["stripePaymentMethodId"]) == (True, card)
    plan = plan_of(data["id"])
    assert plan.stripe_customer_id and plan.stripe_customer_id.startswith("cus_")
    assert stripe_client.v1.payment_methods.retrieve(card).customer == plan.stripe_customer_id


def test_a_declined_or_unknown_auto_pay_card_makes_no_plan(client, clock, business, account, stripe_client):
    _, headers = caller(client, clock, business, "manager")
    response = create(client, headers, account, autoPayEnabled=True,
                      stripePaymentMethodId=card_payment_method(stripe_client, DECLINED_AT_ATTACH))
    assert response.status_code == 402
    assert response.get_json()["error"]["code"] == "PAYMENT_FAILED"
    response = create(client, headers, account, autoPayEnabled=True, stripePaymentMethodId="pm_unknown")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "stripePaymentMethodId"
    assert db.session.scalar(select(PaymentPlan.id)) is None


def test_list_an_accounts_plans_newest_first_with_a_status_filter(client, clock, business, account):
    _, headers = caller(client, clock, business, "manager")
    old = create(client, headers, account).get_json()["data"]["id"]
    plan = plan_of(old)
    plan.status = "completed"
    db.session.commit()
    clock.advance(seconds=60)
    new = create(client, headers, account, downPayment=0, numberOfInstallments=5).get_json()["data"]["id"]
    body = client.get(f"/api/v1/payment-plans?accountId={account.id}", headers=headers).get_json()
    assert [p["id"] for p in body["data"]] == [new, old]
    assert body["meta"]["total"] == 2
    body = client.get(f"/api/v1/payment-plans?accountId={account.id}&status=completed", headers=headers).get_json()
    assert [p["id"] for p in body["data"]] == [old]
    response = client.get(f"/api/v1/payment-plans?accountId={account.id}&status=late", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "status"
    response = client.get("/api/v1/payment-plans", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "accountId"


def test_get_shows_the_payments_made_on_the_plan(client, clock, business, account):
    _, headers = caller(client, clock, business, "manager")
    plan_id = create(client, headers, account).get_json()["data"]["id"]
    db.session.add_all([
        Payment(business_id=business.id, account_id=account.id, payment_plan_id=uuid.UUID(plan_id),
                amount=Decimal("250.00"), payment_method="card", status="succeeded"),
        Payment(business_id=business.id, account_id=account.id, amount=Decimal("10.00"), payment_method="cash",
                status="succeeded")])
    db.session.commit()
    data = client.get(f"/api/v1/payment-plans/{plan_id}", headers=headers).get_json()["data"]
    assert [(p["amount"], p["paymentPlanId"]) for p in data["payments"]] == [(250, plan_id)]
    assert data["previousSchedules"] == [] and len(data["schedule"]) == 11


def test_the_openapi_document_describes_the_plan_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/payment-plans"]) >= {"get", "post"}
    assert set(paths["/payment-plans/{id}"]) >= {"get", "patch"}
    post = paths["/payment-plans"]["post"]
    assert "409" in post["responses"] and "ACTIVE_PLAN" in post["responses"]["409"]["description"]
    properties = post["responses"]["201"]["content"]["application/json"]["schema"]["properties"]
    assert {"installmentAmount", "nextPaymentDate", "schedule", "status"} <= set(properties)
