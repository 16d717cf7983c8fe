"""Portal links, the identity check and one-click unsubscribe: can a link be forged, reused late, or guessed past?"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, Message, OptOutEvent, PortalLink, SandboxMessage
from app.services import channels
from app.services.errors import NotFound, ValidationError
from app.services.portal import identity, links, unsubscribe
from tests.factories import NOW
from tests.messaging import EMAIL, PHONE, debtor, messaging_business


def _issue(account, **kwargs):
    link, url = links.issue(db.session, account, now=kwargs.pop("now", NOW), **kwargs)
    db.session.commit()
    return link, url.rsplit("/", 1)[1]


def test_a_link_is_short_signed_and_names_its_row():
    """Is the URL PUBLIC_URL/p/<token>, short enough for a text, and does the token resolve to its row?"""
    account = debtor(messaging_business())
    link, url = links.issue(db.session, account, now=NOW, purpose="payment", channel="sms")
    db.session.commit()
    token = url.rsplit("/", 1)[1]
    assert url == f"http://127.0.0.1:5000/p/{token}" and len(token) == 35
    assert all(c.isalnum() or c in "-_" for c in token)
    assert links.resolve(db.session, token, NOW).id == link.id
    assert link.expires_at == NOW + dt.timedelta(days=7) and link.purpose == "payment" and link.channel == "sms"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # tag altered
    lambda t: ("A" if t[0] != "A" else "B") + t[1:],  # id altered
    lambda t: t[:20],  # cut short
    lambda t: t + "AAAA",  # too long
    lambda t: "not a token at all !!",
])
def test_an_altered_or_truncated_token_is_refused(mangle):
    """Does any change to the token fail the signature check instead of finding a row?"""
    account = debtor(messaging_business())
    _, token = _issue(account)
    with pytest.raises(links.LinkInvalid):
        links.resolve(db.session, mangle(token), NOW)


def test_a_token_signed_with_another_secret_is_refused(app):
    """Is the tag keyed by SECRET_KEY, so a token minted elsewhere for a real id does not open it?"""
    account = debtor(messaging_business())
    link, token = _issue(account)
    app.config["SECRET_KEY"] = "another-secret"
    try:
        forged = links.token_for(link)
    finally:
        app.config["SECRET_KEY"] = "test-secret-key"
    assert forged != token
    with pytest.raises(links.LinkInvalid):
        links.resolve(db.session, forged, NOW)


def test_expired_and_revoked_links_are_told_apart():
    """Does an expired link say so (and carry the row, to offer a fresh one) while a revoked one just fails?"""
    account = debtor(messaging_business())
    link, token = _issue(account)
    with pytest.raises(links.LinkExpired) as raised:
        links.resolve(db.session, token, NOW + dt.timedelta(days=7))
    assert raised.value.link.id == link.id and raised.value.status == 410
    links.revoke(db.session, link, NOW + dt.timedelta(hours=1))
    links.revoke(db.session, link, NOW + dt.timedelta(hours=2))
    db.session.commit()
    assert link.revoked_at == NOW + dt.timedelta(hours=1)
    with pytest.raises(links.LinkInvalid):
        links.resolve(db.session, token, NOW)
    assert links.find(db.session, token).id == link.id  # stopping messages still works with it


def test_a_deleted_account_link_does_not_work():
    """Does a link to a soft-deleted account stop working?"""
    account = debtor(messaging_business())
    _, token = _issue(account)
    account.deleted_at = NOW
    db.session.commit()
    with pytest.raises(links.LinkInvalid):
        links.find(db.session, token)


# -- identity check ------------------------------------------------------------------------------------------------
def test_last_name_and_zip_pass_whatever_the_case_spaces_and_accents():
    """Does "  garcia lopez " with ZIP 75201-4410 pass for García-López at 75201, and stamp the link?"""
    account = debtor(messaging_business(), last_name="García-López", zip="75201")
    link, _ = _issue(account)
    account.portal_failed_attempts = 3
    db.session.commit()
    result = identity.check(db.session, link, last_name="  garcia lopez ", zip_code="75201-4410",
                            now=NOW + dt.timedelta(minutes=1))
    db.session.commit()
    assert result.passed
    assert link.verified_at == NOW + dt.timedelta(minutes=1) and link.last_used_at == link.verified_at
    assert db.session.get(Account, account.id).portal_failed_attempts == 0


def test_date_of_birth_is_sealed_and_every_answer_given_must_match():
    """Does the date of birth pass alone, and does a right ZIP with a wrong date of birth still fail?"""
    account = debtor(messaging_business(), last_name="Lopez")
    account.date_of_birth_encrypted = identity.seal_date_of_birth(account.id, dt.date(1980, 4, 2))
    db.session.commit()
    assert "1980" not in account.date_of_birth_encrypted
    assert identity.methods(account) == ("zip", "dob")
    link, _ = _issue(account)
    assert identity.check(db.session, link, last_name="LOPEZ", birth_date=dt.date(1980, 4, 2), now=NOW).passed
    wrong = identity.check(db.session, link, last_name="Lopez", zip_code="75201", birth_date=dt.date(1980, 4, 3),
                           now=NOW)
    assert not wrong.passed and wrong.attempts_left == 4
    other = debtor(messaging_business(), last_name="Lopez")
    other.date_of_birth_encrypted = account.date_of_birth_encrypted  # ciphertext bound to its account
    db.session.commit()
    assert identity.date_of_birth(other) is None


def test_an_incomplete_form_is_not_an_attempt():
    """Does a missing last name or second answer raise a field error without counting against the debtor?"""
    account = debtor(messaging_business())
    link, _ = _issue(account)
    with pytest.raises(ValidationError) as raised:
        identity.check(db.session, link, last_name="", zip_code="75201", now=NOW)
    assert raised.value.field == "last_name"
    with pytest.raises(ValidationError) as raised:
        identity.check(db.session, link, last_name="Lopez", now=NOW)
    assert raised.value.field == "zip_code"
    with pytest.raises(ValidationError):
        identity.check(db.session, link, last_name="Lopez", zip_code="752", now=NOW)
    assert db.session.get(Account, account.id).portal_failed_attempts == 0


def test_five_wrong_answers_across_links_lock_the_account_for_thirty_minutes(clock):
    """Do 5 wrong answers in a row, through two links, lock the account, refuse even the right answer while locked,
    and let the debtor in after 30 minutes? Is every attempt audited without the answers?"""
    account = debtor(messaging_business(), last_name="Lopez", zip="75201")
    first, _ = _issue(account)
    second, _ = _issue(account)
    results = []
    for i in range(5):
        link = first if i % 2 == 0 else second
        results.append(identity.check(db.session, link, last_name="Lopez", zip_code="10001",
                                      now=NOW + dt.timedelta(minutes=i), ip="203.0.113.5"))
        db.session.commit()
    assert [r.attempts_left for r in results] == [4, 3, 2, 1, 0]
    locked = results[-1].locked_until
    assert locked == NOW + dt.timedelta(minutes=4, seconds=0) + identity.LOCK_FOR
    refused = identity.check(db.session, first, last_name="Lopez", zip_code="75201",
                             now=locked - dt.timedelta(seconds=1))
    db.session.commit()
    assert not refused.passed and refused.locked_until == locked
    assert identity.check(db.session, first, last_name="Lopez", zip_code="75201", now=locked).passed
    db.session.commit()
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "portal_identity_check")
                              .order_by(AuditLog.seq)).all()
    assert [r.success for r in rows] == [False] * 6 + [True]
    assert rows[4].meta["lockedUntil"] and rows[5].error_message == "locked"
    dumped = json.dumps([r.meta for r in rows]) + "".join(str(r.error_message) for r in rows)
    assert "10001" not in dumped and "75201" not in dumped and "Lopez" not in dumped


def test_a_pass_authenticates_the_address_the_link_reached():
    """After a "wrong number" made the phone unverified, does passing the check through a link sent to that phone
    make it the debtor's again (TP-2, D-13)?"""
    account = debtor(messaging_business(), unverified_addresses=[PHONE])
    link, _ = _issue(account, channel="sms")
    assert identity.check(db.session, link, last_name="Lopez", zip_code="75201", now=NOW).passed
    db.session.commit()
    account = db.session.get(Account, account.id)
    assert account.unverified_addresses == [] and account.authenticated_addresses == [PHONE]
    audit_row = db.session.scalars(select(AuditLog).where(AuditLog.action == "portal_identity_check")).one()
    assert audit_row.meta["addressAuthenticated"] is True


def test_concurrent_wrong_answers_cannot_slip_past_the_limit():
    """Is the failure counter moved by the database (one UPDATE), so stale copies of the row still count?"""
    account = debtor(messaging_business())
    link, _ = _issue(account)
    db.session.execute(Account.__table__.update().where(Account.id == account.id).values(portal_failed_attempts=4))
    db.session.commit()
    result = identity.check(db.session, link, last_name="Nobody", zip_code="75201", now=NOW)
    db.session.commit()
    assert result.locked_until == NOW + identity.LOCK_FOR


# -- a fresh link for an expired one --------------------------------------------------------------------------------
def test_an_expired_link_sends_a_fresh_one_to_the_address_on_file_once(app):
    """Does an expired link send a new link through the pipeline to the number on file, revoke itself, and refuse to
    send another within ten minutes?"""
    account = debtor(messaging_business(), contacted=True)
    expired, _ = _issue(account, channel="sms", now=NOW - dt.timedelta(days=8))
    result = links.send_fresh_link(db.session, expired, now=NOW)
    db.session.commit()
    assert result == {"status": "sent", "channel": "sms", "address": PHONE}
    fresh = db.session.scalars(select(PortalLink).where(PortalLink.id != expired.id)).one()
    message = db.session.get(Message, fresh.message_id)
    assert message.to_address == PHONE and message.kind == "transactional" and message.delivery_status == "queued"
    assert links.token_for(fresh) in message.content and expired.revoked_at == NOW
    app.extensions["jobs"].work_burst()
    assert db.session.scalar(select(func.count()).select_from(SandboxMessage).where(
        SandboxMessage.to_address == PHONE)) == 1
    again, _ = _issue(account, channel="sms", now=NOW - dt.timedelta(days=8))
    assert links.send_fresh_link(db.session, again, now=NOW + dt.timedelta(minutes=5))["status"] == "throttled"


def test_a_blocked_fresh_link_is_revoked():
    """When the gate blocks the message (a cease on file), is the new link revoked so it can never be used?"""
    account = debtor(messaging_business(), contacted=True, cease_received_at=NOW - dt.timedelta(days=1),
                     cease_type="cease")
    expired, _ = _issue(account, channel="sms", now=NOW - dt.timedelta(days=8))
    assert links.send_fresh_link(db.session, expired, now=NOW)["status"] == "blocked"
    db.session.commit()
    fresh = db.session.scalars(select(PortalLink).where(PortalLink.id != expired.id)).one()
    assert fresh.revoked_at == NOW and db.session.get(Message, fresh.message_id).delivery_status == "blocked"


# -- one-click unsubscribe ------------------------------------------------------------------------------------------
def test_unsubscribe_tokens_are_signed_and_record_one_opt_out():
    """Does the List-Unsubscribe URL carry a signed token that records the email opt-out once (OPT-2, all channels)
    and refuse a token we did not sign?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    outcome = channels.send(db.session, account=account, channel="email", body="Hello Maria, can we talk?",
                            subject="Your account", now=NOW)
    db.session.commit()
    url = unsubscribe.unsubscribe_url(outcome.message)
    token = url.rsplit("/u/", 1)[1]
    assert url.startswith("http://127.0.0.1:5000/u/") and EMAIL not in url
    with pytest.raises(NotFound):
        unsubscribe.target(db.session, token[:-2] + "xx")
    found, new = unsubscribe.unsubscribe(db.session, token, now=NOW)
    db.session.commit()
    assert new and found.address == EMAIL and found.business.id == business.id
    event = db.session.scalars(select(OptOutEvent)).one()
    assert (event.channel, event.address, event.scope, event.rule_id, event.account_id) == \
        ("email", EMAIL, "all", "OPT-2", account.id)
    assert unsubscribe.unsubscribe(db.session, token, now=NOW + dt.timedelta(days=400))[1] is False
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OptOutEvent)) == 1


def test_a_token_respelled_in_its_unused_bits_is_refused():
    """Base64 leaves the last character's low bits unused: a second spelling of a valid token must not open it."""
    account = debtor(messaging_business())
    _, token = _issue(account)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[value ^ 1]  # same decoded bytes when that bit is padding
    with pytest.raises(links.LinkInvalid):
        links.resolve(db.session, twin, NOW)
