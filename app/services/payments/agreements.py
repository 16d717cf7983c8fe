"""The payment plan agreement (PRD 4.4.3 FR-PAY-022): its exact text, the debtor's electronic signature in the
portal, the signed copy kept on the account file and sent to the debtor, and the step from pending to active.

The text comes from a plain-text template per language (templates/agreements) filled only with facts of the plan
and the account, so the same plan always reads the same; the SHA-256 of exactly that text is stored with the
signature, and the PDF copy carries the same text (and embeds it as a file) so anyone can check the hash later.

A plan becomes active when it is signed and its down payment (if it has one) has succeeded, whichever comes last:
sign() and the payment success path both call activate_if_ready(), which takes the account's row lock (the order
every payment path takes) before reading either condition, so the two racing each other cannot both miss."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

import stripe
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select, update

from app.models import Account, Document, Payment, PaymentInstallment, PaymentPlan
from app.services import audit
from app.services.compliance import snippets
from app.services.errors import Conflict, ValidationError
from app.services.money import format_usd
from app.services.payments import gateway, ledger
from app.services.portal import debtor_principal, overview, system_principal
from app.services.portal.pdf import ACCENT, FAMILY, FONT, LINE, MUTED, TEXT
from app.services.portal.texts import contact_suffix

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "agreements"
_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
DOCUMENT_TYPE = "plan_agreement"
RETRY_DAYS = (1, 3, 5)
"""Days after a due date a failed payment is tried again (PRD 4.4.5: three times over five days)."""
MISSED_LIMIT = 2
"""Missed payments that put a plan in default (PRD 4.4.3 FR-PAY-023)."""
PURPOSE = "plan_agreement"
"""The copy of the signed agreement: a plan confirmation, kind `transactional` (COMPLIANCE.md D-16)."""
SIGNABLE = ("pending", "active", "paused")
"""A plan that is still open can be signed; a canceled, completed or defaulted one cannot."""
DOWN_PAID = ("succeeded",)

FREQUENCY_WORDS = {
    "en": {"weekly": ("weekly", "weekly", "Weekly"), "biweekly": ("biweekly", "biweekly", "Every two weeks"),
           "monthly": ("monthly", "monthly", "Monthly")},
    "es": {"weekly": ("semanal", "semanales", "Semanal"),
           "biweekly": ("cada dos semanas", "cada dos semanas", "Cada dos semanas"),
           "monthly": ("mensual", "mensuales", "Mensual")},
}
RETRY_WORDS = {"en": "{0}, {1} and {2}", "es": "{0}, {1} y {2}"}
CARD_WORDS = {
    "en": {"known": "your {brand} card ending in {last4}", "last4": "your card ending in {last4}",
           "unknown": "the card you gave for automatic payments"},
    "es": {"known": "su tarjeta {brand} que termina en {last4}", "last4": "su tarjeta que termina en {last4}",
           "unknown": "la tarjeta que usted dio para los pagos automáticos"},
}
COPY = {
    "en": {"subject": "Your signed payment plan agreement",
           "email": "{business}: thank you for signing your payment plan agreement. Your signed copy is attached as "
                    "a PDF. You can also download it from the portal at any time.",
           "sms": "{business}: thank you for signing your payment plan agreement. Your signed copy is in the portal: "
                  "{url}"},
    "es": {"subject": "Su acuerdo de plan de pagos firmado",
           "email": "{business}: gracias por firmar su acuerdo de plan de pagos. Adjuntamos su copia firmada en PDF. "
                    "También puede descargarla del portal en cualquier momento.",
           "sms": "{business}: gracias por firmar su acuerdo de plan de pagos. Su copia firmada está en el portal: "
                  "{url}"},
}
SIGNATURE = {
    "en": {"title": "Electronic signature", "name": "Signed by (typed name)", "at": "Signed at",
           "ip": "IP address", "agent": "Browser", "hash": "SHA-256 of the agreement text",
           "consent": "The signer checked the box: \"I have read this agreement and I agree to it.\"",
           "page": "Page", "file": "The exact agreement text is attached to this PDF as agreement.txt."},
    "es": {"title": "Firma electrónica", "name": "Firmado por (nombre escrito)", "at": "Fecha y hora de la firma",
           "ip": "Dirección IP", "agent": "Navegador", "hash": "SHA-256 del texto del acuerdo",
           "consent": "El firmante marcó la casilla: \"Leí este acuerdo y estoy de acuerdo.\"",
           "page": "Página", "file": "El texto exacto del acuerdo está adjunto a este PDF como agreement.txt."},
}


# -- the text ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    brand: str | None
    last4: str | None


def _lang(lang: str | None) -> str:
    return snippets.lang_of(lang)


def reference(plan: PaymentPlan) -> str:
    """A short reference people can read out: the plan id's first 8 characters."""
    return str(plan.id).split("-")[0].upper()


def schedule_rows(plan: PaymentPlan) -> list[PaymentInstallment]:
    """The plan's schedule in order: the down payment (number 0, when there is one), then 1..n."""
    return sorted(plan.installments, key=lambda row: row.number)


def render(plan: PaymentPlan, account: Account, business, lang: str, *, card: Card | None = None) -> str:
    """The exact agreement text in `lang` ("en" or "es"). `business`: its name and support contact
    (overview.BusinessFacts); `card`: the auto-pay card's brand and last 4 when known (card_on_file). Nothing here
    depends on the time of rendering, so the same plan renders the same text."""
    lang = _lang(lang)
    rows = schedule_rows(plan)
    down = next((r for r in rows if r.number == 0 and r.amount > 0), None)
    regular = [r for r in rows if r.number > 0]
    singular, plural, label = FREQUENCY_WORDS[lang][plan.frequency]
    phone = _phone(getattr(business, "support_phone", None))
    context = {
        "reference": reference(plan),
        "business": business.name,
        "debtor": _spaces(f"{account.first_name or ''} {account.last_name or ''}"),
        "account_last4": overview.last4(account.account_number),
        "creditor": account.current_creditor or account.original_creditor or "",
        "total": format_usd(plan.total_amount),
        "down": {"amount": format_usd(down.amount), "date": snippets.long_date(down.due_date, lang)} if down else None,
        "count": len(regular),
        "frequency": singular if len(regular) == 1 else plural,
        "frequency_label": label,
        "installments": [{"number": r.number, "amount": format_usd(r.amount),
                          "date": snippets.long_date(r.due_date, lang)} for r in regular],
        "auto_pay": bool(plan.auto_pay_enabled),
        "card": _card_words(card, lang),
        "contact": contact_suffix(phone, getattr(business, "support_email", None), lang),
        "retry_days": RETRY_WORDS[lang].format(*RETRY_DAYS),
        "missed_limit": MISSED_LIMIT,
        "mini_miranda": snippets.MINI_MIRANDA[lang],
        "debt_collector": snippets.DEBT_COLLECTOR[lang],
    }
    return _ENV.get_template(f"plan_agreement_{lang}.txt").render(**context)


def digest(text: str) -> str:
    """The SHA-256 of the text as UTF-8: what the plan stores and the PDF states."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _phone(value: str | None) -> str | None:
    if not value:
        return None
    from app.templating import format_phone

    return format_phone(value)


def _card_words(card: Card | None, lang: str) -> str:
    words = CARD_WORDS[lang]
    if card is not None and card.last4:
        if card.brand:
            from app.services.payments.serialize import brand_name

            return words["known"].format(brand=brand_name(card.brand) or card.brand, last4=card.last4)
        return words["last4"].format(last4=card.last4)
    return words["unknown"]


def card_on_file(db_session, plan: PaymentPlan) -> Card | None:
    """The auto-pay card as the debtor would recognise it: from a payment already charged to it on this plan, else
    as Stripe describes the payment method; None when auto-pay is off or nothing is known."""
    if not plan.auto_pay_enabled or not plan.stripe_payment_method_id:
        return None
    paid = db_session.execute(select(Payment.card_brand, Payment.card_last4).where(
        Payment.business_id == plan.business_id, Payment.payment_plan_id == plan.id,
        Payment.card_last4.is_not(None)).order_by(Payment.created_at.desc()).limit(1)).first()
    if paid is not None:
        return Card(brand=paid.card_brand, last4=paid.card_last4)
    try:
        method = gateway.client().v1.payment_methods.retrieve(plan.stripe_payment_method_id)
    except stripe.StripeError:
        return None
    details = gateway.method_details(method)
    if details is None or not details.card_last4:
        return None
    return Card(brand=details.card_brand, last4=details.card_last4)


_ASK = object()


def text_for(db_session, plan: PaymentPlan, lang: str, *, card=_ASK) -> str:
    """The agreement as the debtor reads it now (the page and sign() use this one); `card` as card_on_file found
    it, looked up here when not given."""
    account = db_session.get(Account, plan.account_id)
    business = overview.business_facts(db_session, plan.business_id)
    return render(plan, account, business, lang, card=card_on_file(db_session, plan) if card is _ASK else card)


# -- the typed name ----------------------------------------------------------------------------------------------
def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def name_tokens(text: str | None) -> list[str]:
    """A name as comparable words: accents, case, punctuation and extra spaces ignored ("José  O'Neil-Díaz" ->
    ["jose", "oneil", "diaz"])."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"['’‘`´.]", "", plain)
    return [word for word in re.split(r"[^0-9a-zß]+", plain.replace("ß", "ss")) if word]


def names_match(typed: str | None, account: Account) -> bool:
    """Whether the typed name is the debtor's first and last name, loosely: the first word is the first name's first
    word, the name ends with the whole last name or (for a two-part surname) its first part, and middle names in
    between are allowed. "maria lopez" and "María Elena López García" both sign for Maria Lopez Garcia."""
    words = name_tokens(typed)
    first, last = name_tokens(account.first_name), name_tokens(account.last_name)
    if not last:
        return False
    if not first:
        return words[-len(last):] == last if len(words) >= len(last) else False
    if len(words) < 2 or words[0] != first[0]:
        return False
    rest = words[1:]
    if len(rest) >= len(last) and rest[-len(last):] == last:
        return True
    return len(last) > 1 and rest[-1] == last[0]


# -- signing -----------------------------------------------------------------------------------------------------
@dataclass
class Signed:
    plan: PaymentPlan
    document: Document | None
    created: bool  # False: the plan was already signed and nothing changed
    activated: bool = False
    outcome: object | None = None  # the copy's channels.Outcome (None: no address, or nothing sent this time)


def sign(db_session, plan: PaymentPlan, *, typed_name: str | None, consent: bool, ip: str | None,
         user_agent: str | None, now: dt.datetime, lang: str, expected_sha256: str | None = None,
         storage=None) -> Signed:
    """The debtor's electronic signature; the caller commits. A plan already signed is returned unchanged whatever
    is sent (idempotent). Raises ValidationError (field `consent` or `typed_name`, extra["text"] the portal's text
    key), Conflict when the plan can no longer be signed, or Conflict AGREEMENT_CHANGED when the text differs from
    the one the debtor read (`expected_sha256`, e.g. the plan was rescheduled in between).

    Stores the time, IP, user agent, the typed name and the text's SHA-256; keeps the PDF copy as an account
    document; sends it to the debtor (email with the PDF, else a text with a portal link) through the gate; audits;
    and activates the plan if its down payment has already succeeded."""
    if plan.agreement_signed:
        return Signed(plan=plan, document=agreement_document(db_session, plan), created=False)
    lang = _lang(lang)
    if consent is not True:
        raise ValidationError("Check the box to agree to the plan.", field="consent",
                              extra={"text": "err_agreement_consent"})
    typed = _spaces(typed_name or "")
    account = db_session.get(Account, plan.account_id)
    if not typed:
        raise ValidationError("Type your full name to sign.", field="typed_name",
                              extra={"text": "err_agreement_name_missing"})
    if len(typed) > 200 or not names_match(typed, account):
        raise ValidationError("Type your first and last name as they appear on the account.", field="typed_name",
                              extra={"text": "err_agreement_name"})
    card = card_on_file(db_session, plan)  # may ask Stripe: before the lock, never while holding the account row
    account = ledger.lock_account(db_session, plan.account_id)
    plan = _fresh(db_session, plan.id)
    if plan.agreement_signed:  # signed by another request while this one waited for the lock
        return Signed(plan=plan, document=agreement_document(db_session, plan), created=False)
    if plan.status not in SIGNABLE:
        raise Conflict(f"This plan is {plan.status}: it can no longer be signed.", code="PLAN_CLOSED")
    text = text_for(db_session, plan, lang, card=card)
    sha = digest(text)
    if expected_sha256 and expected_sha256 != sha:
        raise Conflict("The agreement changed since you opened it. Read it again before you sign.",
                       code="AGREEMENT_CHANGED")
    plan.agreement_signed = True
    plan.agreement_signed_at = now
    plan.agreement_ip_address = (ip or None) and ip[:45]
    plan.agreement_user_agent = user_agent or None
    plan.agreement_signed_name = typed
    plan.agreement_sha256 = sha
    plan.updated_at = now
    if storage is None:
        from flask import current_app

        from app.services.storage import storage_for

        storage = storage_for(current_app)
    business = overview.business_facts(db_session, plan.business_id)
    data = agreement_pdf(text, plan, business_name=business.name, lang=lang, now=now)
    document, key = _store(db_session, storage, account, plan, data, lang, now)
    try:
        audit.record(db_session, "payment_plan_agreement_signed", now=now, principal=debtor_principal(account),
                     resource_type="payment_plan", resource_id=plan.id, description=account.account_number,
                     meta={"accountId": str(account.id), "sha256": sha, "language": lang,
                           "documentId": str(document.id), "channel": "portal"},
                     ip=plan.agreement_ip_address, user_agent=user_agent)
        outcome = send_copy(db_session, plan, account, document, lang=lang, now=now)
        activated = activate_if_ready(db_session, plan, now)
    except Exception:
        storage.delete(key)
        raise
    return Signed(plan=plan, document=document, created=True, activated=activated, outcome=outcome)


def _fresh(db_session, plan_id) -> PaymentPlan:
    return db_session.scalars(select(PaymentPlan).where(PaymentPlan.id == plan_id)
                              .execution_options(populate_existing=True)).one()


def _store(db_session, storage, account: Account, plan: PaymentPlan, data: bytes, lang: str,
           now: dt.datetime) -> tuple[Document, str]:
    from app.services.storage import new_key

    key = new_key(account.business_id)
    storage.put(key, data, "application/pdf")
    name = ("acuerdo-plan-de-pagos" if lang == "es" else "payment-plan-agreement") + f"-{reference(plan)}.pdf"
    document = Document(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, filename=name,
                        file_type="pdf", file_size=len(data), mime_type="application/pdf", storage_path=key,
                        sha256=hashlib.sha256(data).hexdigest(), document_type=DOCUMENT_TYPE,
                        description="Payment plan agreement signed by the debtor in the portal",
                        tags=[DOCUMENT_TYPE, "portal", plan_tag(plan), f"lang:{lang}"], created_at=now,
                        updated_at=now)
    try:
        db_session.add(document)
        db_session.flush()
    except Exception:
        storage.delete(key)
        raise
    return document, key


def plan_tag(plan: PaymentPlan) -> str:
    return f"plan:{plan.id}"


def agreement_document(db_session, plan: PaymentPlan) -> Document | None:
    """The signed copy kept on the account file (tagged with the plan: Document has no plan link)."""
    rows = db_session.scalars(select(Document).where(
        Document.business_id == plan.business_id, Document.account_id == plan.account_id,
        Document.document_type == DOCUMENT_TYPE, Document.deleted_at.is_(None))
        .order_by(Document.created_at.desc()))
    tag = plan_tag(plan)
    return next((d for d in rows if tag in (d.tags or [])), None)


def send_copy(db_session, plan: PaymentPlan, account: Account, document: Document, *, lang: str,
              now: dt.datetime):
    """The signed copy to the debtor through the gate: by email with the PDF attached, else a text with a portal
    link; None when the account has neither address. A message the gate blocks is stored as blocked."""
    from app.models import Business
    from app.services import channels
    from app.services.portal import links

    business = db_session.get(Business, account.business_id)
    words = COPY[_lang(lang)]
    common = dict(account=account, now=now, kind="transactional", purpose=PURPOSE, sender_type="system",
                  language=_lang(lang), business=business, principal=system_principal(account))
    if account.email:
        return channels.send(db_session, channel="email", subject=words["subject"],
                             body=words["email"].format(business=business.name),
                             attachments=(f"document:{document.id}",), **common)
    if account.phone:
        link, url = links.issue(db_session, account, now=now, purpose="account", channel="sms")
        outcome = channels.send(db_session, channel="sms", portal_link=True,
                                body=words["sms"].format(business=business.name, url=url), **common)
        link.message_id = outcome.message.id
        if outcome.blocked:
            links.revoke(db_session, link, now)
        return outcome
    return None


# -- pending -> active -------------------------------------------------------------------------------------------
def down_payment_settled(db_session, plan: PaymentPlan) -> bool:
    """True when the plan has no down payment, or its down payment row is paid or a payment for it succeeded.
    Read from the database, not from objects this session may hold from before another transaction's commit."""
    row = db_session.execute(select(PaymentInstallment.id, PaymentInstallment.status, PaymentInstallment.amount)
                             .where(PaymentInstallment.payment_plan_id == plan.id,
                                    PaymentInstallment.number == 0)).first()
    if row is None or row.amount <= 0:
        return True
    if row.status == "paid":
        return True
    return db_session.scalar(select(Payment.id).where(
        Payment.business_id == plan.business_id, Payment.payment_plan_id == plan.id,
        Payment.installment_id == row.id, Payment.status.in_(DOWN_PAID)).limit(1)) is not None


def activate_if_ready(db_session, plan: PaymentPlan, now: dt.datetime) -> bool:
    """Make a pending plan active once it is signed and its down payment has succeeded; True when this call did.
    Safe to call from the payment success path and from sign(), in the caller's transaction (the caller commits):
    both conditions are read under the account's row lock, and the change is a conditional update, so two callers
    activate a plan once."""
    ledger.lock_account(db_session, plan.account_id)
    signed = db_session.execute(select(PaymentPlan.status, PaymentPlan.agreement_signed)
                                .where(PaymentPlan.id == plan.id)).one()
    if signed.status != "pending" or not signed.agreement_signed or not down_payment_settled(db_session, plan):
        return False
    changed = db_session.execute(
        update(PaymentPlan).where(PaymentPlan.id == plan.id, PaymentPlan.status == "pending",
                                  PaymentPlan.agreement_signed.is_(True))
        .values(status="active", updated_at=now).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return False
    db_session.refresh(plan)
    account = db_session.get(Account, plan.account_id)
    audit.record(db_session, "payment_plan_activated", now=now, principal=system_principal(account),
                 resource_type="payment_plan", resource_id=plan.id, description=account.account_number,
                 meta={"accountId": str(account.id), "downPayment": str(plan.down_payment)})
    return True


# -- the PDF -----------------------------------------------------------------------------------------------------
class _AgreementPDF(FPDF):
    def __init__(self, business_name: str, lang: str):
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.business_name, self.words = business_name, SIGNATURE[lang]
        self.add_font(FAMILY, "", str(FONT))
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self):
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.business_name} · {self.words['page']} {self.page_no()}", align="C")


def agreement_pdf(text: str, plan: PaymentPlan, *, business_name: str, lang: str, now: dt.datetime) -> bytes:
    """The signed copy: the business, the agreement text exactly (line for line), then the signature block with the
    typed name, the time (UTC), the IP address, the browser and the SHA-256; the text itself is embedded as
    agreement.txt, byte for byte, so the hash can be checked against it."""
    lang = _lang(lang)
    words = SIGNATURE[lang]
    pdf = _AgreementPDF(business_name, lang)
    title = text.splitlines()[0].strip() if text.strip() else "Agreement"
    pdf.set_title(f"{title} - {business_name}")
    pdf.set_author(business_name)
    pdf.set_creator("funnelChat")
    pdf.set_lang("es-US" if lang == "es" else "en-US")
    pdf.set_creation_date(now)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FAMILY, size=15)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 8, business_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(4)
    pdf.set_font(FAMILY, size=10.5)
    pdf.set_text_color(*TEXT)
    for line in text.splitlines():
        if not line.strip():
            pdf.ln(2.5)
            continue
        pdf.multi_cell(width, LINE, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(FAMILY, size=11.5)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 7, words["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.set_text_color(*TEXT)
    signed_at = (plan.agreement_signed_at or now).astimezone(dt.timezone.utc)
    for label, value in ((words["name"], plan.agreement_signed_name or ""),
                         (words["at"], f"{signed_at:%Y-%m-%d %H:%M:%S} UTC"),
                         (words["ip"], plan.agreement_ip_address or "-"),
                         (words["agent"], (plan.agreement_user_agent or "-")[:300]),
                         (words["hash"], plan.agreement_sha256 or digest(text))):
        pdf.multi_cell(width, LINE, f"{label}: {value}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(width, LINE, words["consent"], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FAMILY, size=9)
    pdf.multi_cell(width, 5, words["file"], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.embed_file(bytes=text.encode("utf-8"), basename="agreement.txt", modification_date=now,
                   desc="Agreement text", compress=False)
    return bytes(pdf.output())
