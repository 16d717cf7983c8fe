"""Receipts: a readable number per business (R-2026-000123), the receipt page's address, and the message that
tells the debtor a payment arrived.

The message is `transactional` with purpose `receipt` (COMPLIANCE.md D-16): not counted toward the frequency caps,
still judged by the gate like anything else that goes to a debtor (quiet hours, opt-outs, CEASE-3). Under a cease it
states facts only (amount, date, reference), and CEASE-3 (D-7) blocks it unless it answers a request the debtor made
after the cease: the portal's pay form offers "Email me a receipt" then (new_request), and the request's id travels
with the payment to the message (consumer_request_id)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from app.models import Account, Business, Payment
from app.services.money import format_usd
from app.services.tenancy import Principal
from app.services.timezones import is_valid_zone

RECEIPT_ENDPOINT = "portal.receipt"
FALLBACK_ENDPOINT = "portal.account"

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}
METHODS = {
    "en": {"card": "card", "ach": "bank transfer", "check": "check", "cash": "cash", "money_order": "money order",
           "other": "other means"},
    "es": {"card": "tarjeta", "ach": "transferencia bancaria", "check": "cheque", "cash": "efectivo",
           "money_order": "giro postal", "other": "otro medio"},
}
TEXTS = {
    "en": {"received": "{business}: payment received. {amount} on {date} by {method}. Receipt number {number}.",
           "facts": "{business}: payment received. {amount} on {date}. Receipt number {number}.",
           "balance": "Remaining balance: {balance}.",
           "paid": "Remaining balance: {balance}. Your account is paid in full.",
           "link": "View your receipt: {url}",
           "subject": "Payment receipt {number}"},
    "es": {"received": "{business}: pago recibido. {amount} el {date} con {method}. Número de recibo {number}.",
           "facts": "{business}: pago recibido. {amount} el {date}. Número de recibo {number}.",
           "balance": "Saldo restante: {balance}.",
           "paid": "Saldo restante: {balance}. Su cuenta está pagada en su totalidad.",
           "link": "Vea su recibo: {url}",
           "subject": "Recibo de pago {number}"},
}


def next_number(db_session, business_id, now: dt.datetime) -> str:
    """The business's next receipt number: one counter per business, so numbers never repeat or collide (the
    counter row is locked until the payment's transaction ends); the year is for people reading it."""
    seq = db_session.execute(
        update(Business).where(Business.id == business_id)
        .values(receipt_number_seq=Business.receipt_number_seq + 1).returning(Business.receipt_number_seq)
        .execution_options(synchronize_session=False)).scalar_one()
    return f"R-{now.astimezone(dt.timezone.utc).year}-{seq:06d}"


def page_url(payment: Payment) -> str:
    """The portal's receipt page for the payment (the account page until the receipt page exists). The debtor
    still proves who they are before the portal shows anything."""
    values = {"payment_id": str(payment.id)}
    endpoint = RECEIPT_ENDPOINT
    if endpoint not in current_app.view_functions:
        endpoint, values = FALLBACK_ENDPOINT, {}
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}{path}"


def _date(when: dt.datetime, lang: str, zone: str | None = None) -> str:
    """The day in the debtor's zone when it is known (a payment late at night is dated as they saw it), else UTC."""
    day = when.astimezone(ZoneInfo(zone) if is_valid_zone(zone) else dt.timezone.utc).date()
    month = MONTHS[lang][day.month - 1]
    return f"{month} {day.day}, {day.year}" if lang == "en" else f"{day.day} de {month} de {day.year}"


def _under_cease(account: Account) -> bool:
    return account.cease_received_at is not None or account.cease_candidate_at is not None


def cease_covers(db_session, account: Account) -> bool:
    """Whether a cease covers the account as the gate reads it: its own (or a cease awaiting review), or one on
    another debt of the same debtor that names no single debt (CEASE-5)."""
    if _under_cease(account):
        return True
    if account.debtor_id is None:
        return False
    return db_session.scalar(select(Account.id).where(
        Account.business_id == account.business_id, Account.debtor_id == account.debtor_id,
        Account.id != account.id, Account.cease_received_at.is_not(None), Account.cease_all_debts.is_(True),
        Account.deleted_at.is_(None)).limit(1)) is not None


def text(payment: Payment, account: Account, business_name: str, *, lang: str = "en",
         under_cease: bool | None = None) -> str:
    """The receipt: amount, date, method, number, the balance after it (facts only under a cease), the page.
    `under_cease` as cease_covers says; without it, the account's own cease decides."""
    lang = lang if lang in TEXTS else "en"
    words = TEXTS[lang]
    when = payment.succeeded_at or payment.processed_at or payment.created_at
    facts = dict(business=business_name, amount=format_usd(payment.amount), date=_date(when, lang, account.timezone),
                 method=METHODS[lang].get(payment.payment_method, payment.payment_method),
                 number=payment.receipt_number)
    if _under_cease(account) if under_cease is None else under_cease:
        parts = [words["facts"].format(**facts)]
    else:
        parts = [words["received"].format(**facts)]
        if payment.balance_after is not None:
            closing = "paid" if payment.balance_after <= 0 else "balance"
            parts.append(words[closing].format(balance=format_usd(max(payment.balance_after, 0))))
    parts.append(words["link"].format(url=page_url(payment)))
    return " ".join(parts)


def channel_for(account: Account) -> str | None:
    """Email when the account has an address, else a text; None when there is neither."""
    if account.email:
        return "email"
    if account.phone:
        return "sms"
    return None


@dataclass(frozen=True)
class ReceiptRequest:
    """The debtor's own request for a receipt of the payment they are making ("Email me a receipt"). one_time.start
    records it with the payment; `id` is what the receipt message answers (the gate's consumer_request_id)."""

    id: str
    channel: str
    requested_at: dt.datetime


def new_request(account: Account, *, now: dt.datetime) -> ReceiptRequest | None:
    """A request for a receipt by the channel it would go by (channel_for); None when the account has no address."""
    channel = channel_for(account)
    if channel is None:
        return None
    return ReceiptRequest(id=f"receipt-request:{uuid.uuid4()}", channel=channel, requested_at=now)


def send(db_session, payment: Payment, account: Account, *, now: dt.datetime,
         consumer_request_id: str | None = None):
    """Queue the receipt message through the outbound pipeline (the caller commits); its Outcome, or None when the
    account has no address. `consumer_request_id`: the debtor's request this receipt answers (ReceiptRequest.id).
    A message the gate blocks is stored as blocked, which is the record that it did not go out."""
    from app.services import channels

    channel = channel_for(account)
    if channel is None:
        return None
    business = db_session.get(Business, account.business_id)
    lang = account.preferred_language if account.preferred_language in TEXTS else "en"
    body = text(payment, account, business.name, lang=lang, under_cease=cease_covers(db_session, account))
    return channels.send(
        db_session, account=account, channel=channel, now=now, kind="transactional", purpose="receipt",
        sender_type="system", body=body, language=lang,
        subject=TEXTS[lang]["subject"].format(number=payment.receipt_number) if channel == "email" else None,
        business=business, principal=Principal(business_id=business.id, role="system"),
        consumer_request_id=consumer_request_id)
