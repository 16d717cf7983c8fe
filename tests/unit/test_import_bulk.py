"""The bulk write path of imports: what one batch leaves behind (accounts, attested consents, one audit row per
account on an intact chain, webhooks), repeated numbers, a concurrent writer, and the fast phone path."""
import json
import random
import uuid

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, ConsentEvent, WebhookDelivery, WebhookEndpoint
from app.services import audit
from app.services.accounts import importer
from app.services.clock import get_clock
from app.services.tenancy import Principal
from app.services.timezones import _parse_phone, normalize_e164
from tests.factories import gen_business, gen_user

HEADER = ["First Name", "Last Name", "Phone", "Account Number", "Balance", "SMS Opt-In", "State", "Zip"]


def _principal(business):
    user = gen_user(business, "business_admin")
    return Principal(business_id=business.id, role="business_admin", user_id=user.id, email=user.email)


def _rows(*numbers, phone="(212) 555-0143", consent="yes"):
    return [["Ana", f"Ruiz{n}", phone, n, "120.50", consent, "NY", "10001"] for n in numbers]


def _count(model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_batch_writes_accounts_consents_and_one_audit_row_each_on_an_intact_chain():
    business = gen_business()
    principal = _principal(business)
    audit.record(db.session, "before_import", principal=principal, now=get_clock().now())
    rows = _rows("A-1", "A-2", "") + [[""] * len(HEADER)]
    result = importer.import_rows(db.session, principal, HEADER, rows, get_clock().now())
    db.session.commit()
    assert (result.imported, result.failed) == (3, 0)
    accounts = db.session.scalars(select(Account).order_by(Account.account_number)).all()
    assert [a.phone for a in accounts] == ["+12125550143"] * 3
    assert {a.timezone for a in accounts} == {"America/New_York"} and accounts[0].timezone_source == "zip"
    assert [a.account_number[:4] for a in accounts] == ["A-1", "A-2", "ACC-"], "a row without a number gets one"
    assert all(a.sms_consent and a.sms_consent_date == get_clock().now() for a in accounts)
    assert _count(ConsentEvent, channel="sms", source="creditor_attested", granted=True) == 3
    created = db.session.scalars(select(AuditLog).where(AuditLog.action == "account_created")).all()
    assert sorted(row.resource_id for row in created) == sorted(a.id for a in accounts)
    assert created[0].meta["source"] == "import" and "phone" in created[0].meta["fields"]
    assert audit.verify(db.session, business.id) == [], "bulk audit rows continue the business's hash chain"


def test_a_number_repeated_in_one_batch_is_a_duplicate_on_skip_and_an_update_on_update():
    business = gen_business()
    principal = _principal(business)
    rows = _rows("B-1", "B-2") + [["Ana", "Changed", "2125550143", "B-1", "99.00", "", "NY", "10001"]]
    skipped = importer.import_rows(db.session, principal, HEADER, rows, get_clock().now())
    assert (skipped.imported, skipped.failed) == (2, 1)
    assert skipped.errors == [{"row": 4, "column": "accountNumber", "error": "Duplicate account number."}]
    updated = importer.import_rows(db.session, principal, HEADER, rows, get_clock().now(), on_duplicate="update")
    assert (updated.imported, updated.failed) == (3, 0)
    b1 = db.session.scalars(select(Account).where(Account.account_number == "B-1")).one()
    assert (b1.last_name, str(b1.current_balance)) == ("Changed", "99.00"), "the later row wins, as across batches"


def test_a_number_taken_by_a_concurrent_writer_falls_back_to_row_by_row(monkeypatch):
    business = gen_business()
    principal = _principal(business)
    importer.import_rows(db.session, principal, HEADER, _rows("C-2"), get_clock().now())
    db.session.commit()
    monkeypatch.setattr(importer, "_split", lambda session, who, parsed: (parsed, []))  # misses C-2 being taken
    result = importer.import_rows(db.session, principal, HEADER, _rows("C-1", "C-2", "C-3"), get_clock().now())
    db.session.commit()
    assert (result.imported, result.failed) == (2, 1)
    assert result.errors[0]["row"] == 3
    assert _count(Account) == 3 and _count(AuditLog, action="account_created") == 3


def test_bad_rows_are_reported_and_good_rows_of_the_same_batch_are_written():
    business = gen_business()
    principal = _principal(business)
    rows = _rows("D-1") + [["Ana", "Ruiz", "555-0143", "D-2", "12", "", "NY", "10001"],
                           ["Ana", "Ruiz", "", "D-3", "-5", "", "NY", "10001"]] + _rows("D-4")
    result = importer.import_rows(db.session, principal, HEADER, rows, get_clock().now())
    assert (result.imported, result.failed) == (2, 2)
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, "phone"), (4, "currentBalance")]
    assert sorted(db.session.scalars(select(Account.account_number))) == ["D-1", "D-4"]


def test_subscribed_endpoints_get_one_account_created_event_per_imported_account():
    business = gen_business()
    principal = _principal(business)
    db.session.add(WebhookEndpoint(business_id=business.id, url="https://hooks.example.com/a",
                                   events=["account.created"], secret_encrypted="x", active=True))
    db.session.flush()
    importer.import_rows(db.session, principal, HEADER, _rows("E-1", "E-2"), get_clock().now())
    db.session.commit()
    bodies = [json.loads(row.body) for row in db.session.scalars(select(WebhookDelivery))]
    assert sorted(body["data"]["accountNumber"] for body in bodies) == ["E-1", "E-2"]
    assert {body["type"] for body in bodies} == {"account.created"}
    assert len({body["id"] for body in bodies}) == 2


NANP_FORMATS = ["({a}) {b}-{c}", "{a}-{b}-{c}", "+1{a}{b}{c}", "1.{a}.{b}.{c}", "{a}{b}{c}", "1 {a} {b} {c}",
                "+1 ({a}) {b}-{c}", " {a}.{b}.{c} "]


@settings(max_examples=400, deadline=None)
@given(digits=st.text("0123456789", min_size=10, max_size=10), style=st.sampled_from(NANP_FORMATS))
def test_the_fast_phone_path_agrees_with_a_full_phonenumbers_parse(digits, style):
    text = style.format(a=digits[:3], b=digits[3:6], c=digits[6:])
    parsed = _parse_phone(text)
    expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None
    assert normalize_e164(text) == expected


def test_the_fast_phone_path_agrees_on_real_area_codes():
    rng = random.Random(5)
    for area in ("212", "213", "305", "505", "602", "787", "808", "907", "983", "416", "800"):
        for _ in range(200):
            text = f"({area}) {rng.randrange(100, 1000)}-{rng.randrange(10000):04d}"
            parsed = _parse_phone(text)
            expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None
            assert normalize_e164(text) == expected, text


def test_an_import_batch_writes_one_audit_row_that_each_account_file_shows():
    from app.services.accounts.file import audit_trail

    business = gen_business()
    principal = _principal(business)
    reference = uuid.uuid4()
    importer.import_rows(db.session, principal, HEADER, _rows("F-1", "F-2", "F-3"), get_clock().now(),
                         reference=reference)
    db.session.commit()
    batch = db.session.scalars(select(AuditLog).where(AuditLog.action == "accounts_created")).one()
    accounts = db.session.scalars(select(Account).order_by(Account.account_number)).all()
    assert batch.meta["import"] == str(reference) and batch.description == "3 accounts"
    assert batch.meta["accounts"] == [[str(a.id), a.account_number] for a in accounts]
    assert _count(AuditLog, action="account_created") == 0
    assert {a.import_batch_id for a in accounts} == {batch.resource_id}
    assert [row.id for row in audit_trail(db.session, accounts[1])] == [batch.id]
    assert audit.verify(db.session, business.id) == []
