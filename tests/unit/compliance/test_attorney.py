"""ATTY-1..4: a represented consumer is reached through the attorney (COMPLIANCE.md 1.3, D-6)."""
from app.services.compliance.decision import ALLOW, BLOCK, INFO
from app.services.compliance.facts import Attorney, History, Inbound
from app.services.compliance.gate import decide
from app.services.compliance.inbound import observe
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import PHONE, at, attempt, debtor, facts, policy

ATTY_RULES = ("ATTY-1", "ATTY-2", "ATTY-3", "ATTY-4")
LAWYER_EMAIL = "counsel@smithlaw.example"
LAWYER_MAIL = "Smith Law LLP, 1 Main St, New York, NY 10001"
ATTORNEY_EMAIL_BODY = ("Dear Counsel,\n\nWe write about the account of your client Ana Ruiz with Acme Recovery.\n\n"
                       "This communication is from a debt collector.\n"
                       "To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


def lawyer(**changes):
    base = dict(name="Jane Smith, Esq.", address=LAWYER_MAIL, email=LAWYER_EMAIL, known_at=at("2026-07-01T15:00Z"))
    return Attorney(**{**base, **changes})


def to_attorney(now="2026-07-15T15:00Z", **changes):
    base = dict(channel="email", recipient="attorney", to_address=LAWYER_EMAIL, purpose="attorney_comm",
                body=ATTORNEY_EMAIL_BODY, subject="Your client Ana Ruiz")
    return attempt(now=now, **{**base, **changes})


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_077_represented_debtor_sms_is_blocked():
    decision = decide(attempt(), facts(debtor(attorney=lawyer())))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "ATTY-1")


def test_scenario_078_email_to_the_attorney_at_22_local_is_allowed():
    decision = decide(to_attorney(now="2026-07-16T02:00Z"), facts(debtor(attorney=lawyer())))  # 22:00 EDT
    assert decision.issue("ATTY-1") is None
    assert INFO in severities(decision, "ATTY-2")
    assert decision.outcome == ALLOW, decision.issues


def test_scenario_079_represented_ca_debtor_web_chat_reply_is_blocked():
    chat = "chat-ca-1"
    d = debtor(state="CA", zip="90012", city="Los Angeles", attorney=lawyer(),
               authenticated_addresses=frozenset({chat}))
    inbound = Inbound(id="in-79", channel="web_chat", received_at=at("2026-07-15T17:59Z"),
                      body="What is my balance?", address=chat)
    for kind in ("ai", "agent"):
        reply = attempt(now="2026-07-15T18:00Z", channel="web_chat", to_address=chat, kind=kind, in_reply_to="in-79",
                        body="Your balance is $412.50. This communication is from a debt collector.")
        decision = decide(reply, facts(d, history=History(inbound=(inbound,))))
        assert decision.outcome == BLOCK
        assert BLOCK in severities(decision, "ATTY-1")
        assert BLOCK in severities(decision, "ATTY-4")


def test_scenario_080_attorney_consent_to_direct_contact_allows_sms():
    d = debtor(attorney=lawyer(consented_direct_at=at("2026-07-05T15:00Z")))
    decision = decide(attempt(), facts(d))
    assert decision.outcome == ALLOW, decision.issues
    assert INFO in severities(decision, "ATTY-1")


def test_scenario_081_debtor_texts_my_lawyer_handles_this_blocks_collection():
    inbound = Inbound(id="in-81", channel="sms", received_at=at("2026-07-15T14:00Z"),
                      body="my lawyer handles this", address=PHONE)
    after = observe(facts(), inbound)
    assert after.debtor.attorney_pending_at == inbound.received_at
    for message in (attempt(), attempt(channel="email"), attempt(kind="ai", in_reply_to="in-81")):
        decision = decide(message, after)
        assert decision.outcome == BLOCK
        assert BLOCK in severities(decision, "ATTY-3")


# -- ATTY-1 ---------------------------------------------------------------------------------------------------
def test_atty1_silent_without_attorney():
    assert decide(attempt(), facts(), rules=only(*ATTY_RULES)).outcome == ALLOW


def test_atty1_attorney_silent_past_the_wait_lifts_the_block():
    d = debtor(attorney=lawyer(last_contact_sent_at=at("2026-06-15T15:00Z")))  # 30 days before 07-15T15:00Z
    decision = decide(attempt(), facts(d), rules=only(*ATTY_RULES))
    assert decision.outcome == ALLOW
    assert "did not respond" in decision.issue("ATTY-1").detail


def test_atty1_wait_not_over_yet():
    d = debtor(attorney=lawyer(last_contact_sent_at=at("2026-06-15T15:00:01Z")))
    assert decide(attempt(), facts(d), rules=only("ATTY-1")).outcome == BLOCK


def test_atty1_attorney_who_responded_keeps_the_block():
    d = debtor(attorney=lawyer(last_contact_sent_at=at("2026-05-01T15:00Z"), responded_at=at("2026-05-03T15:00Z")))
    assert decide(attempt(), facts(d), rules=only("ATTY-1")).outcome == BLOCK


def test_atty1_wait_follows_the_business_setting():
    d = debtor(attorney=lawyer(last_contact_sent_at=at("2026-07-01T15:00Z")))
    assert decide(attempt(), facts(d, policy(attorney_wait_days=10)), rules=only("ATTY-1")).outcome == ALLOW
    assert decide(attempt(), facts(d, policy(attorney_wait_days=20)), rules=only("ATTY-1")).outcome == BLOCK


def test_atty1_future_consent_does_not_count():
    d = debtor(attorney=lawyer(consented_direct_at=at("2026-07-20T15:00Z")))
    assert decide(attempt(), facts(d), rules=only("ATTY-1")).outcome == BLOCK


# -- ATTY-2 ---------------------------------------------------------------------------------------------------
def test_atty2_other_address_is_blocked():
    decision = decide(to_attorney(to_address="someone@else.example"), facts(debtor(attorney=lawyer())),
                      rules=only(*ATTY_RULES))
    assert decision.outcome == BLOCK and decision.issue("ATTY-2").severity == BLOCK


def test_atty2_no_attorney_on_file_is_a_third_party():
    assert decide(to_attorney(), facts(), rules=only(*ATTY_RULES)).outcome == BLOCK


def test_atty2_only_email_or_mail():
    decision = decide(to_attorney(channel="sms", to_address="+12125550177"), facts(debtor(attorney=lawyer())),
                      rules=only("ATTY-2"))
    assert decision.outcome == BLOCK


def test_atty2_mail_to_the_address_on_file_passes():
    message = to_attorney(channel="mail", to_address="  smith law llp, 1 main st,  new york, ny 10001")
    assert decide(message, facts(debtor(attorney=lawyer())), rules=only(*ATTY_RULES)).outcome == ALLOW


def test_atty2_email_address_case_is_ignored():
    message = to_attorney(to_address=LAWYER_EMAIL.upper())
    assert decide(message, facts(debtor(attorney=lawyer())), rules=only(*ATTY_RULES)).outcome == ALLOW


# -- ATTY-3 / ATTY-4 ------------------------------------------------------------------------------------------
def test_atty3_pending_does_not_stop_writing_to_the_attorney():
    d = debtor(attorney=lawyer(), attorney_pending_at=at("2026-07-14T15:00Z"))
    assert decide(to_attorney(), facts(d), rules=only(*ATTY_RULES)).outcome == ALLOW


def test_atty3_silent_without_pending():
    assert decide(attempt(), facts(), rules=only("ATTY-3")).issue("ATTY-3") is None


def test_atty4_only_for_california():
    inbound = Inbound(id="in-1", channel="sms", received_at=at("2026-07-15T14:55Z"), body="?", address=PHONE)
    d = debtor(attorney=lawyer())
    history = History(inbound=(inbound,))
    decision = decide(attempt(in_reply_to="in-1"), facts(d, history=history), rules=only(*ATTY_RULES))
    assert decision.outcome == BLOCK and decision.issue("ATTY-4") is None


def test_atty4_silent_when_the_exception_lifted_atty1():
    inbound = Inbound(id="in-1", channel="sms", received_at=at("2026-07-15T14:55Z"), body="?", address=PHONE)
    d = debtor(state="CA", zip="90012", attorney=lawyer(consented_direct_at=at("2026-07-01T15:00Z")))
    history = History(inbound=(inbound,))
    decision = decide(attempt(in_reply_to="in-1"), facts(d, history=history), rules=only(*ATTY_RULES))
    assert decision.outcome == ALLOW and decision.issue("ATTY-4") is None
