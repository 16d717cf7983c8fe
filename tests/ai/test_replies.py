"""Do the assistant's reviewed replies pass the deterministic gate as they are sent, state only the account's own
figures, and stay quiet about the debt to a stranger?

Each reply is rendered from a realistic account and decided the way the pipeline decides it: compose.complete
appends the snippets the gate asks for (REQUIRE_CONTENT) and decides again. The facts are built in memory as the
gate's own tests build them (tests/unit/compliance/builders.py), and once more loaded from the database for a real
account (DbLoader)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import ConsentEvent, Conversation, Message
from app.services.ai import handling as h
from app.services.ai import replies as r
from app.services.compliance import compose
from app.services.compliance.decision import ALLOW, BLOCK
from app.services.compliance.facts import History, Inbound, Itemization, Validation
from app.services.compliance.gate import decide
from app.services.compliance.loader import DbLoader
from app.services.compliance.rules.cease import approved_template
from app.services.compliance.rules.third_party import has_debt_content
from app.services.payments import plan_policy, plans
from app.services.payments.plan_policy import DEFAULTS
from tests.factories import gen_account, gen_business
from tests.unit.compliance import builders as b

NOW = b.at("2026-07-15T15:00Z")  # 11:00 in New York
BALANCE = Decimal("1250.00")
PORTAL = "https://pay.example.com/p/Xk3v9"
BRAND = "Acme Recovery"
INBOUND_ID = "in-1"
ADDRESS = {"sms": b.PHONE, "email": b.EMAIL}
MONEY = re.compile(r"\$[\d,]+\.\d{2}")


def offer(text: str = "can I pay 100 a month?", balance: Decimal = BALANCE) -> h.Offer:
    return h.offer(text, DEFAULTS, balance, start=NOW.date())


def reply_facts(channel: str, proposals=()) -> r.ReplyFacts:
    return r.ReplyFacts(business_name=BRAND, balance=BALANCE, portal_url=PORTAL, creditor="First Bank",
                        proposals=tuple(proposals), support_contact="+18005550100", channel=channel)


def gate_facts(lang: str, channel: str, proposals=(), **debtor):
    """The New York debtor of the gate's tests, owing BALANCE, who wrote to us a minute ago on `channel`."""
    inbound = Inbound(id=INBOUND_ID, channel=channel, received_at=NOW - dt.timedelta(minutes=1), body="hola",
                      address=ADDRESS[channel])
    d = b.debtor(balance=BALANCE, original_balance=BALANCE, preferred_language=lang, **debtor)
    return r.with_offer(b.facts(d, history=History(inbound=(inbound,))), proposals)


def attempt_for(key: str, text: str, lang: str, channel: str):
    spec = r.send_spec(key)
    return b.attempt(channel=channel, body=text, kind=spec.kind, purpose=spec.purpose, template=spec.template,
                     language=lang, in_reply_to=INBOUND_ID, portal_link=spec.portal_link,
                     subject=r.subject(key, lang, BRAND) if channel == "email" else None)


def sent(key: str, lang: str, channel: str, facts=None, text: str | None = None):
    """The reply as the pipeline would send it: the final attempt and the gate's decision."""
    found = offer()
    facts = facts or gate_facts(lang, channel, found.proposals)
    text = text if text is not None else r.render(h.Plan(key, False, None), lang, reply_facts(channel,
                                                                                              found.proposals))
    attempt, decision, _ = compose.complete(attempt_for(key, text, lang, channel), facts)
    return attempt, decision


def stopping(decision) -> list[tuple[str, str]]:
    return [(i.rule, i.detail) for i in decision.issues if i.severity in (BLOCK, "defer", "require_content")]


# -- every template, both languages, SMS and email ----------------------------------------------------------------
@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("key", [k for k in h.REPLY_KEYS if k not in (h.WRONG_PERSON, h.CEASE_ACK)])
def test_every_ai_reply_is_allowed_as_sent(key, lang, channel):
    attempt, decision = sent(key, lang, channel)
    assert r.send_spec(key).kind == "ai"
    assert decision.outcome == ALLOW, stopping(decision)
    assert decision.issue("CONTENT-12") is None
    assert BRAND in attempt.body


@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_first_contact_replies_take_the_required_disclosures(lang, channel):
    """PRD 9.2.3: a reply that is the first communication carries the mini-Miranda and the debt details."""
    facts = gate_facts(lang, channel, offer().proposals, validation=Validation(),
                       itemization=Itemization(date=dt.date(2026, 4, 30), date_type="last statement date"))
    for key in (h.PLAN_OPTIONS, h.BALANCE, h.HANDOFF):
        attempt, decision = sent(key, lang, channel, facts=facts)
        assert decision.outcome == ALLOW, (key, stopping(decision))
        assert ("Esto es un intento de cobrar una deuda" if lang == "es"
                else "This is an attempt to collect a debt") in attempt.body


def test_replies_inside_the_validation_period_pass():
    """A plan offer with dates is no payment deadline (DISPUTE-3) while the debtor may still dispute."""
    for key in (h.PLAN_OPTIONS, h.HARDSHIP_OPTIONS, h.PAY_LINK, h.DISPUTE):
        facts = gate_facts("en", "sms", offer().proposals,
                           validation=replace(b.debtor().validation, period_end=dt.date(2026, 8, 20)))
        _, decision = sent(key, "en", "sms", facts=facts)
        assert decision.outcome == ALLOW, (key, stopping(decision))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_replies_fit_two_sms_before_disclosures(lang):
    facts = reply_facts("sms", offer().proposals)
    for key in h.REPLY_KEYS:
        text = r.render(h.Plan(key, False, None), lang, facts)
        assert len(text) <= r.SMS_BUDGET[lang], (key, len(text))


# -- amounts ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [h.BALANCE, h.PAY_LINK, h.PAYMENT_FOUND, h.PLAN_OPTIONS])
def test_a_wrong_amount_is_blocked_by_the_amount_rule(key):
    """The same template with one figure off by a dollar does not go out: CONTENT-6, and CONTENT-12 for the AI."""
    _, good = sent(key, "en", "sms")
    assert good.outcome == ALLOW
    text = r.render(h.Plan(key, False, None), "en", reply_facts("sms", offer().proposals))
    wrong = MONEY.findall(text)[-1]
    value = Decimal(wrong[1:].replace(",", "")) + 1
    _, decision = sent(key, "en", "sms", text=text.replace(wrong, f"${value:,.2f}"))
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-6") is not None and decision.issue("CONTENT-6").severity == BLOCK
    assert decision.issue("CONTENT-12") is not None


def test_plan_figures_pass_only_as_offered():
    """Without the offered figures among the account's plan amounts the gate blocks the options: they are checked,
    not waved through."""
    found = offer()
    text = r.render(h.Plan(h.PLAN_OPTIONS, False, None), "en", reply_facts("sms", found.proposals))
    facts = gate_facts("en", "sms")  # no offer
    _, decision = sent(h.PLAN_OPTIONS, "en", "sms", facts=facts, text=text)
    assert decision.outcome == BLOCK and decision.issue("CONTENT-6") is not None
    assert r.offered_amounts(found.proposals) <= r.with_offer(facts, found.proposals).debtor.plan_amounts


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("said", ["can I pay 100 a month?", "puedo dar $50 cada quincena", "I lost my job",
                                  "I can do 40 a week"])
def test_options_state_exactly_the_proposals_figures(said, lang):
    found = offer(said)
    expected = plans.proposals(DEFAULTS, BALANCE, affordable=found.affordable, frequency=found.frequency,
                               start=NOW.date())
    assert list(found.proposals) == expected and len(expected) == 3
    text = r.render(h.Plan(h.PLAN_OPTIONS, False, None), lang, reply_facts("sms", found.proposals))
    lines = [line for line in text.splitlines() if re.match(r"^\d\) ", line)]
    assert [line[:2] for line in lines] == ["1)", "2)", "3)"]
    for line, p in zip(lines, expected):
        figures = [Decimal(m[1:].replace(",", "")) for m in MONEY.findall(line)]
        want = ([p.down_payment] if p.down_payment > 0 else []) + [p.installment_amount]
        if p.last_installment_amount != p.installment_amount:
            want.append(p.last_installment_amount)
        assert figures == want, line
        assert f" {p.count} x " in line
        first = r.first_installment(p).due_date
        assert r.short_date(first, lang) in line
        assert r.PER[lang][p.frequency] in line
    assert MONEY.findall(text)[0] == "$1,250.00"  # the balance, then only the options' figures
    assert PORTAL in text


def test_the_debtors_amount_and_frequency_shape_the_options():
    found = offer("puedo dar $50 cada quincena")
    assert (found.affordable, found.frequency) == (Decimal("50"), "biweekly")
    assert any(p.fits_affordable for p in found.proposals)
    assert all(p.frequency == "biweekly" for p in found.proposals)
    weekly = offer("I can do 40 a week")
    assert weekly.frequency == "weekly" and weekly.affordable == Decimal("40")


def test_a_balance_too_small_for_a_plan_gets_the_pay_link():
    found = offer("can I pay 5 a month", balance=Decimal("20.00"))
    assert found.proposals == ()
    facts = replace(reply_facts("sms"), balance=Decimal("20.00"))
    text = r.render(h.Plan(h.PLAN_OPTIONS, False, None), "en", facts)
    assert text == r.TEMPLATES[h.PAY_IN_FULL]["en"].format(brand=BRAND, balance="$20.00", portal=PORTAL)


# -- the wrong person, the cease, the person ------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_wrong_person_reply_reveals_nothing_and_passes_to_the_unverified_address(lang, channel):
    text = r.render(h.plan("wrong_person", text="wrong number, I'm not Ana"), lang, reply_facts(channel,
                                                                                               offer().proposals))
    assert not has_debt_content(text)
    assert "$" not in text and "First Bank" not in text and "?" not in text and "¿" not in text
    assert not re.search(r"debt|deuda|balance|saldo|cuenta|account|pago|pay", text, re.IGNORECASE)
    assert ("Disculpe" if lang == "es" else "Sorry") in text
    # the address is already marked unverified by the time we answer (TP-2); the apology still goes, unchanged
    facts = gate_facts(lang, channel, unverified_addresses=frozenset({b.PHONE, b.EMAIL}))
    attempt, decision = sent(h.WRONG_PERSON, lang, channel, facts=facts, text=text)
    assert decision.outcome == ALLOW, stopping(decision)
    assert attempt.body == text
    assert not has_debt_content(f"{attempt.subject or ''} {attempt.body}")


def test_no_ai_draft_reaches_an_unverified_address():
    """Why the apology is the system's HELP-shaped reply: the gate blocks every AI draft to that address."""
    facts = gate_facts("en", "sms", unverified_addresses=frozenset({b.PHONE}))
    text = r.TEMPLATES[h.WRONG_PERSON]["en"].format(brand=BRAND, contact="+18005550100", where="number")
    decision = decide(replace(attempt_for(h.WRONG_PERSON, text, "en", "sms"), kind="ai", purpose="collection",
                              template=None), facts)
    assert decision.outcome == BLOCK and "recipient unverified" in decision.issue("CONTENT-12").detail


@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_cease_acknowledgement_is_the_approved_cease_template(lang, channel):
    """D-17: under the cease candidate only the CEASE-2(i) template passes, and this is it."""
    from app.services.channels.inbound import CEASE_ACK

    text = r.render(h.plan("cease_contact", text="stop contacting me"), lang, reply_facts(channel))
    assert text == CEASE_ACK[lang].format(brand=BRAND)
    spec = r.send_spec(h.CEASE_ACK)
    assert (spec.kind, spec.purpose) == ("system", "cease_terminate")
    assert approved_template(spec.purpose, spec.template)
    facts = gate_facts(lang, channel, cease_candidate_at=NOW - dt.timedelta(minutes=1))
    attempt, decision = sent(h.CEASE_ACK, lang, channel, facts=facts, text=text)
    assert decision.outcome == ALLOW, stopping(decision)
    assert "approved template" in decision.issue("CEASE-2").detail
    # the same text as an AI draft, or a free text under the cease, is blocked
    assert decide(replace(attempt, kind="ai"), facts).outcome == BLOCK
    assert decide(replace(attempt, template=None), facts).outcome == BLOCK


@pytest.mark.parametrize("lang", ["en", "es"])
def test_replies_say_an_automated_assistant_speaks_and_never_a_person(lang):
    facts = reply_facts("sms", offer().proposals)
    word = "asistente automático" if lang == "es" else "automated assistant"
    for key in (h.HANDOFF, h.HOSTILE, h.DISPUTE, h.OTHER):
        assert word in r.render(h.Plan(key, True, None), lang, facts)
    assert r.handoff_acknowledgement(lang, BRAND) == r.HANDOFF_ACK[lang].format(brand=BRAND)
    if lang == "en":
        assert "I'm connecting you with one of our specialists who can better assist you." in \
            r.handoff_acknowledgement(lang, BRAND)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_spanish_debtors_get_spanish_replies(lang):
    facts = reply_facts("sms", offer().proposals)
    spanish = re.compile(r"\b(su|saldo|pagos|usted|nuestro|nuestros|gracias|puede|para)\b", re.IGNORECASE)
    english = re.compile(r"\b(your|the|you|our|thank|can|with)\b", re.IGNORECASE)
    for key in h.REPLY_KEYS:
        text = r.render(h.Plan(key, False, None), lang, facts).replace(BRAND, "")
        if lang == "es":
            assert spanish.search(text) and not english.search(text), (key, text)
        else:
            assert english.search(text) and not spanish.search(text), (key, text)
    assert r.lang_of("es-MX") == "es" and r.lang_of("fr") == "en" and r.lang_of(None) == "en"


def test_attorney_and_bankruptcy_send_nothing():
    facts = reply_facts("sms")
    assert r.render(h.plan("attorney_represented", text="talk to my lawyer"), "en", facts) is None
    assert r.render(h.plan("bankruptcy", text="I filed chapter 7"), "es", facts) is None


# -- the real path: facts loaded for a real account -----------------------------------------------------------------
def _account_with_inbound(lang: str):
    business = gen_business(f"{BRAND} {uuid.uuid4().hex[:6]}")
    business.settings = {"compliance": {"support_phone": "+18005550100",
                                        "dispute_address": "PO Box 1, New York, NY 10001"}}
    account = gen_account(business, first_name="Ana", last_name="Ruiz", phone=b.PHONE, phone_type="cell",
                          email=b.EMAIL, email_provenance="consumer_consent", original_creditor="First Bank",
                          current_creditor="First Bank", current_balance=BALANCE, original_balance=BALANCE,
                          time_barred="false", preferred_language=lang, due_date=dt.date(2026, 4, 30),
                          initial_communication_at=b.at("2026-05-01T14:00Z"), initial_had_validation=True,
                          validation_notice_sent_at=b.at("2026-05-01T14:00Z"), validation_method="email",
                          validation_period_end=dt.date(2026, 6, 8))
    db.session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel="sms", address=b.PHONE,
                                granted=True, source="web", ip_address="203.0.113.9",
                                occurred_at=b.at("2026-01-02T15:00Z")))
    conversation = Conversation(business_id=business.id, account_id=account.id, channel="sms",
                                debtor_address=b.PHONE, last_inbound_at=NOW - dt.timedelta(minutes=1))
    db.session.add(conversation)
    db.session.flush()
    inbound = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="debtor", kind="inbound", channel="sms", direction="inbound",
                      content="puedo pagar 100 al mes", created_at=NOW - dt.timedelta(minutes=1),
                      delivery_status="received", from_address=b.PHONE)
    db.session.add(inbound)
    db.session.commit()
    return business, account, inbound


@pytest.mark.parametrize("lang", ["en", "es"])
def test_replies_pass_the_gate_with_facts_loaded_for_a_real_account(lang):
    business, account, inbound = _account_with_inbound(lang)
    policy = plan_policy.get(db.session, business.id)
    found = h.offer(inbound.content, policy, account.current_balance, start=NOW.date())
    assert len(found.proposals) == 3
    facts_for_reply = r.ReplyFacts(business_name=business.name, balance=account.current_balance,
                                   portal_url=PORTAL, creditor=account.original_creditor, proposals=found.proposals)
    loader = DbLoader(db.session)
    for key in (h.PLAN_OPTIONS, h.HARDSHIP_OPTIONS, h.BALANCE, h.PAY_LINK, h.HANDOFF, h.OTHER, h.DISPUTE):
        text = r.render(h.Plan(key, False, None), lang, facts_for_reply)
        spec = r.send_spec(key)
        attempt = b.attempt(channel="sms", body=text, kind=spec.kind, purpose=spec.purpose, language=lang,
                            in_reply_to=str(inbound.id), portal_link=spec.portal_link)
        attempt = replace(attempt, business_id=business.id, account_id=account.id)
        facts = r.with_offer(loader.load(attempt), found.proposals)
        assert facts.debtor.preferred_language == lang
        final, decision, _ = compose.complete(attempt, facts)
        assert decision.outcome == ALLOW, (key, stopping(decision))
        assert decision.is_reply
        if "$1,250.00" in text:
            wrong = final.body.replace("$1,250.00", "$1,205.00")
            assert decide(replace(final, body=wrong), facts).outcome == BLOCK
