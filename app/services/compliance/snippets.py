"""Approved texts the gate may require (REQUIRE_CONTENT items), in English and Spanish, and their detectors.

- `render(item, facts, language=, channel=)` gives the approved text for one item ("" when the facts lack what the
  text needs, e.g. no California licence number).
- `footer(items, facts, language=, channel=)` is what the pipeline appends to a body the gate answered with
  REQUIRE_CONTENT: every appendable item, in one stable order, rendered once.
- `present(item, text, facts, language=)` says whether a message already carries the item. It is tolerant of
  whitespace, case, punctuation and accents, and exact in substance: the sentences of the approved text, the
  business's name, the creditor, the amounts and dates the facts hold. The Spanish text counts only for Spanish
  messages and the English text only for English ones (DISC-3); other languages use the English texts.

Item keys name the message's language; a key ending in `_es` or `_en` names its language explicitly
("validation_notice_es": VALID-6 needs the Spanish notice even in an English message).

Sources and status of the texts (COMPLIANCE.md): mini-Miranda and debt-collector disclosure, PRD and 1692e(11)
[V]; PRD 9.2.3 first-contact block, PRD; Cal. Civ. 1812.700(a) Rosenthal notice [S: verbatim quote]; Cal. Civ.
1788.14(d) time-barred notices [S: verbatim quotes]; every Spanish text, the New York (23 NYCRR 1.3) and New York
City time-barred notices and the validation-notice wording are unverified [U]: the UNVERIFIED items may be replaced
per business with Policy.snippet_texts["<item>:<language>"] once counsel approves a text.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from app.services.compliance.facts import Facts

LANGUAGES = ("en", "es")
MVN_PARTS = (
    "mvn_header", "mvn_consumer", "mvn_account", "mvn_itemization_date", "mvn_itemization", "mvn_period_end",
    "mvn_dispute_address", "mvn_cfpb",
)
"""The full validation notice (VALID-3), part by part; "validation_notice" is all of them."""
TBD_ITEMS = ("time_barred_notice_ca", "time_barred_notice_ny", "time_barred_notice_nyc")
ORDER = (
    "collector_name", "mini_miranda_initial", "debt_collector_disclosure", "validation_summary", *MVN_PARTS,
    *TBD_ITEMS, "ca_1812_700_notice", "ca_license_no", "opt_out_notice",
)
"""Appendable items in the order a footer carries them."""
COMPOSITES = {"validation_notice": MVN_PARTS}
TEMPLATES = ("neutral_subject", "optout_confirmation", "optin_confirmation", "help_reply")
"""Whole texts the pipeline uses instead of a body or subject; never appended by `footer`."""
ITEMS = frozenset(ORDER) | frozenset(COMPOSITES) | frozenset(TEMPLATES)
UNVERIFIED = frozenset({"time_barred_notice_ny", "time_barred_notice_nyc"})
"""[U] texts a business may replace (per language) through Policy.snippet_texts once counsel approves them."""
TEXT_CHANNELS = frozenset({"sms", "whatsapp"})
PREFERENCES_PATH = "/preferences"
"""The portal page where a debtor manages channels (D-3); email unsubscribe links point there."""

# -- fixed texts ------------------------------------------------------------------------------------------------
MINI_MIRANDA = {
    "en": "This is an attempt to collect a debt. Any information obtained will be used for that purpose.",
    "es": "Esto es un intento de cobrar una deuda. Cualquier información obtenida será utilizada para ese propósito.",
}
DEBT_COLLECTOR = {
    "en": "This communication is from a debt collector.",
    "es": "Esta comunicación proviene de un cobrador de deudas.",
}
OPT_OUT_TEXT = {"en": "Reply STOP to opt out.", "es": "Responda STOP para cancelar."}
OPT_OUT_EMAIL = {
    "en": ("To stop these emails, reply STOP or unsubscribe: {url}", "To stop these emails, reply STOP."),
    "es": ("Para dejar de recibir estos correos, responda STOP o cancele su suscripción: {url}",
           "Para dejar de recibir estos correos, responda STOP."),
}
DISPUTE_RIGHT = {
    "en": ("You have the right to dispute this debt. If you notify us in writing within 30 days that you dispute the "
           "debt, we will obtain verification and mail it to you."),
    "es": ("Usted tiene derecho a disputar esta deuda. Si nos notifica por escrito dentro de 30 días que disputa la "
           "deuda, obtendremos la verificación y se la enviaremos por correo."),
}
ROSENTHAL = {
    "en": ("The state Rosenthal Fair Debt Collection Practices Act and the federal Fair Debt Collection Practices Act "
           "require that, except under unusual circumstances, collectors may not contact you before 8 a.m. or after "
           "9 p.m. They may not harass you by using threats of violence or arrest or by using obscene language. "
           "Collectors may not use false or misleading statements or call you at work if they know or have reason to "
           "know that you may not receive personal calls at work. For the most part, collectors may not tell another "
           "person, other than your attorney or spouse, about your debt. Collectors may contact another person to "
           "confirm your location or enforce a judgment. For more information about debt collection activities, you "
           "may contact the Federal Trade Commission at 1-877-FTC-HELP or www.ftc.gov."),
    "es": ("La Ley Estatal Rosenthal de Prácticas Justas de Cobro de Deudas y la Ley Federal de Prácticas Justas de "
           "Cobro de Deudas requieren que, excepto en circunstancias inusuales, los cobradores no se comuniquen con "
           "usted antes de las 8 a.m. ni después de las 9 p.m. No pueden acosarlo con amenazas de violencia o arresto "
           "ni con lenguaje obsceno. Los cobradores no pueden usar declaraciones falsas o engañosas ni llamarlo al "
           "trabajo si saben o tienen motivos para saber que usted no puede recibir llamadas personales en el "
           "trabajo. En general, los cobradores no pueden hablar de su deuda con otra persona que no sea su abogado o "
           "su cónyuge. Los cobradores pueden comunicarse con otra persona para confirmar su ubicación o ejecutar una "
           "sentencia. Para obtener más información sobre las actividades de cobro de deudas, puede comunicarse con "
           "la Comisión Federal de Comercio al 1-877-FTC-HELP o en www.ftc.gov."),
}
TBD_CA = {  # Cal. Civ. 1788.14(d)(1) / (d)(2)
    "en": ("The law limits how long you can be sued on a debt. Because of the age of your debt, we will not sue you "
           "for it. If you do not pay the debt, {collector} may report it to the credit reporting agencies as unpaid "
           "for as long as the law permits this reporting.",
           "The law limits how long you can be sued on a debt. Because of the age of your debt, we will not sue you "
           "for it, and we will not report it to any credit reporting agency."),
    "es": ("La ley limita el tiempo durante el cual se le puede demandar por una deuda. Debido a la antigüedad de su "
           "deuda, no lo demandaremos por ella. Si no paga la deuda, {collector} puede reportarla a las agencias de "
           "informes de crédito como no pagada durante el tiempo que la ley permita este reporte.",
           "La ley limita el tiempo durante el cual se le puede demandar por una deuda. Debido a la antigüedad de su "
           "deuda, no lo demandaremos por ella y no la reportaremos a ninguna agencia de informes de crédito."),
}
TBD_NY = {  # 23 NYCRR 1.3(b)(1)-(4) [U]; (b)(5) "may restart" left out: CPLR 214-i (2022) ended revival for
    # consumer-credit debts (DFS industry letter 2022-04-07). Counsel sets the final text.
    "en": ("We are required by regulation of the New York State Department of Financial Services to notify you of the "
           "following information. This information is NOT legal advice: We believe that the legal time limit "
           "(statute of limitations) for suing you to collect this debt may have expired. It is a violation of the "
           "Fair Debt Collection Practices Act, 15 U.S.C. section 1692 et seq., to sue to collect on a debt for which "
           "the statute of limitations has expired. If you are sued on this debt, you may be able to stop the lawsuit "
           "by responding to the court that the statute of limitations has expired. You are not required to admit, "
           "affirm or acknowledge the debt, promise to pay it, or waive the statute of limitations."),
    "es": ("El Departamento de Servicios Financieros del Estado de Nueva York nos exige notificarle la siguiente "
           "información. Esta información NO es asesoría legal: Creemos que el plazo legal (prescripción) para "
           "demandarlo por esta deuda puede haber vencido. Demandar para cobrar una deuda prescrita es una violación "
           "de la Ley de Prácticas Justas de Cobro de Deudas, 15 U.S.C. sección 1692 y siguientes. Si lo demandan por "
           "esta deuda, usted podría detener la demanda respondiendo al tribunal que la deuda está prescrita. Usted no "
           "está obligado a admitir, afirmar ni reconocer la deuda, prometer pagarla ni renunciar a la prescripción."),
}
TBD_NYC = {  # 6 RCNY 5-77 [U]
    "en": ("We believe that the time limit (statute of limitations) for suing you on this debt has expired. We will "
           "not sue you to collect it. If anyone sues you on this debt, you can stop the lawsuit by telling the court "
           "that the statute of limitations has expired. You are not required to admit, affirm or acknowledge the "
           "debt, or promise to pay it."),
    "es": ("Creemos que el plazo legal (prescripción) para demandarlo por esta deuda ha vencido. No lo demandaremos "
           "para cobrarla. Si alguien lo demanda por esta deuda, usted puede detener la demanda diciéndole al "
           "tribunal que la deuda está prescrita. Usted no está obligado a admitir, afirmar ni reconocer la deuda, ni "
           "a prometer pagarla."),
}
NEUTRAL_SUBJECT = {"en": "An update on your account", "es": "Información sobre su cuenta"}
CFPB = {
    "en": "Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.",
    "es": "Visite www.cfpb.gov/debt-collection para obtener más información sobre sus derechos según la ley federal.",
}
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}
DATE_TYPES_ES = {
    "last statement date": "fecha del último estado de cuenta", "charge-off date": "fecha de cancelación contable",
    "last payment date": "fecha del último pago", "transaction date": "fecha de la transacción",
    "judgment date": "fecha de la sentencia",
}
DEFAULTED_ES = {"date": "fecha", "date_type": "tipo de fecha", "amount": "monto", "interest": "intereses",
                "fees": "cargos", "payments_credits": "pagos y créditos"}
MEDIUM = {
    "en": {"sms": ("texts", "number"), "whatsapp": ("WhatsApp messages", "number"), "email": ("emails", "address")},
    "es": {"sms": ("mensajes de texto", "número"), "whatsapp": ("mensajes de WhatsApp", "número"),
           "email": ("correos", "correo")},
}

# -- canonical form for detection ----------------------------------------------------------------------------------
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_APOSTROPHE = re.compile(r"['’‘`´]")
_NON_ALNUM = re.compile(r"[\W_]+")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÁÉÍÓÚÑ¿¡])")


@lru_cache(maxsize=4096)
def canon(text: str) -> str:
    """Case-, accent-, punctuation- and whitespace-free form, padded with spaces for whole-word containment."""
    s = unicodedata.normalize("NFKC", text or "").casefold()
    s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    s = _APOSTROPHE.sub("", _DIGIT_COMMA.sub("", s))
    s = _NON_ALNUM.sub(" ", s).strip()
    return f" {s} " if s else " "


def _has(c: str, *needles: str) -> bool:
    return all(canon(n) in c for n in needles)


@lru_cache(maxsize=256)
def _sentences(text: str) -> tuple[str, ...]:
    """The canonical sentences of an approved text: each must be present (tolerates joining words between them)."""
    return tuple(canon(s) for s in _SENTENCE.split(text) if canon(s).strip())


def lang_of(language: str | None) -> str:
    code = (language or "en")[:2].lower()
    return code if code in LANGUAGES else "en"


def resolve(item: str, language: str | None) -> tuple[str, str]:
    """(base item, language): an `_es` / `_en` suffix wins over the message language."""
    for code in LANGUAGES:
        suffix = f"_{code}"
        if item.endswith(suffix) and item[: -len(suffix)] in ITEMS:
            return item[: -len(suffix)], code
    return item, lang_of(language)


def money(value: Decimal | None) -> str:
    return f"${Decimal(value or 0):,.2f}"


def long_date(day: dt.date, lang: str) -> str:
    if lang == "es":
        return f"{day.day} de {MONTHS['es'][day.month - 1]} de {day.year}"
    return f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}"


@lru_cache(maxsize=1024)
def _date_forms(day: dt.date) -> tuple[str, ...]:
    """Canonical spellings of one date a message may use."""
    m, d, y = day.month, day.day, day.year
    en, es = MONTHS["en"][m - 1].lower(), MONTHS["es"][m - 1]
    forms = (f"{en} {d} {y}", f"{en[:3]} {d} {y}", f"{d} {en} {y}", f"{y} {m:02d} {d:02d}", f"{m:02d} {d:02d} {y}",
             f"{m} {d} {y}", f"{d} de {es} de {y}", f"{d} {es} {y}")
    return tuple(f" {f} " for f in forms)


def _has_date(c: str, day: dt.date | None) -> bool:
    return day is not None and any(form in c for form in _date_forms(day))


def _override(facts: Facts, item: str, lang: str) -> str | None:
    texts = facts.policy.snippet_texts
    return texts.get(f"{item}:{lang}") if item in UNVERIFIED else None


# -- facts the texts need ------------------------------------------------------------------------------------------
def collector(facts: Facts) -> str:
    """The business's true name (DISC-4); a registered DBA is accepted by `present` as well."""
    return (facts.policy.business_name or facts.policy.dba or "").strip()


def creditor(facts: Facts) -> str:
    """PRD 9.2.3 names the original creditor; the current one stands in when it is all the account has."""
    d = facts.debtor
    return (d.original_creditor or d.current_creditor or "").strip()


def current_creditor(facts: Facts) -> str:
    d = facts.debtor
    return (d.current_creditor or d.original_creditor or "").strip()


def itemization_amount(facts: Facts) -> Decimal:
    """D-12: the creditor's figure, else the original balance, else the current balance."""
    d = facts.debtor
    if d.itemization.amount is not None:
        return d.itemization.amount
    return d.original_balance if d.original_balance is not None else d.balance


def defaulted_fields(facts: Facts) -> tuple[str, ...]:
    d = facts.debtor
    fields = set(d.itemization.defaulted)
    if d.itemization.amount is None:
        fields.add("amount")
    order = ("date", "date_type", "amount", "interest", "fees", "payments_credits")
    return tuple(f for f in order if f in fields) + tuple(sorted(fields - set(order)))


def validation_period_end(facts: Facts, provided_on: dt.date | None) -> dt.date | None:
    """The stored period end, else VALID-5 computed from the day the notice is provided."""
    stored = facts.debtor.validation.period_end
    if stored is not None or provided_on is None:
        return stored
    from app.services.compliance.rules.validation import period_end  # the rules import this module
    return period_end(provided_on)


def missing_data(item: str, facts: Facts, provided_on: dt.date | None = None) -> str | None:
    """Why the facts cannot produce this item (a setup or data task), or None."""
    d, p = facts.debtor, facts.policy
    item = resolve(item, None)[0]
    if item == "collector_name" and not collector(facts):
        return "the business has no name on file"
    if item == "validation_summary" and not creditor(facts):
        return "the account names no creditor"
    if item == "mvn_header" and not (collector(facts) and current_creditor(facts)):
        return "the business name or the current creditor is missing"
    if item == "mvn_consumer" and not (d.first_name or d.last_name):
        return "the account has no consumer name"
    if item == "mvn_account" and not (creditor(facts) and d.account_number):
        return "the account number or the creditor is missing"
    if item in ("mvn_itemization_date", "mvn_itemization") and d.itemization.date is None:
        return "the account has no itemization date (D-12: due date, else creation date)"
    if item == "mvn_period_end" and validation_period_end(facts, provided_on) is None:
        return "no validation period end and no date the notice is provided"
    if item == "mvn_dispute_address" and not p.dispute_address:
        return "the business has no dispute mailing address (D-15)"
    if item == "ca_license_no" and not p.ca_license_no:
        return "the business has no California licence number"
    if item == "time_barred_notice_ca" and not collector(facts):
        return "the business has no name on file"
    return None


# -- render ------------------------------------------------------------------------------------------------------
def _contact(facts: Facts) -> str:
    """OPT-8 contact: support phone and/or email; D-15: the messaging number when neither is set."""
    p = facts.policy
    parts = [x for x in (p.support_phone, p.support_email) if x]
    if not parts and p.messaging_number:
        parts = [p.messaging_number]
    return " / ".join(parts)


def _portal(facts: Facts) -> str:
    return (facts.policy.portal_url or "").rstrip("/")


def render(item: str, facts: Facts, *, language: str | None, channel: str | None = None,
           provided_on: dt.date | None = None) -> str:
    """The approved text of one item for these facts; "" when the facts lack what it needs."""
    base, lang = resolve(item, language)
    if base not in ITEMS:
        raise KeyError(f"unknown snippet item {item!r}")
    if base in COMPOSITES:
        parts = (render(p, facts, language=lang, channel=channel, provided_on=provided_on) for p in COMPOSITES[base])
        return "\n".join(p for p in parts if p)
    if missing_data(base, facts, provided_on):
        return ""
    d, p, es = facts.debtor, facts.policy, lang == "es"
    override = _override(facts, base, lang)
    if override:
        return override
    if base == "mini_miranda_initial":
        return MINI_MIRANDA[lang]
    if base == "debt_collector_disclosure":
        return DEBT_COLLECTOR[lang]
    if base == "opt_out_notice":
        if channel == "email":
            with_link, plain = OPT_OUT_EMAIL[lang]
            return with_link.format(url=_portal(facts) + PREFERENCES_PATH) if _portal(facts) else plain
        return OPT_OUT_TEXT[lang]
    if base == "collector_name":
        return f"De parte de {collector(facts)}." if es else f"From {collector(facts)}."
    if base == "validation_summary":
        link = _portal(facts)
        lines = (["Detalles de la deuda:", f"- Acreedor original: {creditor(facts)}",
                  f"- Monto adeudado: {money(d.balance)}", DISPUTE_RIGHT[lang]]
                 if es else
                 ["Debt details:", f"- Original creditor: {creditor(facts)}", f"- Amount owed: {money(d.balance)}",
                  DISPUTE_RIGHT[lang]])
        if link:
            lines.append(f"Su aviso de validación completo: {link}" if es else f"Your full validation notice: {link}")
        return "\n".join(lines)
    if base == "ca_1812_700_notice":
        return ROSENTHAL[lang]
    if base == "ca_license_no":
        return (f"Número de licencia de California: {p.ca_license_no}." if es
                else f"California license number: {p.ca_license_no}.")
    if base == "time_barred_notice_ca":
        reportable, obsolete = TBD_CA[lang]
        return obsolete if d.past_credit_reporting_period else reportable.format(
            collector=collector(facts))
    if base == "time_barred_notice_ny":
        return TBD_NY[lang]
    if base == "time_barred_notice_nyc":
        return TBD_NYC[lang]
    if base == "neutral_subject":
        return NEUTRAL_SUBJECT[lang]
    if base in ("optout_confirmation", "optin_confirmation", "help_reply"):
        return _system_reply(base, facts, lang, channel)
    return _render_mvn(base, facts, lang, provided_on)


def _render_mvn(base: str, facts: Facts, lang: str, provided_on: dt.date | None) -> str:
    d, p, es = facts.debtor, facts.policy, lang == "es"
    it = d.itemization
    if base == "mvn_header":
        if es:
            return (f"{collector(facts)} es un cobrador de deudas. Estamos tratando de cobrar una deuda que usted le "
                    f"debe a {current_creditor(facts)}. Usaremos cualquier información que nos proporcione para ayudar "
                    f"a cobrar la deuda.")
        return (f"{collector(facts)} is a debt collector. We are trying to collect a debt that you owe to "
                f"{current_creditor(facts)}. We will use any information you give us to help collect the debt.")
    if base == "mvn_consumer":
        name = " ".join(x for x in (d.first_name, d.last_name) if x)
        place = ", ".join(x for x in (d.city, " ".join(y for y in (d.state, d.zip) if y)) if x)
        who = f"{name}, {place}" if place else name
        return f"Aviso para: {who}" if es else f"Notice for: {who}"
    if base == "mvn_account":
        if es:
            return (f"Nuestra información indica: Usted tenía una cuenta con {creditor(facts)} con el número de "
                    f"cuenta {d.account_number}.")
        return (f"Our information shows: You had an account with {creditor(facts)} with account number "
                f"{d.account_number}.")
    if base == "mvn_itemization_date":
        kind = it.date_type or "last statement date"
        if es:
            return f"Fecha de desglose ({DATE_TYPES_ES.get(kind, kind)}): {long_date(it.date, 'es')}."
        return f"Itemization date ({kind}): {long_date(it.date, 'en')}."
    if base == "mvn_itemization":
        day = long_date(it.date, lang)
        defaulted = defaulted_fields(facts)
        if es:
            text = (f"Al {day}, usted debía: {money(itemization_amount(facts))}. Entre el {day} y hoy: Se le cobró "
                    f"esta cantidad en intereses: + {money(it.interest)}. Se le cobró esta cantidad en cargos: + "
                    f"{money(it.fees)}. Usted pagó o se le acreditó esta cantidad a la deuda: - "
                    f"{money(it.payments_credits)}. Monto total de la deuda ahora: {money(d.balance)}.")
            if defaulted:
                names = ", ".join(DEFAULTED_ES.get(f, f) for f in defaulted)
                text += f" Valores predeterminados usados para: {names}."
            return text
        text = (f"As of {day}, you owed: {money(itemization_amount(facts))}. Between {day} and today: You were charged "
                f"this amount in interest: + {money(it.interest)}. You were charged this amount in fees: + "
                f"{money(it.fees)}. You paid or were credited this amount toward the debt: - "
                f"{money(it.payments_credits)}. Total amount of the debt now: {money(d.balance)}.")
        if defaulted:
            text += " Default values used for: " + ", ".join(f.replace("_", " and ") if f == "payments_credits"
                                                              else f.replace("_", " ") for f in defaulted) + "."
        return text
    if base == "mvn_period_end":
        end = long_date(validation_period_end(facts, provided_on), lang)
        if es:
            return (f"¿Cómo puede disputar la deuda? Llame o escríbanos a más tardar el {end} para disputar toda o "
                    f"parte de la deuda. Si no lo hace, asumiremos que nuestra información es correcta. Si nos escribe "
                    f"a más tardar el {end}, debemos dejar de cobrar cualquier cantidad que usted dispute hasta que le "
                    f"enviemos información que demuestre que usted debe la deuda. También puede pedirnos el nombre y "
                    f"la dirección del acreedor original, si es diferente del acreedor actual. Si nos escribe a más "
                    f"tardar el {end}, debemos dejar de cobrar hasta que le enviemos esa información.")
        return (f"How can you dispute the debt? Call or write to us by {end} to dispute all or part of the debt. If "
                f"you do not, we will assume that our information is correct. If you write to us by {end}, we must "
                f"stop collection on any amount you dispute until we send you information that shows you owe the "
                f"debt. You may also ask us for the name and address of the original creditor, if different from "
                f"the current creditor. If you write by {end}, we must stop collection until we send you that "
                f"information.")
    if base == "mvn_dispute_address":
        return (f"Envíe su disputa o solicitud por correo a: {p.dispute_address}" if es
                else f"Mail your dispute or request to: {p.dispute_address}")
    if base == "mvn_cfpb":
        return CFPB[lang]
    raise KeyError(base)


def _system_reply(base: str, facts: Facts, lang: str, channel: str | None) -> str:
    """OPT-4 confirmation, OPT-7 re-opt-in confirmation and OPT-8 HELP reply."""
    brand = collector(facts)
    es = lang == "es"
    medium, where = MEDIUM[lang].get(channel or "sms", MEDIUM[lang]["sms"])
    if base == "optout_confirmation":  # OPT-4: confirmation only; no START, link, debt details or marketing
        if es:
            return f"{brand}: Ya no recibirá {medium} en este {where}. Respetaremos su solicitud."
        return f"{brand}: You're unsubscribed from {medium} to this {where}. We will honor this request."
    if base == "optin_confirmation":  # OPT-7: STOP instructions and the debt-collector disclosure
        if es:
            return f"{brand}: Volverá a recibir {medium} nuestros. {DEBT_COLLECTOR['es']} {OPT_OUT_TEXT['es']}"
        return f"{brand}: You're subscribed again to {medium} from us. {DEBT_COLLECTOR['en']} {OPT_OUT_TEXT['en']}"
    contact = _contact(facts)  # OPT-8: nothing that tells a reader there is an account or a debt
    if es:
        return (f"Mensajes de {brand}. Ayuda: {contact}. La frecuencia de mensajes varía. Pueden aplicarse tarifas "
                f"de mensajes y datos. {OPT_OUT_TEXT['es']}")
    return f"{brand} messages. Help: {contact}. Msg frequency varies. Msg&data rates may apply. {OPT_OUT_TEXT['en']}"


def footer(items: Iterable[str], facts: Facts, *, language: str | None, channel: str | None,
           provided_on: dt.date | None = None) -> str:
    """What the pipeline appends for a REQUIRE_CONTENT decision: each appendable item once, in ORDER."""
    wanted: dict[tuple[str, str], None] = {}
    for item in items:
        base, lang = resolve(item, language)
        for part in COMPOSITES.get(base, (base,)):
            if part in ORDER:
                wanted[(part, lang)] = None
    rank = {name: i for i, name in enumerate(ORDER)}
    ordered = sorted(wanted, key=lambda pair: (rank[pair[0]], LANGUAGES.index(pair[1])))
    texts = [render(part, facts, language=lang, channel=channel, provided_on=provided_on) for part, lang in ordered]
    sep = "\n" if channel in TEXT_CHANNELS else "\n\n"
    return sep.join(t for t in texts if t)


# -- present -----------------------------------------------------------------------------------------------------
_REPLY_STOP = {
    "en": re.compile(r" (reply|text|txt|respond with|respond|send) stop "),
    "es": re.compile(r" (responda|responde|conteste|contesta|envie|envia|escriba|escribe|mande|manda)( con)? "
                     r"(stop|alto|baja) "),
}
_UNSUBSCRIBE = {
    "en": re.compile(r" (unsubscribe|opt out|manage your preferences|email preferences) "),
    "es": re.compile(r" (cancele su suscripcion|cancelar (la |su )?suscripcion|darse de baja|dar de baja|"
                     r"darte de baja|sus preferencias) "),
}
_DEBT_COLLECTOR = {
    "en": re.compile(r" this (communication|message|email|text|text message|letter) is from a debt collector "),
    "es": re.compile(r" (esta comunicacion|este mensaje|este correo|esta carta) (proviene|es) de un cobrador "
                     r"de deudas "),
}
_LICENSE_WORD = re.compile(r" lic")
_TBD_CA_REPORT = {
    "en": re.compile(r" if you do not pay the debt .{1,120}? may (continue to )?report it to the credit reporting "
                     r"agencies as unpaid for as long as the law permits this reporting "),
    "es": re.compile(r" si no paga la deuda .{1,120}? puede (seguir )?reportarla a las agencias de informes de credito "
                     r"como no pagada durante el tiempo que la ley permita este reporte "),
}
_DEBT_WORDS = re.compile(r" (debt|debts|collection|collections|collector|past due|overdue|deuda|deudas|cobro|cobranza|"
                         r"cobrador|vencid[oa]s?) ")


_TEXT_ONLY = frozenset({"mini_miranda_initial", "debt_collector_disclosure", "opt_out_notice", "ca_1812_700_notice",
                        "time_barred_notice_ny", "time_barred_notice_nyc", "neutral_subject", "mvn_cfpb"})
"""Items whose presence depends on the text alone (and the language and channel kind), so it is cached per text."""
_CANON_URL = re.compile(r" (https?|www) ")


@lru_cache(maxsize=8192)
def _present_text_only(base: str, lang: str, texting: bool, c: str) -> bool:
    if base == "mini_miranda_initial":
        return all(s in c for s in _sentences(MINI_MIRANDA[lang]))
    if base == "debt_collector_disclosure":
        return _DEBT_COLLECTOR[lang].search(c) is not None
    if base == "opt_out_notice":
        if _REPLY_STOP[lang].search(c):
            return True
        return not texting and _UNSUBSCRIBE[lang].search(c) is not None and _CANON_URL.search(c) is not None
    if base == "ca_1812_700_notice":
        return all(s in c for s in _sentences(ROSENTHAL[lang]))
    if base == "time_barred_notice_ny":
        return all(s in c for s in _sentences(TBD_NY[lang]))
    if base == "time_barred_notice_nyc":
        return all(s in c for s in _sentences(TBD_NYC[lang]))
    if base == "neutral_subject":
        return not _DEBT_WORDS.search(c)
    return " cfpb gov debt collection " in c  # mvn_cfpb


@lru_cache(maxsize=1024)
def _name_needles(*names: str | None) -> tuple[str, ...]:
    return tuple(canon(n) for n in names if n and n.strip())


def present(item: str, text: str, facts: Facts, *, language: str | None, channel: str | None = None,
            provided_on: dt.date | None = None) -> bool:
    """Whether `text` already carries the item, in the item's language (see the module docstring)."""
    if item in ITEMS:
        base, lang = item, lang_of(language)
    else:
        base, lang = resolve(item, language)
    c = canon(text)
    if base in _TEXT_ONLY and not (base in UNVERIFIED and facts.policy.snippet_texts):
        return _present_text_only(base, lang, channel in TEXT_CHANNELS, c)
    if base == "collector_name":
        p = facts.policy
        return any(n in c for n in _name_needles(p.business_name, p.dba))
    if base in COMPOSITES:
        return all(present(p, text, facts, language=lang, channel=channel, provided_on=provided_on)
                   for p in COMPOSITES[base])
    override = _override(facts, base, lang)
    if override:
        return all(s in c for s in _sentences(override))
    d, p = facts.debtor, facts.policy
    if base in _TEXT_ONLY:
        return _present_text_only(base, lang, channel in TEXT_CHANNELS, c)
    if base == "validation_summary":
        cred, amount = canon(creditor(facts)), canon(money(d.balance)).strip()
        es = lang == "es"
        label_c, label_a = ("acreedor original", "monto adeudado") if es else ("original creditor", "amount owed")
        link = canon(_portal(facts)) in c if _portal(facts) else _CANON_URL.search(c) is not None
        return (bool(cred.strip()) and f" {label_c}{cred}" in c and f" {label_a} {amount} " in c and link
                and all(s in c for s in _sentences(DISPUTE_RIGHT[lang])))
    if base == "ca_license_no":
        return bool(p.ca_license_no) and canon(p.ca_license_no) in c and bool(_LICENSE_WORD.search(c))
    if base == "time_barred_notice_ca":
        reportable, obsolete = TBD_CA[lang]
        if d.past_credit_reporting_period:
            return all(s in c for s in _sentences(obsolete))
        first_two = _sentences(reportable)[:2]
        return all(s in c for s in first_two) and bool(_TBD_CA_REPORT[lang].search(c))
    if base in MVN_PARTS:
        return _present_mvn(base, c, facts, lang, provided_on)
    if base in TEMPLATES:
        return canon(render(base, facts, language=lang, channel=channel)) in c
    raise KeyError(f"unknown snippet item {item!r}")


def _present_mvn(base: str, c: str, facts: Facts, lang: str, provided_on: dt.date | None) -> bool:
    d, it, es = facts.debtor, facts.debtor.itemization, lang == "es"
    if missing_data(base, facts, provided_on):
        return False
    if base == "mvn_header":
        if es:
            return _has(c, f"{collector(facts)} es un cobrador de deudas",
                        f"una deuda que usted le debe a {current_creditor(facts)}",
                        "usaremos cualquier informacion que nos proporcione para ayudar a cobrar la deuda")
        return _has(c, f"{collector(facts)} is a debt collector", f"a debt that you owe to {current_creditor(facts)}",
                    "we will use any information you give us to help collect the debt")
    if base == "mvn_consumer":
        return _has(c, " ".join(x for x in (d.first_name, d.last_name) if x))
    if base == "mvn_account":
        return _has(c, creditor(facts), d.account_number, "numero de cuenta" if es else "account number")
    if base == "mvn_itemization_date":
        return _has(c, "fecha de desglose" if es else "itemization date") and _has_date(c, it.date)
    if base == "mvn_itemization":
        amounts = (itemization_amount(facts), it.interest, it.fees, it.payments_credits, d.balance)
        labels = (("usted debia", "en intereses", "en cargos", "a la deuda", "monto total de la deuda ahora") if es else
                  ("you owed", "in interest", "in fees", "toward the debt", "total amount of the debt now"))
        if not all(f"{canon(label)}{canon(money(a)).strip()} " in c for label, a in zip(labels, amounts)):
            return False
        if defaulted_fields(facts) and not _has(c, "valores predeterminados" if es else "default values"):
            return False
        return _has_date(c, it.date)
    if base == "mvn_period_end":
        sentences = (("para disputar toda o parte de la deuda", "asumiremos que nuestra informacion es correcta",
                      "el nombre y la direccion del acreedor original") if es else
                     ("to dispute all or part of the debt", "we will assume that our information is correct",
                      "the name and address of the original creditor"))
        return _has(c, *sentences) and _has_date(c, validation_period_end(facts, provided_on))
    if base == "mvn_dispute_address":
        return _has(c, facts.policy.dispute_address)
    raise KeyError(base)


# -- for content scanners ------------------------------------------------------------------------------------------
@lru_cache(maxsize=2048)
def _tolerant(sentence: str) -> re.Pattern:
    words = [re.escape(w) for w in re.findall(r"\w+", sentence)]
    return re.compile(r"\W+".join(words), re.IGNORECASE)


_FIXED = tuple(_tolerant(s) for texts in (MINI_MIRANDA, DEBT_COLLECTOR, ROSENTHAL, TBD_NY, TBD_NYC, DISPUTE_RIGHT, CFPB)
               for t in texts.values() for s in _SENTENCE.split(t))
_FIXED += tuple(_tolerant(s) for pair in TBD_CA.values() for t in pair for s in _SENTENCE.split(t) if "{" not in s)
_FIXED += (re.compile(r"if\W+you\W+do\W+not\W+pay\W+the\W+debt.{1,120}?this\W+reporting", re.IGNORECASE | re.DOTALL),
           re.compile(r"si\W+no\W+paga\W+la\W+deuda.{1,120}?este\W+reporte", re.IGNORECASE | re.DOTALL))


_WITH_FACTS = ("validation_summary", *MVN_PARTS, "time_barred_notice_ca")
_FULL_STOP = re.compile(r"(?<=[.!?])\s+")


def strip_approved(text: str, facts: Facts | None = None) -> str:
    """The text without the approved notices, for content scanners: the Rosenthal notice speaks of arrest and violence
    and the time-barred notices of being sued, and neither is a threat (CONTENT-1/3/4, TBD-1). With `facts`, the
    notices rendered from them go too (the validation summary and notice lines state the account's amounts as the
    system of record holds them, in the model form's words: "paid or were credited this amount toward the debt")."""
    for pattern in _FIXED:
        text = pattern.sub(" ", text)
    if facts is not None:
        sentences = {s for item in _WITH_FACTS for lang in LANGUAGES
                     for line in render(item, facts, language=lang).splitlines()
                     for s in _FULL_STOP.split(line) if len(s.split()) >= 4}
        for sentence in sorted(sentences, key=len, reverse=True):
            text = _tolerant(sentence).sub(" ", text)
    return text


__all__ = [
    "COMPOSITES", "ITEMS", "LANGUAGES", "MVN_PARTS", "ORDER", "TBD_ITEMS", "TEMPLATES", "UNVERIFIED", "canon",
    "footer", "missing_data", "present", "render", "resolve", "strip_approved",
]
