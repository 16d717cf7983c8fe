"""Do the API and CSV import accept the compliance facts as optional fields (D-12, D-14), store them where the
gate's loader reads them, keep attorney details encrypted, and name the field when a value is wrong?"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, DebtDispute
from app.services.accounts import attorney as attorney_store
from app.services.compliance import decide
from app.services.compliance.facts import Attempt
from app.services.compliance.loader import DbLoader
from tests.api.helpers import api_login, bearer
from tests.factories import NOW, gen_business, gen_user

UTC = dt.timezone.utc
BODY = {"firstName": "Jane", "lastName": "Smith", "email": "jane@example.com", "phone": "(212) 555-0147",
        "state": "NY", "zip": "10001", "currentBalance": 1250.00, "originalBalance": 1500.00,
        "originalCreditor": "ABC Hospital", "smsConsent": True}
COMPLIANCE = {
    "emailProvenance": "consumer_consent", "emailIsWork": False, "employerDomain": "@Acme.example",
    "phoneType": "cell", "phoneRndCheckDate": "2026-11-01", "currentCreditor": "Debt Buyer LLC",
    "deceased": False, "bankruptcy": False, "representativeAddress": "Executor@Example.com",
    "legalActionApproved": False, "pastCreditReportingPeriod": True, "authorizedFees": [25.00, "35.5"],
    "attorneyName": "Lee Law", "attorneyEmail": "Lee@Law.example", "attorneyPhone": "(212) 555-0199",
    "attorneyAddress": "1 Court St, Brooklyn, NY 11201", "attorneyConsentDate": "2026-11-02T09:00:00Z",
    "disputeDate": "2026-11-20T10:00:00Z", "disputeAmount": 100.00, "disputeWritten": True,
    "nyc": True, "nycConsentDate": "2026-10-01", "esignConsentDate": "2026-10-02T12:00:00Z",
    "marketingConsentDate": "2026-10-03", "ccpaDeniedReason": "GLBA-covered data", "gdprScope": False,
    "marketingObjectionDate": "2026-10-04", "workplaceObjectionDate": "2026-10-05", "doNotWhatsapp": True,
    "ceaseType": "cease", "ceaseChannel": "mail", "ceaseAllDebts": False,
}


@pytest.fixture
def admin(client, clock):
    business = gen_business("Fields Co")
    user = gen_user(business, "business_admin")
    return business, bearer(api_login(client, user, clock)["token"])


def _account(data) -> Account:
    db.session.expire_all()
    return db.session.get(Account, uuid.UUID(data["id"]))


def _facts(account, channel="sms"):
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel=channel,
                      to_address=account.phone if channel != "email" else account.email, body="Hi", now=NOW)
    return attempt, DbLoader(db.session).load(attempt)


def test_create_accepts_every_compliance_field(client, admin, clock):
    business, headers = admin
    response = client.post("/api/v1/accounts", json={**BODY, **COMPLIANCE}, headers=headers)
    assert response.status_code == 201, response.get_json()
    account = _account(response.get_json()["data"])
    assert account.email_provenance == "consumer_consent" and account.employer_domain == "acme.example"
    assert account.phone_type == "cell" and account.phone_rnd_checked_at == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert account.representative_address == "executor@example.com" and account.current_creditor == "Debt Buyer LLC"
    assert account.authorized_fees == ["25.00", "35.50"] and account.past_credit_reporting_period is True
    assert account.nyc is True and account.nyc_consent_at == dt.datetime(2026, 10, 1, tzinfo=UTC)
    assert account.attorney_consented_direct_at == dt.datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert account.workplace_objection == {"at": "2026-10-05T00:00:00+00:00"}
    assert account.do_not_whatsapp is True and account.cease_all_debts is False
    assert "Lee Law" not in account.attorney_encrypted, "attorney details are stored encrypted"
    details = attorney_store.open_(account.id, account.attorney_encrypted)
    assert details["name"] == "Lee Law" and details["email"] == "lee@law.example"
    assert details["phone"] == "+12125550199" and details["knownAt"] == clock.now().isoformat()
    (dispute,) = db.session.scalars(select(DebtDispute).where(DebtDispute.account_id == account.id)).all()
    assert (dispute.kind, dispute.portion, dispute.written, dispute.within_vp) == (
        "dispute", Decimal("100.00"), True, True)
    assert account.dispute_status == "open" and account.disputed_at == dispute.received_at

    attempt, facts = _facts(account)
    d = facts.debtor
    assert d.attorney.name == "Lee Law" and d.attorney.consented_direct_at == account.attorney_consented_direct_at
    assert d.disputes[0].portion == Decimal("100.00") and d.past_credit_reporting_period
    assert d.authorized_fees == frozenset({Decimal("25.00"), Decimal("35.50")})
    assert d.marketing_consent_at == dt.datetime(2026, 10, 3, tzinfo=UTC) and d.privacy.marketing_objection
    assert d.validation.esign_consent_at == dt.datetime(2026, 10, 2, 12, tzinfo=UTC)
    assert d.workplace_objection_at == dt.datetime(2026, 10, 5, tzinfo=UTC)
    assert d.phones[0].sms_consent.method == "creditor_attested" and d.phones[0].sms_consent.evidence
    assert decide(attempt, facts).issue("DISPUTE-1").severity == "block"

    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "account_created")).one()
    stored = json.dumps(audit.changes) + json.dumps(audit.meta)
    assert "Lee Law" not in stored and "executor@example.com" not in stored, "personal values are sealed"
    assert "disputes" in audit.meta["fields"]


def test_get_returns_the_stored_compliance_fields(client, admin):
    business, headers = admin
    created = client.post("/api/v1/accounts", json={**BODY, **COMPLIANCE}, headers=headers).get_json()["data"]
    data = client.get(f"/api/v1/accounts/{created['id']}", headers=headers).get_json()["data"]
    assert data["emailProvenance"] == "consumer_consent" and data["employerDomain"] == "acme.example"
    assert data["nyc"] is True and data["nycConsentDate"].startswith("2026-10-01")
    assert data["ccpaDeniedReason"] == "GLBA-covered data" and data["doNotWhatsapp"] is True
    assert "attorneyName" not in data, "attorney details stay sealed in their own record"


def test_patch_merges_attorney_details_and_answers_the_dispute(client, admin):
    business, headers = admin
    data = client.post("/api/v1/accounts", json={**BODY, "attorneyName": "Lee Law", "attorneyEmail": "lee@law.example",
                                                 "disputeDate": "2026-11-20T10:00:00Z"}, headers=headers).get_json()
    account_id = data["data"]["id"]
    response = client.patch(f"/api/v1/accounts/{account_id}", json={"attorneyName": "Lee & Park LLP",
                                                                   "disputeAnsweredDate": "2026-11-24T10:00:00Z",
                                                                   "emailProvenance": "creditor_notice"},
                            headers=headers)
    assert response.status_code == 200, response.get_json()
    account = _account(data["data"])
    details = attorney_store.open_(account.id, account.attorney_encrypted)
    assert details["name"] == "Lee & Park LLP" and details["email"] == "lee@law.example"
    assert account.email_provenance == "creditor_notice" and account.dispute_status == "verified"
    (dispute,) = db.session.scalars(select(DebtDispute).where(DebtDispute.account_id == account.id)).all()
    assert dispute.answered_at == dt.datetime(2026, 11, 24, 10, tzinfo=UTC)
    attempt, facts = _facts(account)
    assert decide(attempt, facts).issue("DISPUTE-1") is None

    cleared = client.patch(f"/api/v1/accounts/{account_id}", json={"attorneyName": None, "attorneyEmail": None},
                           headers=headers)
    assert cleared.status_code == 200
    assert _account(data["data"]).attorney_encrypted is None
    updated = db.session.scalars(select(AuditLog).where(AuditLog.action == "account_updated")
                                 .order_by(AuditLog.seq)).all()
    assert len(updated) == 2 and "Lee" not in json.dumps(updated[0].changes)


@pytest.mark.parametrize("change,field", [
    ({"emailProvenance": "bought_a_list"}, "emailProvenance"), ({"phoneType": "pager"}, "phoneType"),
    ({"employerDomain": "not a domain"}, "employerDomain"), ({"representativeAddress": "nobody"},
                                                             "representativeAddress"),
    ({"ceaseType": "maybe"}, "ceaseType"), ({"disputeAmount": -1}, "disputeAmount"),
    ({"nycConsentDate": "soon"}, "nycConsentDate"), ({"authorizedFees": "abc"}, "authorizedFees"),
    ({"attorneyEmail": "lee"}, "attorneyEmail"), ({"gdprScope": "perhaps"}, "gdprScope"),
])
def test_a_bad_compliance_value_names_its_field(client, admin, change, field):
    business, headers = admin
    response = client.post("/api/v1/accounts", json={**BODY, **change}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.get_json()["error"]["field"] == field


def test_patch_cannot_empty_a_required_flag_or_answer_a_missing_dispute(client, admin):
    business, headers = admin
    account_id = client.post("/api/v1/accounts", json=BODY, headers=headers).get_json()["data"]["id"]
    response = client.patch(f"/api/v1/accounts/{account_id}", json={"bankruptcy": None}, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "bankruptcy"
    response = client.patch(f"/api/v1/accounts/{account_id}", json={"disputeAnsweredDate": "2026-11-24"},
                            headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "disputeAnsweredDate"


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_csv_import_maps_and_stores_the_compliance_columns(client, admin):
    business, headers = admin
    data = _csv([
        ["First Name", "Last Name", "Phone", "Balance", "Account Number", "Email Source", "Email", "Phone Type",
         "Bankrupt", "Law Firm", "Lawyer Email", "Disputed Date", "Dispute Amount", "Original Creditor Request Date",
         "NYC Consent Date", "Cease and Desist Date", "Authorized Fees"],
        ["Ana", "One", "+12125550101", "300.00", "CMP-1", "consumer_emailed", "ana@example.com", "cell", "no",
         "Lee Law", "lee@law.example", "2026-11-20", "50.00", "2026-11-21", "2026-10-01", "", "25.00;35.00"],
        ["Ben", "Two", "+12125550102", "400.00", "CMP-2", "prior_collector", "ben@example.com", "work", "yes",
         "", "", "", "", "", "", "2026-11-01", ""],
        ["Cy", "Three", "+12125550103", "500.00", "CMP-3", "scraped", "cy@example.com", "cell", "", "", "", "", "",
         "", "", "", ""],
    ])
    response = client.post("/api/v1/accounts/bulk-import", data={"file": (io.BytesIO(data), "c.csv")},
                           headers=headers, content_type="multipart/form-data")
    result = response.get_json()["data"]
    assert result["imported"] == 2 and result["failed"] == 1
    assert result["errors"] == [{"row": 4, "column": "emailProvenance",
                                 "error": "emailProvenance must be one of consumer_emailed, consumer_consent, "
                                          "creditor_notice, prior_collector, other."}]
    accounts = {a.account_number: a for a in db.session.scalars(select(Account)).all()}
    ana, ben = accounts["CMP-1"], accounts["CMP-2"]
    assert ana.email_provenance == "consumer_emailed" and ana.authorized_fees == ["25.00", "35.00"]
    assert attorney_store.open_(ana.id, ana.attorney_encrypted)["name"] == "Lee Law"
    kinds = sorted((d.kind, d.portion) for d in db.session.scalars(select(DebtDispute).where(
        DebtDispute.account_id == ana.id)))
    assert kinds == [("dispute", Decimal("50.00")), ("original_creditor", None)]
    assert ana.dispute_status == "open"
    assert ben.bankruptcy is True and ben.phone_type == "work" and ben.attorney_encrypted is None
    assert ben.cease_received_at == dt.datetime(2026, 11, 1, tzinfo=UTC) and ben.cease_all_debts is True
    attempt, facts = _facts(ben)
    assert decide(attempt, facts).issue("ACCT-1").severity == "block"
    assert decide(attempt, facts).issue("CEASE-1").severity == "block"

    again = _csv([["First Name", "Last Name", "Balance", "Account Number", "Law Firm", "Dispute Answered Date"],
                  ["Ana", "One", "300.00", "CMP-1", "Lee & Park LLP", "2026-11-24"]])
    updated = client.post("/api/v1/accounts/bulk-import",
                          data={"file": (io.BytesIO(again), "u.csv"), "onDuplicate": "update"},
                          headers=headers, content_type="multipart/form-data").get_json()["data"]
    assert updated["imported"] == 1, updated
    db.session.expire_all()
    ana = db.session.get(Account, ana.id)
    details = attorney_store.open_(ana.id, ana.attorney_encrypted)
    assert details["name"] == "Lee & Park LLP" and details["email"] == "lee@law.example"
    assert ana.dispute_status == "verified"
