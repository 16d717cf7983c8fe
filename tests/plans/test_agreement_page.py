"""The portal's agreement page through the test client: does the verified debtor see their plan's schedule and the
agreement word for word, get inline errors for a missing consent or a name that is not theirs, sign once and land
on the confirmation with the signed PDF, in English or Spanish, and never see another account's plan?"""
from __future__ import annotations

import hashlib
import html
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Document, PaymentPlan
from app.services.payments import agreements
from app.services.portal import links
from tests.factories import NOW
from tests.messaging import debtor, messaging_business
from tests.plans.agreement_helpers import pending_plan


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _signed_in(client, account) -> None:
    _, url = links.issue(db.session, account, now=NOW, purpose="account", channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302


def _setup(client, **fields):
    account = debtor(messaging_business(), contacted=True, **fields)
    plan = pending_plan(account)
    _signed_in(client, account)
    return account, plan


def _form(client, plan) -> dict:
    """The hidden fingerprint of the text the page showed, as the browser sends it back."""
    page = client.get(f"/p/plans/{plan.id}/agreement").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="text_sha256"[^>]*>', page).group(0)
    return {"text_sha256": re.search(r'value="([0-9a-f]{64})"', field).group(1)}


def test_the_page_shows_the_schedule_the_exact_text_and_the_form(client):
    account, plan = _setup(client)
    response = client.get(f"/p/plans/{plan.id}/agreement")
    page = _text(response)
    assert response.status_code == 200 and "Your payment plan agreement" in page
    assert "Payment schedule" in page and "Down payment" in page and "Installment 3" in page
    assert "March 1, 2027" in page and "$120.84" in page and "$412.50" in page
    text = agreements.text_for(db.session, plan, "en")
    for line in text.splitlines():  # every line of the agreement, word for word
        assert line.strip() in page, line
    assert 'autocomplete="name"' in page and 'type="checkbox" id="consent"' in page
    assert "I have read this agreement and I agree to it." in page
    assert _form(client, plan)["text_sha256"] == agreements.digest(text)


def test_inline_errors_then_signing_lands_on_the_confirmation_with_the_pdf(client, app):
    account, plan = _setup(client)
    base = _form(client, plan)
    missing = client.post(f"/p/plans/{plan.id}/agreement", data={**base, "typed_name": "Maria Lopez"})
    page = _text(missing)
    assert missing.status_code == 422 and 'id="consent-error"' in page and "Check the box to agree" in page
    assert 'aria-invalid="true"' in page
    wrong = client.post(f"/p/plans/{plan.id}/agreement", data={**base, "typed_name": "John Smith", "consent": "y"})
    page = _text(wrong)
    assert wrong.status_code == 422 and 'id="typed_name-error"' in page
    assert "Type your first and last name as they appear on your account." in page
    assert not db.session.get(PaymentPlan, plan.id).agreement_signed

    done = client.post(f"/p/plans/{plan.id}/agreement", data={**base, "typed_name": "maria lopez", "consent": "y"},
                       headers={"User-Agent": "TestPhone/1.0"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/p/plans/{plan.id}/agreement#signed")
    db.session.expire_all()
    signed = db.session.get(PaymentPlan, plan.id)
    assert signed.agreement_signed and signed.agreement_signed_name == "maria lopez"
    assert signed.agreement_user_agent == "TestPhone/1.0" and signed.agreement_sha256 == base["text_sha256"]
    page = _text(client.get(f"/p/plans/{plan.id}/agreement"))
    assert "Agreement signed" in page and "as maria lopez" in page
    assert "once your down payment of $50.00 is received" in page and "We sent a copy" in page
    assert 'name="typed_name"' not in page

    pdf = client.get(f"/p/plans/{plan.id}/agreement.pdf")
    document = db.session.scalars(select(Document).where(Document.account_id == account.id)).one()
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == document.sha256
    assert document.filename in pdf.headers["Content-Disposition"]

    again = client.post(f"/p/plans/{plan.id}/agreement", data={**base, "typed_name": "Maria Lopez", "consent": "y"})
    assert again.status_code == 303
    assert len(db.session.scalars(select(Document).where(Document.account_id == account.id)).all()) == 1


def test_a_plan_changed_since_the_page_was_read_is_not_signed(client):
    _, plan = _setup(client)
    stale = {"text_sha256": "0" * 64, "typed_name": "Maria Lopez", "consent": "y"}
    response = client.post(f"/p/plans/{plan.id}/agreement", data=stale)
    assert response.status_code == 409 and "The plan changed since you opened this page" in _text(response)
    db.session.expire_all()
    assert not db.session.get(PaymentPlan, plan.id).agreement_signed


def test_the_page_in_spanish(client):
    _, plan = _setup(client, preferred_language="es")
    page = _text(client.get(f"/p/plans/{plan.id}/agreement"))
    assert "Su acuerdo de plan de pagos" in page and "Calendario de pagos" in page and "Cuota 3" in page
    assert "1 de marzo de 2027" in page and "Leí este acuerdo y estoy de acuerdo." in page
    base = _form(client, plan)
    refused = client.post(f"/p/plans/{plan.id}/agreement", data={**base, "typed_name": "María López"})
    assert refused.status_code == 422 and "Marque la casilla para aceptar el plan." in _text(refused)


def test_another_accounts_plan_and_the_pdf_before_signing_are_not_found(client):
    _, plan = _setup(client)
    other = debtor(messaging_business(), contacted=True)
    theirs = pending_plan(other)
    for path in (f"/p/plans/{theirs.id}/agreement", f"/p/plans/{theirs.id}/agreement.pdf",
                 f"/p/plans/{plan.id}/agreement.pdf", "/p/plans/not-a-uuid/agreement"):
        response = client.get(path)
        assert response.status_code == 404 and "Payment plan not found" in _text(response), path
    posted = client.post(f"/p/plans/{theirs.id}/agreement", data={"typed_name": "Maria Lopez", "consent": "y"})
    assert posted.status_code == 404
    db.session.expire_all()
    assert not db.session.get(PaymentPlan, theirs.id).agreement_signed


def test_the_page_needs_the_identity_check(client):
    account = debtor(messaging_business(), contacted=True)
    plan = pending_plan(account)
    response = client.get(f"/p/plans/{plan.id}/agreement")
    assert response.status_code == 302 and "/p/signed-out" in response.headers["Location"]


def test_a_canceled_plan_shows_its_terms_without_a_form_and_says_why(client):
    _, plan = _setup(client)
    plan.status = "canceled"
    db.session.commit()
    page = _text(client.get(f"/p/plans/{plan.id}/agreement"))
    assert "This payment plan is no longer open, so it cannot be signed." in page
    assert "Payment schedule" in page and 'name="typed_name"' not in page
    refused = client.post(f"/p/plans/{plan.id}/agreement", data={"typed_name": "Maria Lopez", "consent": "y"})
    assert refused.status_code == 409 and not db.session.get(PaymentPlan, plan.id).agreement_signed
