"""What the gate reads: the attempted message and a snapshot of the debtor, the business and the history.

Everything here is plain, immutable data (COMPLIANCE.md section 0). A loader builds it from the database;
tests and benchmarks build it in memory, so a decision never depends on where the facts came from.
Time values are aware UTC datetimes; money is Decimal.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

CHANNELS = ("sms", "whatsapp", "email", "web_chat", "voice", "mail", "postcard", "social")
ELECTRONIC = frozenset({"sms", "whatsapp", "email", "web_chat"})
TEXT_CHANNELS = frozenset({"sms", "whatsapp"})

KINDS = ("agent", "ai", "campaign", "transactional", "system")
"""Who composed the message (the issue's `kind`; COMPLIANCE.md calls it origin)."""

PURPOSES = (
    "collection", "validation_notice", "verification", "optout_confirm", "optin_confirm", "help_reply",
    "cease_terminate", "cease_remedy_may", "cease_remedy_intends", "receipt", "marketing",
    "privacy_response", "attorney_comm", "dispute_ack", "original_creditor_info", "payment_link", "portal_link",
    "plan_agreement",
)
CEASE_PURPOSES = frozenset({"cease_terminate", "cease_remedy_may", "cease_remedy_intends"})
SYSTEM_REPLY_PURPOSES = frozenset({"optout_confirm", "optin_confirm", "help_reply"})
"""OPT-4/7/8 replies: never counted toward caps, time-exempt where the rule says so (FREQ-6)."""

RECIPIENTS = ("debtor", "attorney", "third_party", "group", "public")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One message someone wants to send, before it exists."""

    business_id: uuid.UUID | None
    account_id: uuid.UUID | None
    channel: str
    to_address: str | None
    body: str
    now: dt.datetime
    kind: str = "campaign"
    purpose: str = "collection"
    subject: str | None = None
    from_name: str | None = None
    in_reply_to: str | None = None  # id of the inbound this answers (Inbound.id)
    scheduled_at: dt.datetime | None = None
    language: str | None = None  # the body's language; defaults to the debtor's preferred language
    template: str | None = None  # approved template key (CEASE-2, OPT-4/7/8, WhatsApp templates)
    recipient: str = "debtor"  # one of RECIPIENTS
    attachments: tuple[str, ...] = ()  # kinds: "validation_notice_pdf", ...
    consumer_request_id: str | None = None  # CEASE-3: the consumer's own request this answers
    portal_link: bool = False  # the body carries a link to the payment portal
    artificial_voice: bool = False  # CHAN-3: a prerecorded or AI-generated voice (kind 'ai' on voice counts too)


@dataclass(frozen=True, slots=True)
class Consent:
    """A per-address opt-in with its evidence (CONSENT-1, D-14)."""

    granted_at: dt.datetime
    method: str  # web, keyword, oral, written, portal, creditor_attested
    evidence: str | None = None  # ip, inbound message id, recording id, api key / user id
    revoked_at: dt.datetime | None = None

    def active(self, at: dt.datetime) -> bool:
        return self.granted_at <= at and (self.revoked_at is None or self.revoked_at > at)


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    type: str = "cell"  # cell, landline, work, unknown
    sms_consent: Consent | None = None
    whatsapp_consent: Consent | None = None
    last_inbound_text_at: dt.datetime | None = None
    rnd_checked_at: dt.datetime | None = None  # reassigned-numbers check said "not reassigned"
    verified: bool = True  # D-13: supplied by the creditor = the consumer's; False after a wrong-party signal
    active: bool = True
    dnc_registry: str = "unknown"  # DNC-2: listed, not_listed, unknown (National DNC Registry check result)
    dnc_registry_checked_at: dt.datetime | None = None
    voice_consent: Consent | None = None  # CHAN-3: consent to prerecorded / AI-voice calls to this number


@dataclass(frozen=True, slots=True)
class Email:
    address: str
    is_work: bool = False
    employer_operated: bool = False
    provenance: str | None = None  # consumer_emailed, consumer_consent, creditor_notice, prior_collector, None
    consent: Consent | None = None
    debtor_emailed_from_at: dt.datetime | None = None
    verified: bool = True


@dataclass(frozen=True, slots=True)
class OptOut:
    """An opt-out (or, with action='opt_in', a re-opt-in) as recorded by the inbound pipeline or staff."""

    channel: str
    address: str | None
    received_at: dt.datetime
    effective_at: dt.datetime
    action: str = "opt_out"  # opt_out, opt_in
    scope: str = "all"  # all (D-3) or channel
    rule_id: str | None = None  # OPT-1, OPT-2, ...
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message the debtor (or someone at their address) sent us."""

    id: str
    channel: str
    received_at: dt.datetime
    body: str = ""
    address: str | None = None
    labels: frozenset[str] = frozenset()  # classifier output: opt_out, cease, attorney, dispute, wrong_party, ...


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message we tried to send, as the frequency rules count it (FREQ-6)."""

    channel: str
    sent_at: dt.datetime
    decision: str = "allow"  # the gate's outcome when it was sent
    provider_status: str = "sent"  # queued, accepted, sent, delivered, undelivered, failed, rejected
    kind: str = "campaign"
    purpose: str = "collection"
    address: str | None = None
    in_reply_to: str | None = None
    reply_exempt: bool = False  # FREQ-6/D-2: stamped when the gate judged it a reply
    recipient: str = "debtor"
    id: str | None = None
    consumer_request_id: str | None = None  # CEASE-3: the consumer request a receipt answered


@dataclass(frozen=True, slots=True)
class Call:
    placed_at: dt.datetime
    connected: bool = False
    conversation: bool = False  # a telephone conversation took place (FREQ-1(B))
    callback_requested_for: dt.date | None = None  # 1006.14(b)(3)(i)
    inbound: bool = False  # the consumer called us: not "placed" (FREQ-1(A)); a conversation still counts for (B)
    recipient: str = "debtor"  # calls to the attorney are not counted (FREQ-1)
    address: str | None = None  # the number dialed, E.164 (STATE-MA-1: personal vs other numbers)


@dataclass(frozen=True, slots=True)
class Attorney:
    name: str | None = None
    address: str | None = None
    email: str | None = None
    known_at: dt.datetime | None = None
    consented_direct_at: dt.datetime | None = None
    last_contact_sent_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Cease:
    received_at: dt.datetime
    type: str = "cease"  # cease, refuse_to_pay
    channel: str | None = None
    written: bool = True
    account_id: uuid.UUID | None = None  # the debt it names (CEASE-5); None = all the debtor's debts


@dataclass(frozen=True, slots=True)
class Dispute:
    received_at: dt.datetime
    kind: str = "dispute"  # dispute, original_creditor (DISPUTE-2)
    written: bool = True
    within_vp: bool = True
    portion: Decimal | None = None  # None = the whole debt
    answered_at: dt.datetime | None = None  # verification / judgment / creditor name and address sent


@dataclass(frozen=True, slots=True)
class Blackout:
    """A consumer-designated inconvenient time (TIME-4) or stated working hours (WORK-2), local to the debtor."""

    start: dt.time
    end: dt.time
    weekdays: frozenset[int] = frozenset(range(7))  # Monday = 0
    designated_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    channels: frozenset[str] = frozenset()  # empty = every channel


@dataclass(frozen=True, slots=True)
class Itemization:
    """VALID-3 fields; `defaulted` names the ones D-12 filled in."""

    date: dt.date | None = None
    date_type: str | None = None
    amount: Decimal | None = None
    interest: Decimal = Decimal("0")
    fees: Decimal = Decimal("0")
    payments_credits: Decimal = Decimal("0")
    defaulted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Validation:
    initial_comm_at: dt.datetime | None = None
    initial_had_validation: bool = False
    notice_sent_at: dt.datetime | None = None
    method: str | None = None  # email, mail, portal, sms_summary
    period_end: dt.date | None = None
    esign_consent_at: dt.datetime | None = None
    spanish_offer_included: bool = False
    spanish_requested_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Privacy:
    ccpa_delete_done: bool = False
    ccpa_denied_reason: str | None = None
    gdpr_scope: bool = False
    marketing_objection: bool = False


@dataclass(frozen=True, slots=True)
class Debtor:
    """The account (debt) and the person behind it."""

    account_id: uuid.UUID | None = None
    first_name: str = ""
    last_name: str = ""
    state: str | None = None
    zip: str | None = None
    city: str | None = None
    country: str = "US"
    account_tz: str | None = None  # set by staff or the API (TIME-2)
    stated_tz: str | None = None
    stated_tz_at: dt.datetime | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    whatsapp_optin_at: dt.datetime | None = None
    whatsapp_last_inbound_at: dt.datetime | None = None
    preferred_language: str = "en"
    inconvenient_times: tuple[Blackout, ...] = ()
    workplace_objection_at: dt.datetime | None = None
    work_hours: tuple[Blackout, ...] = ()
    attorney: Attorney | None = None
    attorney_pending_at: dt.datetime | None = None
    ceases: tuple[Cease, ...] = ()
    cease_candidate_at: dt.datetime | None = None
    dnc: bool = False  # the whole account is on the internal do-not-contact list
    dnc_addresses: frozenset[str] = frozenset()
    bankruptcy: bool = False
    deceased: bool = False
    representative_address: str | None = None  # ACCT-2: the estate's authorized person
    status: str = "active"  # active, paid, settled, discharged, ...
    privacy: Privacy = Privacy()
    marketing_consent_at: dt.datetime | None = None
    nyc: bool = False  # the consumer lives in New York City (STATE-NYC-1)
    nyc_consent_at: dt.datetime | None = None
    account_number: str | None = None
    original_creditor: str | None = None
    current_creditor: str | None = None
    balance: Decimal = Decimal("0")
    original_balance: Decimal | None = None
    authorized_fees: frozenset[Decimal] = frozenset()  # fees the agreement or law allows (CONTENT-7)
    plan_amounts: frozenset[Decimal] = frozenset()  # plan totals and installment amounts (CONTENT-6)
    recorded_payments: frozenset[Decimal] = frozenset()  # payment amounts the ledger recorded (receipts; CONTENT-6)
    itemization: Itemization = Itemization()
    validation: Validation = Validation()
    disputes: tuple[Dispute, ...] = ()
    time_barred: str = "unknown"  # true, false, unknown
    legal_action_approved: bool = False
    unverified_addresses: frozenset[str] = frozenset()  # TP-2: after a wrong-party signal
    authenticated_addresses: frozenset[str] = frozenset()  # passed DOB+ZIP (or portal) authentication
    receipt_requests: tuple[tuple[str, dt.datetime], ...] = ()  # CEASE-3: (request id, when the consumer asked)
    employer_domain: str | None = None  # WORK-1: the employer's email domain, when known
    past_credit_reporting_period: bool = False  # TBD-2 (CA): past the FCRA 605(a) reporting period


@dataclass(frozen=True, slots=True)
class Policy:
    """The business's identity and compliance settings: narrower caps and windows, safe-harbor switches."""

    business_name: str = ""
    dba: str | None = None
    messaging_number: str | None = None
    support_phone: str | None = None
    support_email: str | None = None
    dispute_address: str | None = None
    ca_license_no: str | None = None
    portal_url: str | None = None
    caps: dict[str, int] = field(default_factory=dict)  # FREQ-2..5 overrides, only ever lower (D-1)
    window_start: dt.time = dt.time(8, 0)  # may be narrowed, never widened
    window_end: dt.time = dt.time(21, 0)
    freq5_enabled: bool = True  # platform default (super_admin only, D-1; scenario 35)
    freq7_enabled: bool = False  # D-11
    consent3_blocking: bool = False  # D-10 (email provenance)
    consent4_blocking: bool = False  # D-10 (reassigned numbers)
    tp5_blocking: bool = False  # D-18
    nyc_blocking: bool = False  # D-9 / D-18
    time7_blocking: bool = False  # TIME-7 Sundays/holidays
    attorney_wait_days: int = 30  # D-6
    nyc_cap: int | None = None  # D-9 placeholder cap per 7 days
    snippet_texts: dict[str, str] = field(default_factory=dict)  # counsel-approved '<item>:<lang>' texts for [U] items


@dataclass(frozen=True, slots=True)
class History:
    outbound: tuple[Outbound, ...] = ()
    inbound: tuple[Inbound, ...] = ()
    calls: tuple[Call, ...] = ()
    optouts: tuple[OptOut, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything one decision reads. Loaders return it; rules never query anything else."""

    debtor: Debtor = Debtor()
    policy: Policy = Policy()
    history: History = History()
