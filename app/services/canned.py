"""Canned responses: short replies staff insert in the composer by typing `/` and their shortcut word.

They are Template rows of type "canned" owned by one business. Bodies use the PRD's template variables
(FR-CAMP-002: {firstName}, {lastName}, {accountNumber}, {balance}, {dueDate}; the PRD's email layout adds
{businessName}); `{{firstName}}`, the email layout's spelling, is read the same way. An unknown variable is refused
when the response is saved, so a debtor never receives a raw placeholder from a typo. Managers and admins edit;
every staff member reads (agents insert them).
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select

from app.models import Template
from app.models.account import LANGUAGES
from app.services import audit
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal

KIND = "canned"
EDITOR_ROLES = ("business_admin", "manager")
READER_ROLES = ("business_admin", "manager", "agent")
NAME_MAX = 40
BODY_MAX = 1600
"""Ten SMS segments: a canned reply longer than that belongs in a letter or a document."""
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}

VARIABLES = {
    "firstName": "the debtor's first name",
    "lastName": "the debtor's last name",
    "accountNumber": "the account number",
    "balance": "the current balance, e.g. 1,250.00 (write ${balance} for $1,250.00)",
    "dueDate": "the due date",
    "businessName": "your business's name",
}
"""Variable -> what it becomes, in words for the settings page."""

SAMPLE_DEBTOR = SimpleNamespace(first_name="Jane", last_name="Smith", account_number="ACC-001",
                                current_balance=Decimal("1250.00"), due_date=dt.date(2026, 12, 31))
"""The debtor previews use (FR-CAMP-002: preview with sample data)."""

_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}|\{([^{}]*)\}")
_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
              "noviembre", "diciembre")


@dataclass(frozen=True)
class Draft:
    """Validated values of a canned response."""

    name: str
    body: str
    language: str
    variables: list[str]


def variables_in(body: str) -> list[str]:
    """The variable names a body uses, in order of first use (unknown ones included)."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(body or ""):
        seen.setdefault((match.group(1) if match.group(1) is not None else match.group(2)).strip(), None)
    return list(seen)


def unknown_variables(body: str) -> list[str]:
    return [name for name in variables_in(body) if name not in VARIABLES]


def _require_reader(principal: Principal) -> None:
    if principal.business_id is None or principal.role not in READER_ROLES:
        raise Forbidden("Your role may not use canned responses.")


def _require_editor(principal: Principal) -> None:
    _require_reader(principal)
    if principal.role not in EDITOR_ROLES:
        raise Forbidden("Only managers and admins edit canned responses.")


def _scoped(principal: Principal):
    return select(Template).where(Template.business_id == principal.business_id, Template.template_type == KIND)


def list_canned(db_session, principal: Principal, *, language: str | None = None) -> list[Template]:
    """The business's canned responses by shortcut (one language, or all)."""
    _require_reader(principal)
    stmt = _scoped(principal).where(Template.is_active.is_(True))
    if language:
        stmt = stmt.where(Template.language == language)
    return list(db_session.scalars(stmt.order_by(Template.name, Template.language)))


def get_canned(db_session, principal: Principal, canned_id) -> Template:
    """One canned response of the caller's business (another business's id is 404)."""
    _require_reader(principal)
    try:
        key = canned_id if isinstance(canned_id, uuid.UUID) else uuid.UUID(str(canned_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("Canned response not found") from None
    row = db_session.scalars(_scoped(principal).where(Template.id == key)).first()
    if row is None:
        raise NotFound("Canned response not found")
    return row


def validate(name: str | None, body: str | None, language: str | None) -> Draft:
    """Check a response's fields; ValidationError names the first field at fault (name, language, body)."""
    name = (name or "").strip().lstrip("/").lower()
    body = (body or "").strip()
    language = (language or "en").strip().lower()
    if not name:
        raise ValidationError("Enter a shortcut word, e.g. payment-options.", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The shortcut must be at most {NAME_MAX} characters.", field="name")
    if not _SHORTCUT.match(name):
        raise ValidationError("Use lowercase letters, digits, - and _ only (no spaces), e.g. payment-options.",
                              field="name")
    if language not in LANGUAGES:
        raise ValidationError("Choose English or Spanish.", field="language")
    if not body:
        raise ValidationError("Enter the text of the response.", field="body")
    if len(body) > BODY_MAX:
        raise ValidationError(f"The text must be at most {BODY_MAX} characters (it has {len(body)}).", field="body")
    unknown = unknown_variables(body)
    if unknown:
        known = ", ".join("{" + v + "}" for v in VARIABLES)
        names = ", ".join("{" + v + "}" for v in unknown)
        raise ValidationError(f"Unknown variable{'s' if len(unknown) > 1 else ''} {names}. Use {known}.",
                              field="body")
    return Draft(name=name, body=body, language=language, variables=variables_in(body))


def _check_unique(db_session, principal: Principal, draft: Draft, exclude: uuid.UUID | None = None) -> None:
    stmt = _scoped(principal).where(func.lower(Template.name) == draft.name, Template.language == draft.language)
    if exclude is not None:
        stmt = stmt.where(Template.id != exclude)
    if db_session.scalars(stmt).first() is not None:
        raise Conflict(f"/{draft.name} already exists in {LANGUAGE_NAMES[draft.language]}.", field="name")


def create(db_session, principal: Principal, *, name: str, body: str, language: str = "en",
           now: dt.datetime) -> Template:
    _require_editor(principal)
    draft = validate(name, body, language)
    _check_unique(db_session, principal, draft)
    row = Template(business_id=principal.business_id, template_type=KIND, name=draft.name, body=draft.body,
                   language=draft.language, variables=draft.variables, created_by_id=principal.user_id,
                   created_at=now, updated_at=now)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session, "canned_response_created", principal=principal, now=now, resource_type="template",
                 resource_id=row.id, description=f"/{row.name} ({row.language})")
    return row


def update(db_session, principal: Principal, canned_id, *, name: str, body: str, language: str,
           now: dt.datetime) -> Template:
    _require_editor(principal)
    row = get_canned(db_session, principal, canned_id)
    draft = validate(name, body, language)
    _check_unique(db_session, principal, draft, exclude=row.id)
    changes = {field: [getattr(row, field), getattr(draft, field)] for field in ("name", "body", "language")
               if getattr(row, field) != getattr(draft, field)}
    if changes:
        row.name, row.body, row.language, row.variables = draft.name, draft.body, draft.language, draft.variables
        row.updated_at = now
        audit.record(db_session, "canned_response_updated", principal=principal, now=now, resource_type="template",
                     resource_id=row.id, description=f"/{row.name} ({row.language})", changes=changes)
    return row


def delete(db_session, principal: Principal, canned_id, *, now: dt.datetime) -> None:
    _require_editor(principal)
    row = get_canned(db_session, principal, canned_id)
    audit.record(db_session, "canned_response_deleted", principal=principal, now=now, resource_type="template",
                 resource_id=row.id, description=f"/{row.name} ({row.language})")
    db_session.delete(row)


def _date(value: dt.date, language: str) -> str:
    if language == "es":
        return f"{value.day} de {_MONTHS_ES[value.month - 1]} de {value.year}"
    return f"{value:%B} {value.day}, {value.year}"


def values_for(account, business, *, language: str = "en") -> dict[str, str | None]:
    """What each variable becomes for one debtor (None: the account lacks it)."""
    balance = account.current_balance
    return {
        "firstName": account.first_name or None,
        "lastName": account.last_name or None,
        "accountNumber": account.account_number or None,
        "balance": f"{balance:,.2f}" if balance is not None else None,
        "dueDate": _date(account.due_date, language) if account.due_date else None,
        "businessName": business.name if business is not None else None,
    }


def render(body: str, account, business, *, language: str = "en") -> tuple[str, list[str]]:
    """The body with the debtor's values filled in, and the variables left as written because the account lacks
    them (the composer shows those so the agent completes the text before sending)."""
    values = values_for(account, business, language=language)
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        name = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        value = values.get(name)
        if value is None:
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return value

    return _PLACEHOLDER.sub(fill, body or ""), missing


def preview(body: str, business, *, language: str = "en") -> str:
    """The body as the sample debtor would receive it."""
    return render(body, SAMPLE_DEBTOR, business, language=language)[0]
