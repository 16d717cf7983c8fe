"""The prohibited-content lexicon: what each label catches (EN + ES, masked forms), what it must leave alone, and
that the word keys never hide a match from the regexes they guard."""
import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.compliance import lexicon
from app.services.compliance.lexicon import deadlines, fold, scan

# Ordinary compliant collection messages: no label may fire on any of them (false-positive corpus).
COMPLIANT = (
    "Acme Recovery: Hi Ana, a payment on your account is due. This communication is from a debt collector. "
    "Reply STOP to opt out.",
    "Hi Ana, this is a reminder that your payment of $50.00 is scheduled for July 20.",
    "Your payment of $50.00 was received. Thank you! Your remaining balance is $362.50.",
    "We can offer a payment plan of 3 monthly payments of $137.50. Reply YES to learn more.",
    "You can pay online at https://pay.example.com/u/abc any time.",
    "This communication is from a debt collector.",
    "You have the right to dispute this debt.",
    "Reply STOP to opt out.",
    "Questions? Call us at 1-800-555-0100, Monday to Friday, 9am to 5pm.",
    "Your current balance is $412.50.",
    "There is no fee to pay online.",
    "Thank you for setting up your payment plan. Your first installment of $50.00 is due on August 1.",
    "We received your message and will reply within 1 business day.",
    "If you have already paid, please disregard this message.",
    "To make a payment by phone, call 1-800-555-0100.",
    "Your account has been updated with your new mailing address.",
    "We are happy to help you find a plan that works for your budget.",
    "If you would like to settle your account, we can discuss options.",
    "This is an attempt to collect a debt. Any information obtained will be used for that purpose.",
    "Hi Ana, we have not heard from you. Please contact us to discuss your account.",
    "Your payment plan is active. Next payment: $50.00 on August 1, 2026.",
    "Log in to the portal to see your itemization and payment history.",
    "We have stopped collection efforts on this account.",
    "Your dispute has been received. We will send you verification of the debt.",
    "Want to talk to a real person? Reply AGENT and a team member will follow up.",
    "I'm an automated assistant for Acme Recovery.",
    "Please keep this receipt for your records. Confirmation number: ABC-1234.",
    "Your account ending in 0123 is past due.",
    "Call or write to us by August 14, 2026, to dispute all or part of the debt.",
    "If you do not, we will assume that our information is correct.",
    "We accept payments by card, bank transfer or check.",
    "Visit www.cfpb.gov/debt-collection to learn more about your rights under federal law.",
    "Your balance of $412.50 can be paid in full or in installments.",
    "No further action is needed. No late fees will be added.",
    "Hello Sue, thanks for your payment.",
    "Hola Ana, tiene un pago pendiente en su cuenta. Esta comunicación proviene de un cobrador de deudas. "
    "Responda STOP para cancelar.",
    "Recibimos su pago de $50.00. Gracias. Su saldo restante es de $362.50.",
    "Podemos ofrecerle un plan de pagos de 3 cuotas mensuales de $137.50.",
    "Usted tiene derecho a disputar esta deuda.",
    "Sin embargo, si ya pagó, ignore este mensaje.",
    "No hay cargo por pagar en línea.",
    "Llame al 1-800-555-0100 de lunes a viernes, de 9 a 5.",
    "Su saldo actual es de $412,50.",
    "Gracias por configurar su plan de pagos. Su próximo pago de $50.00 vence el 1 de agosto.",
    "Esto es un intento de cobrar una deuda. Cualquier información obtenida será utilizada para ese propósito.",
    "Puede pagar en línea en https://pay.example.com/u/abc.",
    "Hemos detenido la cobranza de esta deuda hasta enviarle la verificación.",
    "¿Desea hablar con una persona real? Responda AGENTE.",
)

# (text, label) that must be found.
CAUGHT = (
    ("We will hurt you if you don't pay.", "CONTENT-1"),
    ("We know where you live.", "CONTENT-1"),
    ("Te vamos a matar si no pagas.", "CONTENT-1"),
    ("Sabemos dónde vive.", "CONTENT-1"),
    ("Pay your fucking bill.", "CONTENT-2"),
    ("pay your f***ing bill", "CONTENT-2"),
    ("pay your f*cking bill", "CONTENT-2"),
    ("this is sh!t", "CONTENT-2"),
    ("what a b1tch", "CONTENT-2"),
    ("$hit happens", "CONTENT-2"),
    ("you a$$hole", "CONTENT-2"),
    ("f--k this", "CONTENT-2"),
    ("You are an idiot.", "CONTENT-2"),
    ("Deadbeats like you always pay in the end.", "CONTENT-2"),
    ("Pague la maldita deuda, pendejo.", "CONTENT-2"),
    ("Es una mierda.", "CONTENT-2"),
    ("You will be arrested.", "CONTENT-3/arrest"),
    ("You could go to jail for this.", "CONTENT-3/arrest"),
    ("Usted IRÁ A LA CÁRCEL.", "CONTENT-3/arrest"),
    ("We will garnish your wages.", "CONTENT-3/seizure"),
    ("We will take your car.", "CONTENT-3/seizure"),
    ("Vamos a embargar su salario.", "CONTENT-3/seizure"),
    ("Procederemos al embargo de su cuenta.", "CONTENT-3/seizure"),
    ("If you don't pay we will sue you.", "CONTENT-4"),
    ("A lawsuit will be filed.", "CONTENT-4"),
    ("Your file goes to our legal department.", "CONTENT-4"),
    ("This is your final notice before court.", "CONTENT-4"),
    ("Pay within 48 hours or we escalate.", "CONTENT-4"),
    ("Iniciaremos una demanda en su contra.", "CONTENT-4"),
    ("Tomaremos acción legal.", "CONTENT-4"),
    ("This is the IRS calling about your debt.", "CONTENT-5/government"),
    ("We are the law office of Smith & Jones.", "CONTENT-5/attorney"),
    ("This is Equifax.", "CONTENT-5/bureau"),
    ("This is not a debt collector, just a friendly reminder.", "CONTENT-5/not_collector"),
    ("This isn't a debt collector.", "CONTENT-5/not_collector"),
    ("No, I'm a real person.", "CONTENT-5/human"),
    ("I am not a bot.", "CONTENT-5/human"),
    ("No soy un robot.", "CONTENT-5/human"),
    ("Soy una persona real.", "CONTENT-5/human"),
    ("Your wife will be told about this debt.", "CONTENT-8"),
    ("We will contact your employer.", "CONTENT-8"),
    ("Your name goes on a public list of deadbeats.", "CONTENT-8"),
    ("Llamaremos a su jefe.", "CONTENT-8"),
    ("Not paying this debt is a crime.", "CONTENT-9"),
    ("We will press charges.", "CONTENT-9"),
    ("Usted cometió un fraude.", "CONTENT-9"),
    ("You will receive a summons.", "CONTENT-10"),
    ("A warrant has been issued.", "CONTENT-10"),
    ("Recibirá un citatorio.", "CONTENT-10"),
    ("Please send a postdated check.", "CONTENT-11"),
    ("Envíe un cheque posfechado.", "CONTENT-11"),
    ("We may take legal action.", "TBD-1"),
    ("We will not sue you.", "TBD-1"),
    ("This could end up in court.", "TBD-1"),
    ("Podríamos presentar una demanda.", "TBD-1"),
    ("You must pay now.", "DISPUTE-3/demand"),
    ("Debe pagar hoy mismo.", "DISPUTE-3/demand"),
    ("Disputing won't help you.", "DISPUTE-3/futile"),
    ("Disputarla no le servirá.", "DISPUTE-3/futile"),
    ("Please pay $412.50 by July 20.", "DISPUTE-3/deadline"),
    ("Pague antes del 20 de julio.", "DISPUTE-3/deadline"),
    ("Failing to dispute is an admission that you owe the debt.", "DISPUTE-5"),
    ("If you don't dispute it, you admit you owe it.", "DISPUTE-5"),
    ("Si no disputa la deuda, acepta que debe el monto.", "DISPUTE-5"),
    ("A $25 processing fee will be added.", "FEE"),
    ("Se cobrará un cargo por procesamiento.", "FEE"),
)

# (text, label) that must NOT be found: near misses.
LEFT_ALONE = (
    ("Sin embargo, puede pagar en línea.", "CONTENT-3/seizure"),
    ("Please see the attachment for your receipt.", "CONTENT-3/seizure"),
    ("Hi Sue, your payment was received.", "CONTENT-4"),
    ("Hi Sue, your payment was received.", "TBD-1"),
    ("This is a courtesy reminder.", "TBD-1"),
    ("Your statement closing date (fecha de corte) is the 20th.", "TBD-1"),
    ("We have escalated your question to a supervisor.", "CONTENT-4"),
    ("No further action is needed.", "CONTENT-4"),
    ("There is no processing fee.", "FEE"),
    ("Save $$$$ with a plan.", "CONTENT-2"),
    ("Check your spam or trash folder.", "CONTENT-2"),
    ("You can pay by phone.", "DISPUTE-3/deadline"),
    ("Pay now at https://pay.example.com.", "DISPUTE-3/demand"),
    ("If you do not dispute by July 8, we will assume our information is correct.", "DISPUTE-5"),
    ("You may want to talk with your family about a plan.", "CONTENT-8"),
    ("If you believe this is identity theft, tell us.", "CONTENT-9"),
    ("Your payment will post on July 20.", "CONTENT-11"),
    ("Hemos detenido el cobro.", "CONTENT-3/arrest"),
)


@pytest.mark.parametrize("text", COMPLIANT)
def test_compliant_messages_carry_no_label(text):
    assert scan(text).labels == frozenset(), scan(text).hits


def test_the_corpus_is_large_enough_and_bilingual():
    assert len(COMPLIANT) >= 40
    assert sum(1 for t in COMPLIANT if re.search(r"[áéíóúñ¿¡]|\b(?:su|de|usted)\b", t)) >= 10


@pytest.mark.parametrize("text,label", CAUGHT)
def test_each_label_catches_its_phrases(text, label):
    assert label in scan(text).labels, (text, scan(text).hits)


@pytest.mark.parametrize("text,label", LEFT_ALONE)
def test_near_misses_are_left_alone(text, label):
    assert label not in scan(text).labels, (text, scan(text).hits)


def test_every_label_has_a_caught_example():
    caught = {label for _, label in CAUGHT}
    assert set(lexicon.LABELS) <= caught


def test_fold_strips_accents_case_and_hidden_characters():
    assert fold("IRÁ  A LA\nCÁRCEL") == "ira a la carcel"
    assert fold("f\u200bu\u200cck") == "fuck"
    assert fold("ｆｕｃｋ") == "fuck"
    assert fold("don\u2019t") == "don't"


def test_hidden_characters_do_not_hide_a_word():
    assert "CONTENT-2" in scan("pay your f\u200bu\u200bc\u200bking bill").labels
    assert "CONTENT-3/arrest" in scan("You will be ARRESTED").labels


def test_hit_names_the_phrase():
    hit = scan("We will garnish your wages.").get("CONTENT-3/seizure")
    assert hit is not None and hit.phrase == "garnish"


def test_non_latin_letters_are_reported():
    assert lexicon.non_latin_letters(fold("pay your bill")) is False
    assert lexicon.non_latin_letters(fold("Páguelo mañana")) is False
    assert lexicon.non_latin_letters(fold("fuсk"))  # Cyrillic es


def test_state_time_barred_passage_is_not_read_as_a_threat():
    ny = ("We are required by regulation of the New York State Department of Financial Services to notify you of the "
          "following information. This information is NOT legal advice: Your creditor believes that the legal time "
          "limit (statute of limitations) for suing you to collect this debt may have expired. If a creditor sues "
          "you to collect on this debt, you may be able to stop the lawsuit by responding to the court.")
    assert "TBD-1" not in scan(ny).labels
    assert "CONTENT-4" not in scan(ny).labels


def test_a_threat_inside_a_disclosure_sentence_is_still_read():
    text = "Because of the age of your debt, we will sue you anyway."
    assert {"TBD-1", "CONTENT-4"} <= scan(text).labels


# -- deadlines ------------------------------------------------------------------------------------------------------
TODAY = dt.date(2026, 7, 15)


@pytest.mark.parametrize("text,due", [
    ("Please pay $412.50 by July 20.", dt.date(2026, 7, 20)),
    ("pay by 7/20/2026", dt.date(2026, 7, 20)),
    ("pay before 2026-07-31", dt.date(2026, 7, 31)),
    ("Pay by Friday.", dt.date(2026, 7, 17)),
    ("Pay by tomorrow.", dt.date(2026, 7, 16)),
    ("Please pay by the end of the month.", dt.date(2026, 7, 31)),
    ("You have 2 days to pay.", dt.date(2026, 7, 17)),
    ("Pague antes del 20 de julio.", dt.date(2026, 7, 20)),
    ("Pay by January 5.", dt.date(2027, 1, 5)),
])
def test_deadlines_resolve_to_dates(text, due):
    found = deadlines(text, TODAY, "es" if "Pague" in text else "en")
    assert found and found[0].due(TODAY, dt.datetime(2026, 7, 15, 15, tzinfo=dt.timezone.utc)) == due


def test_spans_in_hours_count_from_the_send_time():
    (found,) = deadlines("Pay within 48 hours.", TODAY)
    sent = dt.datetime(2026, 7, 15, 23, tzinfo=dt.timezone.utc)
    assert found.span == dt.timedelta(hours=48)
    assert found.due(TODAY, sent) == dt.date(2026, 7, 17)


def test_no_deadline_without_a_payment_word():
    assert deadlines("Call or write to us by August 14, 2026, to dispute the debt.", TODAY) == ()


# -- properties -----------------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_scanner_never_raises_on_any_text(text):
    found = scan(text)
    assert isinstance(found.labels, frozenset)
    deadlines(text, TODAY)


_ASCII = st.characters(min_codepoint=32, max_codepoint=126)


@pytest.mark.parametrize("k", range(len(lexicon.ENTRIES)))
def test_keys_never_hide_a_match(k):
    """Whatever text an entry's regex matches carries one of the entry's key words (or a masked word)."""
    entry = lexicon.ENTRIES[k]

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(re.compile(lexicon.LEXICON[k][2]), fullmatch=True, alphabet=_ASCII))
    def check(text):
        folded = fold(f"x {text.lower()} y")
        if entry.regex.search(folded):
            assert k in lexicon.triggered(folded), (entry.label, folded)

    check()


def test_a_random_link_token_is_not_read_as_language():
    """A portal link's random token ("..._fk", "...Sh1t...") is a link, not words; the words around it still count."""
    link = "Your full validation notice: http://127.0.0.1:5000/p/dh0Lhp6HQbiWGkw_dFYMplmSQ7cvO2tu_fk"
    assert not scan(link).rule("CONTENT-2")
    assert not scan("See www.example.com/fuck-this-token-xyz for details").rule("CONTENT-2")
    assert scan(f"{link} pay up you fuck").rule("CONTENT-2")
