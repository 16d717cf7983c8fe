"""What a debtor records in the portal: a dispute or a request for the original creditor (DISPUTE-1/2) with the
documents that back it, which channels may reach them (D-3), and their own contact details and language (the
profile). Written to the same tables and audit actions staff use, with the debtor as the actor.

compliance.account_records.record_dispute authorizes staff principals only (a debtor has no user row and no role
there), so the portal writes the same DebtDispute row and "dispute_recorded" audit entry here. Opt-outs go through
the channel pipeline's provider_opt_out (an OptOutEvent covering every automated channel, D-3); turning a channel
back on is the debtor's own consent (a ConsentEvent, source "portal", D-14) plus an opt-in event on that channel,
so the gate lifts the opt-out for that channel only and a later opt-out is recorded again.

A new email address the debtor types is consumer-provided (provenance "consumer_consent", CONSENT-3). A new mobile
number given by the debtor after the identity check is on file like a number the creditor supplied (D-13), but it is
not proven current: no reassigned-number check or consent of the old number carries over, so CONSENT-4 flags texts
to it (defers them, when the business makes the safe harbor blocking) until the debtor texts from it or a
reassigned-numbers check clears it, and CONSENT-1 waits for the debtor's consent. It is not added to the
authenticated addresses: only the identity check from a link sent to an address proves it
(identity._authenticate_address)."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select

from app.models import Account, Business, ConsentEvent, DebtDispute, Document, OptOutEvent
from app.services import audit, webhooks
from app.services.accounts import documents, fields
from app.services.accounts.records import AUDITED_PERSONAL, derive_timezone
from app.services.accounts.serialize import account_json
from app.services.channels.optouts import provider_opt_out
from app.services.compliance.inbound import within_validation_period
from app.services.compliance.rules.stops import norm_address
from app.services.errors import ValidationError
from app.services.portal import debtor_principal
from app.services.portal.notice import notify_managers
from app.services.storage import Storage, new_key

DISPUTE_CHOICES = ("dispute", "dispute_part", "original_creditor")
NOTE_MAX = 2000
REPEAT_WINDOW = dt.timedelta(minutes=2)
"""The same dispute sent twice within this time (a double click, a resubmitted form) is recorded once."""
CHANNELS = ("sms", "whatsapp", "email")
DEBTOR_CONSENT_SOURCES = frozenset({"web", "keyword", "oral", "written", "portal"})
_CONSENT_SUMMARY = {"sms": ("sms_consent", "sms_consent_date"), "whatsapp": ("whatsapp_consent",
                                                                             "whatsapp_consent_date"),
                    "email": ("email_consent", "email_consent_date")}


# -- disputes -------------------------------------------------------------------------------------------------------
def parse_portion(value: str | None) -> Decimal | None:
    """An amount typed by a person ("120", "$1,200.50"); whole cents only."""
    text = (value or "").strip().replace("$", "").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
        if amount.is_finite() and amount == amount.quantize(Decimal("0.01")):
            return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        pass
    raise ValidationError("Enter an amount like 120.00.", field="portion", extra={"text": "err_portion_format"})


@dataclass(frozen=True)
class DisputeFile:
    """A file the debtor sends with a dispute, already checked: its cleaned name, bytes and kind."""

    filename: str
    data: bytes
    kind: documents.Kind


DISPUTE_FILES_MAX = 3
DISPUTE_FILE_BYTES = 5 * 1024 * 1024
DISPUTE_FILE_KINDS = ("pdf", "jpg", "png")
DISPUTE_FILE_EXTENSIONS = tuple(ext for name in DISPUTE_FILE_KINDS for ext in documents.KINDS[name].extensions)
DISPUTE_FILE_ACCEPT = ",".join(DISPUTE_FILE_EXTENSIONS + tuple(documents.KINDS[k].mime for k in DISPUTE_FILE_KINDS))


def _file_problem(message: str, key: str, name: str | None = None) -> ValidationError:
    return ValidationError(message, field="documents", extra={"text": key, "name": name})


def check_dispute_files(files: list[tuple[str | None, bytes]]) -> list[DisputeFile]:
    """(name, bytes) pairs as sent, checked the way staff uploads are (the content decides the type and must agree
    with the name) within the portal's narrower limits: at most 3 files, PDF, JPG or PNG, 5 MB each. The first
    problem raises, so a dispute is recorded with all of its files or not at all."""
    if len(files) > DISPUTE_FILES_MAX:
        raise _file_problem(f"Attach at most {DISPUTE_FILES_MAX} files.", "err_files_many")
    checked = []
    for raw_name, data in files:
        name = documents.clean_filename(raw_name)
        if not data:
            raise _file_problem(f"{name} is empty.", "err_file_empty", name)
        if len(data) > DISPUTE_FILE_BYTES:
            raise _file_problem(f"{name} is larger than 5 MB.", "err_file_size", name)
        extension = name[name.rfind("."):].lower() if "." in name else ""
        if extension not in DISPUTE_FILE_EXTENSIONS:
            raise _file_problem(f"{name} is not a PDF, JPG or PNG file.", "err_file_type", name)
        try:
            kind = documents.identify(name, data)
        except ValidationError:
            raise _file_problem(f"The content of {name} is not a PDF, JPG or PNG file that matches its name.",
                                "err_file_content", name) from None
        checked.append(DisputeFile(name, data, kind))
    return checked


def dispute_tag(dispute: DebtDispute) -> str:
    return f"dispute:{dispute.id}"


def dispute_documents(db_session, account: Account, dispute: DebtDispute) -> list[Document]:
    """The documents the debtor sent with this dispute (tagged with its id: DebtDispute has no document link)."""
    rows = db_session.scalars(select(Document).where(
        Document.business_id == account.business_id, Document.account_id == account.id,
        Document.document_type == "dispute", Document.deleted_at.is_(None)).order_by(Document.filename))
    tag = dispute_tag(dispute)
    return [d for d in rows if tag in (d.tags or [])]


def _store_dispute_files(db_session, storage: Storage, account: Account, dispute: DebtDispute,
                         files: list[DisputeFile], *, now: dt.datetime, ip: str | None,
                         user_agent: str | None) -> list[Document]:
    """Each file in the document store and on the account file (category "dispute"), audited like a staff upload
    with the debtor as the actor. A failure removes what this call stored before it raises."""
    stored, rows = [], []
    try:
        for item in files:
            key = new_key(account.business_id)
            storage.put(key, item.data, item.kind.mime)
            stored.append(key)
            document = Document(
                id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, filename=item.filename,
                file_type=item.kind.name, file_size=len(item.data), mime_type=item.kind.mime, storage_path=key,
                sha256=hashlib.sha256(item.data).hexdigest(), document_type="dispute",
                description="Sent by the debtor with a dispute in the portal",
                tags=["dispute", "portal", dispute_tag(dispute)], created_at=now, updated_at=now)
            db_session.add(document)
            rows.append(document)
        db_session.flush()
        for document in rows:
            audit.record(db_session, "document_uploaded", now=now, principal=debtor_principal(account),
                         resource_type="account", resource_id=account.id, description=account.account_number,
                         meta={"documentId": str(document.id), "fileType": document.file_type,
                               "fileSize": document.file_size, "sha256": document.sha256,
                               "disputeId": str(dispute.id), "channel": "portal"},
                         ip=ip, user_agent=user_agent)
    except Exception:
        for key in stored:
            storage.delete(key)
        raise
    return rows


def _with_file_names(note: str | None, files: list[DisputeFile]) -> str | None:
    """The dispute's note names the files sent with it, so staff reading the dispute know to look for them."""
    if not files:
        return note
    line = "Documents sent with this dispute: " + ", ".join(f.filename for f in files) + "."
    return f"{note}\n\n{line}" if note else line


def disputes(db_session, account: Account) -> list[DebtDispute]:
    return list(db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id)
        .order_by(DebtDispute.received_at.desc())))


def record_dispute(db_session, account: Account, *, choice: str, portion: Decimal | None, note: str | None,
                   now: dt.datetime, link_id=None, ip: str | None = None, user_agent: str | None = None,
                   files: list[DisputeFile] = (), storage: Storage | None = None
                   ) -> tuple[DebtDispute, list[Document]]:
    """A written dispute (typed in the portal counts as writing), dated now; inside the validation period it holds
    collection until it is answered. Admins and managers are told. `files` (from check_dispute_files) go on the
    account file with it, through `storage`. Returns the dispute and the documents stored now (none for a repeat of
    the same request); the caller commits, and deletes those documents' stored files if the commit fails."""
    if choice not in DISPUTE_CHOICES:
        raise ValidationError("Choose what you want to do.", field="choice", extra={"text": "err_choice"})
    kind = "original_creditor" if choice == "original_creditor" else "dispute"
    if choice == "dispute_part":
        if portion is None:
            raise ValidationError("Enter the amount you dispute.", field="portion", extra={"text": "err_portion"})
        if portion <= 0:
            raise ValidationError("Enter an amount more than $0.00.", field="portion",
                                  extra={"text": "err_portion_zero"})
        if account.current_balance is not None and portion > account.current_balance:
            raise ValidationError("The amount is more than the balance.", field="portion",
                                  extra={"text": "err_portion_high"})
    else:
        portion = None
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise ValidationError(f"Keep this to {NOTE_MAX:,} characters.", field="note", extra={"text": "err_note"})
    if files and storage is None:
        raise ValueError("files need a storage")
    note = _with_file_names(note, list(files))

    repeat = db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id,
        DebtDispute.channel == "portal", DebtDispute.kind == kind, DebtDispute.received_at >= now - REPEAT_WINDOW)
    ).first()
    if repeat is not None and repeat.portion == portion and (repeat.note or None) == note:
        return repeat, []

    row = DebtDispute(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, kind=kind,
                      received_at=now, written=True, channel="portal",
                      within_vp=within_validation_period(now, account.validation_period_end), portion=portion,
                      note=note, created_at=now)
    db_session.add(row)
    fields = {}
    if kind == "dispute":
        for name, value in (("disputed_at", now), ("dispute_status", "open")):
            before = getattr(account, name)
            if before != value:
                fields[name] = [before.isoformat() if isinstance(before, dt.datetime) else before,
                                value.isoformat() if isinstance(value, dt.datetime) else value]
                setattr(account, name, value)
        account.updated_at = now
    stored = _store_dispute_files(db_session, storage, account, row, list(files), now=now, ip=ip,
                                  user_agent=user_agent) if files else []
    audit.record(db_session, "dispute_recorded", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 changes={"note": [None, note]} if note else None, debtor_account_id=account.id if note else None,
                 meta={"kind": kind, "receivedAt": now.isoformat(), "written": True, "channel": "portal",
                       "withinValidationPeriod": row.within_vp, "portion": str(portion) if portion else None,
                       "linkId": str(link_id) if link_id else None, **({"fields": fields} if fields else {}),
                       **({"documentIds": [str(d.id) for d in stored]} if stored else {})},
                 ip=ip, user_agent=user_agent)
    what = "a request for the original creditor's name and address" if kind == "original_creditor" else (
        f"a dispute of ${portion:,.2f} of the debt" if portion else "a dispute of the debt")
    hold = (" Collection is on hold until the answer is sent (DISPUTE-1/2)." if row.within_vp
            else " It arrived after the validation period.")
    if stored:
        hold += f" {len(stored)} document{'s' if len(stored) != 1 else ''} attached (account file, category Dispute)."
    notify_managers(db_session, account, now, kind="portal_dispute",
                    title=f"{account.full_name} sent {what.split(' of ')[0]} in the portal",
                    body=f"Account {account.account_number}: {what}.{hold}")
    return row, stored


# -- contact preferences (D-3) --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    address: str
    receiving: bool
    stopped_at: dt.datetime | None = None


def channels_on_file(db_session, account: Account) -> list[tuple[str, str]]:
    """(channel, address) the debtor can manage: texts and WhatsApp to the phone (WhatsApp when the business has a
    WhatsApp sender), email to the address on file."""
    business = db_session.get(Business, account.business_id)
    found = []
    phone, email = norm_address(account.phone), norm_address(account.email)
    if phone:
        found.append(("sms", phone))
        if business is not None and business.whatsapp_number:
            found.append(("whatsapp", phone))
    if email:
        found.append(("email", email))
    return found


def _events(db_session, account: Account, addresses: list[str]):
    outs = list(db_session.scalars(select(OptOutEvent).where(
        OptOutEvent.business_id == account.business_id,
        or_(OptOutEvent.account_id == account.id, OptOutEvent.address.in_(addresses or [""])))))
    consents = list(db_session.scalars(select(ConsentEvent).where(
        ConsentEvent.business_id == account.business_id, ConsentEvent.account_id == account.id)))
    return outs, consents


def _same(address: str | None, wanted: str) -> bool:
    return address is None or norm_address(address) == wanted


def preferences(db_session, account: Account) -> list[ChannelPreference]:
    """Per channel: stopped while an opt-out covers it (an opt-out on any channel covers all, D-3) and no later
    opt-in or consent of the debtor's own on that channel lifted it (the gate's reading, rules/optout.py)."""
    pairs = channels_on_file(db_session, account)
    outs, consents = _events(db_session, account, [a for _, a in pairs])
    found = []
    for channel, address in pairs:
        covering = [o for o in outs if o.action == "opt_out"
                    and (o.scope == "all" or (o.channel == channel and _same(o.address, address)))]
        if not covering:
            found.append(ChannelPreference(channel, address, True))
            continue
        latest = max(o.received_at for o in covering)
        lifted = any(o.action == "opt_in" and o.channel == channel and _same(o.address, address)
                     and o.received_at > latest for o in outs)
        lifted = lifted or _granted_after(consents, channel, address, latest)
        found.append(ChannelPreference(channel, address, lifted, None if lifted else latest))
    return found


def _granted_after(consents, channel: str, address: str, after: dt.datetime) -> bool:
    relevant = sorted((c for c in consents if c.channel == channel and _same(c.address, address)),
                      key=lambda c: c.occurred_at)
    standing = False
    for event in relevant:
        if event.granted and event.occurred_at > after and event.source in DEBTOR_CONSENT_SOURCES:
            standing = True
        elif not event.granted:
            standing = False
    return standing


def _address_for(db_session, account: Account, channel: str) -> str:
    for found_channel, address in channels_on_file(db_session, account):
        if found_channel == channel:
            return address
    raise ValidationError("There is no address on file for this kind of message.", field="channel")


def stop_channel(db_session, account: Account, channel: str, *, now: dt.datetime, link_id=None, verified: bool,
                 ip: str | None = None, user_agent: str | None = None) -> bool:
    """The debtor stops a channel (OPT-2 reasonable means; D-3 makes it all automated channels). True when it was
    new. Allowed without the identity check: stopping messages discloses nothing and only protects."""
    if channel not in CHANNELS:
        raise ValidationError("Choose texts, WhatsApp or email.", field="channel")
    address = _address_for(db_session, account, channel)
    events = provider_opt_out(db_session, business_id=account.business_id, channel=channel, address=address,
                              reason="portal preferences", at=now, rule_id="OPT-2", account_id=account.id,
                              label="portal")
    audit.record(db_session, "portal_opt_out", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"channel": channel, "rule": "OPT-2", "scope": "all", "new": bool(events),
                       "identityVerified": verified, "linkId": str(link_id) if link_id else None},
                 ip=ip, user_agent=user_agent)
    return bool(events)


def resume_channel(db_session, account: Account, channel: str, *, now: dt.datetime, link_id, session_ref: str,
                   ip: str | None = None, user_agent: str | None = None) -> None:
    """The verified debtor turns one channel back on: their consent for it (source "portal", the portal session as
    evidence) and an opt-in event on that channel and address (D-3). The other channels stay as they are."""
    if channel not in CHANNELS:
        raise ValidationError("Choose texts, WhatsApp or email.", field="channel")
    address = _address_for(db_session, account, channel)
    db_session.add(ConsentEvent(
        business_id=account.business_id, account_id=account.id, channel=channel, address=address, granted=True,
        source="portal", ip_address=(ip or None) and ip[:45], user_agent=user_agent,
        evidence={"session_id": session_ref, "portal_link_id": str(link_id)}, occurred_at=now, created_at=now))
    db_session.add(OptOutEvent(
        business_id=account.business_id, account_id=account.id, channel=channel, address=address, action="opt_in",
        scope="channel", rule_id="D-3", classifier_label="portal", normalized_text="portal preferences",
        received_at=now, effective_at=now, created_at=now))
    flag, date = _CONSENT_SUMMARY[channel]
    primary = norm_address(account.email if channel == "email" else account.phone)
    if primary == address:
        setattr(account, flag, True)
        setattr(account, date, now)
        account.updated_at = now
    audit.record(db_session, "portal_opt_in", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"channel": channel, "rule": "D-3", "source": "portal", "linkId": str(link_id)},
                 changes={"address": [None, address]}, debtor_account_id=account.id, ip=ip, user_agent=user_agent)


# -- the profile: contact details and language ------------------------------------------------------------------------
LANGUAGES = ("en", "es")
_API_NAMES = {attribute: name for name, (attribute, _) in fields.FIELDS.items()}


def parse_email(raw: str | None) -> str:
    """A new email address as typed: trimmed, lower case, the syntax staff and API input must have."""
    if not (raw or "").strip():
        raise ValidationError("Enter your new email address.", field="email", extra={"text": "err_email_missing"})
    try:
        return fields.email(raw, "email")
    except ValidationError:
        raise ValidationError("Enter an email address like name@example.com.", field="email",
                              extra={"text": "err_email"}) from None


def parse_phone(raw: str | None) -> str:
    """A new phone number as typed, in E.164 (a US number without its country code is read as one)."""
    if not (raw or "").strip():
        raise ValidationError("Enter your new mobile number.", field="phone", extra={"text": "err_phone_missing"})
    try:
        return fields.phone(raw, "phone")
    except ValidationError:
        raise ValidationError("Enter a phone number we can reach, like (214) 555-0143.", field="phone",
                              extra={"text": "err_phone"}) from None


def _apply(account: Account, values: dict, now: dt.datetime) -> dict:
    """Set what differs; {attribute: [before, after]} of what changed."""
    changed = {}
    for name, value in values.items():
        before = getattr(account, name)
        if before != value:
            changed[name] = [before.isoformat() if isinstance(before, dt.datetime) else before,
                             value.isoformat() if isinstance(value, dt.datetime) else value]
            setattr(account, name, value)
    if changed:
        account.updated_at = now
    return changed


def _record_profile_change(db_session, account: Account, action: str, changed: dict, *, now: dt.datetime, link_id,
                           session_ref: str, ip: str | None, user_agent: str | None, **meta) -> None:
    """The audit row (addresses sealed under the debtor's key, as staff edits are) with the visit's IP and browser,
    and the business's account.updated webhook."""
    personal = {k: v for k, v in changed.items() if k in AUDITED_PERSONAL}
    other = {k: v for k, v in changed.items() if k not in AUDITED_PERSONAL}
    audit.record(db_session, action, now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number, changes=personal or None,
                 debtor_account_id=account.id if personal else None,
                 meta={"source": "portal", "identityVerified": True, "linkId": str(link_id) if link_id else None,
                       "sessionRef": session_ref or None, **({"fields": other} if other else {}), **meta},
                 ip=ip, user_agent=user_agent)
    webhooks.emit(db_session, account.business_id, "account.updated",
                  {**account_json(account), "changedFields": sorted(_API_NAMES[k] for k in changed if k in _API_NAMES)},
                  now)


def change_email(db_session, account: Account, raw: str | None, *, now: dt.datetime, link_id, session_ref: str,
                 ip: str | None = None, user_agent: str | None = None) -> str:
    """The verified debtor gives a new email address. Given directly by the consumer, it is inside the Reg F email
    safe harbor (CONSENT-3, provenance consumer_consent); whether it is a work address is not known yet. Standing
    opt-outs still cover it (the address is not a request to resume messages). The caller commits."""
    new = parse_email(raw)
    if norm_address(account.email) == new:
        raise ValidationError("That is the email address we already have.", field="email",
                              extra={"text": "err_email_same"})
    changed = _apply(account, {"email": new, "email_provenance": "consumer_consent", "email_is_work": False,
                               "email_consent": True, "email_consent_date": now}, now)
    _record_profile_change(db_session, account, "portal_contact_changed", changed, now=now, link_id=link_id,
                           session_ref=session_ref, ip=ip, user_agent=user_agent, field="email", rule="CONSENT-3")
    return new


def change_phone(db_session, account: Account, raw: str | None, *, texts_ok: bool, now: dt.datetime, link_id,
                 session_ref: str, ip: str | None = None, user_agent: str | None = None) -> str:
    """The verified debtor gives a new mobile number (the debtor calls it a mobile: type cell). The reassigned-number
    check and the consents of the old number do not carry over (CONSENT-4, CONSENT-1), except the check of the
    account's second number when that is the number given; `texts_ok` is the debtor's own consent to text the new one
    (D-14, as turning texts on in the preferences). A wrong-party mark on the number stays. The caller commits."""
    new = parse_phone(raw)
    if norm_address(account.phone) == new:
        raise ValidationError("That is the mobile number we already have.", field="phone",
                              extra={"text": "err_phone_same"})
    values = {"phone": new, "phone_type": "cell", "phone_rnd_checked_at": None, "sms_consent": False,
              "sms_consent_date": None, "whatsapp_consent": False, "whatsapp_consent_date": None}
    second = norm_address(account.phone_secondary) == new
    if second:  # the creditor's second number: its check carries over, and it is no longer a second number
        values.update(phone_rnd_checked_at=account.phone_secondary_rnd_checked_at, phone_secondary=None,
                      phone_secondary_type=None, phone_secondary_rnd_checked_at=None)
    before_zone = (account.timezone, account.timezone_source)
    changed = _apply(account, values, now)
    derive_timezone(account)
    if (account.timezone, account.timezone_source) != before_zone:
        changed["timezone"] = [before_zone[0], account.timezone]
    _record_profile_change(db_session, account, "portal_contact_changed", changed, now=now, link_id=link_id,
                           session_ref=session_ref, ip=ip, user_agent=user_agent, field="phone", rule="CONSENT-4",
                           reassignedCheck="carried" if values["phone_rnd_checked_at"] else "none",
                           textsConsent=bool(texts_ok))
    if texts_ok:
        resume_channel(db_session, account, "sms", now=now, link_id=link_id, session_ref=session_ref, ip=ip,
                       user_agent=user_agent)
    return new


def change_language(db_session, account: Account, language: str | None, *, now: dt.datetime, link_id,
                    session_ref: str, ip: str | None = None, user_agent: str | None = None) -> bool:
    """English or Spanish for the portal and for messages (the pipeline reads preferred_language); True when it
    changed. The caller commits."""
    if language not in LANGUAGES:
        raise ValidationError("Choose English or Spanish.", field="language", extra={"text": "err_language"})
    changed = _apply(account, {"preferred_language": language}, now)
    if changed:
        _record_profile_change(db_session, account, "portal_language_changed", changed, now=now, link_id=link_id,
                               session_ref=session_ref, ip=ip, user_agent=user_agent)
    return bool(changed)
