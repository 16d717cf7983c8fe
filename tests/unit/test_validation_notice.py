"""The validation notice: does it carry every VALID-3 part from the approved texts, in the debtor's language, as a
PDF a person can keep, and does D-4's delivery pick email or a letter the way the gate allows?"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, Message, Notification, SandboxMessage
from app.services.compliance import snippets
from app.services.compliance.rules.validation import period_end
from app.services.errors import Forbidden, ValidationError
from app.services.portal import notice
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.messaging import EMAIL, debtor, messaging_business


# -- reading a PDF back (what a PDF reader extracts: glyphs mapped through the font's ToUnicode table) ----------------
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,8})>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _shown_strings(stream: bytes) -> list[list[bytes]]:
    """The literal strings of each text object (BT ... ET), in order: what Tj and TJ show."""
    objects, current, i = [], [], 0
    while i < len(stream):
        if stream[i:i + 1] == b"(":
            out, depth, i = bytearray(), 1, i + 1
            while i < len(stream):
                c = stream[i:i + 1]
                if c == b"\\":
                    octal = re.match(rb"[0-7]{1,3}", stream[i + 1:i + 4])
                    if octal:
                        out.append(int(octal.group(0), 8))
                        i += 1 + len(octal.group(0))
                        continue
                    out += _ESCAPES.get(stream[i + 1:i + 2], stream[i + 1:i + 2])
                    i += 2
                    continue
                if c == b"(":
                    depth += 1
                elif c == b")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                out += c
                i += 1
            current.append(bytes(out))
            continue
        if stream[i:i + 2] == b"ET" and (i + 2 == len(stream) or stream[i + 2:i + 3] in b" \n\r"):
            if current:
                objects.append(current)
            current = []
        i += 1
    return objects


def pdf_text(data: bytes) -> str:
    """The text of a PDF fpdf2 wrote with an embedded TrueType font (glyph ids mapped back through the font's
    ToUnicode table, as a PDF reader extracts it), one text object per line."""
    streams = []
    for match in _STREAM.finditer(data):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            streams.append(match.group(1))
    cmap = {}
    for stream in streams:
        if b"beginbfchar" in stream:
            for glyph, code in _BFCHAR.findall(stream):
                cmap[int(glyph, 16)] = bytes.fromhex(code.decode()).decode("utf-16-be")
    lines = []
    for stream in streams:
        if b"beginbfchar" in stream or b"BT" not in stream:
            continue
        for shown in _shown_strings(stream):
            raw = b"".join(shown)
            lines.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "?") for i in range(0, len(raw), 2)))
    return "\n".join(lines)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# -- content ------------------------------------------------------------------------------------------------------
def test_the_notice_has_every_part_from_the_approved_texts_and_flags_defaults():
    """Does the page notice render all mvn_* parts as the snippets word them, state the D-12 defaults, and count the
    period from today while nothing has been delivered (the earliest it can end)?"""
    account = debtor(messaging_business(), itemization_date=None)
    built = notice.build(db.session, account, now=NOW)
    assert built.complete and built.language == "en" and not built.period_end_stored
    assert [p.item for p in built.parts] == list(snippets.MVN_PARTS)
    facts = notice.facts_for(db.session, account, NOW)
    assert snippets.present("validation_notice", built.text, facts, language="en", provided_on=NOW.date())
    assert "Default values used for: date, date type, amount, interest, fees." in built.text
    assert built.period_end == period_end(NOW.date())
    assert "First Bank" in built.text and account.account_number in built.text and "PO Box 100" in built.text
    itemization = next(p for p in built.parts if p.item == "mvn_itemization")
    assert len(itemization.lines) > 4 and " ".join(itemization.lines) == itemization.text


def test_a_delivered_notice_keeps_its_stored_period_end():
    """Once delivered, does the notice state the stored validation period end, not one counted from today?"""
    stored = dt.date(2026, 12, 30)
    account = debtor(messaging_business(), validation_notice_sent_at=NOW - dt.timedelta(days=3),
                     validation_method="mail", validation_period_end=stored)
    built = notice.build(db.session, account, now=NOW)
    assert built.period_end == stored and built.period_end_stored
    assert built.provided_on == (NOW - dt.timedelta(days=3)).date()
    assert snippets.long_date(stored, "en") in built.text


def test_a_spanish_preferred_debtor_gets_the_spanish_notice():
    """VALID-6: is the notice of a Spanish-preferred debtor in Spanish, with the Spanish approved texts?"""
    account = debtor(messaging_business(), preferred_language="es")
    built = notice.build(db.session, account, now=NOW)
    assert built.language == "es" and built.heading["title"] == "Aviso de validación"
    facts = notice.facts_for(db.session, account, NOW)
    assert snippets.present("validation_notice", built.text, facts, language="es", provided_on=NOW.date())
    assert "es un cobrador de deudas" in built.text
    assert notice.build(db.session, account, now=NOW, language="en").language == "en"


def test_a_missing_dispute_address_leaves_that_part_out_and_says_why():
    """D-15: without a dispute mailing address, is that part missing (never invented) and the notice incomplete?"""
    account = debtor(messaging_business(dispute_address=None))
    built = notice.build(db.session, account, now=NOW)
    assert not built.complete
    assert [p.item for p in built.missing] == ["mvn_dispute_address"]
    assert "dispute mailing address" in built.missing[0].missing


def test_the_pdf_embeds_a_font_and_reads_back_in_spanish():
    """Is the PDF a real PDF whose text reads back with its accents (the embedded font), creditor and amounts?"""
    account = debtor(messaging_business(), preferred_language="es", first_name="Inés", last_name="Núñez",
                     original_creditor="Banco Señor", current_creditor="Banco Señor")
    data = notice.notice_pdf(db.session, account, now=NOW)
    assert data.startswith(b"%PDF-") and b"/FontFile2" in data and len(data) < 150_000
    text = flat(pdf_text(data))
    assert "Aviso de validación" in text and "Inés Núñez" in text and "Banco Señor" in text
    assert "$412.50" in text and "www.cfpb.gov/debt-collection" in text
    english = flat(pdf_text(notice.notice_pdf(db.session, account, now=NOW, language="en")))
    assert "Validation notice" in english and "Banco Señor is a debt collector" not in english


def test_viewing_and_downloading_are_audited_not_delivery():
    """D-4 decision: does reading or downloading the notice in the portal leave the validation tracking untouched and
    write an audit entry instead?"""
    account = debtor(messaging_business())
    notice.record_view(db.session, account, now=NOW, language="en")
    notice.record_view(db.session, account, now=NOW, language="en", downloaded=True)
    db.session.commit()
    account = db.session.get(Account, account.id)
    assert account.validation_notice_sent_at is None and account.validation_method is None
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.seq)).all()
    assert actions == ["validation_notice_viewed", "validation_notice_downloaded"]


# -- delivery (D-4) -----------------------------------------------------------------------------------------------
def _staff(business):
    return gen_user(business, "business_admin"), gen_user(business, "manager"), gen_user(business, "agent")


def test_a_first_contact_by_email_carries_the_pdf_and_is_stamped_when_sent(app):
    """With no contact yet and an email the debtor gave, does the notice go by email with the PDF attached, the period
    end stored before it leaves, and the account stamped delivered by email when the provider takes it?"""
    account = debtor(messaging_business())
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "emailed"
    db.session.commit()
    message = db.session.scalars(select(Message)).one()
    assert message.purpose == "validation_notice" and message.kind == "transactional"
    assert message.compliance_record["attempt"]["attachments"] == ["validation_notice_pdf"]
    account = db.session.get(Account, account.id)
    assert account.validation_period_end == period_end(NOW.date() + dt.timedelta(days=1))
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    sent = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == EMAIL)).one()
    assert sent.meta["attachments"][0]["content_type"] == "application/pdf"
    assert sent.meta["attachments"][0]["filename"] == "validation-notice.pdf"
    assert sent.meta["unsubscribe_url"].startswith("http://127.0.0.1:5000/u/")
    account = db.session.get(Account, account.id)
    assert account.validation_notice_sent_at == NOW and account.validation_method == "email"
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "already_sent"


def test_after_a_text_first_contact_without_esign_consent_a_letter_is_due_once():
    """VALID-4: after an SMS initial communication, the emailed notice needs E-SIGN consent; without it, is a letter
    asked of the admins and managers (once), with nothing stamped as delivered?"""
    business = messaging_business()
    admin, manager, agent = _staff(business)
    account = debtor(business, initial_communication_at=NOW - dt.timedelta(days=1), validation_method="sms_summary")
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "letter_due"
    db.session.commit()
    blocked = db.session.scalars(select(Message)).one()
    assert blocked.delivery_status == "blocked" and "VALID-4" in blocked.compliance_issues
    notes = db.session.scalars(select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted([admin.id, manager.id])
    assert notes[0].kind == "validation_letter_due" and "November 29, 2026" in notes[0].body
    assert notes[0].link == f"/accounts/{account.id}?tab=compliance"
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "validation_letter_due")).one()
    assert row.meta["emailRules"] == ["VALID-4"]
    assert db.session.get(Account, account.id).validation_notice_sent_at is None
    assert notice.deliver_validation_notice(db.session, account, now=NOW + dt.timedelta(hours=1)) == "letter_due"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
    assert notice.notices_due(db.session, NOW) == []


def test_with_esign_consent_the_notice_is_emailed_after_a_text_first_contact():
    """VALID-4: does E-SIGN consent on file let the path-B notice go by email?"""
    account = debtor(messaging_business(), initial_communication_at=NOW - dt.timedelta(days=1),
                     esign_consent_at=NOW - dt.timedelta(days=2))
    assert notice.notices_due(db.session, NOW) == [account.id]
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "emailed"


def test_no_email_on_file_means_a_letter():
    """Does an account without an email go straight to a letter, naming why?"""
    business = messaging_business()
    _staff(business)
    account = debtor(business, email=None)
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "letter_due"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "validation_letter_due")).one()
    assert row.meta["reason"] == "no email on file"


def test_a_cease_stops_the_letter_too():
    """When the gate would stop any communication (a written cease), is the answer "blocked" with the rules and no
    letter asked for?"""
    business = messaging_business()
    _staff(business)
    account = debtor(business, email=None, cease_received_at=NOW - dt.timedelta(days=1), cease_type="cease")
    outcome = notice.deliver_validation_notice(db.session, account, now=NOW)
    assert outcome.startswith("blocked: ") and "CEASE-1" in outcome
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_missing_dispute_address_is_a_setup_task_not_a_letter():
    """D-15: without the dispute address the notice cannot be complete: is it "blocked: VALID-3" with a setup
    notification instead of a letter?"""
    business = messaging_business(dispute_address=None)
    _staff(business)
    account = debtor(business, email=None)
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "blocked: VALID-3"
    db.session.commit()
    kinds = set(db.session.scalars(select(Notification.kind)).all())
    assert kinds == {"validation_notice_setup"}
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "blocked: VALID-3"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_staff_record_a_mailed_letter():
    """Does recording the mailing stamp the notice delivered by mail with its period end, for managers only?"""
    business = messaging_business()
    admin, manager, agent = _staff(business)
    account = debtor(business, email=None)
    with pytest.raises(Forbidden):
        notice.mark_letter_mailed(db.session, Principal(business.id, "agent", agent.id), account,
                                  mailed_on=NOW.date(), now=NOW)
    with pytest.raises(ValidationError):
        notice.mark_letter_mailed(db.session, Principal(business.id, "manager", manager.id), account,
                                  mailed_on=NOW.date() + dt.timedelta(days=3), now=NOW)
    end = notice.mark_letter_mailed(db.session, Principal(business.id, "manager", manager.id), account,
                                    mailed_on=dt.date(2026, 11, 24), now=NOW)
    db.session.commit()
    account = db.session.get(Account, account.id)
    assert account.validation_method == "mail" and end == period_end(dt.date(2026, 11, 24))
    assert account.validation_notice_sent_at == dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
    assert notice.build(db.session, account, now=NOW).period_end == end
    with pytest.raises(ValidationError):
        notice.mark_letter_mailed(db.session, Principal(business.id, "manager", manager.id), account,
                                  mailed_on=NOW.date(), now=NOW)


def test_the_itemization_amounts_are_exact():
    """Are the notice's amounts the account's Decimals to the cent, with payments since the itemization counted?"""
    account = debtor(messaging_business(), current_balance=Decimal("1234.56"), original_balance=Decimal("1500.00"),
                     itemization_date=dt.date(2026, 3, 31), itemization_date_type="charge_off",
                     itemization_amount=Decimal("1400.10"), interest_since_itemization=Decimal("10.00"),
                     fees_since_itemization=Decimal("0.00"))
    text = notice.build(db.session, account, now=NOW).text
    assert "As of March 31, 2026, you owed: $1,400.10." in text and "Itemization date (charge-off date)" in text
    assert "Total amount of the debt now: $1,234.56." in text and "Default values used" not in text


def test_a_spanish_preferred_debtor_is_emailed_the_spanish_pdf(app):
    """VALID-6: does the emailed notice of a Spanish-preferred debtor carry the Spanish PDF, in a Spanish email?"""
    account = debtor(messaging_business(), preferred_language="es")
    assert notice.deliver_validation_notice(db.session, account, now=NOW) == "emailed"
    db.session.commit()
    message = db.session.scalars(select(Message)).one()
    assert "validation_notice_pdf_es" in message.compliance_record["attempt"]["attachments"]
    assert message.subject == "Aviso importante sobre su cuenta" and "Adjuntamos un aviso importante" in message.content
    app.extensions["jobs"].work_burst()
    sent = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == EMAIL)).one()
    assert [a["filename"] for a in sent.meta["attachments"]] == ["aviso-de-validacion.pdf"]
