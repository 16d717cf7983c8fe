"""Can a business only tighten the gate (lower caps, narrower window), and only a super admin touch platform
defaults? Is every change audited, and does the gate see it?"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business, PlatformSetting
from app.services.compliance import settings
from app.services.errors import Forbidden, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_business, gen_user


@pytest.fixture
def admin():
    business = gen_business("Tight Ship Recovery")
    user = gen_user(business, "business_admin")
    return business, Principal(business_id=business.id, role="business_admin", user_id=user.id, email=user.email)


def _stored(business) -> dict:
    db.session.expire_all()
    return db.session.get(Business, business.id).settings.get("compliance", {})


def test_raising_a_cap_is_refused_with_the_platform_limit_in_the_message(admin):
    business, principal = admin
    with pytest.raises(ValidationError) as raised:
        settings.update(db.session, principal, {"caps": {"FREQ-2": 5}}, NOW)
    assert raised.value.field == "caps.FREQ-2"
    assert raised.value.message == ("FREQ-2 can only be lowered: the platform allows at most 3 SMS per debtor per "
                                    "rolling 168 h, so 5 would raise it.")
    for rule_id, value in (("FREQ-3", 6), ("FREQ-4", 2), ("FREQ-5", 4), ("FREQ-7:day", 3), ("STATE-WA-1", 4)):
        with pytest.raises(ValidationError, match=f"{rule_id} can only be lowered"):
            settings.update(db.session, principal, {"caps": {rule_id: value}}, NOW)
    with pytest.raises(ValidationError, match="at least 1"):
        settings.update(db.session, principal, {"caps": {"FREQ-3": 0}}, NOW)
    with pytest.raises(ValidationError, match="not a cap a business can set"):
        settings.update(db.session, principal, {"caps": {"TIME-1": 1}}, NOW)
    assert _stored(business) == {}


def test_lowering_caps_is_stored_audited_and_read_by_the_gate(admin):
    business, principal = admin
    result = settings.update(db.session, principal, {"caps": {"FREQ-2": 2, "FREQ-3": 4}}, NOW)
    db.session.commit()
    assert result.caps == {"FREQ-2": 2, "FREQ-3": 4}
    assert _stored(business)["caps"] == {"FREQ-2": 2, "FREQ-3": 4}
    settings.update(db.session, principal, {"caps": {"FREQ-3": None}}, NOW)
    db.session.commit()
    assert _stored(business)["caps"] == {"FREQ-2": 2}
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "compliance_settings_updated")
                              .order_by(AuditLog.seq)).all()
    assert [r.meta["changes"]["caps"] for r in rows] == [
        [None, {"FREQ-2": 2, "FREQ-3": 4}], [{"FREQ-2": 2, "FREQ-3": 4}, {"FREQ-2": 2}]]
    assert rows[0].user_id == principal.user_id and rows[0].business_id == business.id
    policy = settings.get(db.session, business.id).policy(business)
    assert policy.caps == {"FREQ-2": 2} and policy.business_name == "Tight Ship Recovery"


def test_the_window_may_only_narrow_inside_8_to_21(admin):
    business, principal = admin
    result = settings.update(db.session, principal, {"windowStart": "09:30", "window_end": "20:00"}, NOW)
    assert (result.window_start, result.window_end) == (dt.time(9, 30), dt.time(20, 0))
    with pytest.raises(ValidationError, match="07:30 would widen the contact window") as raised:
        settings.update(db.session, principal, {"window_start": "07:30"}, NOW)
    assert raised.value.field == "window_start"
    with pytest.raises(ValidationError, match="21:30 would widen"):
        settings.update(db.session, principal, {"window_end": "21:30"}, NOW)
    with pytest.raises(ValidationError, match="must start before it ends"):
        settings.update(db.session, principal, {"window_start": "20:30"}, NOW)
    with pytest.raises(ValidationError, match="HH:MM"):
        settings.update(db.session, principal, {"window_start": "9am"}, NOW)
    assert settings.update(db.session, principal, {"window_start": None}, NOW).window_start == dt.time(8)


def test_switches_texts_and_bounds(admin):
    business, principal = admin
    result = settings.update(db.session, principal, {
        "consent3Blocking": True, "consent4_blocking": "true", "tp5_blocking": True, "nyc_blocking": True,
        "time7_blocking": True, "freq7_enabled": True, "attorney_wait_days": 45, "nyc_cap": 2,
        "dispute_address": "PO Box 9, Albany, NY 12201", "ca_license_no": "CA-12345",
        "support_phone": "(800) 555-0100", "support_email": "Help@Tight.example",
        "portal_url": "https://pay.tight.example/", "dba": "Tight Ship",
        "snippet_texts": {"time_barred_notice_ny:en": "Counsel-approved NY text."}}, NOW)
    policy = result.policy(business)
    assert policy.consent3_blocking and policy.consent4_blocking and policy.tp5_blocking and policy.nyc_blocking
    assert policy.time7_blocking and policy.freq7_enabled and policy.freq5_enabled
    assert policy.attorney_wait_days == 45 and policy.nyc_cap == 2 and policy.ca_license_no == "CA-12345"
    assert policy.support_phone == "+18005550100" and policy.support_email == "help@tight.example"
    assert policy.portal_url == "https://pay.tight.example" and policy.dba == "Tight Ship"
    assert policy.snippet_texts == {"time_barred_notice_ny:en": "Counsel-approved NY text."}
    for change, field in (({"attorney_wait_days": 0}, "attorney_wait_days"),
                          ({"attorney_wait_days": 91}, "attorney_wait_days"),
                          ({"support_phone": "12"}, "support_phone"), ({"support_email": "x"}, "support_email"),
                          ({"portal_url": "ftp://x"}, "portal_url"), ({"tp5_blocking": "maybe"}, "tp5_blocking"),
                          ({"snippet_texts": {"mini_miranda_initial:en": "x"}},
                           "snippet_texts.mini_miranda_initial:en"),
                          ({"colour": "red"}, "colour")):
        with pytest.raises(ValidationError) as raised:
            settings.update(db.session, principal, change, NOW)
        assert raised.value.field == field, change


def test_freq5_is_a_platform_default_only_a_super_admin_changes(admin):
    business, principal = admin
    with pytest.raises(Forbidden, match="platform default"):
        settings.update(db.session, principal, {"freq5_enabled": False}, NOW)
    with pytest.raises(Forbidden):
        settings.update_platform(db.session, principal, {"freq5_enabled": False}, NOW)
    root = gen_user(None, "super_admin")
    superuser = Principal(business_id=None, role="super_admin", user_id=root.id, email=root.email)
    assert settings.update_platform(db.session, superuser, {"freq5Enabled": False}, NOW) == {"freq5_enabled": False}
    db.session.commit()
    assert db.session.get(PlatformSetting, "compliance").value == {"freq5_enabled": False}
    assert settings.get(db.session, business.id).freq5_enabled is False
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "platform_settings_updated")).one()
    assert row.business_id is None and row.meta["changes"] == {"freq5_enabled": [True, False]}
    with pytest.raises(ValidationError):
        settings.update_platform(db.session, superuser, {"caps": {"FREQ-2": 9}}, NOW)


def test_only_a_business_admin_changes_business_settings(admin):
    business, _ = admin
    for role in ("manager", "agent"):
        with pytest.raises(Forbidden):
            settings.update(db.session, Principal(business_id=business.id, role=role), {"tp5_blocking": True}, NOW)


def test_stored_values_are_read_leniently():
    """A value written around the validation never loosens the gate: it falls back to the default."""
    read = settings.effective({"caps": {"FREQ-2": 9, "FREQ-3": 2}, "window_start": "06:00", "window_end": "20:00",
                               "attorney_wait_days": "many", "tp5_blocking": True, "freq5_enabled": False,
                               "junk": 1}, {"freq5_enabled": True})
    assert read.caps == {"FREQ-3": 2} and read.window_start == dt.time(8) and read.window_end == dt.time(20)
    assert read.attorney_wait_days == 30 and read.tp5_blocking and read.freq5_enabled
    crossed = settings.effective({"window_start": "20:00", "window_end": "09:00"})
    assert (crossed.window_start, crossed.window_end) == (dt.time(8), dt.time(21))
