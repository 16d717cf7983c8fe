"""D-4 from the staff side: the account's Compliance tab shows the notice's state, lets staff download it and
record the letter mailed, which lifts VALID-7's hold."""
from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.models import Account, AuditLog
from app.services import channels
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in


def _texted_long_ago(business):
    """A debtor first texted (summary and link) 10 days ago, with no full notice since."""
    account = debtor(business)
    account.initial_communication_at = NOW - dt.timedelta(days=10)
    account.initial_had_validation = False
    account.validation_method = "sms_summary"
    db.session.commit()
    return account


def test_staff_download_the_notice_and_record_the_letter(client, clock):
    business = messaging_business()
    account = _texted_long_ago(business)
    assert channels.send(db.session, account=account, channel="sms", body="Hi Maria", now=NOW).blocked  # VALID-7
    db.session.rollback()
    sign_in(client, gen_user(business, "manager"), clock)
    page = client.get(f"/accounts/{account.id}?tab=compliance").get_data(as_text=True)
    assert "Validation notice" in page and "due: collection messages wait" in page
    pdf = client.get(f"/accounts/{account.id}/validation-notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert db.session.query(AuditLog).filter_by(action="validation_notice_downloaded_by_staff").count() == 1

    future = client.post(f"/accounts/{account.id}/compliance/validation-mailed",
                         data={"validation-mailed-mailed_on": "2027-01-01"}, headers={"HX-Request": "true"})
    assert future.status_code == 400 and 'aria-invalid="true"' in future.get_data(as_text=True)
    saved = client.post(f"/accounts/{account.id}/compliance/validation-mailed",
                        data={"validation-mailed-mailed_on": "2026-11-24"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Recorded: the notice was mailed on 2026-11-24" in saved.get_data(as_text=True)
    account = db.session.get(Account, account.id)
    assert account.validation_method == "mail" and account.validation_period_end is not None
    assert not channels.send(db.session, account=account, channel="sms", body="Hi Maria", now=NOW).blocked


def test_agents_may_download_but_not_record_the_letter(client, clock):
    business = messaging_business()
    account = _texted_long_ago(business)
    sign_in(client, gen_user(business, "agent"), clock)
    assert client.get(f"/accounts/{account.id}/validation-notice.pdf").status_code == 200
    response = client.post(f"/accounts/{account.id}/compliance/validation-mailed",
                           data={"validation-mailed-mailed_on": "2026-11-24"})
    assert response.status_code == 403
