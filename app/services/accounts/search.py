"""The account list: search (name, number, email, phone in any format), filters, sort, pages, totals."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from psycopg.errors import QueryCanceled
from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.exc import OperationalError

from app.models import Account, OptOutEvent, PaymentPlan
from app.services.tenancy import Principal, scoped
from app.services.timezones import normalize_e164

EXACT_TOTAL_LIMIT = 10_000
COUNT_BUDGET_MS = 40
SORTS = {"createdAt": Account.created_at, "balance": Account.current_balance, "dueDate": Account.due_date,
         "lastName": Account.last_name, "accountNumber": Account.account_number, "status": Account.status,
         "firstName": Account.first_name, "updatedAt": Account.updated_at}


@dataclass
class AccountQuery:
    search: str | None = None
    statuses: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    balance_min: Decimal | None = None
    balance_max: Decimal | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    states: list[str] = field(default_factory=list)
    language: str | None = None
    has_active_plan: bool | None = None
    opted_out: bool | None = None
    assigned_agent_id: object | None = None
    sort_by: str = "createdAt"
    sort_order: str = "desc"


def query_from_mapping(args) -> AccountQuery:
    """List parameters (the API's query string, the grid's URL) -> AccountQuery; a bad value names its field."""
    from app.services.accounts import fields
    from app.services.errors import ValidationError

    def listed(name):
        return [part.strip() for part in (args.get(name) or "").split(",") if part.strip()]

    sort_by = args.get("sortBy") or "createdAt"
    if sort_by not in SORTS:
        raise ValidationError(f"sortBy must be one of {', '.join(SORTS)}.", field="sortBy")
    order = (args.get("sortOrder") or "desc").lower()
    if order not in ("asc", "desc"):
        raise ValidationError("sortOrder must be asc or desc.", field="sortOrder")
    return AccountQuery(
        search=(args.get("search") or args.get("q") or "").strip() or None,
        statuses=listed("status"), tags=[t.lower() for t in listed("tags")],
        balance_min=fields.money(args.get("balanceMin"), "balanceMin"),
        balance_max=fields.money(args.get("balanceMax"), "balanceMax"),
        due_from=fields.date(args.get("dueFrom"), "dueFrom"), due_to=fields.date(args.get("dueTo"), "dueTo"),
        created_from=fields.date(args.get("createdFrom"), "createdFrom"),
        created_to=fields.date(args.get("createdTo"), "createdTo"),
        states=[s.upper() for s in listed("state")], language=args.get("language") or None,
        has_active_plan=fields.boolean(args.get("hasActivePlan"), "hasActivePlan"),
        opted_out=fields.boolean(args.get("optedOut"), "optedOut"),
        assigned_agent_id=fields.uuid_value(args.get("assignedTo"), "assignedTo"),
        sort_by=sort_by, sort_order=order)


def _search_clause(term: str):
    """One OR whose every branch has an index on PostgreSQL (trigram on the full name, the business's account
    numbers, lower(email), phones), so a partial-name search stays fast at a million rows."""
    term = term.strip()
    like = f"%{term.lower()}%"
    clauses = [func.lower(Account.first_name + " " + Account.last_name).like(like),
               Account.account_number == term, Account.account_number == term.upper(),
               func.lower(Account.email) == term.lower()]
    if sum(ch.isdigit() for ch in term) >= 7:
        phone = normalize_e164(term)
        if phone:
            clauses += [Account.phone == phone, Account.phone_secondary == phone]
    return or_(*clauses)


def build(principal: Principal, query: AccountQuery):
    """The filtered SELECT (no order, no paging) the principal may see."""
    if principal.role == "debtor":
        stmt = select(Account).where(Account.debtor_id == principal.user_id, Account.deleted_at.is_(None))
    else:
        stmt = scoped(Account, principal)
        if principal.role == "agent":
            stmt = stmt.where(or_(Account.assigned_agent_id.is_(None), Account.assigned_agent_id == principal.user_id))
    if query.search:
        stmt = stmt.where(_search_clause(query.search))
    if query.statuses:
        stmt = stmt.where(Account.status.in_(query.statuses))
    for tag in query.tags:
        stmt = stmt.where(_has_tag(tag))
    if query.balance_min is not None:
        stmt = stmt.where(Account.current_balance >= query.balance_min)
    if query.balance_max is not None:
        stmt = stmt.where(Account.current_balance <= query.balance_max)
    if query.due_from:
        stmt = stmt.where(Account.due_date >= query.due_from)
    if query.due_to:
        stmt = stmt.where(Account.due_date <= query.due_to)
    if query.created_from:
        stmt = stmt.where(Account.created_at >= dt.datetime.combine(query.created_from, dt.time(), dt.timezone.utc))
    if query.created_to:
        stmt = stmt.where(Account.created_at < dt.datetime.combine(query.created_to + dt.timedelta(days=1), dt.time(),
                                                                   dt.timezone.utc))
    if query.states:
        stmt = stmt.where(Account.state.in_(query.states))
    if query.language:
        stmt = stmt.where(Account.preferred_language == query.language)
    if query.assigned_agent_id is not None:
        stmt = stmt.where(Account.assigned_agent_id == query.assigned_agent_id)
    if query.has_active_plan is not None:
        # An open plan: a paused one (a hardship pause) still holds the account.
        plan = exists().where(PaymentPlan.account_id == Account.id,
                              PaymentPlan.status.in_(("pending", "active", "paused")))
        stmt = stmt.where(plan if query.has_active_plan else ~plan)
    if query.opted_out is not None:
        opted = or_(Account.do_not_contact, Account.do_not_sms, Account.do_not_email,
                    exists().where(and_(OptOutEvent.account_id == Account.id, OptOutEvent.action == "opt_out")))
        stmt = stmt.where(opted if query.opted_out else ~opted)
    return stmt


def _has_tag(tag: str):
    """JSON array containment: JSONB @> on PostgreSQL (GIN index), json_each on SQLite."""
    from sqlalchemy import literal
    from sqlalchemy.dialects.postgresql import JSONB

    from app.extensions import db

    if db.engine.dialect.name == "postgresql":
        return Account.tags.op("@>")(func.cast(literal(f'["{tag}"]'), JSONB))
    return exists(select(1).select_from(func.json_each(Account.tags).table_valued("value"))
                  .where(text("value = :tag").bindparams(tag=tag)))


def page_of(stmt, query: AccountQuery, *, page: int, limit: int):
    """One page in the grid's order; the id breaks ties in the same direction, so (business, column, id) indexes
    serve it without a sort."""
    column = SORTS.get(query.sort_by, Account.created_at)
    ascending = query.sort_order == "asc"
    order = (column.asc(), Account.id.asc()) if ascending else (column.desc(), Account.id.desc())
    return stmt.order_by(*order).offset((page - 1) * limit).limit(limit)


def run(db_session, principal: Principal, query: AccountQuery, *, page: int, limit: int):
    """(rows, total, total_is_estimate): totals are exact up to 10,000 matches."""
    stmt = build(principal, query)
    rows = db_session.scalars(page_of(stmt, query, page=page, limit=limit)).all()
    capped = _capped_count(db_session, stmt)
    if capped is not None and capped <= EXACT_TOTAL_LIMIT:
        return rows, capped, False
    return rows, _estimate(db_session, stmt), True


def _capped_count(db_session, stmt) -> int | None:
    """Matches counted up to 10,001, or None when that would take longer than COUNT_BUDGET_MS (PostgreSQL).

    A broad search ("smith" in a million files) is a trigram bitmap of tens of thousands of rows that must be read
    whole before a LIMIT applies; within the budget the count is exact, beyond it the page shows an estimate."""
    count = select(func.count()).select_from(
        stmt.with_only_columns(Account.id).limit(EXACT_TOTAL_LIMIT + 1).subquery())
    if db_session.get_bind().dialect.name != "postgresql":
        return db_session.scalar(count)
    savepoint = db_session.begin_nested()
    try:
        db_session.execute(text(f"SET LOCAL statement_timeout = {COUNT_BUDGET_MS}"))
        total = db_session.scalar(count)
        db_session.execute(text("SET LOCAL statement_timeout = DEFAULT"))
    except OperationalError as exc:
        savepoint.rollback()  # also undoes SET LOCAL
        if isinstance(exc.orig, QueryCanceled):
            return None
        raise
    savepoint.commit()
    return total


def _estimate(db_session, stmt) -> int:
    """PostgreSQL's planner estimate beyond 10,000 matches (an exact count of millions costs seconds)."""
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        return db_session.scalar(select(func.count()).select_from(stmt.with_only_columns(Account.id).subquery()))
    compiled = stmt.with_only_columns(Account.id).compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db_session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar()
    return int(plan[0]["Plan"]["Plan Rows"])
