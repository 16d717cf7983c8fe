"""The debtor portal through the test client: does a link show nothing about a debt until the debtor proves who they
are, and then the account, the notice, a dispute form and the contact preferences, in the debtor's language?"""
from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import (Account, AuditLog, ConsentEvent, DebtDispute, Message, Notification, OptOutEvent, PortalLink,
                        SandboxMessage)
from app.services import channels
from app.services.portal import identity, links, unsubscribe
from tests.factories import NOW, gen_user
from tests.messaging import EMAIL, PHONE, debtor, messaging_business
from tests.web.auth_helpers import sign_in


def _link(account, *, purpose="account", channel="sms", now=NOW):
    link, url = links.issue(db.session, account, now=now, purpose=purpose, channel=channel)
    db.session.commit()
    return link, url.replace("http://127.0.0.1:5000", "")


def _pass(client, path, last_name="Lopez", zip_code="75201"):
    response = client.post(path, data={"last_name": last_name, "zip_code": zip_code})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_the_link_names_the_business_and_nothing_about_the_debt():
    """TP-1: before the identity check, does the page show the business name and no creditor, balance or account
    number?"""
    business = messaging_business()
    account = debtor(business)
    _, path = _link(account)
    page = _text(_client_get(path))
    assert business.name in page and "Confirm it's you" in page
    for secret in ("First Bank", "412.50", account.account_number, account.account_number[-4:], "Maria", EMAIL):
        assert secret not in page
    assert 'autocomplete="family-name"' in page and 'autocomplete="postal-code"' in page


def _client_get(path):
    from flask import current_app

    return current_app.test_client().get(path)


def test_a_wrong_answer_is_an_inline_error_and_the_right_one_opens_the_account(client):
    """Does a wrong ZIP re-show the form with the error and attempts left, and the right answers land on the account
    page with the creditor, the last 4 of the account number, the balance and the dispute deadline?"""
    account = debtor(messaging_business())
    _, path = _link(account)
    wrong = client.post(path, data={"last_name": "Lopez", "zip_code": "10001"})
    assert wrong.status_code == 422
    page = _text(wrong)
    assert 'role="alert"' in page and "don't match our records" in page and "4 attempts left" in page
    assert "First Bank" not in page
    empty = _text(client.post(path, data={"last_name": "", "zip_code": ""}))
    assert 'aria-invalid="true"' in empty and "Enter your last name." in empty
    assert "Enter your ZIP code or your date of birth." not in empty or 'id="zip_code-error"' in empty
    assert db.session.get(Account, account.id).portal_failed_attempts == 1

    response = _pass(client, path, last_name="lópez")
    assert response.headers["Location"].endswith("/p/account")
    page = _text(client.get("/p/account"))
    assert "First Bank" in page and f"ending in {account.account_number[-4:]}" in page and "$412.50" in page
    assert account.account_number not in page.replace(f"ending in {account.account_number[-4:]}", "")
    assert "Dispute deadline" in page and "ends no earlier than this date" in page
    assert client.get(path).headers["Location"].endswith("/p/account")  # already verified: no second check


def test_five_wrong_answers_lock_the_page_with_a_clear_message(client, clock):
    """Does the fifth wrong answer lock the page, saying when to try again (Dallas time) and how to reach the
    business, and does the right answer wait until then?"""
    account = debtor(messaging_business())
    _, path = _link(account)
    for _ in range(5):
        response = client.post(path, data={"last_name": "Lopez", "zip_code": "10001"})
    page = _text(response)
    assert response.status_code == 422 and "This page is locked for now" in page
    assert "try again in 30 minutes, after 9:30 AM CST" in page and "(800) 555-0100" in page
    assert "<form method=\"post\" action=\"/p/" not in page
    clock.advance(minutes=10)
    assert "in 20 minutes" in _text(client.post(path, data={"last_name": "Lopez", "zip_code": "75201"}))
    clock.advance(minutes=21)
    _pass(client, path)


def test_an_unknown_link_is_a_404_and_an_expired_one_offers_a_fresh_link(client, app):
    """Is a bad token a plain 404, and does an expired one offer to text a new link to the number on file (masked),
    which the pipeline then sends?"""
    account = debtor(messaging_business(), contacted=True)
    assert client.get("/p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    _, path = _link(account, now=NOW - dt.timedelta(days=8))
    expired = client.get(path)
    page = _text(expired)
    assert expired.status_code == 410 and "This link has expired" in page and "•••-•••-0143" in page
    assert PHONE not in page and "Send me a new link" in page
    sent = client.post(path + "/renew")
    assert sent.status_code == 200 and "We sent you a new link" in _text(sent)
    app.extensions["jobs"].work_burst()
    texts = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == PHONE)).all()
    assert len(texts) == 1 and "/p/" in texts[0].body
    assert "We sent you a new link a few minutes ago" in _text(client.post(path + "/renew"))


def test_the_session_ends_after_thirty_idle_minutes_and_on_sign_out(client, clock):
    """Does the portal session expire after 30 minutes without a request, and end on sign-out?"""
    account = debtor(messaging_business())
    _, path = _link(account)
    _pass(client, path)
    clock.advance(minutes=29)
    assert client.get("/p/account").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/p/account")
    assert response.headers["Location"].endswith("/p/signed-out?reason=expired")
    page = _text(client.get(response.headers["Location"]))
    assert "Your session ended" in page and f'href="{path}"' in page
    _pass(client, path)
    client.post("/p/sign-out")
    assert client.get("/p/account").status_code == 302


def test_a_revoked_link_ends_its_session(client):
    """When staff revoke the link, does the open portal session stop working?"""
    account = debtor(messaging_business())
    link, path = _link(account)
    _pass(client, path)
    links.revoke(db.session, link, NOW)
    db.session.commit()
    assert client.get("/p/account").headers["Location"].endswith("reason=ended")


def test_a_staff_user_and_a_debtor_in_one_browser_do_not_mix(client, clock):
    """With a manager signed in, does the debtor still need the identity check, and does signing out of the portal
    leave the manager signed in (and the other way round)?"""
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business)
    sign_in(client, manager, clock)
    _, path = _link(account)
    assert client.get("/p/account").status_code == 302
    assert "Confirm it's you" in _text(client.get(path))
    _pass(client, path)
    assert client.get("/p/account").status_code == 200
    assert client.get(f"/accounts/{account.id}").status_code == 200
    client.post("/p/sign-out")
    assert client.get(f"/accounts/{account.id}").status_code == 200
    assert client.get("/p/account").status_code == 302


def test_the_notice_page_and_pdf_are_audited_not_delivery(client):
    """Does the notice page show the full notice with a PDF link, the PDF download as an attachment, and both leave
    the validation tracking alone (D-4) with an audit entry each?"""
    account = debtor(messaging_business())
    link, path = _link(account)
    _pass(client, path)
    page = _text(client.get("/p/notice"))
    assert "is a debt collector" in page and "Mail your dispute or request to: PO Box 100" in page
    assert 'href="/p/notice.pdf?lang=en"' in page and "We have not yet delivered this notice" in page
    pdf = client.get("/p/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f'filename="validation-notice-{account.account_number[-4:]}.pdf"' in pdf.headers["Content-Disposition"]
    assert db.session.get(Account, account.id).validation_notice_sent_at is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("validation_notice_%"))
                                 .order_by(AuditLog.seq)).all()
    assert actions == ["validation_notice_viewed", "validation_notice_downloaded"]


def test_a_spanish_preferred_debtor_reads_the_portal_in_spanish(client):
    """Is every page (identity check, account, notice) in Spanish for a Spanish-preferred debtor, with a way to
    switch?"""
    account = debtor(messaging_business(), preferred_language="es")
    _, path = _link(account)
    page = _text(client.get(path))
    assert 'lang="es"' in page and "Confirme su identidad" in page and "Apellido" in page
    assert "View this page in English" in page
    _pass(client, path)
    assert "Su cuenta" in _text(client.get("/p/account"))
    notice_page = _text(client.get("/p/notice"))
    assert "Aviso de validación" in notice_page and "es un cobrador de deudas" in notice_page
    english = _text(client.get("/p/notice?lang=en"))
    assert "is a debt collector" in english and 'lang="en"' in english


def test_a_dispute_is_recorded_in_writing_and_staff_are_told(client):
    """Does the dispute form record a written portal dispute inside the validation period, hold the account as
    disputed, tell the admins and managers, and show inline errors for an incomplete form?"""
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business)
    _, path = _link(account)
    _pass(client, path)
    missing = client.post("/p/account/dispute", data={"portion": ""})
    assert missing.status_code == 422 and "Choose what you want to do." in _text(missing)
    too_much = client.post("/p/account/dispute", data={"choice": "dispute_part", "portion": "5000"})
    assert too_much.status_code == 422 and "The amount is more than the balance." in _text(too_much)
    done = client.post("/p/account/dispute", data={"choice": "dispute_part", "portion": "$100.50",
                                                   "note": "I paid part of this in May."})
    assert done.status_code == 302 and done.headers["Location"].endswith("/p/account#dispute")
    again = client.post("/p/account/dispute", data={"choice": "dispute_part", "portion": "100.50",
                                                    "note": "I paid part of this in May."})
    assert again.status_code == 302
    row = db.session.scalars(select(DebtDispute)).one()
    assert (row.kind, row.channel, row.written, row.within_vp, str(row.portion)) == \
        ("dispute", "portal", True, True, "100.50")
    assert db.session.get(Account, account.id).dispute_status == "open"
    note = db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).one()
    assert note.kind == "portal_dispute" and "$100.50" in note.body
    audit_row = db.session.scalars(select(AuditLog).where(AuditLog.action == "dispute_recorded")).one()
    assert audit_row.user_role == "debtor" and "I paid part" not in str(audit_row.changes)
    page = _text(client.get("/p/account"))
    assert "We received your request." in page and "Dispute of $100.50" in page and "Waiting for an answer" in page


def test_preferences_stop_every_channel_and_turn_one_back_on(client, clock):
    """D-3: does stopping texts stop email too, and does turning email back on record the debtor's consent and an
    opt-in for email only, which lets the gate email again?"""
    account = debtor(messaging_business(), contacted=True)
    _, path = _link(account)
    _pass(client, path)
    client.post("/p/preferences", data={"action": "stop:sms"})
    page = _text(client.get("/p/preferences"))
    assert "Done. We have stopped our automated messages to you." in page
    assert page.count('data-state="off"') == 3  # texts, WhatsApp and email
    stop = db.session.scalars(select(OptOutEvent)).one()
    assert (stop.channel, stop.scope, stop.rule_id, stop.classifier_label) == ("sms", "all", "OPT-2", "portal")
    blocked = channels.send(db.session, account=account, channel="email", body="Hello Maria", subject="Hi", now=NOW)
    assert blocked.blocked
    db.session.rollback()

    clock.advance(minutes=2)
    client.post("/p/preferences", data={"action": "resume:email"})
    page = _text(client.get("/p/preferences"))
    assert "Emails are on again." in page and page.count('data-state="off"') == 2
    consent = db.session.scalars(select(ConsentEvent).where(ConsentEvent.source == "portal")).one()
    assert consent.channel == "email" and consent.address == EMAIL and consent.evidence["session_id"]
    allowed = channels.send(db.session, account=account, channel="email", body="Hello Maria", subject="Hi",
                            now=clock.now())
    assert not allowed.blocked
    texted = channels.send(db.session, account=account, channel="sms", body="Hello Maria", now=clock.now())
    assert texted.blocked and any(r.startswith("OPT") for r in texted.decision.rules)


def test_the_email_footer_link_stops_messages_without_the_identity_check(client):
    """From an email footer (/p/<token>/preferences), can anyone holding the link stop messages, but not turn them
    back on, and does the page show masked addresses only?"""
    account = debtor(messaging_business())
    _, path = _link(account, channel="email", now=NOW - dt.timedelta(days=30))
    page = _text(client.get(path + "/preferences"))
    assert "without confirming who you are" in page and "m•••@example.com" in page and EMAIL not in page
    assert "Turn on" not in page and "412.50" not in page
    client.post(path + "/preferences", data={"action": "stop:email"})
    client.post(path + "/preferences", data={"action": "resume:email"})
    events = db.session.scalars(select(OptOutEvent)).all()
    assert [(e.action, e.channel) for e in events] == [("opt_out", "email")]
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.source == "portal")) == 0


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(app):
    """RFC 8058: does a POST with `List-Unsubscribe=One-Click` and nothing else record the opt-out and answer 200,
    a repeat change nothing, and the GET page ask with one button?"""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        account = debtor(messaging_business(), contacted=True)
        outcome = channels.send(db.session, account=account, channel="email", body="Hello Maria", subject="Hi",
                                now=NOW)
        db.session.commit()
        path = unsubscribe.unsubscribe_url(outcome.message).replace("http://127.0.0.1:5000", "")
        browser = app.test_client()
        page = _text(browser.get(path))
        assert "Unsubscribe from emails" in page and page.count("<button") == 1 and "m•••@example.com" in page
        mail_client = app.test_client(use_cookies=False)
        first = mail_client.post(path, data="List-Unsubscribe=One-Click",
                                 content_type="application/x-www-form-urlencoded")
        assert first.status_code == 200 and "You're unsubscribed" in _text(first)
        second = mail_client.post(path, data="List-Unsubscribe=One-Click",
                                  content_type="application/x-www-form-urlencoded")
        assert second.status_code == 200 and "already unsubscribed" in _text(second)
        assert db.session.scalar(select(func.count()).select_from(OptOutEvent)) == 1
        assert mail_client.post("/u/not-a-token", data="List-Unsubscribe=One-Click").status_code == 404
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_portal_forms_need_their_csrf_token(app):
    """Do the portal's own forms (identity check, dispute) still demand the CSRF token?"""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        account = debtor(messaging_business())
        _, path = _link(account)
        client = app.test_client()
        assert client.post(path, data={"last_name": "Lopez", "zip_code": "75201"}).status_code == 400
        assert db.session.get(Account, account.id).portal_failed_attempts == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_first_contact_sms_link_opens_the_portal(client, app):
    """Does the link the pipeline puts in a first-contact text open this portal, and does passing the check mark the
    link verified?"""
    account = debtor(messaging_business())
    outcome = channels.send(db.session, account=account, channel="sms", body="Hi Maria, this is Acme.", now=NOW)
    db.session.commit()
    match = re.search(r"http://127\.0\.0\.1:5000(/p/[A-Za-z0-9_-]{35})", outcome.message.content)
    _pass(client, match.group(1))
    link = db.session.scalars(select(PortalLink)).one()
    assert link.message_id == outcome.message.id and link.verified_at == NOW
    assert db.session.get(Message, outcome.message.id).to_address == PHONE


def test_the_front_door_and_a_missing_session_explain_what_to_do(client):
    """Do /p/ and /p/preferences without a session tell the visitor to open the link in their message?"""
    assert "Open the link in your message" in _text(client.get("/p/"))
    assert "Open the link in your message" in _text(client.get("/p/preferences"))
    assert client.get("/p/notice").headers["Location"].endswith("/p/signed-out?reason=none")


def test_a_date_of_birth_only_form_asks_for_it(client):
    """With no ZIP on file but a date of birth, does the form ask for the date of birth only and accept it?"""
    account = debtor(messaging_business(), zip=None)
    account.date_of_birth_encrypted = identity.seal_date_of_birth(account.id, dt.date(1980, 4, 2))
    db.session.commit()
    _, path = _link(account)
    page = _text(client.get(path))
    assert 'name="zip_code"' not in page and 'type="date"' in page and "Date of birth" in page
    assert "Enter your date of birth." in _text(client.post(path, data={"last_name": "Lopez"}))
    response = client.post(path, data={"last_name": "Lopez", "birth_date": "1980-04-02"})
    assert response.status_code == 302
