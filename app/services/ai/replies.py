"""The assistant's reviewed replies, per reply key (handling.py) and language, filled only with account facts.

Every figure a reply states comes from `ReplyFacts`: the balance, and the proposals' down payment, installment,
last installment and first date as plans.proposals computed them; nothing is computed or rounded here, so what the
debtor reads is what the portal offers and what the gate checks (CONTENT-6 knows the offered figures through
`with_offer`). Replies are short enough for SMS (about 320 characters before the disclosures the gate asks for,
which compose.complete appends), never threaten, and say the sender is an automated assistant whenever they speak
in the first person (CONTENT-5: no message claims a human sender).

Two replies are not AI text, because the gate lets no AI draft reach those accounts (CONTENT-12(b)):
- the cease acknowledgement is the approved CEASE-2(i) template, sent as the system's `cease_terminate` (D-17);
- the wrong-person apology goes to an address that is no longer the debtor's (TP-2): it carries no debt content
  and has the shape of the OPT-8 HELP reply, the gate's only path for a message to someone who may not be the
  debtor. `send_spec` says how each reply goes out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from app.services.ai import handling as h
from app.services.compliance.facts import Facts
from app.services.compliance.snippets import DISPUTE_RIGHT, MONTHS, NEUTRAL_SUBJECT
from app.services.money import format_usd
from app.services.payments.plans import Proposal

LANGUAGES = ("en", "es")
SMS_BUDGET = {"en": 320, "es": 360}
"""Characters a reply aims at before the required disclosures: two SMS segments (Spanish runs about a tenth
longer, and a three-option offer takes the most)."""

CEASE_ACK = {
    "en": "{brand}: We received your request. We have stopped our efforts to collect this debt and will not contact "
          "you about it again except as the law allows.",
    "es": "{brand}: Recibimos su solicitud. Hemos dejado de intentar cobrar esta deuda y no volveremos a "
          "contactarle al respecto, salvo lo que permita la ley.",
}
"""CEASE-2(i), the same approved text the inbound pipeline sends at ingestion (channels.inbound.CEASE_ACK)."""

HANDOFF_ACK = {
    "en": "{brand}: This is our automated assistant. I'm connecting you with one of our specialists who can better "
          "assist you.",
    "es": "{brand}: Este es nuestro asistente automático. Le estoy comunicando con uno de nuestros especialistas, "
          "quien podrá ayudarle mejor.",
}
"""PRD 9.7 step 1, saying who speaks."""

TEMPLATES: dict[str, dict[str, str]] = {
    h.PLAN_OPTIONS: {
        "en": "{brand}: Payment plan options for your balance of {balance}:\n{options}\nChoose one at {portal}",
        "es": "{brand}: Opciones de plan de pagos para su saldo de {balance}:\n{options}\nElija una en {portal}",
    },
    h.HARDSHIP_OPTIONS: {
        "en": "{brand}: Sorry it's hard right now. Options for your balance of {balance}:\n{options}\n"
              "Choose one at {portal}",
        "es": "{brand}: Lamentamos su situación. Opciones para su saldo de {balance}:\n{options}\n"
              "Elija una en {portal}",
    },
    h.PAY_IN_FULL: {
        "en": "{brand}: Your balance of {balance} is too small for a payment plan. You can pay it securely at "
              "{portal}",
        "es": "{brand}: Su saldo de {balance} es muy bajo para un plan de pagos. Puede pagarlo de forma segura en "
              "{portal}",
    },
    h.BALANCE: {
        "en": "{brand}: The balance on your {creditor} account is {balance}. You can pay or see payment plan options "
              "at {portal}",
        "es": "{brand}: El saldo de su cuenta de {creditor} es {balance}. Puede pagar o ver opciones de plan de "
              "pagos en {portal}",
    },
    h.PAY_LINK: {
        "en": "{brand}: You can pay your balance of {balance} securely at {portal}",
        "es": "{brand}: Puede pagar su saldo de {balance} de forma segura en {portal}",
    },
    h.DISPUTE: {
        "en": "{brand}: We have noted that you dispute this debt. {dispute_right} This is our automated assistant; "
              "one of our specialists will review your account and follow up.",
        "es": "{brand}: Registramos que usted disputa esta deuda. {dispute_right} Este es nuestro asistente "
              "automático; uno de nuestros especialistas revisará su cuenta y le responderá.",
    },
    h.HANDOFF: HANDOFF_ACK,
    h.HOSTILE: {
        "en": "{brand}: We're sorry for the frustration. This is our automated assistant; I'm passing your message "
              "to one of our specialists, who will follow up.",
        "es": "{brand}: Lamentamos la molestia. Este es nuestro asistente automático; le paso su mensaje a uno de "
              "nuestros especialistas, quien le responderá.",
    },
    h.CEASE_ACK: CEASE_ACK,
    h.WRONG_PERSON: {
        "en": "{brand}: Sorry, this message reached the wrong person. We will not write to this {where} again. "
              "Help: {contact}. Msg frequency varies. Msg&data rates may apply. Reply STOP to opt out.",
        "es": "{brand}: Disculpe, este mensaje le llegó a la persona equivocada. No volveremos a escribir a este "
              "{where}. Ayuda: {contact}. La frecuencia de mensajes varía. Pueden aplicarse tarifas de mensajes y "
              "datos. Responda STOP para cancelar.",
    },
    h.WORKPLACE: {
        "en": "{brand}: Thank you for letting us know. We have noted that we may not contact you at work, and we "
              "will not.",
        "es": "{brand}: Gracias por avisarnos. Registramos que no podemos comunicarnos con usted en su trabajo, y no "
              "lo haremos.",
    },
    h.ALREADY_PAID: {
        "en": "{brand}: Thank you for telling us. We could not find that payment yet. Please reply with a receipt or "
              "bank statement that shows it, and one of our specialists will check it.",
        "es": "{brand}: Gracias por avisarnos. Todavía no encontramos ese pago. Responda con un recibo o estado de "
              "cuenta bancario que lo muestre y uno de nuestros especialistas lo revisará.",
    },
    h.PAYMENT_FOUND: {
        "en": "{brand}: Thank you. Your payment is recorded on your account. Your balance is now {balance}.",
        "es": "{brand}: Gracias. Su pago está registrado en su cuenta. Su saldo ahora es {balance}.",
    },
    h.OTHER: {
        "en": "{brand}: This is our automated assistant. I can help with your balance, a payment or a payment plan "
              "at {portal}. To talk with a specialist, just say so.",
        "es": "{brand}: Este es nuestro asistente automático. Puedo ayudarle con su saldo, un pago o un plan de "
              "pagos en {portal}. Para hablar con un especialista, solo díganos.",
    },
}
assert set(TEMPLATES) == set(h.REPLY_KEYS)

OPTION_LINE = {
    "en": {"down": "{n}) Down payment {down}, then {count} x {amount} {per}{last}, from {first}",
           "none": "{n}) {count} x {amount} {per}{last}, from {first}",
           "last": " (last {last})"},
    "es": {"down": "{n}) Pago inicial {down}, luego {count} x {amount} {per}{last}, desde el {first}",
           "none": "{n}) {count} x {amount} {per}{last}, desde el {first}",
           "last": " (último {last})"},
}
PER = {
    "en": {"monthly": "a month", "weekly": "a week", "biweekly": "every 2 weeks"},
    "es": {"monthly": "al mes", "weekly": "por semana", "biweekly": "cada 2 semanas"},
}
WHERE = {"en": {"email": "address"}, "es": {"email": "correo"}}
WHERE_DEFAULT = {"en": "number", "es": "número"}


@dataclass(frozen=True)
class ReplyFacts:
    """The account facts a reply may state, as the orchestrator loaded them for the caller's business."""

    business_name: str
    balance: Decimal
    portal_url: str
    creditor: str = ""
    proposals: tuple[Proposal, ...] = ()
    support_contact: str = ""  # support phone or email (the wrong-person reply's "Help:")
    channel: str = "sms"


@dataclass(frozen=True)
class SendSpec:
    """How the reply goes to channels.send: who composed it, its purpose and approved template (None: free text)."""

    kind: str
    purpose: str
    template: str | None = None
    portal_link: bool = False


def send_spec(reply_key: str) -> SendSpec:
    if reply_key == h.CEASE_ACK:
        return SendSpec("system", "cease_terminate", "cease_terminate")
    if reply_key == h.WRONG_PERSON:
        return SendSpec("system", "help_reply", "help_reply")
    links = {h.PLAN_OPTIONS, h.HARDSHIP_OPTIONS, h.PAY_IN_FULL, h.BALANCE, h.PAY_LINK, h.OTHER}
    return SendSpec("ai", "collection", None, portal_link=reply_key in links)


def subject(reply_key: str, lang: str | None, business_name: str) -> str:
    """An email subject that tells a reader nothing about a debt (TP-5); the wrong-person apology's names the
    business only, as the reply to an unknown sender does."""
    lang = lang_of(lang)
    if reply_key == h.WRONG_PERSON:
        return (f"Su mensaje a {business_name}" if lang == "es" else f"Your message to {business_name}")
    return NEUTRAL_SUBJECT[lang]


def lang_of(lang: str | None) -> str:
    code = (lang or "en")[:2].lower()
    return code if code in LANGUAGES else "en"


def render(plan: h.Plan, lang: str | None, facts: ReplyFacts) -> str | None:
    """The reply for `plan` in the debtor's language, or None when the plan sends nothing. Plan replies without
    proposals (the balance too small for any plan) become the pay-in-full reply."""
    key = plan.reply_key
    if key is None:
        return None
    lang = lang_of(lang)
    if key in (h.PLAN_OPTIONS, h.HARDSHIP_OPTIONS) and not facts.proposals:
        key = h.PAY_IN_FULL
    return TEMPLATES[key][lang].format(
        brand=facts.business_name, creditor=facts.creditor, balance=format_usd(facts.balance),
        portal=facts.portal_url, options=options_text(facts.proposals, lang), dispute_right=DISPUTE_RIGHT[lang],
        contact=facts.support_contact, where=WHERE[lang].get(facts.channel, WHERE_DEFAULT[lang]))


def handoff_acknowledgement(lang: str | None, business_name: str) -> str:
    """PRD 9.7's acknowledgement, for a handoff that has no reply of its own."""
    return HANDOFF_ACK[lang_of(lang)].format(brand=business_name)


def options_text(proposals, lang: str) -> str:
    """The proposals as 1) 2) 3), each with its exact down payment, count, amount per period and first date."""
    lines = []
    for n, p in enumerate(proposals, 1):
        words = OPTION_LINE[lang]
        last = (words["last"].format(last=format_usd(p.last_installment_amount))
                if p.last_installment_amount != p.installment_amount else "")
        line = words["down" if p.down_payment > 0 else "none"]
        lines.append(line.format(n=n, down=format_usd(p.down_payment), count=p.count,
                                 amount=format_usd(p.installment_amount), per=PER[lang][p.frequency], last=last,
                                 first=short_date(first_installment(p).due_date, lang)))
    return "\n".join(lines)


def first_installment(p: Proposal):
    return next(row for row in p.schedule if row.number > 0)


def short_date(day: dt.date, lang: str) -> str:
    """"Aug 15" / "15 de agosto": a first installment falls within weeks of the offer, so the year goes without
    saying."""
    if lang == "es":
        return f"{day.day} de {MONTHS['es'][day.month - 1]}"
    return f"{MONTHS['en'][day.month - 1][:3]} {day.day}"


def offered_amounts(proposals) -> frozenset[Decimal]:
    """Every figure the options state: down payments, installments, last installments and totals."""
    values: set[Decimal] = set()
    for p in proposals:
        values.update(x for x in (p.down_payment, p.installment_amount, p.last_installment_amount, p.total) if x > 0)
    return frozenset(values)


def with_offer(facts: Facts, proposals) -> Facts:
    """The gate's facts with the offered plans' figures among the account's plan amounts (CONTENT-6): the options
    come from the business's plan policy and the balance, as the portal offers them, and are the system's figures
    even before the debtor accepts one."""
    if not proposals:
        return facts
    debtor = replace(facts.debtor, plan_amounts=facts.debtor.plan_amounts | offered_amounts(proposals))
    return replace(facts, debtor=debtor)
