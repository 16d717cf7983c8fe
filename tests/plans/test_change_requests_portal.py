"""The portal's "Request a change" page (/p/plans/<id>/change): the form for a date, an amount or a pause with
inline errors in the debtor's language, the request's status after, withdrawing it, the link from the signed
agreement, and never another account's plan."""
from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from app.extensions import db
from app.models import PaymentPlan
from app.services.portal import links
from tests.factories import NOW
from tests.plans.change_request_helpers import active_plan, requests_of


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _signed_in(client, account) -> None:
    _, url = links.issue(db.session, account, now=NOW, purpose="account", channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302


def _url(plan) -> str:
    return f"/p/plans/{plan.id}/change"


def _form(**values) -> dict:
    return {"kind": "", "date": "", "amount": "", "count": "", "periods": "1", "reason": "", **values}


def test_the_form_then_a_request_and_its_status(client):
    _, account, plan = active_plan()
    _signed_in(client, account)
    response = client.get(_url(plan))
    page = _text(response)
    assert response.status_code == 200 and "Ask to change your payment plan" in page
    assert "Next payment $120.83 · January 1, 2027" in page and "No late fees are ever added to your plan." in page
    assert "A different payment date" in page and "A pause because of hardship" in page

    refused = client.post(_url(plan), data=_form(kind="date_change", date="2027-03-01", reason="Payday moved"))
    raw = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="change-date-error"' in raw
    assert 'aria-invalid="true" aria-describedby="change-date-error"' in raw
    assert "Choose a date no later than February 1, 2027. To skip payments, ask for a pause." in _text(refused)
    assert 'value="Payday moved"' not in raw and "Payday moved</textarea>" in raw  # what was typed stays
    refused = client.post(_url(plan), data=_form(kind="date_change", date="2027-01-15"))
    assert refused.status_code == 422 and "Tell us why you need the change." in _text(refused)
    refused = client.post(_url(plan), data=_form(reason="Payday moved"))
    assert refused.status_code == 422 and 'id="change-kind-error"' in refused.get_data(as_text=True)

    done = client.post(_url(plan), data=_form(kind="date_change", date="2027-01-15", reason="Payday moved"))
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{_url(plan)}?done=sent")
    page = _text(client.get(done.headers["Location"]))
    assert "Your request was sent." in page and "Waiting for an answer" in page
    assert "Move the next payment to January 15, 2027" in page and "Withdraw my request" in page
    assert "Send my request" not in page
    [change] = requests_of(plan)
    assert change.requested_date == dt.date(2027, 1, 15) and change.reason == "Payday moved"


def test_an_amount_request_and_withdrawing_it(client):
    _, account, plan = active_plan()
    _signed_in(client, account)
    refused = client.post(_url(plan), data=_form(kind="amount_change", amount="10", reason="Less work"))
    assert refused.status_code == 422 and "Each payment must be at least $25.00." in _text(refused)
    refused = client.post(_url(plan), data=_form(kind="amount_change", amount="ten", reason="Less work"))
    assert refused.status_code == 422 and 'id="change-amount-error"' in refused.get_data(as_text=True)
    done = client.post(_url(plan), data=_form(kind="amount_change", amount="60", reason="Less work"))
    assert done.status_code == 303
    [change] = requests_of(plan)
    assert change.requested_amount == Decimal("60.00")
    again = client.post(_url(plan), data=_form(kind="hardship_pause", periods="2", reason="Hospital"))
    assert again.status_code == 409 and "already have a request waiting" in _text(again)
    gone = client.post(_url(plan), data={"action": "withdraw", "request_id": str(change.id)})
    assert gone.status_code == 303 and gone.headers["Location"].endswith("done=withdrawn")
    page = _text(client.get(gone.headers["Location"]))
    assert "You withdrew your request." in page and "Withdrawn" in page and "Send my request" in page
    assert client.post(_url(plan), data=_form(kind="hardship_pause", periods="2", reason="Hospital")).status_code == 303
    assert [r.status for r in requests_of(plan)] == ["withdrawn", "pending"]


def test_in_spanish(client):
    _, account, plan = active_plan(preferred_language="es")
    _signed_in(client, account)
    page = _text(client.get(_url(plan)))
    assert "Solicitar un cambio en su plan de pagos" in page and "Una pausa por dificultades económicas" in page
    refused = client.post(_url(plan), data=_form(kind="date_change", date="2026-11-20", reason="Cambio de trabajo"))
    assert refused.status_code == 422 and "Elija una fecha posterior a hoy." in _text(refused)


def test_a_declined_request_shows_the_reason(client):
    from app.services.payments import plan_changes
    from tests.plans.change_request_helpers import ask, staff

    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    plan_changes.decline(db.session, staff(business), plan.id, change.id, "Please call us to talk it over", now=NOW)
    db.session.commit()
    _signed_in(client, account)
    page = _text(client.get(_url(plan)))
    assert "Not approved" in page and "Reason: Please call us to talk it over" in page
    assert "Send my request" in page  # may ask again


def test_the_signed_agreement_links_here_and_closed_or_other_plans_do_not_open(client):
    business, account, plan = active_plan()
    row = db.session.get(PaymentPlan, plan.id)
    row.agreement_signed, row.agreement_signed_at, row.agreement_signed_name = True, NOW, "Maria Lopez"
    db.session.commit()
    _signed_in(client, account)
    agreement = client.get(f"/p/plans/{plan.id}/agreement").get_data(as_text=True)
    assert f'href="{_url(plan)}"' in agreement and "Request a change" in agreement
    _, _, other_plan = active_plan(business)
    missing = client.get(_url(other_plan))
    assert missing.status_code == 404 and "Payment plan not found" in _text(missing)
    assert client.post(_url(other_plan), data=_form(kind="date_change", date="2027-01-15",
                                                    reason="x")).status_code == 404
    assert requests_of(other_plan) == []
    row.status = "completed"
    db.session.commit()
    page = _text(client.get(_url(plan)))
    assert "This plan has ended, so it can no longer be changed." in page and "Send my request" not in page
    assert client.post(_url(plan), data=_form(kind="date_change", date="2027-01-15",
                                              reason="x")).status_code == 409
