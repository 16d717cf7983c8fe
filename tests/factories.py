"""gen_* helpers: build rows through the services where they exist, with sensible defaults."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pyotp

from app.extensions import db
from app.models import AccountImport, DebtorKey, UserToken, WebhookDelivery, WebhookEndpoint
from app.models import ComplianceDecision, DebtDispute, PlatformSetting, PortalLink, UnmatchedInbound, UsageCounter
from app.models import PaymentPlanChangeRequest
from app.models import (Account, AccountNote, ApiKey, AuditLog, Business, Campaign, ConsentEvent, Conversation,
                        DoNotContact, Document, IdempotencyKey, Message, Notification, OptOutEvent, Payment,
                        PaymentInstallment, PaymentPlan, SandboxMessage, SavedFilter, Template, User, UserSession,
                        WebhookEvent)
from app.services.auth.users import create_user, get_or_create_business

PASSWORD = "Correct-Horse-Battery-42"
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone.utc)


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def gen_business(name: str | None = None) -> Business:
    business = get_or_create_business(db.session, name or f"Agency {_tag()}")
    db.session.commit()
    return business


def gen_user(business: Business | None, role: str = "business_admin", email: str | None = None,
             password: str = PASSWORD, mfa: bool = True, verified: bool = True) -> User:
    user = create_user(db.session, email=email or f"{role}-{_tag()}@example.com", password=password, role=role,
                       business=business, first_name="Test", last_name=role.title(),
                       mfa_secret=pyotp.random_base32() if mfa else None, verified=verified, now=NOW,
                       check_strength=False)
    db.session.commit()
    return user


def gen_account(business: Business, **fields) -> Account:
    business.account_number_seq += 1
    values = dict(first_name="Jane", last_name=f"Doe{_tag()}", email=f"jane-{_tag()}@example.com",
                  phone="+12125550123", state="NY", zip="10001", current_balance=Decimal("1250.00"),
                  original_balance=Decimal("1500.00"), account_number=f"ACC-{business.account_number_seq:06d}",
                  business_id=business.id)
    values.update(fields)
    account = Account(**values)
    db.session.add(account)
    db.session.commit()
    return account


def gen_conversation(business: Business, account: Account, channel: str = "sms") -> Conversation:
    conv = Conversation(business_id=business.id, account_id=account.id, channel=channel,
                        debtor_address=account.phone, business_address=business.sms_number, subject=f"Subj {_tag()}")
    db.session.add(conv)
    db.session.commit()
    return conv


def gen_message(business: Business, conversation: Conversation, content: str = "Hello") -> Message:
    msg = Message(business_id=business.id, conversation_id=conversation.id, account_id=conversation.account_id,
                  sender_type="agent", kind="agent", channel=conversation.channel, direction="outbound",
                  content=f"{content} {_tag()}", to_address=conversation.debtor_address, delivery_status="delivered")
    db.session.add(msg)
    db.session.commit()
    return msg


def gen_plan(business: Business, account: Account) -> PaymentPlan:
    plan = PaymentPlan(business_id=business.id, account_id=account.id, total_amount=Decimal("600.00"),
                       down_payment=Decimal("0.00"), installment_amount=Decimal("100.00"), number_of_installments=6,
                       frequency="monthly", start_date=dt.date(2026, 12, 1), notes=f"plan {_tag()}")
    db.session.add(plan)
    db.session.commit()
    return plan


def gen_business_rows(business: Business) -> dict[type, object]:
    """One row of every business-owned table for this business (tenancy tests)."""
    user = gen_user(business, "agent")
    account = gen_account(business)
    conv = gen_conversation(business, account)
    msg = gen_message(business, conv)
    plan = gen_plan(business, account)
    b = business.id
    rows = {
        Account: account, Conversation: conv, Message: msg, PaymentPlan: plan,
        AccountNote: AccountNote(business_id=b, account_id=account.id, author_id=user.id, body=f"note {_tag()}"),
        Document: Document(business_id=b, account_id=account.id, filename=f"doc-{_tag()}.pdf", file_size=10,
                           storage_path=f"docs/{_tag()}"),
        SavedFilter: SavedFilter(business_id=b, user_id=user.id, name=f"filter {_tag()}", query={"status": "active"}),
        Payment: Payment(business_id=b, account_id=account.id, amount=Decimal("10.00"), payment_method="card",
                         description=f"pay {_tag()}"),
        PaymentInstallment: PaymentInstallment(business_id=b, payment_plan_id=plan.id, number=1,
                                               amount=Decimal("100.00"), due_date=dt.date(2027, 1, 1),
                                               status="scheduled"),
        PaymentPlanChangeRequest: PaymentPlanChangeRequest(business_id=b, plan_id=plan.id, account_id=account.id,
                                                           kind="date_change", requested_date=dt.date(2027, 1, 5),
                                                           reason=f"reason {_tag()}", status="pending"),
        Campaign: Campaign(business_id=b, name=f"camp {_tag()}", channel="sms", message_template="Hi",
                           schedule_type="immediate"),
        ConsentEvent: ConsentEvent(business_id=b, account_id=account.id, channel="sms", address=account.phone,
                                   granted=True, source=f"web-{_tag()}", occurred_at=NOW),
        OptOutEvent: OptOutEvent(business_id=b, account_id=account.id, channel="sms",
                                 address=f"+1212555{_tag()[:4]}", received_at=NOW, effective_at=NOW),
        DoNotContact: DoNotContact(business_id=b, account_id=account.id, kind="phone", value=f"+1212{_tag()[:7]}"),
        Notification: Notification(business_id=b, user_id=user.id, kind="assignment", title=f"note {_tag()}"),
        AccountImport: AccountImport(business_id=b, created_by_id=user.id, created_by_role="manager",
                                     filename=f"import-{_tag()}.csv", source_text="firstName\nJane\n", total_rows=1),
        ComplianceDecision: ComplianceDecision(business_id=b, account_id=account.id, message_id=msg.id, channel="sms",
                                               kind="agent", purpose=f"collection-{_tag()}", outcome="allow", rules=[],
                                               record={"decision": "ALLOW"}, evaluated_at=NOW),
        DebtDispute: DebtDispute(business_id=b, account_id=account.id, received_at=NOW, note=f"dispute {_tag()}"),
        UnmatchedInbound: UnmatchedInbound(business_id=b, channel="sms", from_address=f"+1646{_tag()[:7]}",
                                           body="hello", provider="sandbox", external_id=f"SM{_tag()}",
                                           received_at=NOW),
        PortalLink: PortalLink(business_id=b, account_id=account.id, expires_at=NOW, channel=f"sms"),
        UsageCounter: UsageCounter(business_id=b, period_start=dt.date(2026, 11, int(_tag()[:2], 16) % 28 + 1)),
    }
    for model, row in rows.items():
        if row not in db.session:
            db.session.add(row)
    db.session.commit()
    return rows


# Tables not owned through business_id (kept here so a new table must be classified by a test).
UNSCOPED_TABLES = {
    Business: "the tenant itself",
    User: "scoped by business_id, but also holds debtors and super admins (nullable business)",
    UserSession: "belongs to a user",
    ApiKey: "scoped by business_id (admin settings)",
    AuditLog: "scoped by business_id (nullable for platform events)",
    Template: "business_id null = platform default",
    WebhookEvent: "provider events before they are matched to a business",
    IdempotencyKey: "keyed by business_id, read only by the idempotency layer",
    SandboxMessage: "business_id null for system mail to people outside a business",
    UserToken: "belongs to a user (or a pending sign-up)",
    DebtorKey: "read only by the audit service, keyed by account",
    WebhookEndpoint: "scoped by business_id in the webhooks service (settings page only)",
    WebhookDelivery: "scoped by business_id in the webhooks service (settings page only)",
    PlatformSetting: "platform-wide defaults, changed only by a super admin (compliance.settings)",
}
