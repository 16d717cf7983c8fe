"""Do the deterministic rules decide the safety-critical messages whatever the model says?

`tiny_engine` is trained on a corpus with no cease, attorney, bankruptcy or hostile examples at all: the model
cannot produce those labels, so any that comes out was the rules' doing."""
from __future__ import annotations

import pytest

from app.services.ai import rules
from app.services.ai.local import LocalEngine
from app.services.ai.model_store import ModelStore
from tests.ai.conftest import TINY_CORPUS


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory):
    engine = LocalEngine(ModelStore(tmp_path_factory.mktemp("tiny") / "model.joblib", TINY_CORPUS))
    engine.warm()
    assert engine.store.trained_here
    return engine


@pytest.mark.parametrize("text, intent, fired", [
    ("dejen de llamarme, no me vuelvan a contactar", "cease_contact", rules.CEASE),
    ("No me molesten más por favor", "cease_contact", rules.CEASE),
    ("STOP", "cease_contact", rules.STOP),
    ("unsubscribe", "cease_contact", rules.STOP),
    ("My attorney is Dana Ruiz, call her at (555) 201-3344", "attorney_represented", rules.ATTORNEY),
    ("talk to my lawyer 555-201-3344", "attorney_represented", rules.ATTORNEY),
    ("mi abogado es el Lic. Pérez, 555 201 3344", "attorney_represented", rules.ATTORNEY),
    ("I filed chapter 7 last month", "bankruptcy", rules.BANKRUPTCY),
    ("we are in ch. 13, talk to the trustee", "bankruptcy", rules.BANKRUPTCY),
    ("me declaré en bancarrota", "bankruptcy", rules.BANKRUPTCY),
    ("I know where you live", "hostile", rules.THREAT),
    ("te voy a matar", "hostile", rules.THREAT),
])
def test_rules_override_a_model_that_cannot_say_it(tiny_engine, text, intent, fired):
    reading = tiny_engine.read(text)
    assert fired in reading.rules
    assert reading.model_intent in ("payment_plan", "balance_inquiry", "other")
    assert reading.intent == intent
    assert reading.confidence == 1.0
    assert not reading.low_confidence


def test_threats_and_abuse_make_the_sentiment_hostile_and_escalate(tiny_engine):
    for text in ("I'll kill you", "you f***ing scammers", "son unos rateros", "go to hell"):
        reading = tiny_engine.read(text)
        assert reading.sentiment == "hostile", text
        assert "hostile_sentiment" in reading.reasons, text
    wrong = tiny_engine.read("wrong f***ing number")
    assert wrong.sentiment == "hostile" and rules.ABUSE in wrong.rules
    assert rules.ABUSE not in wrong.rules or wrong.intent != "cease_contact"  # abuse sets no intent


def test_lawsuit_words_escalate_without_changing_the_label(tiny_engine):
    reading = tiny_engine.read("how much do I owe? I'm going to take you to court")
    assert reading.intent == "balance_inquiry"
    assert "legal_matter" in reading.reasons and reading.escalate
    assert tiny_engine.read("how much do I owe?").reasons == ()


def test_a_workplace_objection_is_not_read_as_a_cease(tiny_engine):
    reading = tiny_engine.read("stop calling me at work")
    assert rules.WORKPLACE in reading.rules and rules.CEASE in reading.rules
    assert reading.intent == "workplace_objection"


def test_when_several_rules_fire_the_model_picks_among_them_and_every_one_counts(engine):
    reading = engine.read("my lawyer says stop contacting me, I filed chapter 7")
    assert {rules.CEASE, rules.ATTORNEY, rules.BANKRUPTCY} <= set(reading.rules)
    assert reading.intent in {"attorney_represented", "bankruptcy", "cease_contact"}
    assert reading.intent == max(("attorney_represented", "bankruptcy", "cease_contact"),
                                 key=lambda label: engine.store.get().classifiers.predict(
                                     "my lawyer says stop contacting me, I filed chapter 7")[0].scores[label])
    assert "intent" in reading.reasons  # attorney and bankruptcy escalate whichever label won


@pytest.mark.parametrize("text, intent", [
    ("I'm disputing this. This is not my debt.", "dispute"),
    ("no es mi deuda, no reconozco esta cuenta", "dispute"),
    ("I already paid this off in March, check your records", "already_paid"),
    ("ya lo pagué el mes pasado, tengo el recibo", "already_paid"),
])
def test_the_gates_dispute_reading_allows_dispute_or_already_paid(engine, text, intent):
    reading = engine.read(text)
    assert rules.DISPUTE in reading.rules
    assert reading.intent == intent


def test_a_third_party_or_wrong_number_is_a_wrong_person(engine):
    for text in ("wrong number, no one here by that name", "soy su esposa, él no está"):
        reading = engine.read(text)
        assert rules.WRONG_PARTY in reading.rules and reading.intent == "wrong_person", text


def test_a_long_reasonable_means_opt_out_is_left_to_the_model():
    """"stop texting, email me instead" revokes texts (the gate enforces that); it is not a cease of all contact."""
    assert rules.STOP not in rules.read("stop texting me here, email me instead please").fired
    assert rules.STOP in rules.read("Stop please").fired


@pytest.mark.parametrize("text", ["START", "yes", "HELP", "Ayuda"])
def test_a_bare_keyword_is_left_to_the_messaging_pipeline(engine, text):
    reading = engine.read(text)
    assert reading.rules == (rules.KEYWORD,) and reading.intent == "other" and reading.confidence == 1.0


@pytest.mark.parametrize("text", ["can I pay 100 a month?", "cuánto debo", "I lost my job", "who is this"])
def test_ordinary_messages_fire_no_rule(text):
    assert rules.read(text).fired == ()


@pytest.mark.parametrize("text", [
    "STOP TEXTING ME OR ELSE", "keep texting and see what happens", "say that to my face", "i dare you to call again",
    "hope your whole company burns to the ground", "no me vuelvan a contactar o se arrepienten",
    "sigan chingando y van a ver", "ya tengo su dirección", "nos vemos en el infierno", "dímelo en la cara",
])
def test_threats_without_a_weapon_word_are_threats(text):
    assert rules.THREAT in rules.read(text).fired


@pytest.mark.parametrize("text", ["ch1nga tu madre", "vete a la v3rga", "you heartless $cumbags", "bola de inútiles",
                                  "no tienen madre", "pinches inhumanos", "quién chingados es?"])
def test_abuse_in_masked_and_spanish_forms_is_abuse(text):
    assert rules.ABUSE in rules.read(text).fired


@pytest.mark.parametrize("text", ["I will pay 3 or 4 hundred", "see you on the 15th to pay", "te veo el 15 para pagar",
                                  "can I come to your office to pay?", "what happens if I miss a payment?",
                                  "ya veo, gracias, luego pago", "I have your address on file?",
                                  "I'll pay friday or else monday", "I got your address from the letter, check is coming",
                                  "ya tengo su dirección para mandar el cheque", "ya van a ver mi pago el lunes"])
def test_ordinary_words_near_the_threat_idioms_are_not_threats(text):
    assert not rules.read(text).hostile


@pytest.mark.parametrize("text", ["hola", "ty", "ok thx 👍", "Buenas tardes!", "gracias, igualmente", "got it, thanks",
                                  "jaja ok", "good morning 🙂"])
def test_greetings_and_thanks_alone_are_small_talk(engine, text):
    reading = engine.read(text)
    assert reading.rules == (rules.SMALL_TALK,)
    assert reading.intent == "other" and reading.confidence == 1.0
    assert reading.sentiment != "hostile" and not reading.escalate


@pytest.mark.parametrize("text", ["🤡🤡🤡", "ok STOP", "gracias pendejos", "thanks, how much do I owe?",
                                  "hola, no soy yo"])
def test_small_talk_is_only_small_talk(text):
    assert rules.SMALL_TALK not in rules.read(text).fired


def test_a_request_for_the_original_creditor_is_a_dispute(engine):
    for text in ("who is the original creditor?", "¿quién es el acreedor original?"):
        reading = engine.read(text)
        assert rules.ORIGINAL_CREDITOR in reading.rules, text
        assert reading.intent in ("dispute", "already_paid"), text
