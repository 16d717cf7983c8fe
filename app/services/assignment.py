"""Who answers a conversation (PRD 4.3.4): the business's rule, agent availability and capacity.

Rules: manual (conversations wait in the queue for a manager or a self-assignment), round robin, least active
(fewest open conversations) and skill based (the account's language and the tags some agent lists as a skill pick
who is eligible; the least active of them gets it). Only online agents under their capacity receive new
conversations. An agent who goes offline (by choice, by losing every connection, or by being deactivated) hands
their open conversations on under the same rule, or back to the queue.

Availability comes from two places: the agent's own choice, which presence never overrides, and presence itself
(connected sockets, counted across processes in Redis; the last one closing starts a grace period the clock ends).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from app.models import Account, Business, Conversation, User
from app.models.conversation import OPEN_STATUSES
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal

AVAILABILITY = ("online", "away", "offline")
RULES = ("manual", "round_robin", "least_active", "skill_based")
ASSIGNABLE_ROLES = ("agent",)
"""Who auto-assignment hands conversations to (managers assign by hand and may take one themselves)."""
STAFF_ROLES = ("business_admin", "manager", "agent")
DEFAULT_CAPACITY = 25
MAX_CAPACITY = 500
OFFLINE_GRACE = dt.timedelta(seconds=60)
"""A page load closes one socket and opens the next: only an agent gone this long is offline."""
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class AssignmentSettings:
    rule: str = "manual"
    capacity: int = DEFAULT_CAPACITY
    reassign_on_offline: bool = True


@dataclass(frozen=True)
class AgentLoad:
    user: User
    availability: str
    open_count: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.open_count >= self.capacity


def settings_of(business: Business) -> AssignmentSettings:
    stored = (business.settings or {}).get("assignment") or {}
    rule = stored.get("rule") if stored.get("rule") in RULES else "manual"
    capacity = stored.get("capacity")
    capacity = capacity if isinstance(capacity, int) and 1 <= capacity <= MAX_CAPACITY else DEFAULT_CAPACITY
    return AssignmentSettings(rule=rule, capacity=capacity,
                              reassign_on_offline=bool(stored.get("reassignOnOffline", True)))


def update_settings(db_session, principal: Principal, *, rule: str | None = None, capacity=None,
                    reassign_on_offline: bool | None = None, now: dt.datetime) -> AssignmentSettings:
    """Business admins set the rule (settings.manage); every change is audited."""
    from app.services import audit as audit_service
    from app.services.auth import permissions

    permissions.require(principal.role, "settings.manage")
    business = db_session.get(Business, principal.business_id)
    current = settings_of(business)
    if rule is not None and rule not in RULES:
        raise ValidationError(f"Choose one of: {', '.join(RULES)}.", field="rule")
    if capacity is not None:
        try:
            capacity = int(capacity)
        except (TypeError, ValueError):
            raise ValidationError("Capacity must be a whole number.", field="capacity") from None
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValidationError(f"Capacity must be between 1 and {MAX_CAPACITY}.", field="capacity")
    after = AssignmentSettings(rule=rule if rule is not None else current.rule,
                               capacity=capacity if capacity is not None else current.capacity,
                               reassign_on_offline=current.reassign_on_offline if reassign_on_offline is None
                               else bool(reassign_on_offline))
    if after != current:
        business.settings = {**(business.settings or {}), "assignment": {
            "rule": after.rule, "capacity": after.capacity, "reassignOnOffline": after.reassign_on_offline}}
        audit_service.record(db_session, "assignment_settings_updated", principal=principal, now=now,
                             resource_type="business", resource_id=business.id,
                             changes={"before": current.__dict__, "after": after.__dict__})
    return after


# -- load ------------------------------------------------------------------------------------------------------------
def open_counts(db_session, business_id) -> dict[uuid.UUID, int]:
    """Open conversations per assigned agent, in one grouped query."""
    return dict(db_session.execute(
        select(Conversation.assigned_agent_id, func.count()).where(
            Conversation.business_id == business_id, Conversation.assigned_agent_id.is_not(None),
            Conversation.status.in_(OPEN_STATUSES)).group_by(Conversation.assigned_agent_id)).all())


def capacity_of(user: User, settings: AssignmentSettings) -> int:
    return user.max_open_conversations or settings.capacity


def agents_overview(db_session, principal: Principal) -> list[AgentLoad]:
    """Every active staff member with availability and load, agents first (managers' view)."""
    if principal.role not in ("business_admin", "manager"):
        raise Forbidden("Only managers and admins see the team's availability.")
    business = db_session.get(Business, principal.business_id)
    settings = settings_of(business)
    counts = open_counts(db_session, business.id)
    users = db_session.scalars(select(User).where(
        User.business_id == business.id, User.role.in_(STAFF_ROLES), User.status == "active",
        User.deleted_at.is_(None)).order_by(User.role != "agent", User.first_name, User.last_name, User.email)).all()
    return [AgentLoad(user=u, availability=u.availability or "offline", open_count=counts.get(u.id, 0),
                      capacity=capacity_of(u, settings)) for u in users]


def update_agent(db_session, principal: Principal, user_id, *, skills=None, max_open_conversations=None,
                 clear_capacity: bool = False, now: dt.datetime) -> User:
    """Managers and admins set an agent's skills (languages, tags) and personal capacity."""
    from app.services import audit as audit_service
    from app.services.tenancy import get_scoped

    if principal.role not in ("business_admin", "manager"):
        raise Forbidden("Only managers and admins change agents' skills and capacity.")
    user = get_scoped(db_session, User, user_id, principal)
    changes = {}
    if skills is not None:
        if isinstance(skills, str):
            skills = skills.split(",")
        cleaned = sorted({str(s).strip().lower() for s in skills if str(s).strip()})
        if any(len(s) > 40 for s in cleaned) or len(cleaned) > 30:
            raise ValidationError("Up to 30 skills of at most 40 characters each.", field="skills")
        if cleaned != sorted(user.skills or []):
            changes["skills"] = [user.skills or [], cleaned]
            user.skills = cleaned
    if clear_capacity and user.max_open_conversations is not None:
        changes["max_open_conversations"] = [user.max_open_conversations, None]
        user.max_open_conversations = None
    elif max_open_conversations is not None:
        try:
            value = int(max_open_conversations)
        except (TypeError, ValueError):
            raise ValidationError("Capacity must be a whole number.", field="maxOpenConversations") from None
        if not 1 <= value <= MAX_CAPACITY:
            raise ValidationError(f"Capacity must be between 1 and {MAX_CAPACITY}.", field="maxOpenConversations")
        if value != user.max_open_conversations:
            changes["max_open_conversations"] = [user.max_open_conversations, value]
            user.max_open_conversations = value
    if changes:
        audit_service.record(db_session, "agent_updated", principal=principal, now=now, resource_type="user",
                             resource_id=user.id, changes=changes)
    return user


# -- choosing an agent -----------------------------------------------------------------------------------------------
def required_skills(account: Account, known_skills: set[str]) -> set[str]:
    """What an eligible agent must list: a language other than English, and each account tag that is some agent's
    skill (tags nobody claims, such as 'vip', choose nobody out)."""
    needed = {str(t).strip().lower() for t in (account.tags or [])} & known_skills
    language = (account.preferred_language or DEFAULT_LANGUAGE).split("-")[0].lower()
    if language != DEFAULT_LANGUAGE:
        needed.add(language)
    return needed


def candidates(db_session, business: Business, account: Account | None, *, exclude=(),
               settings: AssignmentSettings | None = None) -> list[AgentLoad]:
    """Online agents under capacity who may take this account's conversation, least loaded first."""
    settings = settings or settings_of(business)
    counts = open_counts(db_session, business.id)
    agents = db_session.scalars(select(User).where(
        User.business_id == business.id, User.role.in_(ASSIGNABLE_ROLES), User.status == "active",
        User.deleted_at.is_(None), User.availability == "online")).all()
    loads = [AgentLoad(user=u, availability="online", open_count=counts.get(u.id, 0),
                       capacity=capacity_of(u, settings)) for u in agents if u.id not in exclude]
    loads = [load for load in loads if not load.full]
    if account is not None and account.assigned_agent_id is not None:
        # An account in one agent's queue stays theirs when they can take it.
        owner = [load for load in loads if load.user.id == account.assigned_agent_id]
        if owner:
            return owner
    if settings.rule == "skill_based" and account is not None:
        known = {s for u in agents for s in (u.skills or [])}
        needed = required_skills(account, known)
        loads = [load for load in loads if needed <= set(load.user.skills or [])]
    return sorted(loads, key=lambda load: (load.open_count, str(load.user.id)))


def choose(db_session, business: Business, account: Account | None, *, exclude=()) -> User | None:
    """The agent the business's rule picks now, or None (manual rule, or nobody online with room)."""
    settings = settings_of(business)
    if settings.rule == "manual":
        return None
    loads = candidates(db_session, business, account, exclude=exclude, settings=settings)
    if not loads:
        return None
    if settings.rule == "round_robin" and len(loads) > 1:
        ring = sorted(loads, key=lambda load: str(load.user.id))
        last = str(business.last_assigned_agent_id) if business.last_assigned_agent_id else ""
        after = [load for load in ring if str(load.user.id) > last]
        return (after or ring)[0].user
    return loads[0].user


def auto_assign(db_session, conversation: Conversation, account: Account | None, *, now: dt.datetime) -> User | None:
    """Give an unassigned open conversation to the agent the rule picks (and tell them); None leaves it queued."""
    if conversation.assigned_agent_id is not None or conversation.status not in OPEN_STATUSES:
        return None
    business = db_session.get(Business, conversation.business_id)
    rule = settings_of(business).rule
    if rule == "manual":
        return None
    if rule == "round_robin":  # round robin's place: one writer at a time
        business = db_session.execute(select(Business).where(Business.id == business.id).with_for_update()
                                      .execution_options(populate_existing=True)).scalar_one()
    agent = choose(db_session, business, account)
    if agent is None:
        return None
    give(db_session, conversation, agent, now=now, account=account, by=None)
    return agent


def give(db_session, conversation: Conversation, agent: User | None, *, now: dt.datetime, account=None,
         by: Principal | None) -> None:
    """Set the assignee, remember round robin's place, push the change and notify the new assignee."""
    from app.services import notifications
    from app.services.conversation_events import publish_conversation

    previous = conversation.assigned_agent_id
    conversation.assigned_agent_id = agent.id if agent is not None else None
    conversation.assigned_at = now if agent is not None else None
    if agent is not None:
        business = db_session.get(Business, conversation.business_id)
        business.last_assigned_agent_id = agent.id
    publish_conversation(db_session, conversation)
    if agent is not None and agent.id != previous and (by is None or by.user_id != agent.id):
        account = account or db_session.get(Account, conversation.account_id)
        name = " ".join(p for p in (account.first_name, account.last_name) if p) if account else "a debtor"
        notifications.notify(db_session, user_id=agent.id, business_id=conversation.business_id, kind="assignment",
                             title=f"New conversation assigned: {name}",
                             body=f"{conversation.channel.replace('_', ' ')} conversation", now=now,
                             link=f"/conversations/{conversation.id}", conversation_id=conversation.id)


# -- availability ----------------------------------------------------------------------------------------------------
def set_availability(db_session, user: User, availability: str, *, now: dt.datetime,
                     by_presence: bool = False) -> bool:
    """Change an agent's availability; returns whether it changed. Presence never overrides the agent's own
    choice to be away or offline. Going offline hands the agent's open conversations on."""
    from app import realtime

    if availability not in AVAILABILITY:
        raise ValidationError("Availability must be online, away or offline.", field="availability")
    if by_presence and user.availability_source == "agent" and user.availability in ("away", "offline") \
            and availability == "online":
        return False
    changed = user.availability != availability
    if not by_presence:
        user.availability_source = "agent"
    if not changed:
        return False
    if by_presence:
        user.availability_source = "presence"
    user.availability = availability
    user.availability_changed_at = now
    realtime.publish(f"business:{user.business_id}", "presence.update",
                     {"userId": str(user.id), "availability": availability}, session=db_session)
    if availability == "offline":
        release_from(db_session, user, now=now)
    return True


def release_from(db_session, user: User, *, now: dt.datetime) -> int:
    """An agent gone offline or deactivated: their open conversations go to others under the rule (when the
    business reassigns on offline) or back to the queue. Returns how many moved."""
    business = db_session.get(Business, user.business_id)
    if business is None:
        return 0
    settings = settings_of(business)
    if not settings.reassign_on_offline and user.status == "active":
        return 0
    moved = 0
    conversations = db_session.scalars(select(Conversation).where(
        Conversation.business_id == business.id, Conversation.assigned_agent_id == user.id,
        Conversation.status.in_(OPEN_STATUSES)).order_by(Conversation.last_message_at.desc().nulls_last())).all()
    for conversation in conversations:
        account = db_session.get(Account, conversation.account_id)
        agent = choose(db_session, business, account, exclude={user.id}) if settings.rule != "manual" else None
        give(db_session, conversation, agent, now=now, account=account, by=None)
        db_session.flush()  # the next choice counts this one
        moved += 1
    return moved


# presence: sockets per user across processes ------------------------------------------------------------------------
def _presence_key(user_id) -> str:
    return f"presence:{user_id}"


def socket_connected(db_session, redis, user_id, sid: str, *, now: dt.datetime) -> None:
    redis.sadd(_presence_key(user_id), sid)
    redis.expire(_presence_key(user_id), 24 * 3600)
    user = db_session.get(User, uuid.UUID(str(user_id)))
    if user is None:
        return
    user.last_seen_at = now
    if user.availability == "offline":
        set_availability(db_session, user, "online", now=now, by_presence=True)


def socket_disconnected(db_session, redis, user_id, sid: str, *, now: dt.datetime) -> None:
    """The last socket closing only records the time: the clock decides once the grace period has passed."""
    redis.srem(_presence_key(user_id), sid)
    user = db_session.get(User, uuid.UUID(str(user_id)))
    if user is not None:
        user.last_seen_at = now


def sweep_presence(db_session, redis, now: dt.datetime) -> int:
    """Clock: agents shown online or away with no socket for the grace period go offline (and hand work on)."""
    gone = 0
    users = db_session.scalars(select(User).where(User.availability.in_(("online", "away")),
                                                  User.status == "active")).all()
    for user in users:
        if redis.scard(_presence_key(user.id)):
            continue
        if user.last_seen_at is not None and now - user.last_seen_at < OFFLINE_GRACE:
            continue
        if set_availability(db_session, user, "offline", now=now, by_presence=True):
            gone += 1
    return gone


def get_staff(db_session, principal: Principal, user_id) -> User:
    """A staff member of the caller's business (404 otherwise), for assignment targets."""
    try:
        wanted = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise ValidationError("Choose an agent.", field="agentId") from None
    user = db_session.get(User, wanted)
    if user is None or user.business_id != principal.business_id or user.deleted_at is not None:
        raise NotFound("User not found")
    if user.role not in STAFF_ROLES or user.status != "active":
        raise ValidationError("Only active staff can be assigned conversations.", field="agentId")
    return user
