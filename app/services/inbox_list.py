"""The inbox's conversation list: views, filters, search, unread counts and keyset pages (PRD 8.5.2).

Views: mine (assigned to the caller), unassigned (the queue), escalated, all. Agents only ever see their queue
(conversations.py `_queue_clause`: assigned to them, or unassigned on accounts of theirs or of nobody); managers and
admins see the whole business. Filters: status (open by default: active and escalated), channel, agent, sentiment,
and a search over the debtor's name, the account number and the text of the conversation's messages. A snoozed
conversation leaves the list until it wakes (`snoozed_until` passes), unless snoozed ones are asked for.

The page is ordered by latest activity (never-messaged conversations last) with the id as tie-break, and pages by
keyset (`before` cursor), so a list that reorders live as messages arrive never repeats or skips a row. On
PostgreSQL the order is served by an index (migration 0012), and search by trigram indexes on the debtor's name
(migration 0004) and on message text (0012).

The open thread loads its newest messages and pages back the same way (keyset on created_at, id), so a
conversation with thousands of messages opens as fast as a short one.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from app.models import Account, Business, Conversation, Message, User
from app.models.conversation import CHANNELS, CONVERSATION_STATUSES, OPEN_STATUSES
from app.services import canned
from app.services.accounts.file import ContactClock, contact_clock
from app.services.conversation_actions import CONVERSATION_VIEWS
from app.services.conversations import _queue_clause, _require_staff, get_conversation
from app.services.errors import NotFound, ValidationError
from app.services.tenancy import Principal

SENTIMENTS = ("positive", "neutral", "negative", "hostile")
"""The PRD's sentiment levels (schema: positive, neutral, negative, hostile)."""
STATUS_CHOICES = ("open", "any") + CONVERSATION_STATUSES
PAGE_SIZE = 25
THREAD_PAGE = 50
"""Messages per page of an open thread: the newest ones first, earlier ones on request."""
MAX_THREAD_PAGE = 200
"""The most messages one page may ask for, so no caller loads a long thread whole."""
EXACT_TOTAL_LIMIT = 10_000
PREVIEW_CHARS = 140
MIN_SEARCH = 2


@dataclass(frozen=True)
class InboxQuery:
    """What the list shows; built from the page's query string by `query_from_mapping`."""

    view: str = "all"
    status: str = "open"
    channels: tuple[str, ...] = ()
    agent_id: uuid.UUID | None = None
    sentiments: tuple[str, ...] = ()
    search: str | None = None
    snoozed: bool = False
    before: str | None = None

    @property
    def statuses(self) -> tuple[str, ...]:
        if self.status == "open":
            return OPEN_STATUSES
        if self.status == "any":
            return ()
        return (self.status,)

    def args(self, **changes) -> dict[str, str]:
        """The query string that rebuilds this query (defaults left out), for links and pushed URLs."""
        query = replace(self, **changes) if changes else self
        values = {"view": query.view if query.view != "all" else None,
                  "status": query.status if query.status != "open" else None,
                  "channel": ",".join(query.channels) or None,
                  "agent": str(query.agent_id) if query.agent_id else None,
                  "sentiment": ",".join(query.sentiments) or None,
                  "q": query.search, "snoozed": "1" if query.snoozed else None, "before": query.before}
        return {key: value for key, value in values.items() if value}

    @property
    def filtered(self) -> bool:
        """True when anything beyond the view narrows the list (the empty state then offers to clear it)."""
        return bool(self.status != "open" or self.channels or self.agent_id or self.sentiments or self.search
                    or self.snoozed)


@dataclass
class InboxRow:
    """One list row: the conversation with the few account, agent and last-message fields the row shows."""

    conversation: Conversation
    first_name: str
    last_name: str
    account_number: str
    agent_first_name: str | None = None
    agent_last_name: str | None = None
    preview: str | None = None
    preview_from: str | None = None
    preview_sender_id: uuid.UUID | None = None
    preview_ai: bool = False

    @property
    def debtor_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def agent_name(self) -> str | None:
        name = " ".join(part for part in (self.agent_first_name, self.agent_last_name) if part)
        return name or None


@dataclass(frozen=True)
class ViewTotal:
    """Open, awake conversations in one view: how many, how many have unread messages, and the unread messages."""

    conversations: int = 0
    unread_conversations: int = 0
    unread_messages: int = 0


@dataclass
class InboxPage:
    rows: list[InboxRow]
    total: int
    total_is_capped: bool
    next_cursor: str | None
    totals: dict[str, ViewTotal] = field(default_factory=dict)
    snoozed: int = 0


# -- parsing ---------------------------------------------------------------------------------------------------------
def _listed(value: str | None, options: tuple[str, ...], name: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(part.strip().lower() for part in (value or "").split(",") if part.strip()))
    for item in items:
        if item not in options:
            raise ValidationError(f"{name} must be one of {', '.join(options)}.", field=name)
    return items


def query_from_mapping(args) -> InboxQuery:
    """The page's query string (view, status, channel, agent, sentiment, q, snoozed, before), checked; a bad
    value is a ValidationError naming its parameter."""
    view = (args.get("view") or "all").strip().lower()
    if view not in CONVERSATION_VIEWS:
        raise ValidationError(f"view must be one of {', '.join(CONVERSATION_VIEWS)}.", field="view")
    status = (args.get("status") or "open").strip().lower()
    if status not in STATUS_CHOICES:
        raise ValidationError(f"status must be one of {', '.join(STATUS_CHOICES)}.", field="status")
    agent = (args.get("agent") or "").strip()
    try:
        agent_id = uuid.UUID(agent) if agent else None
    except ValueError:
        raise ValidationError("agent must be a team member's id.", field="agent") from None
    search = " ".join((args.get("q") or "").split())[:100] or None
    before = (args.get("before") or "").strip() or None
    if before is not None:
        _decode_cursor(before)
    return InboxQuery(view=view, status=status, channels=_listed(args.get("channel"), CHANNELS, "channel"),
                      agent_id=agent_id, sentiments=_listed(args.get("sentiment"), SENTIMENTS, "sentiment"),
                      search=search, snoozed=(args.get("snoozed") or "").strip().lower() in ("1", "true", "on"),
                      before=before)


# -- cursor: (last activity, id) of the last row shown ---------------------------------------------------------------
def _encode_cursor(conversation: Conversation) -> str:
    at = conversation.last_message_at
    stamp = "n" if at is None else str(int(at.timestamp() * 1_000_000))
    return f"{stamp}.{conversation.id.hex}"


def _decode_cursor(cursor: str) -> tuple[dt.datetime | None, uuid.UUID]:
    try:
        stamp, _, ident = cursor.partition(".")
        key = uuid.UUID(ident)
        if stamp == "n":
            return None, key
        micros = int(stamp)
        at = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=micros)
    except (ValueError, OverflowError):
        raise ValidationError("That page link is not valid any more: start from the top.", field="before") from None
    return at, key


def _after_cursor(cursor: str):
    """Rows after the cursor in the list's order (activity descending, never-messaged last, id descending)."""
    at, key = _decode_cursor(cursor)
    if at is None:
        return and_(Conversation.last_message_at.is_(None), Conversation.id < key)
    return or_(Conversation.last_message_at < at,
               and_(Conversation.last_message_at == at, Conversation.id < key),
               Conversation.last_message_at.is_(None))


# -- clauses ---------------------------------------------------------------------------------------------------------
def _counting(column, principal: Principal):
    """A SELECT for counts: joined to the account only for an agent (the queue reads it); otherwise the few deleted
    accounts are excluded by id and the count reads conversations alone."""
    stmt = select(column).select_from(Conversation)
    joined = principal.role == "agent"
    if joined:
        stmt = stmt.join(Account, Account.id == Conversation.account_id)
    return stmt, joined


def _visible(stmt, principal: Principal, *, joined: bool = True):
    """Scoped to the caller's business, live accounts only, and an agent's queue."""
    stmt = stmt.where(Conversation.business_id == principal.business_id)
    if joined:
        stmt = stmt.where(Account.deleted_at.is_(None))
    else:  # served by a partial index of deleted accounts (migration 0012)
        stmt = stmt.where(Conversation.account_id.not_in(select(Account.id).where(
            Account.business_id == principal.business_id, Account.deleted_at.is_not(None))))
    if principal.role == "agent":
        stmt = stmt.where(_queue_clause(principal))
    return stmt


def _view_clause(view: str, principal: Principal):
    if view == "mine":
        return Conversation.assigned_agent_id == principal.user_id if principal.user_id else Conversation.id.is_(None)
    if view == "unassigned":
        return Conversation.assigned_agent_id.is_(None)
    if view == "escalated":
        return Conversation.status == "escalated"
    return None


def _awake(now: dt.datetime):
    return or_(Conversation.snoozed_until.is_(None), Conversation.snoozed_until <= now)


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def debtor_name_expression():
    """lower(first_name || ' ' || last_name): the exact expression of the trigram index of migration 0004."""
    return func.lower(Account.first_name + literal_column("' '") + Account.last_name)


def _search_clause(principal: Principal, term: str):
    """The debtor's name or account number, or any message of the conversation (notes included: staff search).
    Two id lists, each served by its own index (trigram on names, trigram on message text), so neither side
    scans the other's table."""
    like = _like(term)
    by_account = (select(Conversation.id).join(Account, Account.id == Conversation.account_id)
                  .where(Conversation.business_id == principal.business_id,
                         or_(debtor_name_expression().like(like, escape="\\"),
                             Account.account_number == term.strip().upper())))
    by_text = select(Message.conversation_id).where(
        Message.business_id == principal.business_id, Message.conversation_id.is_not(None),
        func.lower(Message.content).like(like, escape="\\"))
    return Conversation.id.in_(union_all(by_account, by_text))


def _filtered(stmt, principal: Principal, query: InboxQuery, now: dt.datetime, *, joined: bool = True):
    stmt = _visible(stmt, principal, joined=joined)
    view = _view_clause(query.view, principal)
    if view is not None:
        stmt = stmt.where(view)
    if query.statuses:
        stmt = stmt.where(Conversation.status.in_(query.statuses))
    if query.snoozed:
        stmt = stmt.where(Conversation.snoozed_until > now)
    else:
        stmt = stmt.where(_awake(now))
    if query.channels:
        stmt = stmt.where(Conversation.channel.in_(query.channels))
    if query.agent_id is not None:
        stmt = stmt.where(Conversation.assigned_agent_id == query.agent_id)
    if query.sentiments:
        stmt = stmt.where(Conversation.sentiment.in_(query.sentiments))
    if query.search:
        if len(query.search) < MIN_SEARCH:
            raise ValidationError(f"Type at least {MIN_SEARCH} characters to search.", field="q")
        stmt = stmt.where(_search_clause(principal, query.search))
    return stmt


def _ordered(stmt):
    return stmt.order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())


# -- reading ---------------------------------------------------------------------------------------------------------
def _rows(db_session, stmt) -> list[InboxRow]:
    """Rows from a SELECT of (Conversation, names, agent names, last message id), with their previews loaded in
    one more statement."""
    found = db_session.execute(stmt).all()
    rows = [InboxRow(conversation=conv, first_name=first or "", last_name=last or "", account_number=number,
                     agent_first_name=agent_first, agent_last_name=agent_last)
            for conv, first, last, number, agent_first, agent_last, _ in found]
    last_ids = [last_id for *_, last_id in found if last_id is not None]
    if last_ids:
        previews = {m.id: m for m in db_session.execute(
            select(Message.id, Message.content, Message.sender_type, Message.sender_id, Message.ai_generated)
            .where(Message.id.in_(last_ids))).all()}
        for row, (*_, last_id) in zip(rows, found):
            message = previews.get(last_id)
            if message is not None:
                text = " ".join((message.content or "").split())
                row.preview = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1].rstrip() + "…"
                row.preview_from = message.sender_type
                row.preview_sender_id = message.sender_id
                row.preview_ai = bool(message.ai_generated)
    return rows


def _row_select():
    """The columns a row needs; the last message (private notes aside) is a correlated subquery, which the
    database evaluates only for the rows of the page."""
    agent = aliased(User)
    last_message = (select(Message.id).where(Message.conversation_id == Conversation.id, Message.kind != "note")
                    .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
                    .correlate(Conversation).scalar_subquery())
    return (select(Conversation, Account.first_name, Account.last_name, Account.account_number,
                   agent.first_name, agent.last_name, last_message)
            .join(Account, Account.id == Conversation.account_id)
            .outerjoin(agent, agent.id == Conversation.assigned_agent_id))


def list_page(db_session, principal: Principal, query: InboxQuery, *, now: dt.datetime,
              limit: int = PAGE_SIZE) -> InboxPage:
    """One page of the list after `query.before`, its total (exact up to 10,000) and the totals per view.

    Three statements for the unfiltered list (the page, its previews, the view totals, which hold its total too),
    four when filters need their own count."""
    _require_staff(principal)
    filtered = _filtered(_row_select(), principal, query, now)
    paged = filtered.where(_after_cursor(query.before)) if query.before else filtered
    rows = _rows(db_session, _ordered(paged).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    totals, snoozed = view_totals(db_session, principal, now=now)
    if query.filtered:
        base, joined = _counting(Conversation.id, principal)
        counted = _filtered(base, principal, query, now, joined=joined).limit(EXACT_TOTAL_LIMIT + 1)
        total = db_session.scalar(select(func.count()).select_from(counted.subquery()))
    else:
        total = totals[query.view].conversations
    return InboxPage(rows=rows, total=min(total, EXACT_TOTAL_LIMIT), total_is_capped=total > EXACT_TOTAL_LIMIT,
                     next_cursor=_encode_cursor(rows[-1].conversation) if more and rows else None,
                     totals=totals, snoozed=snoozed)


def view_totals(db_session, principal: Principal, *, now: dt.datetime) -> tuple[dict[str, ViewTotal], int]:
    """Per view, the open conversations that are awake, with unread counts; and how many open ones are snoozed.

    One statement grouping the open conversations by status, owner (the caller, nobody, someone else) and
    whether they sleep: a handful of groups the views are summed from."""
    _require_staff(principal)
    mine = Conversation.assigned_agent_id == principal.user_id if principal.user_id else Conversation.id.is_(None)
    owner = case((mine, "mine"), (Conversation.assigned_agent_id.is_(None), "unassigned"), else_="other")
    asleep = case((Conversation.snoozed_until > now, 1), else_=0)
    base, joined = _counting(Conversation.status, principal)
    stmt = (_visible(base.add_columns(owner, asleep, func.count(),
                                      func.sum(case((Conversation.unread_count > 0, 1), else_=0)),
                                      func.sum(Conversation.unread_count)), principal, joined=joined)
            .where(Conversation.status.in_(OPEN_STATUSES)).group_by(Conversation.status, owner, asleep))
    sums = {view: [0, 0, 0] for view in CONVERSATION_VIEWS}
    snoozed = 0
    for status, who, sleeping, conversations_, unread_conversations, unread_messages in db_session.execute(stmt):
        if sleeping:
            snoozed += conversations_
            continue
        views = ["all"] + (["escalated"] if status == "escalated" else []) + ([who] if who in sums else [])
        for view in views:
            for index, value in enumerate((conversations_, unread_conversations, unread_messages)):
                sums[view][index] += int(value or 0)
    return {view: ViewTotal(*values) for view, values in sums.items()}, snoozed


def row_for(db_session, principal: Principal, conversation_id, query: InboxQuery, *,
            now: dt.datetime) -> InboxRow | None:
    """One conversation's row as the list with `query` would show it, or None when the filters leave it out (the
    live list then drops it). Another business's conversation is NotFound, one outside an agent's queue Forbidden."""
    conversation, _ = get_conversation(db_session, principal, conversation_id)
    stmt = _filtered(_row_select(), principal, replace(query, before=None), now)
    rows = _rows(db_session, stmt.where(Conversation.id == conversation.id))
    return rows[0] if rows else None


# -- the open conversation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CannedChoice:
    """A canned response as the composer inserts it: filled with this debtor's values."""

    id: uuid.UUID
    name: str
    language: str
    text: str
    missing: tuple[str, ...] = ()


@dataclass(kw_only=True)
class ThreadPage:
    """A run of a conversation's messages, oldest first, with their senders' names, and whether older ones exist
    (the "Show earlier messages" button asks for the run before the first one here)."""

    conversation: Conversation
    account: Account
    business: Business
    messages: list[Message]
    senders: dict[uuid.UUID, str]
    has_earlier: bool = False

    @property
    def earlier_cursor(self) -> str | None:
        """The id of the oldest message shown, when older ones remain: the `before` of the next page."""
        return self.messages[0].id.hex if self.has_earlier and self.messages else None

    def sender_name(self, message: Message) -> str:
        return sender_name(message, self.account, self.business, self.senders)


@dataclass(kw_only=True)
class Thread(ThreadPage):
    """Everything the right-hand side shows: the conversation, its account, the newest messages with their senders'
    names, the assignee, the debtor's contact clock and the canned responses filled for this debtor."""

    assignee: User | None
    clock: ContactClock
    canned: list[CannedChoice] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.conversation.status in OPEN_STATUSES


def sender_name(message: Message, account: Account, business: Business, senders: dict) -> str:
    """Who wrote a message, in words: the debtor, the staff member, the AI, or the business for system texts."""
    if message.direction == "inbound":
        return account.full_name
    if message.sender_type == "ai" or message.ai_generated:
        return "AI assistant"
    if message.sender_id is not None and message.sender_id in senders:
        return senders[message.sender_id]
    if message.sender_type == "agent":
        return "Staff"
    return business.name


def _names(db_session, user_ids) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {user.id: user.full_name for user in db_session.scalars(select(User).where(User.id.in_(ids)))}


def canned_choices(db_session, principal: Principal, account: Account, business: Business) -> list[CannedChoice]:
    """The business's canned responses, the debtor's language first, each filled with the debtor's values."""
    language = account.preferred_language or "en"
    choices = []
    for template in sorted(canned.list_canned(db_session, principal), key=lambda t: (t.language != language, t.name)):
        text, missing = canned.render(template.body, account, business, language=template.language)
        choices.append(CannedChoice(id=template.id, name=template.name, language=template.language, text=text,
                                    missing=tuple(missing)))
    return choices


def _before_key(db_session, conversation: Conversation, before) -> tuple[dt.datetime, uuid.UUID]:
    """(created_at, id) of the message a page starts before; it must be one of this conversation's."""
    try:
        key = before if isinstance(before, uuid.UUID) else uuid.UUID(str(before).strip())
    except ValueError:
        key = None
    found = None if key is None else db_session.execute(select(Message.created_at, Message.id).where(
        Message.id == key, Message.conversation_id == conversation.id,
        Message.business_id == conversation.business_id)).first()
    if found is None:
        raise ValidationError("Those earlier messages could not be found: open the conversation again.",
                              field="before")
    return found.created_at, found.id


def thread_page(db_session, principal: Principal, conversation_id, *, before=None,
                limit: int = THREAD_PAGE) -> ThreadPage:
    """The `limit` messages just before message `before` (None: the newest), oldest first, and whether older ones
    remain. Keyset on (created_at, id), so pages meet without gaps or repeats however many messages arrive
    meanwhile; on PostgreSQL an index serves it (migration 0012, messages by conversation, created_at, id).
    404 another business, 403 outside an agent's queue, as the thread itself."""
    if not 1 <= limit <= MAX_THREAD_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_THREAD_PAGE}.", field="limit")
    conversation, account = get_conversation(db_session, principal, conversation_id)
    stmt = select(Message).where(Message.conversation_id == conversation.id,
                                 Message.business_id == conversation.business_id)
    if before is not None:
        at, key = _before_key(db_session, conversation, before)
        # The plain `created_at <= at` bounds the index scan; the OR settles ties on the id.
        stmt = stmt.where(Message.created_at <= at, or_(Message.created_at < at, Message.id < key))
    newest_first = list(db_session.scalars(stmt.order_by(Message.created_at.desc(), Message.id.desc())
                                           .limit(limit + 1)))
    messages = newest_first[:limit][::-1]
    business = db_session.get(Business, conversation.business_id)
    senders = _names(db_session, [m.sender_id for m in messages] + [conversation.assigned_agent_id])
    return ThreadPage(conversation=conversation, account=account, business=business, messages=messages,
                      senders=senders, has_earlier=len(newest_first) > limit)


def thread(db_session, principal: Principal, conversation_id, *, now: dt.datetime, before=None,
           limit: int = THREAD_PAGE) -> Thread:
    """The open conversation (404 another business, 403 outside an agent's queue) with what the page shows: its
    newest `limit` messages (or those before message `before`), the button for earlier ones in `earlier_cursor`."""
    page = thread_page(db_session, principal, conversation_id, before=before, limit=limit)
    conversation, account, business = page.conversation, page.account, page.business
    assignee = db_session.get(User, conversation.assigned_agent_id) if conversation.assigned_agent_id else None
    return Thread(conversation=conversation, account=account, business=business, messages=page.messages,
                  senders=page.senders, has_earlier=page.has_earlier, assignee=assignee,
                  clock=contact_clock(account, now), canned=canned_choices(db_session, principal, account, business))


@dataclass
class Bubble:
    message: Message
    account: Account
    sender: str


def bubble(db_session, principal: Principal, conversation_id, message_id) -> Bubble:
    """One message of a conversation the caller may see (for live inserts); a message of another conversation or
    business is NotFound."""
    conversation, account = get_conversation(db_session, principal, conversation_id)
    try:
        key = message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(str(message_id))
    except ValueError:
        raise NotFound("Message not found") from None
    message = db_session.scalars(select(Message).where(
        Message.id == key, Message.conversation_id == conversation.id,
        Message.business_id == conversation.business_id)).first()
    if message is None:
        raise NotFound("Message not found")
    business = db_session.get(Business, conversation.business_id)
    return Bubble(message=message, account=account,
                  sender=sender_name(message, account, business, _names(db_session, [message.sender_id])))


@dataclass(frozen=True)
class Held:
    """When a scheduled message goes out: in UTC, and in the debtor's zone when one zone applies."""

    at: dt.datetime
    zone: str | None
    local: dt.datetime | None


def held_until(message: Message, account: Account) -> Held | None:
    """The release time of a scheduled message, in the zone the gate weighed (stored with the message): the
    account's own zone when it is among them, else the only one; several zones and none on file give UTC alone."""
    if message.delivery_status != "scheduled" or message.scheduled_for is None:
        return None
    zones = list((message.compliance_record or {}).get("candidate_zones") or ())
    if account.timezone and (account.timezone in zones or not zones):
        zone = account.timezone
    else:
        zone = zones[0] if len(zones) == 1 else None
    try:
        local = message.scheduled_for.astimezone(ZoneInfo(zone)) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone, local = None, None
    return Held(at=message.scheduled_for, zone=zone, local=local)
