"""The validation notice (VALID-3) as the portal shows it and as the PDF carries it, and its delivery (D-4).

Content: every mvn_* part rendered by the approved snippets from the facts DbLoader reads, in the debtor's language
(VALID-6: a Spanish-preferred debtor gets the Spanish notice). D-12 defaults are stated by the itemization text
itself ("Default values used for: ..."); a part the facts cannot produce (D-15: no dispute mailing address) is left
out and named, never invented.

Which day the notice is "provided" on decides its validation period end (VALID-5): the stored period end when there
is one; else the day the notice was delivered; else today, which is the earliest the period can end, since the
period runs from delivery and has not started yet.

Delivery (D-4, "within 5 days"): deliver_validation_notice emails the PDF through the outbound pipeline when the gate
lets that email go (provenance, E-SIGN consent on path B, opt-outs...), otherwise asks for a letter: an audit entry and
a notification to the business's admins and managers, who mail it and record the mailing (mark_letter_mailed).

What counts as delivered (the D-4 decision for the portal):
- Reading the notice in the portal is not delivery: VALID-4 wants a form the consumer can keep, and a web page is not.
- Downloading the PDF from the portal is recorded as a download, not as delivery either. D-4 names the keepable forms
  ("email PDF where email provenance allows, otherwise a letter"); the portal is where the notice "can be read and
  downloaded", not one of them. A download after the initial communication is path B electronic delivery, which
  VALID-4 allows only with E-SIGN consent, and the 1006.42 conditions for delivery by hyperlink are unverified
  (COMPLIANCE.md section 4). So both are audit entries (validation_notice_viewed / _downloaded) and only an email
  or a letter stamps validation_notice_sent_at.
- An emailed notice is stamped by the pipeline when the provider accepts the message (delivery.after_send: Reg F runs
  the period from when the collector provides the notice, and a delivery receipt may never come, e.g. SMTP). This
  module stores the validation period end before that, counted from the day the email is due to leave plus one
  day: delivery retries for up to 24 hours, and a later assumed receipt is allowed (1006.34(b)(5): "any date that is
  at least five days after"), so the stated date is never early.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select

from app.models import Account, AuditLog, Business, Message, Notification, User
from app.services import audit
from app.services.compliance import snippets
from app.services.compliance.decision import BLOCK
from app.services.compliance.facts import Attempt, Facts
from app.services.compliance.gate import decide
from app.services.compliance.loader import DbLoader
from app.services.compliance.rules.validation import period_end as compute_period_end
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.portal import debtor_principal, system_principal
from app.services.tenancy import Principal

UTC = dt.timezone.utc
RETRY_MARGIN = dt.timedelta(days=1)
NOTICE_DUE = dt.timedelta(days=5)
LETTER_DUE_ACTION = "validation_letter_due"
SECTIONS = (
    ("intro", ("mvn_header", "mvn_consumer")),
    ("debt", ("mvn_account", "mvn_itemization_date", "mvn_itemization")),
    ("rights", ("mvn_period_end",)),
    ("write", ("mvn_dispute_address",)),
    ("more", ("mvn_cfpb",)),
)
"""How the parts are grouped on the page and in the PDF (the grouping and headings are layout, not notice text)."""
HEADINGS = {
    "en": {"title": "Validation notice", "intro": "", "debt": "About the debt", "rights": "Your rights",
           "write": "Where to write", "more": "More information", "date": "Date of this notice",
           "missing": "This part of the notice is not available yet"},
    "es": {"title": "Aviso de validación", "intro": "", "debt": "Sobre la deuda", "rights": "Sus derechos",
           "write": "Dónde escribir", "more": "Más información", "date": "Fecha de este aviso",
           "missing": "Esta parte del aviso aún no está disponible"},
}
COVER = {
    "en": ("Important notice about your account",
           "Hello {first_name},\n\nAttached is an important notice from {business} about your account. Please read it "
           "and keep it for your records."),
    "es": ("Aviso importante sobre su cuenta",
           "Hola, {first_name}:\n\nAdjuntamos un aviso importante de {business} sobre su cuenta. Léalo y consérvelo "
           "para sus registros."),
}
_SENTENCE = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÁÉÍÓÚÑ¿¡])")


def language_of(account: Account, language: str | None = None) -> str:
    return snippets.lang_of(language or account.preferred_language)


@dataclass(frozen=True)
class Part:
    item: str
    text: str
    missing: str | None = None  # why the facts cannot produce it

    @property
    def lines(self) -> tuple[str, ...]:
        """The approved text in sentence-sized lines (the itemization reads as a list); the words are unchanged."""
        if self.item != "mvn_itemization":
            return (self.text,) if self.text else ()
        return tuple(s for s in _SENTENCE.split(self.text) if s)


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Notice:
    language: str
    business_name: str
    provided_on: dt.date
    period_end: dt.date | None
    period_end_stored: bool
    delivered_at: dt.datetime | None
    sections: tuple[Section, ...]
    defaulted: tuple[str, ...]

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for s in self.sections for p in s.parts)

    @property
    def missing(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.missing)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts if p.text)

    @property
    def heading(self) -> dict:
        return HEADINGS[self.language]


def facts_for(db_session, account: Account, now: dt.datetime) -> Facts:
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel="web_chat", to_address=None,
                      body="", now=now, kind="system", purpose="validation_notice")
    return DbLoader(db_session).load(attempt)


def provided_on(account: Account, now: dt.datetime) -> dt.date:
    """The day the notice counts as provided: when it was delivered, else today (see the module docstring)."""
    sent = account.validation_notice_sent_at
    return sent.astimezone(UTC).date() if sent is not None else now.astimezone(UTC).date()


def build(db_session, account: Account, *, now: dt.datetime, language: str | None = None,
          facts: Facts | None = None) -> Notice:
    """The notice for this account, part by part, in the debtor's (or the asked) language."""
    lang = language_of(account, language)
    facts = facts or facts_for(db_session, account, now)
    day = provided_on(account, now)
    sections = []
    for key, items in SECTIONS:
        parts = []
        for item in items:
            why = snippets.missing_data(item, facts, day)
            text = "" if why else snippets.render(item, facts, language=lang, provided_on=day)
            parts.append(Part(item=item, text=text, missing=why))
        sections.append(Section(key=key, heading=HEADINGS[lang][key], parts=tuple(parts)))
    return Notice(language=lang, business_name=snippets.collector(facts), provided_on=day,
                  period_end=snippets.validation_period_end(facts, day),
                  period_end_stored=facts.debtor.validation.period_end is not None,
                  delivered_at=account.validation_notice_sent_at, sections=tuple(sections),
                  defaulted=snippets.defaulted_fields(facts))


def notice_pdf(db_session, account: Account, *, now: dt.datetime, language: str | None = None) -> bytes:
    """The notice as a PDF the debtor can keep (the email attachment and the portal download)."""
    from app.services.portal import pdf

    return pdf.render(build(db_session, account, now=now, language=language), now=now)


def record_view(db_session, account: Account, *, now: dt.datetime, link_id=None, language: str,
                downloaded: bool = False, ip: str | None = None, user_agent: str | None = None) -> None:
    """The debtor read (or downloaded) the notice in the portal: an audit entry, not delivery (module docstring)."""
    audit.record(db_session, "validation_notice_downloaded" if downloaded else "validation_notice_viewed", now=now,
                 principal=debtor_principal(account), resource_type="account", resource_id=account.id,
                 description=account.account_number,
                 meta={"language": language, "linkId": str(link_id) if link_id else None,
                       "delivered": account.validation_notice_sent_at is not None},
                 ip=ip, user_agent=user_agent)


# -- delivery (D-4) -----------------------------------------------------------------------------------------------
def _attachments(language: str) -> tuple[str, ...]:
    """The PDF; for Spanish the Spanish PDF, named as VALID-6 reads it (the pipeline renders one PDF per language)."""
    return ("validation_notice_pdf", "validation_notice_pdf_es") if language == "es" else ("validation_notice_pdf",)


def deliver_validation_notice(db_session, account: Account, *, now: dt.datetime) -> str:
    """Deliver the full notice in a form the debtor can keep: "emailed" (queued or scheduled by the gate),
    "letter_due" (staff mail it), "blocked: <rules>" (the gate stops even a letter, e.g. a cease or bankruptcy, or
    the notice lacks data the business must supply), or "already_sent". The caller commits."""
    from app.services import channels

    if account.validation_notice_sent_at is not None:
        return "already_sent"
    business = db_session.get(Business, account.business_id)
    lang = language_of(account)
    email_rules: list[str] = []
    if account.email:
        subject, cover = COVER[lang]
        outcome = channels.send(
            db_session, account=account, channel="email", now=now, kind="transactional", sender_type="system",
            purpose="validation_notice", subject=subject, language=lang, attachments=_attachments(lang),
            body=cover.format(first_name=account.first_name or "", business=business.name),
            principal=system_principal(account))
        if not outcome.blocked:
            leaves = outcome.message.scheduled_for or now
            if account.validation_period_end is None:
                account.validation_period_end = compute_period_end((leaves + RETRY_MARGIN).astimezone(UTC).date())
            audit.record(db_session, "validation_notice_emailed", now=now, principal=system_principal(account),
                         resource_type="account", resource_id=account.id, description=account.account_number,
                         meta={"messageId": str(outcome.message.id), "status": outcome.message.delivery_status,
                               "language": lang, "periodEnd": account.validation_period_end.isoformat()})
            return "emailed"
        email_rules = list(outcome.decision.rules) or list(outcome.message.compliance_issues or [])
    return _letter(db_session, account, lang, email_rules, now)


def _letter(db_session, account: Account, lang: str, email_rules: list[str], now: dt.datetime) -> str:
    """Ask the gate about a letter (in memory, stored nowhere: a letter is not a Message); due unless it blocks."""
    facts = facts_for(db_session, account, now)
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel="mail", to_address=None,
                      body="", now=now, kind="transactional", purpose="validation_notice", language=lang,
                      attachments=_attachments(lang))
    decision = decide(attempt, facts)
    missing = [p for p in snippets.MVN_PARTS if snippets.missing_data(p, facts, provided_on(account, now))]
    if decision.outcome == BLOCK or missing:
        rules = list(decision.rules) if decision.outcome == BLOCK else ["VALID-3"]
        if not _already(db_session, account, "validation_notice_blocked"):
            detail = "; ".join(snippets.missing_data(p, facts, provided_on(account, now)) for p in missing)
            audit.record(db_session, "validation_notice_blocked", now=now, principal=system_principal(account),
                         resource_type="account", resource_id=account.id, description=account.account_number,
                         meta={"rules": rules, "emailRules": email_rules, "missing": missing}, success=False,
                         error_message=detail or None)
            if missing:
                notify_managers(db_session, account, now, kind="validation_notice_setup",
                        title="The validation notice cannot be prepared",
                        body=f"{account.full_name} ({account.account_number}): {detail}. Add it in Settings > "
                             f"Compliance; collection messages stay blocked until the notice is sent (VALID-7).")
        return "blocked: " + ", ".join(rules)
    if _already(db_session, account, LETTER_DUE_ACTION):
        return "letter_due"
    due = (account.initial_communication_at + NOTICE_DUE) if account.initial_communication_at else now
    audit.record(db_session, LETTER_DUE_ACTION, now=now, principal=system_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"emailRules": email_rules, "language": lang, "dueBy": due.astimezone(UTC).isoformat(),
                       "reason": "no email on file" if not account.email else "the gate blocked the email"})
    day = due.astimezone(UTC)
    notify_managers(db_session, account, now, kind=LETTER_DUE_ACTION,
            title=f"Mail the validation notice to {account.full_name}",
            body=(f"Account {account.account_number}: the notice cannot go by email"
                  f"{' (' + ', '.join(email_rules) + ')' if email_rules else ' (no email address on file)'}. "
                  f"Print the notice{' in Spanish' if lang == 'es' else ''}, mail it by "
                  f"{day:%B} {day.day}, {day.year}, then record the mailing on the account."))
    return "letter_due"


def _already(db_session, account: Account, action: str) -> bool:
    return db_session.scalar(select(exists().where(
        AuditLog.business_id == account.business_id, AuditLog.action == action,
        AuditLog.resource_id == account.id))) or False


def notify_managers(db_session, account: Account, now: dt.datetime, *, kind: str, title: str, body: str) -> None:
    """A bell notification for every active admin and manager of the business (pushed after the commit)."""
    from app import realtime

    managers = db_session.scalars(select(User.id).where(
        User.business_id == account.business_id, User.role.in_(("business_admin", "manager")),
        User.status == "active", User.deleted_at.is_(None))).all()
    for user_id in managers:
        row = Notification(id=uuid.uuid4(), business_id=account.business_id, user_id=user_id, kind=kind,
                           title=title[:255], body=body, link=f"/accounts/{account.id}?tab=compliance",
                           created_at=now)
        db_session.add(row)
        realtime.publish(f"user:{user_id}", "notification.created",
                         {"notificationId": str(row.id), "kind": kind, "accountId": str(account.id)},
                         session=db_session)


def mark_letter_mailed(db_session, principal: Principal, account: Account, *, mailed_on: dt.date, now: dt.datetime,
                       ip: str | None = None, user_agent: str | None = None) -> dt.date:
    """Staff mailed the notice: stamp it delivered by mail and store the validation period end (VALID-5) counted
    from the mailing day. Admins and managers only; returns the period end."""
    if principal is None or principal.business_id != account.business_id or account.deleted_at is not None:
        raise NotFound("Account not found")
    if principal.role not in ("business_admin", "manager"):
        raise Forbidden("Only administrators and managers record a mailed validation notice.")
    if not isinstance(mailed_on, dt.date):
        raise ValidationError("Enter the date the notice was mailed.", field="mailed_on")
    if mailed_on > (now + dt.timedelta(hours=14)).date():
        raise ValidationError("This date is in the future.", field="mailed_on")
    if account.validation_notice_sent_at is not None:
        raise ValidationError(f"The notice was already recorded as sent on {account.validation_notice_sent_at:%Y-%m-%d}"
                              f" ({account.validation_method}).", field="mailed_on")
    sent_at = min(dt.datetime.combine(mailed_on, dt.time(0, 0), UTC), now)
    account.validation_notice_sent_at = sent_at
    account.validation_method = "mail"
    account.validation_period_end = max(filter(None, (account.validation_period_end, compute_period_end(mailed_on))))
    account.updated_at = now
    audit.record(db_session, "validation_notice_mailed", now=now, principal=principal, resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"mailedOn": mailed_on.isoformat(), "periodEnd": account.validation_period_end.isoformat()},
                 ip=ip, user_agent=user_agent)
    return account.validation_period_end


def notices_due(db_session, now: dt.datetime, *, limit: int = 500) -> list[uuid.UUID]:
    """Accounts whose initial communication lacked the full notice and that have none yet (D-4): what a periodic
    job hands to deliver_validation_notice. Accounts already waiting for a letter or a setup task are left out."""
    waiting = select(AuditLog.resource_id).where(
        AuditLog.action.in_((LETTER_DUE_ACTION, "validation_notice_blocked")), AuditLog.resource_id == Account.id,
        AuditLog.business_id == Account.business_id)
    on_its_way = select(Message.id).where(  # an emailed notice waiting to go out, or out and not yet stamped
        Message.account_id == Account.id, Message.purpose == "validation_notice",
        Message.delivery_status.in_(("queued", "scheduled", "sending", "sent", "delivered", "read")))
    return list(db_session.scalars(select(Account.id).where(
        Account.initial_communication_at.is_not(None), Account.initial_communication_at <= now,
        Account.initial_had_validation.is_(False), Account.validation_notice_sent_at.is_(None),
        Account.deleted_at.is_(None), ~exists(waiting), ~exists(on_its_way))
        .order_by(Account.initial_communication_at).limit(limit)))
