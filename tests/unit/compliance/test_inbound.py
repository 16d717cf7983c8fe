"""Inbound free text: what it means (classify / analyze) and what it changes (observe)."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.services.compliance.decision import BLOCK
from app.services.compliance.facts import Attorney, Blackout, Cease, Dispute, History, Inbound, Validation
from app.services.compliance.gate import decide
from app.services.compliance.inbound import analyze, classify, observe, within_validation_period
from tests.unit.compliance.builders import EMAIL, PHONE, at, attempt, debtor, email, facts, phone

T = dt.time
ALL_DAYS = frozenset(range(7))
WEEKDAYS = frozenset(range(5))


def message(body, channel="sms", address=PHONE, received="2026-07-15T14:00Z", id_="in-1"):
    return Inbound(id=id_, channel=channel, received_at=at(received), body=body, address=address)


# -- labels ---------------------------------------------------------------------------------------------------
LABELLED = {
    "cease": ["stop contacting me", "Leave me alone!", "I'm not paying", "I refuse to pay this", "Do not contact me.",
              "Dejen de llamarme", "déjenme en paz", "No voy a pagar", "cease and desist"],
    "attorney": ["my lawyer handles this", "Talk to my attorney", "Contact Smith & Jones Law Firm",
                 "John Doe, Esq.", "Baker Price LLP represents me", "I have a lawyer now", "Mi abogado se encarga",
                 "tengo un abogado"],
    "dispute": ["not my debt", "This isn't my debt", "wrong amount", "I dispute this", "I don't owe this",
                "No es mi deuda", "el monto es incorrecto"],
    "original_creditor_request": ["who is the original creditor?", "¿Quién es el acreedor original?"],
    "wrong_party": ["wrong number", "Not me", "you have the wrong person", "Número equivocado", "no soy yo"],
    "third_party": ["this is his wife, he's not here", "I'm her mother", "Soy su esposa", "él no está"],
    "workplace_objection": ["don't contact me at work", "Please stop calling me at work",
                            "my employer doesn't allow personal calls", "no me llamen al trabajo"],
}
NOT_LABELLED = {
    "cease": ["don't contact me at work", "don't contact me before 10am", "I can't pay right now", "STOP",
              "Stop texting me please", "what do I owe?"],
    "attorney": ["I don't have a lawyer", "do I need a lawyer?"],
    "dispute": ["what is my balance?", "can I dispute later?", "how do I dispute this?"],
    "wrong_party": ["do not message me", "that's me"],
    "inconvenient_time": ["busy, can't talk now", "call me after 5", "I'll pay after 6pm", "can't talk now, driving"],
    "stated_location": ["me fui a la tienda", "I'm in a meeting", "I moved to Texas"],
}


@pytest.mark.parametrize("label,text", [(label, t) for label, texts in LABELLED.items() for t in texts])
def test_classify_finds_the_label(label, text):
    assert label in classify(text)


@pytest.mark.parametrize("label,text", [(label, t) for label, texts in NOT_LABELLED.items() for t in texts])
def test_classify_does_not_overreach(label, text):
    assert label not in classify(text)


# Realistic phrasings the readings once missed: D-17 (a request to stop all contact), the attorney rule (a debtor
# who says they are represented, however they spell or punctuate it) and WORK-1 (a workplace objection that names
# the job rather than "at work").
PHRASINGS = {
    "cease": ["LEAVE ME THE F*** ALONE", "no further contact", "quit hounding me", "end all communication with me",
              "please leave me and my family alone", "I don't want any contact with you", "remove me from your list",
              "Solicito el cese de toda comunicación", "ya no quiero ningún contacto con ustedes",
              "bórrenme de su lista"],
    "attorney": ["my atty is handling this acct", "lawyer: 555-0165", "my lawer", "my attorney's number is 555-0190",
                 "I have legal representation", "Greene & Ortiz represents me", "Estoy representada por una abogada",
                 "tengo representación legal", "el lic. Ramírez me representa", "me representa la licenciada Soto"],
    "workplace_objection": ["stop calling my job", "DO NOT CALL MY JOB", "don't text my work phone",
                            "no me vuelvan a llamar al trabajo", "dejen de llamar a mi oficina",
                            "no busquen en mi trabajo"],
}
PHRASINGS_NOT = {
    "cease": ["no more texts at night please", "i don't want to end up in collections again",
              "stop contact at my job", "remove the late fee from my account", "ya no quiero pagar intereses",
              "quiero hablar con alguien de la lista de pagos"],
    "attorney": ["do I need a lawyer?", "I can't afford a lawyer", "who represents the creditor?",
                 "¿necesito un abogado?", "no tengo abogado", "esa cantidad no me representa nada"],
    "workplace_objection": ["call me after work", "I work at the hospital", "my job is on hold",
                            "salgo del trabajo a las 5, llámenme después"],
}


@pytest.mark.parametrize("label,text", [(label, t) for label, texts in PHRASINGS.items() for t in texts])
def test_realistic_phrasings_are_read(label, text):
    assert label in classify(text)


@pytest.mark.parametrize("label,text", [(label, t) for label, texts in PHRASINGS_NOT.items() for t in texts])
def test_realistic_phrasings_do_not_overreach(label, text):
    assert label not in classify(text)


@pytest.mark.parametrize("text,window", [
    ("don't text me before noon", (T(0), T(12), ALL_DAYS)),
    ("no messages after 6pm", (T(18), T(0), ALL_DAYS)),
    ("Don't call me between 1 and 3", (T(13), T(15), ALL_DAYS)),
    ("please don't text me before 9:30 a.m.", (T(0), T(9, 30), ALL_DAYS)),
    ("no me escriban antes de las 10", (T(0), T(10), ALL_DAYS)),
    ("No me llamen después de las 8 de la noche", (T(20), T(0), ALL_DAYS)),
    ("don't text me on weekends", (T(0), T(0), frozenset({5, 6}))),
    ("don't call me in the morning", (T(0), T(12), ALL_DAYS)),
])
def test_inconvenient_time_window_is_parsed(text, window):
    parsed = analyze(text)
    assert "inconvenient_time" in parsed.labels
    assert [(b.start, b.end, b.weekdays) for b in parsed.blackouts] == [window]


def test_only_between_gives_the_two_sides():
    parsed = analyze("only text me between 10 and 4")
    assert [(b.start, b.end) for b in parsed.blackouts] == [(T(0), T(10)), (T(16), T(0))]


def test_night_shift_without_hours_goes_to_review():
    assert classify("I work nights") == frozenset({"inconvenient_time_review"})


@pytest.mark.parametrize("text,zone", [
    ("I live in LA now", "America/Los_Angeles"), ("I moved to Denver last month", "America/Denver"),
    ("vivo en Chicago", "America/Chicago"), ("ahora vivo en Los Ángeles", "America/Los_Angeles"),
    ("I'm on Eastern time", "America/New_York"), ("I'm in Phoenix now", "America/Phoenix"),
    ("we moved to Honolulu", "Pacific/Honolulu"),
])
def test_stated_location_gives_a_zone(text, zone):
    parsed = analyze(text)
    assert "stated_location" in parsed.labels and parsed.zone == zone


def test_spanish_article_la_is_not_los_angeles():
    assert analyze("me mudé a la casa de mi mamá").zone is None


@pytest.mark.parametrize("text,hours", [
    ("don't contact me at work, I work 9–5 weekdays", (T(9), T(17), WEEKDAYS)),
    ("Don't text me at work. I work from 7 to 3, Monday to Friday", (T(7), T(15), WEEKDAYS)),
    ("no me llamen al trabajo, trabajo de 8 a 4 de lunes a viernes", (T(8), T(16), WEEKDAYS)),
    ("don't call me at work, my shift is 10pm-6am", (T(22), T(6), ALL_DAYS)),
])
def test_work_hours_are_parsed(text, hours):
    parsed = analyze(text)
    assert "workplace_objection" in parsed.labels
    assert [(b.start, b.end, b.weekdays) for b in parsed.work_hours] == [hours]
    assert not parsed.blackouts


def test_keywords_are_folded_in():
    assert "opt_out" in classify("STOP") and analyze("STOP").opt_out_rule == "OPT-1"
    assert "opt_out" in classify("Stop texting me please") and analyze("Stop texting me please").opt_out_rule == "OPT-2"
    assert "opt_in" in classify("START")
    assert "help" in classify("HELP")
    assert "opt_out" not in classify("please don't stop, send the payment link")


def test_uncertain_keywords_count_as_opt_out_for_review():
    labels = classify("Stop. Who is this?")
    assert {"opt_out", "opt_out_uncertain"} <= labels


# -- texts of the time family's scenarios ----------------------------------------------------------------------
def test_inbound_text_of_scenario_011_sets_los_angeles():
    after = observe(facts(debtor(state="CA", zip=None)), message("I live in LA now", channel="web_chat",
                                                                  address="chat-1", received="2026-07-10T18:00Z"))
    assert (after.debtor.stated_tz, after.debtor.stated_tz_at) == ("America/Los_Angeles", at("2026-07-10T18:00Z"))


def test_inbound_text_of_scenario_022_is_a_noon_blackout():
    after = observe(facts(), message("don't text me before noon"))
    (blackout,) = after.debtor.inconvenient_times
    assert (blackout.start, blackout.end, blackout.designated_at) == (T(0), T(12), at("2026-07-15T14:00Z"))


def test_inbound_text_of_scenario_023_is_not_a_designation():
    after = observe(facts(), message("busy, can't talk now", received="2026-07-14T14:00Z"))
    assert after.debtor.inconvenient_times == ()
    assert "inconvenient_time" not in after.history.inbound[-1].labels


def test_inbound_text_of_scenario_026_is_an_evening_blackout():
    (blackout,) = analyze("no messages after 6pm").blackouts
    assert (blackout.start, blackout.end) == (T(18), T(0))


# -- observe --------------------------------------------------------------------------------------------------
def test_observe_appends_the_labelled_inbound():
    before = facts(history=History(inbound=(message("hi", id_="in-0", received="2026-07-14T14:00Z"),)))
    after = observe(before, message("wrong number"))
    assert [m.id for m in after.history.inbound] == ["in-0", "in-1"]
    assert after.history.inbound[-1].labels == frozenset({"wrong_party"})
    assert before.history.inbound[-1].labels == frozenset()


def test_observe_keeps_labels_the_pipeline_already_set():
    inbound = Inbound(id="in-1", channel="sms", received_at=at("2026-07-15T14:00Z"), body="ok", address=PHONE,
                      labels=frozenset({"attorney"}))
    after = observe(facts(), inbound)
    assert after.debtor.attorney_pending_at == at("2026-07-15T14:00Z")


def test_observe_keeps_the_earliest_cease_candidate():
    earlier = at("2026-07-01T14:00Z")
    after = observe(facts(debtor(cease_candidate_at=earlier)), message("leave me alone"))
    assert after.debtor.cease_candidate_at == earlier


def test_observe_sets_cease_candidate_and_attorney_pending():
    after = observe(facts(), message("I'm not paying, talk to my attorney"))
    assert after.debtor.cease_candidate_at == at("2026-07-15T14:00Z")
    assert after.debtor.attorney_pending_at == at("2026-07-15T14:00Z")


def test_observe_adds_disputes_with_the_validation_period():
    d = debtor(validation=Validation(notice_sent_at=at("2026-07-01T14:00Z"), period_end=dt.date(2026, 8, 7)))
    after = observe(facts(d), message("wrong amount. who is the original creditor?"))
    kinds = {(x.kind, x.within_vp, x.written) for x in after.debtor.disputes}
    assert kinds == {("dispute", True, True), ("original_creditor", True, True)}


def test_validation_period_runs_until_its_last_day_ends_anywhere_in_the_us():
    end = dt.date(2026, 8, 7)
    assert within_validation_period(at("2026-08-08T10:59Z"), end)  # 23:59 on 08-07 in American Samoa
    assert not within_validation_period(at("2026-08-08T11:00Z"), end)
    assert within_validation_period(at("2027-01-01T00:00Z"), None)


def test_observe_voice_transcript_dispute_is_not_written():
    after = observe(facts(), message("this is not my debt", channel="voice"))
    (dispute,) = after.debtor.disputes
    assert not dispute.written


def test_observe_wrong_party_marks_the_number_and_drops_its_authentication():
    d = debtor(authenticated_addresses=frozenset({"+1 (212) 555-0143", "chat-9"}))
    after = observe(facts(d), message("this is his wife", address="(212) 555-0143"))
    assert after.debtor.unverified_addresses == frozenset({PHONE})
    assert after.debtor.authenticated_addresses == frozenset({"chat-9"})
    assert [p.verified for p in after.debtor.phones] == [False]


def test_observe_wrong_party_by_email_marks_the_email():
    after = observe(facts(), message("Wrong person, I don't know her", channel="email", address=EMAIL.upper()))
    assert EMAIL in after.debtor.unverified_addresses
    assert [e.verified for e in after.debtor.emails] == [False]
    assert [p.verified for p in after.debtor.phones] == [True]


def test_observe_workplace_hours_later_message_adds_hours():
    d = debtor(workplace_objection_at=at("2026-07-01T14:00Z"))
    after = observe(facts(d), message("I work 8-4 on weekdays now"))
    assert after.debtor.workplace_objection_at == at("2026-07-01T14:00Z")
    assert [(b.start, b.end) for b in after.debtor.work_hours] == [(T(8), T(16))]


def test_observe_work_hours_alone_are_not_an_objection():
    after = observe(facts(), message("I work 9-5"))
    assert after.debtor.workplace_objection_at is None and after.debtor.work_hours == ()


def test_observe_records_a_per_se_opt_out():
    after = observe(facts(), message("STOP", address="(212) 555-0143"))
    (optout,) = after.history.optouts
    assert (optout.action, optout.scope, optout.rule_id, optout.address, optout.channel) == \
        ("opt_out", "all", "OPT-1", PHONE, "sms")
    assert optout.received_at == optout.effective_at == at("2026-07-15T14:00Z")


def test_observe_records_a_reasonable_means_opt_out_from_email():
    after = observe(facts(), message("stop texting me", channel="email", address=EMAIL))
    (optout,) = after.history.optouts
    assert (optout.rule_id, optout.scope, optout.channel) == ("OPT-2", "all", "email")


def test_observe_records_an_opt_in():
    after = observe(facts(), message("START"))
    (optin,) = after.history.optouts
    assert (optin.action, optin.channel, optin.address) == ("opt_in", "sms", PHONE)


def test_observe_refreshes_text_and_whatsapp_windows():
    after = observe(facts(), message("hola", channel="whatsapp", received="2026-07-15T14:00Z"))
    assert after.debtor.whatsapp_last_inbound_at == at("2026-07-15T14:00Z")
    assert after.debtor.phones[0].last_inbound_text_at == at("2026-07-15T14:00Z")
    by_email = observe(facts(), message("hola", channel="email", address=EMAIL))
    assert by_email.debtor.phones == facts().debtor.phones and by_email.debtor.whatsapp_last_inbound_at is None


def test_observe_with_nothing_to_say_changes_only_history():
    before = facts()
    after = observe(before, message("thanks!"))
    assert after.debtor.phones[0].last_inbound_text_at == at("2026-07-15T14:00Z")
    assert after.history.optouts == () and after.debtor.disputes == ()
    assert after.debtor.cease_candidate_at is None and after.debtor.attorney_pending_at is None


# -- property: observe never lifts a BLOCK ----------------------------------------------------------------------
LEXICON = [t for texts in LABELLED.values() for t in texts] + [
    "don't text me before noon", "no messages after 6pm", "I live in LA now", "I work 9-5 weekdays",
    "STOP", "stop texting me", "HELP", "busy, can't talk now", "what's my balance?", "ok",
]
OLD_SMS = Inbound(id="old-sms", channel="sms", received_at=at("2026-07-15T14:50Z"), body="what do I owe?",
                  address=PHONE)
OLD_CHAT = Inbound(id="old-chat", channel="web_chat", received_at=at("2026-07-15T14:50Z"), body="balance?",
                   address="chat-1")
LAWYER = Attorney(name="Jane Smith", email="counsel@smithlaw.example", address="1 Main St")
BASES = [
    debtor(),
    debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z")),)),
    debtor(attorney=LAWYER),
    debtor(state="CA", zip="90012", attorney=LAWYER),
    debtor(validation=Validation(notice_sent_at=at("2026-07-01T14:00Z"), period_end=dt.date(2026, 8, 7)),
           disputes=(Dispute(received_at=at("2026-07-11T14:00Z")),)),
    debtor(workplace_objection_at=at("2026-07-01T14:00Z"),
           work_hours=(Blackout(start=T(9), end=T(17), weekdays=WEEKDAYS),)),
    debtor(unverified_addresses=frozenset({PHONE}), phones=(phone(verified=False),)),
    debtor(cease_candidate_at=at("2026-07-14T14:00Z")),
    debtor(attorney_pending_at=at("2026-07-14T14:00Z")),
    debtor(dnc=True),
    debtor(bankruptcy=True),
    debtor(emails=(email(is_work=True, provenance="creditor_notice"),)),
]
BALANCE = "Acme Recovery: your balance is $412.50. This communication is from a debt collector. Reply STOP to opt out."
ATTEMPTS = [
    attempt(),
    attempt(channel="email"),
    attempt(kind="ai", in_reply_to="old-sms", body=BALANCE),
    attempt(channel="web_chat", to_address="chat-1", kind="ai", in_reply_to="old-chat", body=BALANCE),
    attempt(channel="email", kind="transactional", purpose="receipt"),
    attempt(channel="email", purpose="cease_terminate", template="cease_terminate"),
    attempt(channel="email", recipient="attorney", to_address="counsel@smithlaw.example", purpose="attorney_comm"),
    attempt(channel="email", kind="agent", purpose="verification"),
    attempt(purpose="marketing"),
]
SOURCES = [("sms", PHONE), ("sms", "+13105550177"), ("email", EMAIL), ("web_chat", "chat-1"), ("voice", PHONE)]

noise = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
texts = st.tuples(st.lists(st.one_of(st.sampled_from(LEXICON), noise), min_size=1, max_size=4),
                  st.sampled_from([" ", ". ", ", ", "\n"])).map(lambda parts: parts[1].join(parts[0]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, base=st.sampled_from(BASES), source=st.sampled_from(SOURCES))
def test_observe_never_lifts_a_block(text, base, source):
    assume("opt_in" not in classify(text))  # START re-opts in by design (OPT-7)
    channel, address = source
    before = facts(base, history=History(inbound=(OLD_SMS, OLD_CHAT)))
    after = observe(before, Inbound(id="new", channel=channel, received_at=at("2026-07-15T14:55Z"), body=text,
                                    address=address))
    for a in ATTEMPTS:
        first = decide(a, before)
        if first.outcome != BLOCK:
            continue
        second = decide(a, after)
        assert second.outcome == BLOCK, (text, a, first.issues, second.issues)
        blocked_then = {i.rule for i in first.issues if i.severity == BLOCK}
        blocked_now = {i.rule for i in second.issues if i.severity == BLOCK}
        assert blocked_then <= blocked_now, (text, a, blocked_then - blocked_now)
