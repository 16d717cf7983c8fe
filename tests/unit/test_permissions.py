"""Does the code's permission table say exactly what DESIGN.md section 12 says, and do endpoints obey it?"""
import pytest

from app.services.auth import permissions
from app.services.auth.permissions import may_manage_role

ROLES = ("super_admin", "business_admin", "manager", "agent", "debtor")
# DESIGN.md section 12, transcribed row by row ('-' = not allowed).
DOC = {
    "business.manage":        ("platform", "-", "-", "-", "-"),
    "accounts.view":          ("platform", "all", "all", "queue", "own"),
    "accounts.write":         ("-", "all", "all", "notes_only", "own"),
    "accounts.import":        ("-", "all", "all", "-", "-"),
    "accounts.export":        ("-", "all", "all", "-", "-"),
    "accounts.delete":        ("-", "all", "all", "-", "-"),
    "conversations.assign":   ("-", "all", "all", "self_assign", "-"),
    "conversations.respond":  ("-", "all", "all", "queue", "own"),
    "plans.create":           ("-", "all", "all", "within_policy", "accept_offered"),
    "plans.approve_changes":  ("-", "all", "all", "-", "request"),
    "fees.waive":             ("-", "all", "all", "-", "request"),
    "payments.refund":        ("-", "all", "all", "-", "request"),
    "payments.record_manual": ("-", "all", "all", "all", "-"),
    "payments.make":          ("-", "-", "-", "-", "own"),
    "analytics.view":         ("platform", "all", "all", "own_figures", "-"),
    "users.manage":           ("platform", "all", "agents_only", "-", "-"),
    "settings.manage":        ("-", "all", "-", "-", "-"),
    "audit.view":             ("platform", "all", "all", "-", "-"),
    "sandbox.use":            ("platform", "all", "all", "-", "-"),
}


@pytest.fixture(autouse=True)
def _app_context():
    yield


def test_table_covers_exactly_the_documented_actions():
    assert set(permissions.ACTIONS) == set(DOC)


@pytest.mark.parametrize("action", sorted(DOC))
@pytest.mark.parametrize("role", ROLES)
def test_each_cell_matches_the_design(role, action):
    expected = DOC[action][ROLES.index(role)]
    assert permissions.scope(role, action) == (None if expected == "-" else expected)
    if expected == "-":
        with pytest.raises(Exception) as info:
            permissions.require(role, action)
        assert getattr(info.value, "status", None) == 403


@pytest.mark.parametrize("actor,target,allowed", [
    ("business_admin", "business_admin", True), ("business_admin", "manager", True), ("business_admin", "agent", True),
    ("manager", "agent", True), ("manager", "manager", False), ("manager", "business_admin", False),
    ("agent", "agent", False), ("debtor", "agent", False), ("business_admin", "super_admin", False),
])
def test_who_manages_whom(actor, target, allowed):
    assert may_manage_role(actor, target) is allowed
