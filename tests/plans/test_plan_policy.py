"""The business's plan policy: the PRD defaults, what an admin may change (and nobody else), one clear error per
field, templates kept inside the policy, exact values stored, every change audited."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business
from app.services.errors import Forbidden, ValidationError
from app.services.payments import plan_policy
from app.services.tenancy import Principal
from tests.factories import NOW, gen_business, gen_user


@pytest.fixture
def admin():
    business = gen_business()
    user = gen_user(business, "business_admin")
    return business, Principal(business_id=business.id, role="business_admin", user_id=user.id, email=user.email)


def _stored(business) -> dict:
    db.session.expire_all()
    return db.session.get(Business, business.id).settings.get("payment_plans")


def test_the_defaults_are_the_prd_policy_and_templates(admin):
    business, _ = admin
    policy = plan_policy.get(db.session, business.id)
    assert (policy.min_installment, policy.max_months, policy.min_down_percent) == (Decimal("25.00"), 24, 0)
    assert policy.frequencies == ("weekly", "biweekly", "monthly")
    assert [(t.key, t.name, t.down_percent, t.months) for t in policy.templates] == [
        ("standard", "Standard plan", 20, 12), ("flexible", "Flexible plan", 10, 18),
        ("hardship", "Hardship plan", 0, 24)]


def test_an_admin_change_is_stored_exactly_audited_and_read_back(admin):
    business, principal = admin
    plan_policy.update(db.session, principal, {"minInstallment": "40.50", "maxMonths": 36, "minDownPercent": "5",
                                               "frequencies": ["monthly", "weekly"],
                                               "templates": {"hardship": {"downPercent": "7.5", "months": 36}}}, NOW)
    db.session.commit()
    assert _stored(business) == {"min_installment": "40.50", "max_months": 36, "min_down_percent": "5",
                                 "frequencies": ["weekly", "monthly"],
                                 "templates": {"hardship": {"down_percent": "7.50", "months": 36}}}
    policy = plan_policy.get(db.session, business.id)
    assert policy.min_installment == Decimal("40.50") and policy.template("hardship").down_percent == Decimal("7.5")
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_settings_updated")).all()
    assert row.user_id == principal.user_id and row.business_id == business.id
    assert row.meta["changes"]["max_months"] == [None, 36]


def test_saving_the_same_values_changes_and_audits_nothing(admin):
    business, principal = admin
    plan_policy.update(db.session, principal, {
        "minInstallment": "25.00", "maxMonths": 24, "minDownPercent": 0,
        "frequencies": ["weekly", "biweekly", "monthly"],
        "templates": {"standard": {"downPercent": 20, "months": 12}, "hardship": {}}}, NOW)
    db.session.commit()
    assert _stored(business) is None
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "payment_plan_settings_updated")) is None


def test_none_returns_a_setting_to_its_default(admin):
    business, principal = admin
    plan_policy.update(db.session, principal, {"maxMonths": 12, "templates": {"flexible": {"months": 12},
                                                                              "hardship": {"months": 12}}}, NOW)
    plan_policy.update(db.session, principal, {"maxMonths": None, "templates": {"flexible": None,
                                                                                "hardship": None}}, NOW)
    db.session.commit()
    assert _stored(business) == {}


@pytest.mark.parametrize("changes, field", [
    ({"minInstallment": "0.50"}, "minInstallment"),
    ({"minInstallment": "25.001"}, "minInstallment"),
    ({"minInstallment": "lots"}, "minInstallment"),
    ({"maxMonths": 0}, "maxMonths"),
    ({"maxMonths": 121}, "maxMonths"),
    ({"maxMonths": "two"}, "maxMonths"),
    ({"minDownPercent": 95}, "minDownPercent"),
    ({"minDownPercent": "-1"}, "minDownPercent"),
    ({"frequencies": []}, "frequencies"),
    ({"frequencies": ["daily"]}, "frequencies"),
    ({"templates": {"gold": {"months": 3}}}, "templates.gold"),
    ({"templates": {"standard": {"months": 0}}}, "templates.standard.months"),
    ({"templates": {"standard": {"downPercent": 91}}}, "templates.standard.downPercent"),
    ({"templates": {"standard": {"interest": 3}}}, "templates.standard.interest"),
    ({"lateFee": 10}, "lateFee"),
])
def test_each_bad_value_is_refused_with_its_field(admin, changes, field):
    business, principal = admin
    with pytest.raises(ValidationError) as raised:
        plan_policy.update(db.session, principal, changes, NOW)
    assert raised.value.field == field
    assert _stored(business) is None


def test_a_template_must_stay_inside_the_policy(admin):
    """Raising the minimum down payment above the hardship plan's 0%, or shortening the longest plan below the
    flexible plan's 18 months, names the template to change too."""
    _, principal = admin
    with pytest.raises(ValidationError) as raised:
        plan_policy.update(db.session, principal, {"minDownPercent": 5}, NOW)
    assert raised.value.field == "templates.hardship.downPercent"
    assert raised.value.message == "The hardship plan asks 0% down, below the minimum of 5%: raise it too."
    with pytest.raises(ValidationError) as raised:
        plan_policy.update(db.session, principal, {"maxMonths": 12}, NOW)
    assert raised.value.field == "templates.flexible.months"


@pytest.mark.parametrize("role", ["manager", "agent", "debtor"])
def test_only_a_business_admin_changes_the_policy(admin, role):
    business, _ = admin
    principal = Principal(business_id=business.id, role=role)
    with pytest.raises(Forbidden):
        plan_policy.update(db.session, principal, {"maxMonths": 12}, NOW)


def test_stored_values_that_no_longer_validate_fall_back_to_the_defaults():
    policy = plan_policy.effective({"min_installment": 0.5, "max_months": "x", "frequencies": ["daily"],
                                    "templates": {"standard": {"down_percent": "999"}}})
    assert policy == plan_policy.DEFAULTS


def test_a_stored_shorter_maximum_keeps_default_templates_inside_it():
    policy = plan_policy.effective({"max_months": 12, "min_down_percent": "15"})
    assert [(t.key, t.down_percent, t.months) for t in policy.templates] == [
        ("standard", 20, 12), ("flexible", 15, 12), ("hardship", 15, 12)]
