"""The permission matrix of DESIGN.md section 12, as one table that pages and the API both use.

Each action maps a role to the scope it may act in; a missing role may not act at all.
Scopes: all (the whole business), platform (super admin area), queue (an agent's assigned or unassigned
accounts and conversations), own (a debtor's own), self_assign, agents_only, within_policy,
accept_offered, request, own_figures, notes_only.
"""
from __future__ import annotations

from app.services.errors import Forbidden

MATRIX: dict[str, dict[str, str]] = {
    "business.manage": {"super_admin": "platform"},
    "accounts.view": {"super_admin": "platform", "business_admin": "all", "manager": "all", "agent": "queue",
                      "debtor": "own"},
    "accounts.write": {"business_admin": "all", "manager": "all", "agent": "notes_only", "debtor": "own"},
    "accounts.import": {"business_admin": "all", "manager": "all"},
    "accounts.export": {"business_admin": "all", "manager": "all"},
    "accounts.delete": {"business_admin": "all", "manager": "all"},
    "conversations.assign": {"business_admin": "all", "manager": "all", "agent": "self_assign"},
    "conversations.respond": {"business_admin": "all", "manager": "all", "agent": "queue", "debtor": "own"},
    "plans.create": {"business_admin": "all", "manager": "all", "agent": "within_policy", "debtor": "accept_offered"},
    "plans.approve_changes": {"business_admin": "all", "manager": "all", "debtor": "request"},
    "fees.waive": {"business_admin": "all", "manager": "all", "debtor": "request"},
    "payments.refund": {"business_admin": "all", "manager": "all", "debtor": "request"},
    "payments.record_manual": {"business_admin": "all", "manager": "all", "agent": "all"},
    "payments.make": {"debtor": "own"},
    "analytics.view": {"super_admin": "platform", "business_admin": "all", "manager": "all", "agent": "own_figures"},
    "users.manage": {"super_admin": "platform", "business_admin": "all", "manager": "agents_only"},
    "settings.manage": {"business_admin": "all"},
    "audit.view": {"super_admin": "platform", "business_admin": "all", "manager": "all"},
    "sandbox.use": {"super_admin": "platform", "business_admin": "all", "manager": "all"},
}

ACTIONS = tuple(MATRIX)


def scope(role: str, action: str) -> str | None:
    """The scope in which `role` may perform `action`, or None."""
    try:
        return MATRIX[action].get(role)
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def can(role: str, action: str) -> bool:
    return scope(role, action) is not None


def require(role: str, action: str) -> str:
    """The scope, or Forbidden (403: a same-business object the role may not touch)."""
    granted = scope(role, action)
    if granted is None:
        raise Forbidden("Your role may not do this.")
    return granted


def may_manage_role(actor_role: str, target_role: str) -> bool:
    """Business admins manage every business role; managers only agents (DESIGN.md section 12)."""
    granted = scope(actor_role, "users.manage")
    if granted in ("all", "platform"):
        return target_role != "super_admin" or actor_role == "super_admin"
    if granted == "agents_only":
        return target_role == "agent"
    return False
