"""The portal's Profile page through the test client: can a verified debtor change their email, mobile number and
language, with inline errors in their language, each change recorded with time, IP and browser, and does the gate
then treat the new addresses the way COMPLIANCE.md says (CONSENT-3 provenance, TP-2 until the number is proven)?"""
from __future__ import annotations

import datetime as dt
import html
import json
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import (Account, AuditLog, Business, ConsentEvent, OptOutEvent, SandboxMessage, WebhookDelivery,
                        WebhookEndpoint)
from app.services import audit, channels
from app.services.portal import links
from tests.factories import NOW
from tests.messaging import EMAIL, PHONE, debtor, messaging_business

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
BROWSER = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": UA}


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _signed_in(client, account):
    _, url = links.issue(db.session, account, now=NOW, channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302, _text(response)[:400]


def _save(client, form: str, **values):
    return client.post("/p/preferences", data={"form": form, **values}, environ_base=BROWSER)


def _profile_rows(account):
    return db.session.scalars(select(AuditLog).where(
        AuditLog.resource_id == account.id, AuditLog.action.like("portal_%_changed")).order_by(AuditLog.seq)).all()


def _rules(outcome) -> dict:
    return {issue.rule: issue.severity for issue in outcome.decision.issues}


def test_the_profile_shows_masked_contact_details_the_language_and_the_message_controls(client):
    """Does /p/preferences (the URL email footers use) become the Profile page: masked addresses only, the language
    chosen, the per-channel controls still there, and "Profile" marked current in the portal's navigation?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    response = client.get("/p/preferences")
    page = _text(response)
    assert response.status_code == 200 and "<title>Your profile" in page
    assert "We have m•••@example.com." in page and "We have •••-•••-0143." in page
    assert EMAIL not in page and "555-0143" not in page.replace("•••-•••-0143", "").replace("(214) 555-0143", "")
    assert 'id="language-en" name="language" value="en" checked' in page
    assert "How we contact you" in page and page.count('data-state="on"') == 3
    assert 'aria-current="page">Profile</a>' in page
    assert 'autocomplete="email"' in page and 'type="tel"' in page and 'id="texts_ok"' in page
    assert 'name="texts_ok" value="y" checked' not in page  # consent to texts is never pre-ticked


def test_a_new_email_is_consumer_provided_audited_and_emailed_without_reopening_stopped_messages(client, clock):
    """Is a new email saved in lower case with consumer provenance (CONSENT-3 passes even when the business makes it
    blocking), recorded with time, IP and browser (the address sealed), and does it leave a standing opt-out alone?"""
    business = messaging_business(consent3_blocking=True)
    account = debtor(business, contacted=True, email_provenance="other")
    _signed_in(client, account)
    db.session.add(WebhookEndpoint(business_id=business.id, url="https://hooks.example.com/a",
                                   events=["account.updated"], secret_encrypted="x", active=True))
    db.session.commit()
    refused = channels.send(db.session, account=account, channel="email", body="Hello Maria", subject="Hi", now=NOW)
    assert refused.blocked and "CONSENT-3" in refused.decision.rules
    db.session.rollback()

    response = _save(client, "email", email="  Maria.Nueva@Example.ORG ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/preferences")
    page = _text(client.get("/p/preferences"))
    assert "Done. We'll use your new email address from now on." in page and "We have m•••@example.org." in page
    saved = db.session.get(Account, account.id)
    assert (saved.email, saved.email_provenance, saved.email_is_work) == \
        ("maria.nueva@example.org", "consumer_consent", False)
    row = _profile_rows(account)[-1]
    assert (row.action, row.user_role, row.ip_address, row.user_agent) == \
        ("portal_contact_changed", "debtor", "198.51.100.23", UA)
    assert row.created_at == NOW and row.meta["field"] == "email" and row.meta["rule"] == "CONSENT-3"
    assert row.meta["fields"]["email_provenance"] == ["other", "consumer_consent"] and row.meta["sessionRef"]
    assert "maria.nueva" not in str(row.changes) and "maria.nueva" not in str(row.meta)
    assert audit.open_changes(db.session, row.changes)["email"] == [EMAIL, "maria.nueva@example.org"]
    event = json.loads(db.session.scalars(select(WebhookDelivery.body)).one())  # the business hears of it
    assert event["type"] == "account.updated" and event["data"]["email"] == "maria.nueva@example.org"
    assert {"email", "emailProvenance"} <= set(event["data"]["changedFields"])

    sent = channels.send(db.session, account=saved, channel="email", body="Hello Maria", subject="Hi", now=NOW)
    assert not sent.blocked and sent.message.to_address == "maria.nueva@example.org"
    db.session.rollback()

    clock.advance(minutes=5)
    client.post("/p/preferences", data={"action": "stop:email"})
    clock.advance(minutes=5)
    assert _save(client, "email", email="maria@example.net").status_code == 302
    page = _text(client.get("/p/preferences"))
    assert page.count('data-state="off"') == 3  # a new address is not a request to hear from us again
    stopped = channels.send(db.session, account=db.session.get(Account, account.id), channel="email",
                            body="Hello Maria", subject="Hi", now=clock.now())
    assert stopped.blocked and any(r.startswith("OPT") for r in stopped.decision.rules)
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.source == "portal")) == 0


def test_email_mistakes_are_inline_errors_in_the_debtors_language(client):
    """Do an empty, malformed or unchanged email come back inline (422, aria-invalid, the typed value kept), in
    Spanish for a Spanish-preferred debtor, with nothing changed or recorded?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    empty = _save(client, "email", email="  ")
    assert empty.status_code == 422 and "Enter your new email address." in _text(empty)
    bad = _text(_save(client, "email", email="maria@@example"))
    assert 'id="email-error"' in bad and "Enter an email address like name@example.com." in bad
    assert 'aria-invalid="true"' in bad and 'value="maria@@example"' in bad and "autofocus" in bad
    same = _text(_save(client, "email", email=EMAIL.upper()))
    assert "That is the email address we already have." in same

    spanish = debtor(messaging_business(), preferred_language="es")
    other = client.application.test_client()
    _signed_in(other, spanish)
    page = _text(other.post("/p/preferences", data={"form": "email", "email": "nope"}))
    assert "Escriba un correo electrónico como nombre@ejemplo.com." in page and "Su perfil" in page
    assert db.session.get(Account, account.id).email == EMAIL and not _profile_rows(account)


def test_a_new_mobile_number_is_e164_texted_with_consent_and_not_yet_proven_current(client):
    """Is a typed US number stored as E.164 (type cell, zone derived again), texted once the debtor ticked the consent
    box (a portal consent with its evidence), but without the old number's reassigned-number check or WhatsApp consent
    (CONSENT-4 flags it, and defers it when the business makes that blocking) and not marked authenticated?"""
    account = debtor(messaging_business(), contacted=True, phone_rnd_checked_at=NOW - dt.timedelta(days=3),
                     sms_consent=True, whatsapp_consent=True)
    _signed_in(client, account)
    before = channels.send(db.session, account=account, channel="sms", body="Your balance is $412.50.", now=NOW)
    assert not before.blocked and "CONSENT-4" not in _rules(before)  # the old number was checked
    db.session.rollback()

    response = _save(client, "phone", phone="(469) 555-0188", texts_ok="y")
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/preferences")
    assert "text messages to it are on" in _text(client.get("/p/preferences"))
    saved = db.session.get(Account, account.id)
    new = "+14695550188"
    assert (saved.phone, saved.phone_type, saved.phone_rnd_checked_at) == (new, "cell", None)
    assert saved.timezone == "America/Chicago" and new not in (saved.authenticated_addresses or [])
    assert saved.sms_consent and saved.sms_consent_date == NOW and not saved.whatsapp_consent
    consent = db.session.scalars(select(ConsentEvent).where(ConsentEvent.source == "portal")).one()
    assert (consent.channel, consent.address, consent.granted, consent.ip_address, consent.user_agent) == \
        ("sms", new, True, "198.51.100.23", UA)
    assert consent.evidence["session_id"] and consent.evidence["portal_link_id"]
    row = _profile_rows(account)[-1]
    assert row.meta["field"] == "phone" and row.meta["reassignedCheck"] == "none" and row.meta["textsConsent"]
    assert row.meta["fields"]["phone_rnd_checked_at"] == [(NOW - dt.timedelta(days=3)).isoformat(), None]
    assert row.meta["fields"]["whatsapp_consent"] == [True, False]  # the old number's consent stays with it
    assert audit.open_changes(db.session, row.changes)["phone"] == [PHONE, new] and new not in str(row.meta)

    sent = channels.send(db.session, account=saved, channel="sms", body="Your balance is $412.50.", now=NOW)
    assert not sent.blocked and sent.message.to_address == new
    assert _rules(sent)["CONSENT-4"] == "warn" and _rules(sent)["CONSENT-1"] == "info"
    db.session.rollback()
    business = db.session.get(Business, account.business_id)
    business.settings = {"compliance": {**business.settings["compliance"], "consent4_blocking": True}}
    db.session.commit()
    waiting = channels.send(db.session, account=db.session.get(Account, account.id), channel="sms",
                            body="Your balance is $412.50.", now=NOW)
    assert waiting.scheduled and _rules(waiting)["CONSENT-4"] == "defer"
    db.session.rollback()


def test_without_the_consent_box_the_new_number_is_not_texted(client):
    """The old number's consent stays with the old number (CONSENT-1): is the new one texted only after consent?"""
    account = debtor(messaging_business(), contacted=True)
    _signed_in(client, account)
    assert _save(client, "phone", phone="+1 469 555 0177").status_code == 302
    assert "Done. We'll use your new mobile number from now on." in _text(client.get("/p/preferences"))
    saved = db.session.get(Account, account.id)
    assert saved.phone == "+14695550177" and not saved.sms_consent
    blocked = channels.send(db.session, account=saved, channel="sms", body="Hello Maria, this is Acme.", now=NOW)
    assert blocked.blocked and "CONSENT-1" in blocked.decision.rules
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OptOutEvent)) == 0


def test_the_second_number_on_file_keeps_its_reassigned_number_check(client):
    """Naming the creditor's second number as the mobile moves it, with its reassigned-number check (CONSENT-4)."""
    checked = NOW - dt.timedelta(days=2)
    account = debtor(messaging_business(), phone_secondary="+12145550999", phone_secondary_type="landline",
                     phone_secondary_rnd_checked_at=checked)
    _signed_in(client, account)
    assert _save(client, "phone", phone="214-555-0999").status_code == 302
    saved = db.session.get(Account, account.id)
    assert (saved.phone, saved.phone_rnd_checked_at, saved.phone_secondary) == ("+12145550999", checked, None)
    assert _profile_rows(account)[-1].meta["reassignedCheck"] == "carried"


def test_phone_mistakes_are_inline_errors(client):
    """Do an empty, impossible or unchanged number come back inline with nothing changed?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    assert "Enter your new mobile number." in _text(_save(client, "phone", phone=""))
    bad = _save(client, "phone", phone="555-12", texts_ok="y")
    page = _text(bad)
    assert bad.status_code == 422 and 'id="phone-error"' in page
    assert "Enter a phone number we can reach, like (214) 555-0143." in page
    assert 'name="texts_ok" value="y" checked' in page  # the box the debtor ticked stays ticked
    assert "That is the mobile number we already have." in _text(_save(client, "phone", phone="(214) 555-0143"))
    assert db.session.get(Account, account.id).phone == PHONE and not _profile_rows(account)
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.source == "portal")) == 0


def test_the_language_choice_changes_the_portal_and_the_messages(client, app, clock):
    """Does choosing Spanish store it on the account (audited), switch the portal at once, and make the next message
    the pipeline sends (a fresh link) Spanish? Is an unknown language an inline error?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    refused = _save(client, "language", language="fr")
    assert refused.status_code == 422 and "Choose English or Spanish." in _text(refused)
    response = _save(client, "language", language="es")
    assert response.headers["Location"].endswith("/p/preferences")
    page = _text(client.get("/p/preferences"))
    assert 'lang="es"' in page and "Su perfil" in page and 'aria-current="page">Perfil</a>' in page
    assert "Listo. Usaremos español en este portal y en nuestros mensajes." in page
    assert 'id="language-es" name="language" value="es" checked' in page
    assert db.session.get(Account, account.id).preferred_language == "es"
    row = _profile_rows(account)[-1]
    assert row.action == "portal_language_changed" and row.meta["fields"] == {"preferred_language": ["en", "es"]}
    assert row.ip_address == "198.51.100.23"
    assert _save(client, "language", language="es").status_code == 302  # the same choice again: nothing to record
    assert len(_profile_rows(account)) == 1

    client.post("/p/sign-out")
    assert 'lang="es"' in _text(client.get("/p/signed-out?reason=signed_out"))
    clock.advance(minutes=11)
    _, url = links.issue(db.session, account, now=clock.now() - dt.timedelta(days=8), channel="sms")
    db.session.commit()
    assert client.post(url.replace("http://127.0.0.1:5000", "") + "/renew").status_code == 200
    app.extensions["jobs"].work_burst()
    text = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == PHONE)).one()
    assert "aquí está su nuevo enlace seguro" in text.body


def test_the_footer_page_without_the_identity_check_changes_no_contact_details(client):
    """From an email footer (/p/<token>/preferences) anyone with the link may stop messages, but are the contact
    details and language neither shown nor changeable there?"""
    account = debtor(messaging_business())
    _, url = links.issue(db.session, account, now=NOW, channel="email")
    db.session.commit()
    path = url.replace("http://127.0.0.1:5000", "") + "/preferences"
    page = _text(client.get(path))
    assert "How we contact you" in page and 'name="form"' not in page and "Your profile" not in page
    client.post(path, data={"form": "email", "email": "stranger@example.com"})
    client.post(path, data={"form": "language", "language": "es"})
    client.post("/p/preferences", data={"form": "phone", "phone": "+14695550100"})
    saved = db.session.get(Account, account.id)
    assert (saved.email, saved.phone, saved.preferred_language) == (EMAIL, PHONE, "en")
    assert not _profile_rows(account)


def test_the_profile_forms_need_their_csrf_token(app):
    """Does a profile change without the CSRF token get refused?"""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        account = debtor(messaging_business())
        browser = app.test_client()
        _, url = links.issue(db.session, account, now=NOW)
        db.session.commit()
        path = url.replace("http://127.0.0.1:5000", "")
        page = browser.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert browser.post(path, data={"last_name": "Lopez", "zip_code": "75201",
                                        "csrf_token": token.group(1)}).status_code == 302
        assert browser.post("/p/preferences", data={"form": "email", "email": "x@example.org"}).status_code == 400
        assert db.session.get(Account, account.id).email == EMAIL
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
