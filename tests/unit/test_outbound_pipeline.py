"""Does every message to a debtor go out through the gate, on the right channel, exactly once?"""
from __future__ import annotations

import ast
import datetime as dt
import pathlib

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ComplianceDecision, Conversation, Message, OptOutEvent, PortalLink, SandboxMessage
from app.services import channels
from app.services.channels import delivery, usage
from app.services.channels.providers import sandbox as sandbox_provider
from app.services.errors import ComplianceBlocked
from jobs import clock as clock_jobs
from tests.factories import NOW
from tests.messaging import debtor, messaging_business

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _send(account, body="Hi Maria, can we talk about your account?", channel="sms", **kwargs):
    outcome = channels.send(db.session, account=account, channel=channel, body=body, now=kwargs.pop("now", NOW),
                            **kwargs)
    db.session.commit()
    return outcome


def _outbox(account=None):
    stmt = select(SandboxMessage).where(SandboxMessage.kind == "debtor").order_by(SandboxMessage.created_at)
    if account is not None:
        stmt = stmt.where(SandboxMessage.business_id == account.business_id)
    return db.session.scalars(stmt).all()


def _work(app):
    app.extensions["jobs"].work_burst()
    db.session.expire_all()


def test_a_first_contact_sms_carries_the_disclosures_and_a_portal_link_and_is_sent_once(app):
    """The first SMS gets the mini-Miranda, the debt summary with the debtor's own portal link and the STOP notice
    appended, the decision is stored on the message and in the log, and the sandbox sends it exactly once."""
    business = messaging_business()
    account = debtor(business)
    outcome = _send(account)
    message = outcome.message
    assert outcome.created_conversation and message.delivery_status == "queued"
    assert "This is an attempt to collect a debt" in message.content
    assert "Reply STOP to opt out." in message.content
    link = db.session.scalars(select(PortalLink).where(PortalLink.message_id == message.id)).one()
    assert f"/p/" in message.content and "~portal-link~" not in message.content
    assert link.account_id == account.id and link.expires_at > NOW
    assert "validation_summary" in message.compliance_record["required_content_added"]
    decision = db.session.scalars(select(ComplianceDecision).where(ComplianceDecision.message_id == message.id)).one()
    assert decision.outcome == "allow" and message.compliance_passed and message.compliance_checked

    _work(app)
    message = db.session.get(Message, message.id)
    sent = _outbox(account)
    assert [s.message_id for s in sent] == [message.id] and sent[0].body == message.content
    assert message.delivery_status in ("sent", "delivered") and message.external_id == sent[0].external_id
    assert message.sent_at is not None
    assert db.session.get(type(account), account.id).initial_communication_at == NOW
    assert usage.current(db.session, business.id, NOW).sent == 1


def test_a_second_send_uses_the_open_conversation():
    """Two messages on one channel share the debtor's open conversation; another channel opens its own."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    first = _send(account)
    second = _send(account, body="Are you available to talk?")
    email = _send(account, channel="email", subject="Your account", body="Hello Maria, can we talk?")
    assert first.conversation.id == second.conversation.id and not second.created_conversation
    assert email.conversation.id != first.conversation.id
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 2


def test_a_blocked_message_is_stored_blocked_and_never_reaches_a_provider(app):
    """A cease on file blocks a collection message: the row says blocked with the rule, and nothing is sent."""
    business = messaging_business()
    account = debtor(business, contacted=True, cease_received_at=NOW - dt.timedelta(days=1), cease_type="written",
                     cease_channel="mail", cease_written=True)
    outcome = _send(account)
    assert outcome.blocked and outcome.message.delivery_status == "blocked"
    assert any(rule.startswith("CEASE") for rule in outcome.message.compliance_issues)
    with pytest.raises(ComplianceBlocked) as raised:
        outcome.raise_if_blocked()
    assert raised.value.extra["conversationId"] == str(outcome.conversation.id)
    assert any(rule.startswith("CEASE") for rule in raised.value.extra["rules"])
    _work(app)
    assert _outbox(account) == []
    assert db.session.get(Message, outcome.message.id).delivery_status == "blocked"


def test_a_message_in_quiet_hours_waits_and_the_clock_releases_it(app, clock):
    """At 21:30 in Dallas the message is scheduled for 08:00 local; the clock sends it then, checked again."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    evening = dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.timezone.utc)  # 21:30 CST
    clock.set(evening)
    outcome = _send(account, now=evening)
    assert outcome.scheduled and outcome.message.scheduled_for == dt.datetime(2026, 11, 26, 14, 0,
                                                                               tzinfo=dt.timezone.utc)
    clock_jobs.tick(app)
    _work(app)
    assert _outbox(account) == []
    clock.set(dt.datetime(2026, 11, 26, 14, 0, 30, tzinfo=dt.timezone.utc))
    clock_jobs.tick(app)
    _work(app)
    assert [s.message_id for s in _outbox(account)] == [outcome.message.id]
    decisions = db.session.scalars(select(ComplianceDecision.outcome).where(
        ComplianceDecision.message_id == outcome.message.id).order_by(ComplianceDecision.evaluated_at)).all()
    assert decisions == ["defer", "allow"]


def test_a_message_queued_before_a_cease_is_checked_again_at_dispatch(app, clock):
    """TIME-6: a message evaluated more than 5 minutes before dispatch is decided again, and a cease that arrived
    meanwhile stops it."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    outcome = _send(account)
    account.cease_received_at = NOW + dt.timedelta(minutes=1)
    account.cease_type, account.cease_channel, account.cease_written = "written", "mail", True
    db.session.commit()
    clock.advance(minutes=6)
    assert delivery.deliver(db.session, outcome.message.id, clock.now()) == "block"
    assert db.session.get(Message, outcome.message.id).delivery_status == "blocked"
    assert _outbox(account) == []


def test_a_provider_outage_leaves_the_message_queued_and_retried(app, clock):
    """A 503 from the provider keeps the message queued with a retry time and 'retrying' shown; after the outage
    it goes out once."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    sandbox_provider.set_outage(db.session, "sms", NOW + dt.timedelta(minutes=1))
    db.session.commit()
    outcome = _send(account)
    _work(app)
    message = db.session.get(Message, outcome.message.id)
    assert message.delivery_status == "queued" and message.failed_reason.startswith("retrying")
    assert message.next_attempt_at > NOW and message.attempts == 1
    clock.advance(minutes=2)
    for _ in range(3):
        clock_jobs.tick(app)
        _work(app)
        clock.advance(minutes=1)
    message = db.session.get(Message, outcome.message.id)
    assert message.delivery_status in ("sent", "delivered") and message.failed_reason is None
    assert [s.message_id for s in _outbox(account)] == [message.id]


def test_retries_stop_after_24_hours_with_the_reason(app, clock):
    business = messaging_business()
    account = debtor(business, contacted=True)
    sandbox_provider.set_outage(db.session, "sms", NOW + dt.timedelta(days=3))
    db.session.commit()
    outcome = _send(account)
    _work(app)
    clock.advance(hours=24, minutes=1)
    message = db.session.get(Message, outcome.message.id)
    message.next_attempt_at = clock.now()
    message.compliance_record = {**message.compliance_record, "evaluated_at": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    db.session.commit()
    assert delivery.deliver(db.session, message.id, clock.now()) == "failed"
    message = db.session.get(Message, message.id)
    assert message.delivery_status == "failed" and "24 hours" in message.failed_reason


def test_an_unsubscribed_number_fails_the_message_and_records_the_opt_out(app):
    """Twilio 21610 (the sandbox's +15005550004) is permanent and means the recipient opted out."""
    business = messaging_business()
    account = debtor(business, contacted=True, phone="+15005550004")
    outcome = _send(account)
    _work(app)
    message = db.session.get(Message, outcome.message.id)
    assert message.delivery_status == "failed" and "21610" in message.failed_reason
    event = db.session.scalars(select(OptOutEvent)).one()
    assert event.address == "+15005550004" and event.scope == "all"
    assert _send(account, body="Hello again").blocked


def test_a_row_left_sending_by_a_crash_is_reconciled_not_resent(app, clock):
    """The worker died after the provider took the message: the reconciler finds it at the provider and marks it
    sent; a row the provider never saw goes back to the queue and is sent once."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    taken = _send(account).message
    lost = _send(account, channel="email", subject="Hello", body="Hello Maria, can we talk?").message
    for message in (taken, lost):
        message.delivery_status, message.claimed_at, message.attempts = "sending", NOW, 1
        message.provider = "sandbox"
    envelope = delivery.envelope_for(db.session, taken)
    sandbox_provider.SandboxProvider(db.session).send(envelope)  # the provider took it; then the worker died
    db.session.commit()
    app.extensions["jobs"].connection.flushdb()  # and the queue was lost with it

    clock.advance(minutes=3)
    result = delivery.reconcile(db.session, clock.now())
    assert result == {"found": 1, "requeued": 1, "review": 0}
    assert db.session.get(Message, taken.id).delivery_status == "sent"
    clock_jobs.tick(app)
    _work(app)
    assert sorted(str(s.message_id) for s in _outbox(account)) == sorted([str(taken.id), str(lost.id)])


def test_a_status_never_moves_backwards():
    business = messaging_business()
    account = debtor(business, contacted=True)
    message = _send(account).message
    from app.services.channels import status

    status.apply(db.session, message=message, status="delivered", at=NOW, provider="sandbox", external_id="SMx1")
    status.apply(db.session, message=message, status="sent", at=NOW)
    assert message.delivery_status == "delivered"
    status.apply(db.session, message=message, status="failed", at=NOW, reason="late")
    assert message.delivery_status == "delivered" and message.failed_reason is None


def test_only_the_channels_package_imports_a_provider_adapter():
    """Nothing but app/services/channels may reach a debtor-facing provider: no module elsewhere imports the
    adapters or a provider SDK."""
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("app/services/channels/"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith(("app.services.channels.providers", "twilio.rest", "sendgrid", "smtplib")) \
                        or name in ("twilio",):
                    offenders.append(f"{relative}: {name}")
    assert offenders == []


def test_after_a_first_text_the_clock_emails_the_full_notice_once(app, clock):
    """D-4: the text carried the summary and the link; the full notice follows as an emailed PDF (once, however
    often the clock looks), and its delivery is what stamps the notice sent."""
    business = messaging_business()
    account = debtor(business, esign_consent_at=NOW - dt.timedelta(days=30))  # VALID-4: E-SIGN for path B
    _send(account)
    _work(app)
    account = db.session.get(type(account), account.id)
    assert account.initial_communication_at == NOW and not account.initial_had_validation
    assert account.validation_method == "sms_summary" and account.validation_notice_sent_at is None
    clock_jobs.tick(app)
    clock_jobs.tick(app)
    notices = db.session.scalars(select(Message).where(Message.purpose == "validation_notice")).all()
    assert len(notices) == 1 and notices[0].channel == "email"
    assert notices[0].compliance_record["attempt"]["attachments"] == ["validation_notice_pdf"]
    _work(app)
    sent = [s for s in _outbox(account) if s.message_id == notices[0].id]
    assert len(sent) == 1
    assert db.session.get(type(account), account.id).validation_notice_sent_at == NOW


def test_without_esign_consent_the_notice_becomes_a_letter_for_staff(app, clock):
    """VALID-4 blocks an emailed notice without E-SIGN consent: the managers are asked, once, to mail a letter."""
    from app.models import Notification
    from tests.factories import gen_user

    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business)
    _send(account)
    _work(app)
    clock_jobs.tick(app)
    clock_jobs.tick(app)
    assert db.session.scalars(select(Message).where(Message.purpose == "validation_notice",
                                                    Message.delivery_status != "blocked")).all() == []
    assert len(db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).all()) == 1
