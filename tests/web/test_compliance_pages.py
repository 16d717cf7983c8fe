"""The compliance pages in the browser: the account file's Compliance tab and its forms, the /compliance report and
the business's compliance settings; who may open and post each, inline errors, and the audit rows they leave."""
import datetime as dt
import random
import string
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (Account, AuditLog, ComplianceDecision, ConsentEvent, DebtDispute, DoNotContact, OptOutEvent,
                        User)
from app.services.compliance import store
from app.services.compliance.facts import Attempt
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def _business():
    """A business whose name has no digits (a digit run in a message is masked by PRIV-4, which would change the
    standard message's verdict)."""
    return gen_business("Agency " + "".join(random.choice(string.ascii_lowercase) for _ in range(10)))


def _account(business, **fields):
    """A New York debtor (10:00 local at NOW) with a creditor and an attested SMS consent."""
    account = gen_account(business, original_creditor="Mercy General Hospital", **fields)
    db.session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel="sms", address=account.phone,
                                granted=True, source="creditor_attested", evidence={"via": "import"},
                                occurred_at=NOW - dt.timedelta(days=30)))
    db.session.commit()
    return account


def _check(html: str, channel: str) -> str:
    """The outcome the 'Can we contact now?' card shows for a channel."""
    card = html.split(f'id="check-{channel}"', 1)[1]
    return re.search(r'data-outcome="([a-z_]+)"', card).group(1)


def _post(client, account, section, data, item=None, htmx=True):
    suffix = "" if item is None else f"-{item}"
    path = f"/accounts/{account.id}/compliance/{section}" + ("" if item is None else f"/{item}")
    return client.post(path, data={f"{section}{suffix}-{k}": v for k, v in data.items()}, headers=HX if htmx else {})


def _actions(account) -> list[str]:
    return db.session.scalars(select(AuditLog.action).where(AuditLog.resource_id == account.id)
                              .order_by(AuditLog.seq)).all()


# -- the Compliance tab ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["business_admin", "manager", "agent"])
def test_the_tab_answers_can_we_contact_now_for_each_channel(client, clock, role):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, role), clock)
    html = client.get(f"/accounts/{account.id}?tab=compliance").get_data(as_text=True)
    assert "Can we contact now?" in html and "Contact flags" in html
    assert _check(html, "sms") == "allow" and _check(html, "whatsapp") == "block"
    assert "America/New_York" in html and "10:00" in html
    assert db.session.scalar(select(db.func.count()).select_from(ComplianceDecision)) == 0, "nothing is stored"
    editing = 'id="consent-grant-channel"' in html
    assert editing == (role != "agent")
    assert 'id="opt-out-received_at"' in html, "every staff role records an opt-out"


def test_a_deferred_check_names_the_next_allowed_time_in_the_debtor_zone(client, clock):
    business = _business()
    account = _account(business)
    clock.set(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.timezone.utc))  # 22:00 in New York
    sign_in(client, gen_user(business, "manager"), clock)
    html = client.get(f"/accounts/{account.id}?tab=compliance").get_data(as_text=True)
    assert _check(html, "sms") == "defer"
    assert "Next allowed:" in html and "Wed 08:00" in html and "TIME-1" in html


def test_an_opt_out_received_by_phone_blocks_sms_at_once_and_is_audited(client, clock):
    business = _business()
    account = _account(business)
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    response = _post(client, account, "opt-out", {"received_via": "voice", "received_at": "2026-11-25T09:30",
                                                  "tz": "America/New_York", "note": "Please stop texting me"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Opt-out recorded" in html
    assert _check(html, "sms") == "block" and "OPT-3" in html
    event = db.session.scalars(select(OptOutEvent)).one()
    assert event.received_at == dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.timezone.utc)
    assert event.channel == "voice" and event.scope == "all" and event.rule_id == "OPT-9"
    assert event.actor_user_id == manager.id and event.effective_at == NOW
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "opt_out_recorded")).one()
    assert row.resource_id == account.id and row.meta["late"] is False
    assert "Please stop" not in json.dumps(row.changes), "what the debtor said is sealed"


def test_an_opt_out_recorded_after_24_hours_is_kept_and_flagged(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "agent"), clock)
    response = _post(client, account, "opt-out", {"received_via": "mail", "received_at": "2026-11-23T10:00"})
    assert response.status_code == 200 and "more than 24 hours" in response.get_data(as_text=True)
    assert "recorded late" in response.get_data(as_text=True)


def test_forms_show_inline_errors(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "business_admin"), clock)
    missing = _post(client, account, "opt-out", {"received_via": "voice", "received_at": ""})
    assert missing.status_code == 400 and 'id="opt-out-received_at-error"' in missing.get_data(as_text=True)
    future = _post(client, account, "opt-out", {"received_via": "voice", "received_at": "2026-11-27T10:00"})
    assert future.status_code == 400 and "in the future" in future.get_data(as_text=True)
    no_evidence = _post(client, account, "consent-grant", {"channel": "sms", "address": account.phone,
                                                            "granted_at": "2026-11-20", "source": "oral"})
    html = no_evidence.get_data(as_text=True)
    assert no_evidence.status_code == 400 and 'id="consent-grant-evidence-error"' in html and "CONSENT-1" in html
    assert 'aria-invalid="true"' in html and "<details class=\"record-form\" open>" in html
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "consent_granted")).first()


def test_a_plain_post_redirects_or_shows_the_page_with_errors(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    ok = _post(client, account, "cease", {"received_at": "2026-11-24", "cease_type": "refuse_to_pay",
                                          "channel": "mail"}, htmx=False)
    assert ok.status_code == 302 and ok.headers["Location"].endswith("tab=compliance#compliance-cease")
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Cease recorded" in page and _check(page, "sms") == "block" and "CEASE-1" in page
    bad = _post(client, account, "dnc-add", {"kind": "phone", "value": "+13055550000"}, htmx=False)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "<html" in html and 'id="dnc-add-value-error"' in html


def test_agents_record_protections_in_their_queue_and_nothing_else(client, clock):
    business = _business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    mine = _account(business, assigned_agent_id=agent.id)
    theirs = _account(business, assigned_agent_id=other.id)
    sign_in(client, agent, clock)
    assert _post(client, mine, "cease", {"received_at": "2026-11-25", "cease_type": "cease"}).status_code == 200
    assert _post(client, mine, "attorney-mention", {"mentioned_at": "2026-11-25", "note": "Call my lawyer"}
                 ).status_code == 200
    assert _post(client, mine, "dispute", {"kind": "dispute", "received_at": "2026-11-25", "written": "y"}
                 ).status_code == 200
    db.session.expire_all()
    refreshed = db.session.get(Account, mine.id)
    assert refreshed.cease_received_at and refreshed.attorney_pending and refreshed.dispute_status == "open"
    for section, data in (("dnc-add", {"kind": "account"}), ("cease-withdraw", {"reason": "oops"}),
                          ("attorney-review", {"decision": "clear", "reason": "no"}),
                          ("consent-grant", {"channel": "sms"}), ("stops", {"bankruptcy": "y"}),
                          ("collection", {"time_barred": "false"})):
        assert _post(client, mine, section, data).status_code == 403, section
    dispute = db.session.scalars(select(DebtDispute)).one()
    assert _post(client, mine, "dispute-answer", {"answered_at": "2026-11-25"}, item=dispute.id).status_code == 403
    assert client.get(f"/accounts/{theirs.id}?tab=compliance").status_code == 403
    assert _post(client, theirs, "opt-out", {"received_via": "voice", "received_at": "2026-11-25T09:00"}
                 ).status_code == 403
    assert not db.session.scalars(select(OptOutEvent)).first()


def test_another_business_account_is_not_found(client, clock):
    account = _account(_business())
    sign_in(client, gen_user(_business(), "business_admin"), clock)
    assert _post(client, account, "opt-out", {"received_via": "voice", "received_at": "2026-11-25T09:00"}
                 ).status_code == 404
    assert _post(client, account, "dnc-remove", {"reason": "x"}, item="account-flag").status_code == 404
    assert client.post(f"/accounts/{account.id}/compliance/no-such-section", headers=HX).status_code == 404


def test_do_not_contact_is_added_and_removed_by_a_manager_with_a_reason(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    added = _post(client, account, "dnc-add", {"kind": "account", "reason": "Debtor asked on the phone"})
    assert added.status_code == 200 and _check(added.get_data(as_text=True), "sms") == "block"
    entry = db.session.scalars(select(DoNotContact)).one()
    assert db.session.get(Account, account.id).do_not_contact
    no_reason = _post(client, account, "dnc-remove", {"reason": ""}, item=entry.id)
    assert no_reason.status_code == 400 and f'id="dnc-remove-{entry.id}-reason-error"' in no_reason.get_data(
        as_text=True)
    removed = _post(client, account, "dnc-remove", {"reason": "Added to the wrong file"}, item=entry.id)
    assert removed.status_code == 200 and _check(removed.get_data(as_text=True), "sms") == "allow"
    db.session.expire_all()
    assert db.session.get(DoNotContact, entry.id).removed_at == NOW
    assert not db.session.get(Account, account.id).do_not_contact
    assert {"do_not_contact_added", "do_not_contact_removed"} <= set(_actions(account))


def test_the_cease_candidate_and_the_attorney_mention_are_reviewed_by_a_manager(client, clock):
    business = _business()
    account = _account(business, cease_candidate_at=NOW - dt.timedelta(hours=2))
    sign_in(client, gen_user(business, "manager"), clock)
    html = client.get(f"/accounts/{account.id}?tab=compliance").get_data(as_text=True)
    assert "Cease waiting for review" in html and _check(html, "sms") == "block"
    cleared = _post(client, account, "cease-review", {"decision": "clear"})
    assert cleared.status_code == 400 and "Say why" in cleared.get_data(as_text=True)
    confirmed = _post(client, account, "cease-review", {"decision": "confirm", "cease_type": "cease"})
    assert confirmed.status_code == 200 and "Cease confirmed" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Account, account.id)
    assert stored.cease_candidate_at is None and stored.cease_received_at == NOW - dt.timedelta(hours=2)

    _post(client, account, "attorney-mention", {"mentioned_at": "2026-11-25"})
    early = _post(client, account, "attorney-review", {"decision": "confirm"})
    assert early.status_code == 400 and "Record the attorney" in early.get_data(as_text=True)
    saved = _post(client, account, "attorney", {"name": "Lee & Partners LLP", "address": "1 Main St, Albany NY",
                                                "email": "counsel@lee.example", "known_at": "2026-11-24"})
    assert saved.status_code == 200 and "Lee &amp; Partners LLP" in saved.get_data(as_text=True)
    confirmed = _post(client, account, "attorney-review", {"decision": "confirm"})
    assert confirmed.status_code == 200 and "ATTY-1" in confirmed.get_data(as_text=True)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "attorney_saved")).one()
    assert "Lee" not in json.dumps(row.changes) and "Lee" not in json.dumps(row.meta), "attorney details are sealed"


def test_disputes_are_recorded_and_answered(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "business_admin"), clock)
    too_much = _post(client, account, "dispute", {"kind": "dispute", "received_at": "2026-11-24", "written": "y",
                                                  "portion": "99999.00"})
    assert too_much.status_code == 400 and 'id="dispute-portion-error"' in too_much.get_data(as_text=True)
    ok = _post(client, account, "dispute", {"kind": "dispute", "received_at": "2026-11-24", "written": "y",
                                            "channel": "mail", "portion": "100.50"})
    assert ok.status_code == 200 and "collection is on hold" in ok.get_data(as_text=True)
    dispute = db.session.scalars(select(DebtDispute)).one()
    assert dispute.portion == Decimal("100.50") and dispute.within_vp
    answered = _post(client, account, "dispute-answer", {"answered_at": "2026-11-25"}, item=dispute.id)
    assert answered.status_code == 200 and "Answered 2026-11-25" in answered.get_data(as_text=True)
    assert db.session.get(Account, account.id).dispute_status == "verified"
    assert ["dispute_recorded", "dispute_answered"] == [a for a in _actions(account) if a.startswith("dispute")]


def test_workplace_hours_and_inconvenient_times(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    same = _post(client, account, "inconvenient-add", {"start": "09:00", "end": "09:00", "weekdays": "2"})
    assert same.status_code == 400 and 'id="inconvenient-add-end-error"' in same.get_data(as_text=True)
    added = client.post(f"/accounts/{account.id}/compliance/inconvenient-add", headers=HX, data={
        "inconvenient-add-start": "09:00", "inconvenient-add-end": "12:00", "inconvenient-add-weekdays": ["1", "2"]})
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "09:00–12:00 Tue, Wed" in html and _check(html, "sms") == "defer"
    assert "TIME-4" in html
    removed = _post(client, account, "inconvenient-remove", {}, item=0)
    assert removed.status_code == 200 and _check(removed.get_data(as_text=True), "sms") == "allow"
    work = client.post(f"/accounts/{account.id}/compliance/workplace", headers=HX, data={
        "workplace-objected_at": "2026-11-20", "workplace-start": "09:00", "workplace-end": "17:00",
        "workplace-weekdays": ["0", "1", "2", "3", "4"]})
    assert work.status_code == 200 and "working hours 09:00–17:00 Mon–Fri" in work.get_data(as_text=True)
    assert _check(work.get_data(as_text=True), "sms") == "defer"
    assert {"inconvenient_time_added", "inconvenient_time_removed", "workplace_objection_saved"} <= set(
        _actions(account))


def test_account_level_facts_are_saved_and_audited(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "business_admin"), clock)
    assert _post(client, account, "stops", {"deceased": "y", "representative_address": "estate@example.com"}
                 ).status_code == 200
    assert _post(client, account, "privacy", {"ccpa": "denied"}).status_code == 400
    assert _post(client, account, "privacy", {"ccpa": "denied", "ccpa_denied_reason": "GLBA-covered data",
                                              "marketing_objection": "y"}).status_code == 200
    assert _post(client, account, "email-facts", {"provenance": "consumer_consent", "is_work": "y",
                                                  "employer_domain": "acme.example"}).status_code == 200
    assert _post(client, account, "consent-dates", {"nyc_consent_at": "2026-11-01", "esign_consent_at": "2026-11-02"}
                 ).status_code == 200
    refused = _post(client, account, "collection", {"time_barred": "unknown", "legal_action_approved": "y"})
    assert refused.status_code == 400 and "TBD-1" in refused.get_data(as_text=True)
    final = _post(client, account, "collection", {"time_barred": "false", "legal_action_approved": "y"})
    assert final.status_code == 200 and _check(final.get_data(as_text=True), "sms") == "block"  # deceased: ACCT-2
    db.session.expire_all()
    a = db.session.get(Account, account.id)
    assert a.deceased and a.representative_address == "estate@example.com" and a.ccpa_denied_reason
    assert a.marketing_objection_at == NOW and a.email_provenance == "consumer_consent" and a.email_is_work
    assert a.nyc_consent_at.date() == dt.date(2026, 11, 1) and a.time_barred == "false" and a.legal_action_approved
    assert {"account_stops_updated", "privacy_updated", "email_facts_updated", "consent_dates_updated",
            "collection_flags_updated"} <= set(_actions(account))


def test_consent_is_granted_and_withdrawn_per_address(client, clock):
    business = _business()
    account = _account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    granted = _post(client, account, "consent-grant", {"channel": "whatsapp", "address": account.phone,
                                                       "granted_at": "2026-11-24", "source": "oral",
                                                       "evidence": "rec-42"})
    whatsapp = granted.get_data(as_text=True).split('id="check-whatsapp"')[1].split("</article>")[0]
    assert granted.status_code == 200 and "no WhatsApp opt-in" not in whatsapp
    revoked = _post(client, account, "consent-revoke", {"channel": "sms", "address": account.phone,
                                                        "revoked_at": "2026-11-25", "source": "oral"})
    html = revoked.get_data(as_text=True)
    assert revoked.status_code == 200 and _check(html, "sms") == "block" and "Withdrawn" in html
    assert not db.session.get(Account, account.id).sms_consent
    assert ["consent_granted", "consent_revoked"] == [a for a in _actions(account) if a.startswith("consent_")]


# -- /compliance --------------------------------------------------------------------------------------------------
def _decisions(business, account, *, times=((NOW, "sms"),)):
    principal = Principal(business_id=business.id, role="manager")
    for when, channel in times:
        store.evaluate(db.session, Attempt(business_id=business.id, account_id=account.id, channel=channel,
                                           to_address=account.email if channel == "email" else account.phone,
                                           body="Hello", now=when, kind="agent"), principal=principal)
    db.session.commit()


@pytest.mark.parametrize("role,status", [("business_admin", 200), ("manager", 200), ("agent", 403),
                                         ("super_admin", 200)])
def test_the_compliance_page_follows_the_permission_matrix(client, clock, role, status):
    business = _business()
    user = gen_user(None if role == "super_admin" else business, role)
    sign_in(client, user, clock)
    assert client.get("/compliance/").status_code == status
    nav = client.get("/dashboard").get_data(as_text=True)
    assert ('href="/compliance/"' in nav) == (status == 200)


def test_an_empty_report_says_what_to_do(client, clock):
    sign_in(client, gen_user(_business(), "manager"), clock)
    html = client.get("/compliance/").get_data(as_text=True)
    assert "No decisions yet" in html and "once messages are sent" in html and "Can we contact now?" in html
    assert 'href="/accounts/"' in html


def test_the_report_counts_decisions_by_day_outcome_and_rule_for_this_business_only(client, clock):
    business, other = _business(), _business()
    account = _account(business, email=None)
    _decisions(business, account, times=((NOW, "sms"), (NOW - dt.timedelta(days=3), "sms"),
                                         (NOW.replace(hour=3), "whatsapp")))
    _decisions(other, _account(other), times=((NOW, "sms"),) * 4)
    sign_in(client, gen_user(business, "manager"), clock)
    html = client.get("/compliance/?range=7").get_data(as_text=True)
    chart = json.loads(re.search(r'<script type="application/json" id="decisions-chart-data">(.*?)</script>', html,
                                 re.S).group(1))
    assert chart["labels"][-1] == "2026-11-25" and len(chart["labels"]) == 7
    total = sum(sum(s["values"]) for s in chart["series"])
    assert total == 3, "the other business's decisions are not counted"
    assert "<script>" not in html.replace('<script type="application/json"', ""), "no inline script"
    assert 'data-stacked-chart="decisions-chart-data"' in html and "js/compliance-chart.js" in html
    assert f'/accounts/{account.id}?tab=compliance' in html and "CONSENT-2" in html

    partial = client.get("/compliance/?range=7&channel=whatsapp", headers={**HX, "HX-Target": "compliance-report"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and 'id="compliance-report"' in body and "1 decision from" in body
    by_rule = client.get("/compliance/?rule=CONSENT-2").get_data(as_text=True)
    assert "1 decision from" in by_rule
    nothing = client.get("/compliance/?outcome=allow&channel=mail").get_data(as_text=True)
    assert "No decisions match these filters" in nothing
    lenient = client.get("/compliance/?range=13&channel=pigeon&rule=<b>")
    assert lenient.status_code == 200 and "30 days" in lenient.get_data(as_text=True)


# -- /settings/compliance -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role,status", [("business_admin", 200), ("manager", 403), ("agent", 403)])
def test_compliance_settings_are_for_business_admins(client, clock, role, status):
    sign_in(client, gen_user(_business(), role), clock)
    assert client.get("/settings/compliance").status_code == status
    nav = client.get("/settings/profile").get_data(as_text=True)
    assert ('href="/settings/compliance"' in nav) == (status == 200)


def test_settings_refuse_a_raised_cap_and_a_wider_window_inline(client, clock):
    business = _business()
    sign_in(client, gen_user(business, "business_admin"), clock)
    page = client.get("/settings/compliance").get_data(as_text=True)
    assert "Platform default: 3" in page and "CONSENT-3" in page and "FREQ-7" in page
    raised = client.post("/settings/compliance", data={"cap_freq_2": "9"})
    html = raised.get_data(as_text=True)
    assert raised.status_code == 400 and 'id="cap_freq_2-error"' in html and "can only be lowered" in html
    wider = client.post("/settings/compliance", data={"window_start": "07:00"})
    assert wider.status_code == 400 and 'id="window_start-error"' in wider.get_data(as_text=True)
    db.session.refresh(business)
    assert not (business.settings or {}).get("compliance")
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "compliance_settings_updated")).first()


def test_settings_save_lower_caps_and_switches_audited_once(client, clock):
    business = _business()
    admin = gen_user(business, "business_admin")
    sign_in(client, admin, clock)
    untouched = {"window_start": "08:00", "window_end": "21:00", "attorney_wait_days": "30"}
    assert client.post("/settings/compliance", data=untouched).status_code == 302
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "compliance_settings_updated")).first()
    saved = client.post("/settings/compliance", data={**untouched, "cap_freq_2": "2", "window_end": "20:00",
                                                      "consent3_blocking": "y", "dispute_address": "PO Box 1",
                                                      "support_email": "help@acme.example"})
    assert saved.status_code == 302
    db.session.refresh(business)
    stored = business.settings["compliance"]
    assert stored["caps"] == {"FREQ-2": 2} and stored["window_end"] == "20:00" and stored["consent3_blocking"]
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "compliance_settings_updated")).all()
    assert len(rows) == 1 and rows[0].user_id == admin.id and "caps" in rows[0].meta["changes"]
    page = client.get("/settings/compliance").get_data(as_text=True)
    assert 'value="2"' in page and "Compliance settings saved." in page
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
