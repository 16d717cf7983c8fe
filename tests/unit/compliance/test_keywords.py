"""OPT-1 / OPT-2 / OPT-7 / OPT-8 keyword reading (app/services/compliance/keywords.py)."""
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.compliance.keywords import PER_SE, KeywordResult, classify, normalize


@pytest.mark.parametrize("raw, expected", [
    ("stop.", "stop"),
    ("  STOP!!! 🙏", "stop"),
    ("\tStop\n", "stop"),
    ("ＳＴＯＰ", "stop"),  # NFKC: full-width letters
    ("Opt-Out", "opt out"),
    ("optout!", "opt out"),
    ("opt   out", "opt out"),
    ("¡¡Basta ya!!", "basta ya"),
    ("no   más", "no más"),
    ("🛑 unsubscribe 🛑", "unsubscribe"),
    ("...", ""),
])
def test_normalize_follows_opt1(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("text", sorted(PER_SE) + ["STOP", "Stop.", "  STOP!!! 🙏", "Opt-out", "OPTOUT", "StopAll",
                                                   "REMOVE", "cancel!", "QUIT", "End", "Revoke", "UNSUBSCRIBE."])
def test_per_se_keywords(text):
    r = classify(text)
    assert (r.opt_out, r.per_se, r.uncertain, r.rule) == (True, True, False, "OPT-1")


@pytest.mark.parametrize("text", ["Stop texting me please", "no more texts", "Please stop", "stop it now",
                                  "don't text me anymore", "Do not contact me again", "remove me from your list",
                                  "take me off your list", "I don't want any more messages", "leave me alone",
                                  "stop sending me messages", "No, stop texting me", "stop stop stop",
                                  "opt me out", "cancel my subscription",
                                  "can you stop the reminders? my husband reads them",
                                  "unsub", "UNSUB pls", "stp", "Stopp", "unsub me"])
def test_reasonable_means_english(text):
    r = classify(text)
    assert r.opt_out and not r.per_se and r.rule == "OPT-2" and not r.uncertain, r


@pytest.mark.parametrize("text", ["alto", "ALTO", "para", "PARAR", "detener", "CANCELAR", "baja", "No más", "no mas",
                                  "basta", "Basta ya", "alto por favor", "No me envíen más mensajes",
                                  "dejen de escribirme", "quiero darme de baja", "no quiero recibir mensajes",
                                  "déjenme en paz", "Basta de mensajes", "bórrenme de su lista",
                                  "quítenme de la lista por favor"])
def test_reasonable_means_spanish(text):
    r = classify(text)
    assert r.opt_out and r.rule == "OPT-2" and r.language == "es" and not r.uncertain, r


@pytest.mark.parametrize("text", [
    "please don't stop, send the payment link",
    "don't stop texting me",
    "no dejes de escribirme",
    "what is my balance?",
    "necesito un plan para pagar",  # "para" = "for"
    "el monto es muy alto",  # "alto" = "high"
    "la cuota es más baja",  # "baja" = "lower"
    "I want to cancel my payment plan",
    "What if I stop paying?",
    "the end of the month works",
    "step 2 of the payment form",  # "stp" and "unsub" count as typed keywords, not as letters inside words
    "is the unsubscribed list the same as the do not call list?",
    "ok",
    "",
])
def test_not_an_opt_out(text):
    r = classify(text)
    assert not r.opt_out and not r.uncertain, r


@pytest.mark.parametrize("text", ["Stop. Who is this?", "how do I unsubscribe?", "stop with this"])
def test_unsure_is_an_opt_out_for_review(text):
    r = classify(text)
    assert r.uncertain and r.opt_out and r.rule == "OPT-2", r


@pytest.mark.parametrize("text, lang", [("START", "en"), ("unstop", "en"), ("Yes", "en"), ("YES!", "en"),
                                        ("Sí", "es"), ("si", "es"), ("yes please", "en"), ("Sí, por favor", "es")])
def test_opt_in_keywords(text, lang):
    r = classify(text)
    assert r.opt_in and not r.opt_out and not r.help and r.rule == "OPT-7" and r.language == lang


@pytest.mark.parametrize("text", ["yes I can pay $50", "start a payment plan", "si puedo pagar", "restart"])
def test_opt_in_only_as_the_whole_message(text):
    assert not classify(text).opt_in


@pytest.mark.parametrize("text, lang", [("HELP", "en"), ("info", "en"), ("Info.", "en"), ("Ayuda", "es"),
                                        ("help please", "en")])
def test_help_keywords(text, lang):
    r = classify(text)
    assert r.help and not r.opt_out and r.rule == "OPT-8" and r.language == lang


def test_help_with_a_question_is_not_the_keyword():
    assert not classify("help me understand this bill").help


def test_opt_out_wins_over_help_and_opt_in():
    r = classify("STOP HELP")
    assert r.opt_out and not r.help and not r.opt_in


def test_result_is_frozen_and_labels():
    r = classify("stop")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.opt_out = False  # type: ignore[misc]
    assert isinstance(r, KeywordResult) and r.label == "opt_out"
    assert classify("START").label == "opt_in" and classify("HELP").label == "help" and classify("hi").label is None


_EDGE = st.text(alphabet=" \t\n.!?,;:-*~🙏🛑😡👍", max_size=6)


@given(word=st.sampled_from(sorted(PER_SE)), left=_EDGE, right=_EDGE, upper=st.booleans())
def test_per_se_survives_edge_noise(word, left, right, upper):
    """OPT-1: whitespace, punctuation and emoji around a per-se word never hide it."""
    r = classify(f"{left}{word.upper() if upper else word}{right}")
    assert r.opt_out and r.per_se


@given(st.text(max_size=40))
def test_classify_never_fails_and_uncertain_implies_opt_out(text):
    r = classify(text)
    assert not r.uncertain or r.opt_out
    assert not (r.opt_out and (r.opt_in or r.help))


def test_opt_2_a_time_or_place_after_the_request_is_a_designation_not_an_opt_out():
    """Scenarios 22 and 87 expect TIME-4 / WORK-2 deferrals: the text names when or where, not "never"."""
    for text in ("don't text me before noon", "Don't contact me at work, I work 9-5 weekdays",
                 "don't send me texts before 9am", "no me escriban antes de las 10"):
        assert not classify(text).opt_out, text
    for text in ("don't text me anymore after this", "stop texting me", "no me escriban mas"):
        assert classify(text).opt_out, text
