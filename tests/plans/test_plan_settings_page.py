"""Settings > Payment plans in the browser: who may open it, saving the policy (audited), every bad field shown
inline at once, and the preview of what a $1,250 balance is offered."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in

FORM = {"min_installment": "25.00", "max_months": "24", "min_down_percent": "0", "frequency_weekly": "on",
        "frequency_biweekly": "on", "frequency_monthly": "on", "standard_down_percent": "20", "standard_months": "12",
        "flexible_down_percent": "10", "flexible_months": "18", "hardship_down_percent": "0", "hardship_months": "24"}


@pytest.fixture
def admin(client, clock):
    business = gen_business()
    user = gen_user(business, "business_admin")
    sign_in(client, user, clock)
    return business, user


def _stored(business) -> dict | None:
    db.session.expire_all()
    return db.session.get(Business, business.id).settings.get("payment_plans")


def _error_of(html: str, name: str) -> str | None:
    match = re.search(rf'id="plan-{name}-error">([^<]*)<', html)
    return match.group(1) if match else None


def test_the_page_shows_the_defaults_and_the_three_proposals(client, admin):
    response = client.get("/settings/payment-plans")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="min_installment" value="25.00"' in html and 'name="hardship_months" value="24"' in html
    assert 'aria-current="page">Payment plans</a>' in html
    preview = html.split('id="plan-preview-title"', 1)[1]
    assert "What a $1,250.00 balance is offered" in preview
    for name, down, count, each in (("Standard plan", "$250.00", "12", "$83.33"),
                                    ("Flexible plan", "$125.00", "18", "$62.50"),
                                    ("Hardship plan", "$0.00", "24", "$52.08")):
        row = preview.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
        assert down in row and f">{count}<" in row and each in row


def test_saving_changes_the_policy_and_the_audit_log(client, admin):
    business, user = admin
    response = client.post("/settings/payment-plans", data={
        **FORM, "min_installment": "50", "max_months": "36", "frequency_weekly": "", "hardship_months": "36"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _stored(business) == {"min_installment": "50.00", "max_months": 36, "frequencies": ["biweekly", "monthly"],
                                 "templates": {"hardship": {"down_percent": "0", "months": 36}}}
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_settings_updated")).one()
    assert row.user_id == user.id
    html = client.get("/settings/payment-plans").get_data(as_text=True)
    assert "Payment plan settings saved." in html and 'name="min_installment" value="50.00"' in html
    assert re.search(r'name="frequency_weekly"\s*checked', html) is None
    assert re.search(r'name="frequency_monthly"\s*checked', html)


def test_every_bad_field_is_shown_inline_and_nothing_is_saved(client, admin):
    business, _ = admin
    response = client.post("/settings/payment-plans", data={
        **FORM, "min_installment": "0.10", "max_months": "lots", "frequency_weekly": "", "frequency_biweekly": "",
        "frequency_monthly": "", "flexible_months": "0"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Check the highlighted fields." in html
    assert _error_of(html, "min_installment") == "The minimum installment must be between $1.00 and $100,000.00."
    assert _error_of(html, "max_months") == "The longest plan must be a whole number of months."
    assert _error_of(html, "frequencies") == "Offer at least one frequency."
    assert _error_of(html, "flexible_months") == "The flexible plan must be between 1 and 120 months."
    assert 'id="plan-min_installment"' in html and 'aria-invalid="true"' in html
    assert 'value="0.10"' in html  # what was typed stays in the box
    assert _stored(business) is None


def test_a_template_outside_the_new_limits_is_named(client, admin):
    response = client.post("/settings/payment-plans", data={**FORM, "max_months": "12"})
    assert response.status_code == 400
    assert _error_of(response.get_data(as_text=True), "flexible_months") == (
        "The flexible plan runs 18 months, longer than the longest plan of 12 months: shorten it too.")


@pytest.mark.parametrize("role", ["manager", "agent"])
def test_only_business_admins_open_the_page(client, clock, role):
    business = gen_business()
    sign_in(client, gen_user(business, role), clock)
    assert client.get("/settings/payment-plans").status_code == 403
    assert client.post("/settings/payment-plans", data=FORM).status_code == 403
    assert "/settings/payment-plans" not in client.get("/settings/").get_data(as_text=True)
