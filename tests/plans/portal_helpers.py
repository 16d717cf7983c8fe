"""Builders for the portal plan tests: a debtor past the identity check, a plan chosen in the portal the way the
page posts it, and its agreement signed."""
from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentInstallment, PaymentPlan
from app.services.portal import links
from tests.factories import NOW
from tests.messaging import debtor, messaging_business

JSON = {"Accept": "application/json"}
START = "2026-11-25"  # today for the portal at tests' NOW (plan_records.earliest_start)


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def signed_in(client, account) -> None:
    """Open a link and pass the identity check, as the debtor would."""
    _, url = links.issue(db.session, account, now=NOW, purpose="account", channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302


def portal_debtor(client, business=None, **fields):
    account = debtor(business or messaging_business(), contacted=True, **fields)
    signed_in(client, account)
    return account


def custom_form(**overrides) -> dict:
    """"Choose your own": $50 down, 6 monthly payments from today, no auto-pay."""
    form = {"choice": "custom", "count": "6", "frequency": "monthly", "down_payment": "50.00", "start_date": START,
            "auto_pay": "none"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def choose(client, **overrides):
    return client.post("/p/plans/new", data=custom_form(**overrides))


def plans_of(account) -> list[PaymentPlan]:
    db.session.expire_all()
    return db.session.scalars(select(PaymentPlan).where(PaymentPlan.account_id == account.id)).all()


def rows_of(plan) -> list[PaymentInstallment]:
    db.session.expire_all()
    return db.session.scalars(select(PaymentInstallment).where(PaymentInstallment.payment_plan_id == plan.id)
                              .order_by(PaymentInstallment.number)).all()


def plan_id_of(response) -> uuid.UUID:
    found = re.search(r"/p/plans/([0-9a-f-]{36})/agreement", response.headers["Location"])
    return uuid.UUID(found.group(1))


def sign(client, plan_id, name: str = "Maria Lopez"):
    """Sign the agreement with the fingerprint of the text the page showed."""
    page = client.get(f"/p/plans/{plan_id}/agreement").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="text_sha256"[^>]*>', page).group(0)
    sha = re.search(r'value="([0-9a-f]{64})"', field).group(1)
    return client.post(f"/p/plans/{plan_id}/agreement", data={"text_sha256": sha, "typed_name": name,
                                                               "consent": "y"})
