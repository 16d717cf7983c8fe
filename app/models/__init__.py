"""All models, imported here so that metadata (and migrations) see every table."""
from app.models.base import Base
from app.models.business import Business
from app.models.user import ApiKey, User, UserSession
from app.models.account import Account, AccountNote, Document, SavedFilter
from app.models.conversation import Conversation, Message, UnmatchedInbound
from app.models.payment import Payment, PaymentInstallment, PaymentPlan, PaymentPlanChangeRequest
from app.models.campaign import Campaign
from app.models.template import Template
from app.models.audit import AuditLog
from app.models.consent import ConsentEvent, DoNotContact, OptOutEvent
from app.models.webhook import IdempotencyKey, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.models.notification import Notification
from app.models.sandbox import SandboxMessage
from app.models.identity import DebtorKey, UserToken
from app.models.account_import import AccountImport
from app.models.compliance import ComplianceDecision, DebtDispute, PlatformSetting
from app.models.portal import PortalLink
from app.models.usage import UsageCounter

__all__ = [
    "Base", "Business", "User", "UserSession", "ApiKey", "Account", "AccountNote", "Document", "SavedFilter",
    "Conversation", "Message", "Payment", "PaymentPlan", "PaymentInstallment", "PaymentPlanChangeRequest", "Campaign",
    "Template",
    "AuditLog", "ConsentEvent", "OptOutEvent", "DoNotContact", "WebhookEvent", "IdempotencyKey",
    "Notification", "SandboxMessage", "UserToken", "DebtorKey", "AccountImport", "WebhookEndpoint", "WebhookDelivery",
    "ComplianceDecision", "DebtDispute", "PlatformSetting", "UnmatchedInbound", "PortalLink", "UsageCounter",
]
