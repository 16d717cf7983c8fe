"""DbLoader: the Facts for one attempt, read from the database in a fixed handful of queries, scoped to the
attempt's business (another business's account, or a deleted one, is NotFound).

Queries per load: 1 account + business + platform defaults, 2 conversations (last inbound per address),
3 messages of the last 30 days with their latest stored decision, 4 opt-out events, 5 consent events,
6 do-not-contact rows, 7 disputes, 8 plan and installment amounts, 9 payments; 10 only when the account is linked
to a debtor user: the ceases on the debtor's other accounts. An attempt without an account reads 1, 4, 6 and the unknown-senders list (what a reply to an unknown sender
answers).

Where each fact comes from (table.column, an event table, or a derivation):

Debtor
  account_id, first_name, last_name, state, zip, city, country, preferred_language, account_number,
  original_creditor, legal_action_approved, time_barred, bankruptcy, deceased, cease_candidate_at,
  representative_address, current_creditor, employer_domain, past_credit_reporting_period
                          accounts.<same name>
  balance, original_balance   accounts.current_balance, accounts.original_balance
  status                  accounts.status, with paid_in_full read as "paid" (ACCT-3, VALID-1's exception)
  account_tz              accounts.timezone unless it was derived (timezone_source zip/state/phone adds nothing)
  stated_tz, stated_tz_at accounts.timezone and accounts.stated_timezone_at when timezone_source = "stated"
  phones                  accounts.phone and accounts.phone_secondary (E.164), each with
    type                    accounts.phone_type / phone_secondary_type (absent: "unknown")
    sms_consent, whatsapp_consent, voice_consent
                            consent_events (channel sms / whatsapp / voice) for that number, or with no address:
                            the latest grant, revoked by the first revocation after it; source "import" is read as
                            creditor_attested; evidence per method (web: IP; keyword: inbound message id; oral:
                            recording id; written: document id; portal: session or user; creditor_attested: API key
                            or user, else the stored evidence). accounts.sms_consent etc. are the grid's summary.
    last_inbound_text_at    conversations.last_inbound_at of the account's sms/whatsapp conversations with that
                            number (all time, so CONSENT-4's 60 days are covered)
    rnd_checked_at          accounts.phone_rnd_checked_at / phone_secondary_rnd_checked_at
    verified                not in accounts.unverified_addresses
    active                  always (numbers on file); dnc_registry "unknown" (no registry checks are stored yet:
                            DNC-2 blocks marketing by phone)
  emails                  accounts.email, with
    is_work                 accounts.email_is_work
    employer_operated       derived: is_work, or the address is on accounts.employer_domain
    provenance              accounts.email_provenance ("other" and absent are outside the safe harbor)
    consent                 consent_events (channel email) for that address
    debtor_emailed_from_at  conversations.last_inbound_at of email conversations with that address
    verified                not in accounts.unverified_addresses
  whatsapp_optin_at       None: a WhatsApp consent without an address applies to every number (Phone)
  whatsapp_last_inbound_at  conversations.last_inbound_at of whatsapp conversations
  inconvenient_times      accounts.inconvenient_times: [blackout] (see blackout_json)
  workplace_objection_at, work_hours   accounts.workplace_objection: {"at": ISO, "hours": [blackout]}
  attorney                accounts.attorney_encrypted (name, address, email, knownAt; undecryptable = an
                          attorney with unknown details, which still blocks) + accounts.attorney_consented_direct_at,
                          attorney_contacted_at (last_contact_sent_at), attorney_responded_at
  attorney_pending_at     accounts.attorney_pending_at, else accounts.updated_at when only attorney_pending is set
  ceases                  accounts.cease_received_at, cease_type, cease_channel, cease_written; cease_all_debts
                          makes it cover every debt (account_id None, CEASE-5); ceases on the same debtor user's
                          other accounts of the business that cover all debts are added
  dnc                     accounts.do_not_contact, or a do_not_contact row of kind "account" (not removed)
  dnc_addresses           do_not_contact rows for any address on file or the destination (not removed), plus
                          every address of the attempt's channel when accounts.do_not_sms / do_not_whatsapp /
                          do_not_email / do_not_call is set for that channel
  privacy                 accounts.ccpa_deleted_at (done), ccpa_denied_reason, gdpr_scope, marketing_objection_at
  marketing_consent_at    accounts.marketing_consent_at, or a consent_events grant (channel marketing); a later
                          revocation event wins
  nyc                     accounts.nyc, else derived: the ZIP lies in one of the five boroughs' counties
  nyc_consent_at          accounts.nyc_consent_at or consent_events (channel nyc), as marketing
  authorized_fees         accounts.authorized_fees (amounts as text)
  plan_amounts            payment_plans (total, installment, down payment) and payment_installments amounts of
                          plans not canceled
  recorded_payments       payments' amounts (succeeded, partially or wholly refunded: the receipt states the charge)
  itemization             accounts.itemization_* with D-12 defaults: date = due_date ("last statement date"),
                          else the creation date; amount left to the texts (original, else current balance);
                          interest and fees 0; payments and credits = succeeded payments after the date, net of
                          refunds; `defaulted` names what was filled in
  validation              accounts.initial_communication_at, initial_had_validation, validation_notice_sent_at,
                          validation_method, validation_period_end, spanish_offer_included,
                          spanish_notice_requested_at; esign_consent_at as marketing (channel esign)
  disputes                debt_disputes rows; an account with dispute_status "open" and no rows gives one
                          written dispute at disputed_at (inside the period when it was)
  unverified_addresses, authenticated_addresses   accounts.<same name> (normalized)
  receipt_requests        payments.receipt_request_id, receipt_requested_at: the debtor ticked "Email me a
                          receipt" with a payment in the portal (recorded before the charge; CEASE-3)
Policy                    businesses.name, sms_number; Business.settings["compliance"] over the platform
                          defaults (compliance.settings); portal_url = settings, else PUBLIC_URL + "/p"
History
  outbound                messages (outbound, not notes) of the account sent or created in the last 30 days
                          (created up to 15 days earlier when deferred): decision = compliance_record["decision"]
                          (else compliance_passed), reply_exempt = the record's session.is_reply, recipient and
                          consumer_request_id from the message's latest compliance_decisions row (attorney_comm
                          messages go to the attorney); provider status: sent, delivered (read), undelivered
                          (failed after the provider took it), rejected (failed before, or blocked), queued
                          (scheduled) and accepted (queued or sending with an allow decision: an attempt in flight
                          counts, so two messages composed minutes apart cannot both pass a cap)
  inbound                 messages (inbound) of the last 30 days; labels = compliance_record["labels"]
  optouts                 opt_out_events of the account or of any address on file or the destination (all time)
  calls                   () : no call log yet
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import and_, false, or_, select

from app.models import (Account, Business, ComplianceDecision, ConsentEvent, Conversation, DebtDispute, DoNotContact,
                        Message, OptOutEvent, Payment, PaymentInstallment, PaymentPlan, PlatformSetting,
                        UnmatchedInbound)
from app.services.accounts import attorney as attorney_store
from app.services.compliance import settings as compliance_settings
from app.services.compliance.decision import DEFER_HORIZON
from app.services.compliance.facts import (
    Attempt, Attorney, Blackout, Cease, Consent, Debtor, Dispute, Email, Facts, History, Inbound, Itemization,
    OptOut, Outbound, Phone, Privacy, Validation,
)
from app.services.compliance.inbound import within_validation_period
from app.services.compliance.rules.stops import norm_address
from app.services.errors import NotFound
from app.services.timezones import _zip5, _zip_index

UTC = dt.timezone.utc
HISTORY_WINDOW = dt.timedelta(days=30)
DEFERRED_LOOKBACK = DEFER_HORIZON + dt.timedelta(days=1)
"""A message deferred at most 14 days may be created that much before it is sent inside the window."""

STATUS = {"paid_in_full": "paid"}
DATE_TYPES = {"last_statement": "last statement date", "charge_off": "charge-off date",
              "last_payment": "last payment date", "transaction": "transaction date", "judgment": "judgment date"}
NYC_COUNTIES = frozenset({"New York County", "Kings County", "Queens County", "Bronx County", "Richmond County"})
PHONE_CHANNELS = ("sms", "whatsapp", "voice")
CHANNEL_FLAGS = {"sms": "do_not_sms", "whatsapp": "do_not_whatsapp", "email": "do_not_email", "voice": "do_not_call"}
DERIVED_ZONE_SOURCES = frozenset({"zip", "state", "phone"})
CONSENT_METHODS = {"import": "creditor_attested"}
LEDGER_STATUSES = ("succeeded", "partially_refunded", "refunded")
LIVE_STATUSES = frozenset({"queued", "sending"})


class Preloaded:
    """A loader that hands back facts already read: a pipeline reads them once per message and decides on them
    several times (completing the text, then recording the decision)."""

    def __init__(self, facts: Facts):
        self.facts = facts

    def load(self, attempt: Attempt) -> Facts:
        return self.facts


class DbLoader:
    """Reads the Facts of one attempt. `exclude_message_ids`: messages left out of the history (the message being
    re-checked at dispatch must not count against its own cap)."""

    def __init__(self, db_session, *, portal_url: str | None = None, keyring=None,
                 exclude_message_ids: Iterable[uuid.UUID] = ()):
        self.session = db_session
        self.portal_url = portal_url if portal_url is not None else _default_portal_url()
        self.keyring = keyring
        self.exclude = frozenset(_uuid(x) for x in exclude_message_ids if x is not None)

    def load(self, attempt: Attempt) -> Facts:
        if attempt.business_id is None:
            raise PermissionError("no business in scope")
        business_id = _uuid(attempt.business_id)
        destination = norm_address(attempt.to_address)
        if attempt.account_id is None:
            business, platform = self._business(business_id)
            addresses = {destination} - {None}
            dnc_rows = self._dnc(business_id, None, addresses)
            debtor = Debtor(dnc_addresses=frozenset(_norm(r.value) for r in dnc_rows if r.kind != "account"))
            history = History(optouts=self._optouts(business_id, None, addresses),
                              inbound=self._unmatched(business_id, destination, attempt.now))
            return Facts(debtor=debtor, policy=self._policy(business, platform), history=history)

        account, business, platform = self._account(business_id, _uuid(attempt.account_id))
        phones = _unique(_norm(p) for p in (account.phone, account.phone_secondary))
        email = _norm(account.email)
        addresses = set(phones) | ({email} if email else set()) | ({destination} if destination else set())

        inbound_at = self._last_inbound(business_id, account.id)
        outbound, inbound = self._messages(business_id, account.id, attempt.now)
        optouts = self._optouts(business_id, account.id, addresses)
        consents = _consents(self.session.scalars(select(ConsentEvent).where(
            ConsentEvent.business_id == business_id, ConsentEvent.account_id == account.id)).all())
        dnc_rows = self._dnc(business_id, account.id, addresses)
        disputes = self.session.scalars(select(DebtDispute).where(
            DebtDispute.business_id == business_id, DebtDispute.account_id == account.id)).all()
        plan_amounts = self._plan_amounts(business_id, account.id)
        payment_rows = self.session.execute(select(
            Payment.amount, Payment.refunded_amount, Payment.status, Payment.processed_at, Payment.created_at,
            Payment.receipt_request_id, Payment.receipt_requested_at).where(
            Payment.business_id == business_id, Payment.account_id == account.id,
            or_(Payment.status.in_(LEDGER_STATUSES), Payment.receipt_request_id.is_not(None)))).all()
        payments = [tuple(r[:5]) for r in payment_rows if r.status in LEDGER_STATUSES]
        receipt_requests = tuple((r.receipt_request_id, r.receipt_requested_at) for r in payment_rows
                                 if r.receipt_request_id and r.receipt_requested_at is not None)
        sibling_ceases = self._sibling_ceases(business_id, account) if account.debtor_id else ()

        debtor = self._debtor(account, attempt, phones, email, inbound_at, consents, dnc_rows, disputes,
                              plan_amounts, payments, sibling_ceases, receipt_requests)
        history = History(outbound=outbound, inbound=inbound, optouts=optouts)
        return Facts(debtor=debtor, policy=self._policy(business, platform), history=history)

    # -- queries ------------------------------------------------------------------------------------------------
    def _unmatched(self, business_id, address: str | None, now: dt.datetime) -> tuple[Inbound, ...]:
        """Messages from an address on no account (the unknown-senders list): what a reply to one answers."""
        if not address:
            return ()
        rows = self.session.scalars(select(UnmatchedInbound).where(
            UnmatchedInbound.business_id == business_id, UnmatchedInbound.from_address == address,
            UnmatchedInbound.received_at >= now - HISTORY_WINDOW)).all()
        return tuple(Inbound(id=str(r.id), channel=r.channel, received_at=r.received_at, body=r.body or "",
                             address=address) for r in rows)

    def _account(self, business_id, account_id):
        platform = select(PlatformSetting.value).where(
            PlatformSetting.key == compliance_settings.PLATFORM_KEY).scalar_subquery()
        row = self.session.execute(
            select(Account, Business, platform.label("platform")).join(Business, Business.id == Account.business_id)
            .where(Account.id == account_id, Account.business_id == business_id, Account.deleted_at.is_(None),
                   Business.deleted_at.is_(None))).first()
        if row is None:
            raise NotFound("Account not found")
        return row[0], row[1], _json(row[2])

    def _business(self, business_id):
        platform = select(PlatformSetting.value).where(
            PlatformSetting.key == compliance_settings.PLATFORM_KEY).scalar_subquery()
        row = self.session.execute(select(Business, platform.label("platform")).where(
            Business.id == business_id, Business.deleted_at.is_(None))).first()
        if row is None:
            raise NotFound("Business not found")
        return row[0], _json(row[1])

    def _last_inbound(self, business_id, account_id) -> dict[tuple[str, str | None], dt.datetime]:
        """(channel, address) -> the debtor's last message on that conversation, all time."""
        found: dict[tuple[str, str | None], dt.datetime] = {}
        for channel, address, at in self.session.execute(select(
                Conversation.channel, Conversation.debtor_address, Conversation.last_inbound_at).where(
                Conversation.business_id == business_id, Conversation.account_id == account_id,
                Conversation.last_inbound_at.is_not(None))):
            key = (channel, _norm(address))
            if key not in found or at > found[key]:
                found[key] = at
        return found

    def _messages(self, business_id, account_id, now: dt.datetime):
        since = now - HISTORY_WINDOW
        stmt = (select(Message.id, Message.direction, Message.channel, Message.kind, Message.purpose,
                       Message.to_address, Message.from_address, Message.content, Message.in_reply_to_id,
                       Message.delivery_status, Message.sent_at, Message.created_at, Message.compliance_checked,
                       Message.compliance_passed, Message.compliance_record, Message.external_id,
                       ComplianceDecision.recipient, ComplianceDecision.consumer_request_id,
                       ComplianceDecision.evaluated_at)
                .outerjoin(ComplianceDecision, and_(ComplianceDecision.message_id == Message.id,
                                                    ComplianceDecision.business_id == business_id))
                .where(Message.business_id == business_id, Message.account_id == account_id,
                       Message.direction.in_(("inbound", "outbound")),
                       Message.created_at >= since - DEFERRED_LOOKBACK))
        latest: dict[uuid.UUID, tuple] = {}
        for row in self.session.execute(stmt):
            if row.id in self.exclude:
                continue
            seen = latest.get(row.id)
            if seen is None or (row.evaluated_at is not None and (seen.evaluated_at is None
                                                                  or row.evaluated_at > seen.evaluated_at)):
                latest[row.id] = row
        outbound, inbound = [], []
        for row in sorted(latest.values(), key=lambda r: (r.sent_at or r.created_at, str(r.id))):
            if row.direction == "inbound":
                if row.created_at >= since:
                    inbound.append(_inbound(row))
            elif row.kind != "note" and (row.sent_at or row.created_at) >= since:
                outbound.append(_outbound(row))
        return tuple(outbound), tuple(inbound)

    def _optouts(self, business_id, account_id, addresses: set[str]) -> tuple[OptOut, ...]:
        where = OptOutEvent.account_id == account_id if account_id is not None else false()
        if addresses:
            where = or_(where, OptOutEvent.address.in_(sorted(addresses)))
        rows = self.session.scalars(select(OptOutEvent).where(OptOutEvent.business_id == business_id, where)
                                    .order_by(OptOutEvent.received_at, OptOutEvent.id)).all()
        return tuple(OptOut(channel=r.channel, address=_norm(r.address), received_at=r.received_at,
                            effective_at=r.effective_at, action=r.action or "opt_out", scope=r.scope or "all",
                            rule_id=r.rule_id, id=str(r.id)) for r in rows)

    def _dnc(self, business_id, account_id, addresses: set[str]):
        where = and_(DoNotContact.kind == "account", DoNotContact.account_id == account_id) \
            if account_id is not None else false()
        if addresses:
            where = or_(where, and_(DoNotContact.kind != "account", DoNotContact.value.in_(sorted(addresses))))
        return self.session.scalars(select(DoNotContact).where(
            DoNotContact.business_id == business_id, DoNotContact.removed_at.is_(None), where)).all()

    def _plan_amounts(self, business_id, account_id) -> frozenset[Decimal]:
        rows = self.session.execute(
            select(PaymentPlan.id, PaymentPlan.total_amount, PaymentPlan.installment_amount, PaymentPlan.down_payment,
                   PaymentInstallment.amount)
            .outerjoin(PaymentInstallment, PaymentInstallment.payment_plan_id == PaymentPlan.id)
            .where(PaymentPlan.business_id == business_id, PaymentPlan.account_id == account_id,
                   PaymentPlan.status != "canceled")).all()
        amounts: set[Decimal] = set()
        for _, total, installment, down, each in rows:
            amounts.update(x for x in (total, installment, down, each) if x is not None and x > 0)
        return frozenset(amounts)

    def _sibling_ceases(self, business_id, account: Account) -> tuple[Cease, ...]:
        """CEASE-5: a cease on another debt of the same debtor that names no single debt covers this one too."""
        rows = self.session.execute(select(
            Account.id, Account.cease_received_at, Account.cease_type, Account.cease_channel, Account.cease_written,
            Account.cease_all_debts).where(
            Account.business_id == business_id, Account.debtor_id == account.debtor_id, Account.id != account.id,
            Account.cease_received_at.is_not(None), Account.deleted_at.is_(None))).all()
        return tuple(Cease(received_at=at, type=kind or "cease", channel=channel, written=written,
                           account_id=None if all_debts else other) for other, at, kind, channel, written, all_debts
                     in rows)

    # -- building -----------------------------------------------------------------------------------------------
    def _policy(self, business: Business, platform: dict | None):
        current = compliance_settings.effective(compliance_settings.stored_of(business), platform)
        return current.policy(business, portal_url=self.portal_url)

    def _debtor(self, a: Account, attempt: Attempt, phones, email, inbound_at, consents, dnc_rows, disputes,
                plan_amounts, payments, sibling_ceases, receipt_requests=()) -> Debtor:
        unverified = frozenset(filter(None, (_norm(x) for x in (a.unverified_addresses or []))))
        authenticated = frozenset(filter(None, (_norm(x) for x in (a.authenticated_addresses or []))))
        types = {_norm(a.phone): a.phone_type, _norm(a.phone_secondary): a.phone_secondary_type}
        checked = {_norm(a.phone): a.phone_rnd_checked_at, _norm(a.phone_secondary): a.phone_secondary_rnd_checked_at}
        phone_facts = tuple(Phone(
            e164=p, type=types.get(p) or "unknown",
            sms_consent=_for_address(consents, "sms", p), whatsapp_consent=_for_address(consents, "whatsapp", p),
            voice_consent=_for_address(consents, "voice", p),
            last_inbound_text_at=_latest(inbound_at.get(("sms", p)), inbound_at.get(("whatsapp", p))),
            rnd_checked_at=checked.get(p), verified=p not in unverified,
        ) for p in phones)
        employer = (a.employer_domain or "").strip().lower().lstrip("@")
        email_facts = ()
        if email:
            email_facts = (Email(
                address=email, is_work=bool(a.email_is_work),
                employer_operated=bool(a.email_is_work) or (bool(employer) and email.rsplit("@", 1)[-1] == employer),
                provenance=a.email_provenance, consent=_for_address(consents, "email", email),
                debtor_emailed_from_at=inbound_at.get(("email", email)), verified=email not in unverified),)

        stated = a.timezone_source == "stated"
        ceases = []
        if a.cease_received_at is not None:
            ceases.append(Cease(received_at=a.cease_received_at, type=a.cease_type or "cease", channel=a.cease_channel,
                                written=a.cease_written, account_id=None if a.cease_all_debts else a.id))
        ceases.extend(sibling_ceases)

        dnc = bool(a.do_not_contact) or any(r.kind == "account" for r in dnc_rows)
        dnc_addresses = {_norm(r.value) for r in dnc_rows if r.kind != "account"} - {None}
        flag = CHANNEL_FLAGS.get(attempt.channel)
        if flag and getattr(a, flag, False):
            dnc_addresses |= set(phones) if attempt.channel in PHONE_CHANNELS else ({email} if email else set())
            destination = norm_address(attempt.to_address)
            if destination:
                dnc_addresses.add(destination)

        workplace = a.workplace_objection if isinstance(a.workplace_objection, dict) else None
        return Debtor(
            account_id=a.id, first_name=a.first_name or "", last_name=a.last_name or "", state=a.state, zip=a.zip,
            city=a.city, country=a.country or "US",
            account_tz=a.timezone if a.timezone and a.timezone_source not in DERIVED_ZONE_SOURCES else None,
            stated_tz=a.timezone if stated else None, stated_tz_at=a.stated_timezone_at if stated else None,
            phones=phone_facts, emails=email_facts, whatsapp_optin_at=None,
            whatsapp_last_inbound_at=_latest(*(at for (channel, _), at in inbound_at.items() if channel == "whatsapp")),
            preferred_language=a.preferred_language or "en",
            inconvenient_times=tuple(blackouts_from_json(a.inconvenient_times)),
            workplace_objection_at=(_time(workplace.get("at")) or a.updated_at) if workplace else None,
            work_hours=tuple(blackouts_from_json(workplace.get("hours"))) if workplace else (),
            attorney=self._attorney(a),
            attorney_pending_at=a.attorney_pending_at or (a.updated_at if a.attorney_pending else None),
            ceases=tuple(ceases), cease_candidate_at=a.cease_candidate_at,
            dnc=dnc, dnc_addresses=frozenset(dnc_addresses),
            bankruptcy=bool(a.bankruptcy), deceased=bool(a.deceased),
            representative_address=a.representative_address, status=STATUS.get(a.status, a.status or "active"),
            privacy=Privacy(ccpa_delete_done=a.ccpa_deleted_at is not None, ccpa_denied_reason=a.ccpa_denied_reason,
                            gdpr_scope=bool(a.gdpr_scope), marketing_objection=a.marketing_objection_at is not None),
            marketing_consent_at=_standing(a.marketing_consent_at, consents.get(("marketing", None))),
            nyc=a.nyc if a.nyc is not None else in_nyc(a.state, a.zip),
            nyc_consent_at=_standing(a.nyc_consent_at, consents.get(("nyc", None))),
            account_number=a.account_number, original_creditor=a.original_creditor,
            current_creditor=a.current_creditor, balance=a.current_balance, original_balance=a.original_balance,
            authorized_fees=frozenset(_amounts(a.authorized_fees)), plan_amounts=plan_amounts,
            recorded_payments=frozenset(amount for amount, *_ in payments if amount is not None and amount > 0),
            itemization=_itemization(a, payments), validation=_validation(a, consents),
            disputes=_disputes(a, disputes), time_barred=a.time_barred or "unknown",
            legal_action_approved=bool(a.legal_action_approved), unverified_addresses=unverified,
            authenticated_addresses=authenticated, receipt_requests=receipt_requests,
            employer_domain=a.employer_domain,
            past_credit_reporting_period=bool(a.past_credit_reporting_period),
        )

    def _attorney(self, a: Account) -> Attorney | None:
        if not a.attorney_encrypted:
            return None
        dates = dict(consented_direct_at=a.attorney_consented_direct_at, last_contact_sent_at=a.attorney_contacted_at,
                     responded_at=a.attorney_responded_at)
        try:
            details = attorney_store.open_(a.id, a.attorney_encrypted, self.keyring) or {}
        except ValueError:
            return Attorney(**dates)  # known but unreadable: still an attorney (ATTY-1 blocks)
        return Attorney(name=details.get("name"), address=details.get("address"), email=details.get("email"),
                        known_at=_time(details.get("knownAt")), **dates)


# -- rows -> facts ----------------------------------------------------------------------------------------------
def _outbound(row) -> Outbound:
    record = row.compliance_record if isinstance(row.compliance_record, dict) else {}
    decision = _stored_decision(row, record)
    session = record.get("session") if isinstance(record.get("session"), dict) else {}
    recipient = row.recipient or ("attorney" if row.purpose == "attorney_comm" else "debtor")
    return Outbound(
        channel=row.channel, sent_at=row.sent_at or row.created_at, decision=decision,
        provider_status=_provider_status(row, decision), kind=row.kind or "agent", purpose=row.purpose or "collection",
        address=_norm(row.to_address), in_reply_to=str(row.in_reply_to_id) if row.in_reply_to_id else None,
        reply_exempt=bool(session.get("is_reply")), recipient=recipient, id=str(row.id),
        consumer_request_id=row.consumer_request_id,
    )


def _stored_decision(row, record: dict) -> str:
    stored = record.get("decision")
    if isinstance(stored, str) and stored:
        return stored.lower()
    if row.delivery_status == "blocked":
        return "block"
    if row.delivery_status == "scheduled":
        return "defer"
    if not row.compliance_checked:
        return "allow"  # written before the gate stored decisions: it went (or goes) out, so it counts
    return "allow" if row.compliance_passed else "block"


def _provider_status(row, decision: str) -> str:
    status = row.delivery_status
    if status in ("sent", "delivered"):
        return status
    if status == "read":
        return "delivered"
    if status == "failed":
        return "undelivered" if (row.external_id or row.sent_at) else "rejected"
    if status == "blocked":
        return "rejected"
    if status in LIVE_STATUSES and decision == "allow":
        return "accepted"
    return "queued"


def _inbound(row) -> Inbound:
    record = row.compliance_record if isinstance(row.compliance_record, dict) else {}
    labels = record.get("labels") if isinstance(record.get("labels"), list) else []
    return Inbound(id=str(row.id), channel=row.channel, received_at=row.created_at, body=row.content or "",
                   address=_norm(row.from_address), labels=frozenset(str(x) for x in labels))


def _consents(events) -> dict[tuple[str, str | None], Consent]:
    """(channel, address) -> the latest grant, revoked by the first revocation after it."""
    found: dict[tuple[str, str | None], Consent] = {}
    for e in sorted(events, key=lambda e: (e.occurred_at, e.created_at or e.occurred_at, str(e.id))):
        key = (e.channel, _norm(e.address))
        if e.granted:
            found[key] = Consent(granted_at=e.occurred_at, method=CONSENT_METHODS.get(e.source, e.source),
                                 evidence=_evidence(e))
        elif key in found and found[key].revoked_at is None:
            current = found[key]
            found[key] = Consent(granted_at=current.granted_at, method=current.method, evidence=current.evidence,
                                 revoked_at=e.occurred_at)
    return found


def _evidence(e) -> str | None:
    """What proves the consent, per method (CONSENT-1): None when the method's evidence is missing."""
    extra = e.evidence if isinstance(e.evidence, dict) else {}
    method = CONSENT_METHODS.get(e.source, e.source)
    if method == "web":
        return e.ip_address or extra.get("ip")
    if method == "keyword":
        return str(e.inbound_message_id) if e.inbound_message_id else extra.get("inbound_message_id")
    if method == "oral":
        return extra.get("recording_id")
    if method == "written":
        return extra.get("document_id")
    if method == "portal":
        return extra.get("session_id") or (f"user:{e.actor_user_id}" if e.actor_user_id else None)
    if e.actor_api_key_id:
        return f"api_key:{e.actor_api_key_id}"
    if e.actor_user_id:
        return f"user:{e.actor_user_id}"
    return ", ".join(f"{k}={v}" for k, v in sorted(extra.items())) or None


def _for_address(consents, channel: str, address: str) -> Consent | None:
    return consents.get((channel, address)) or consents.get((channel, None))


def _standing(attested: dt.datetime | None, event: Consent | None) -> dt.datetime | None:
    """An account-level consent: the later of the creditor's date and the debtor's grant, unless revoked since."""
    if event is not None and event.revoked_at is not None:
        return None if attested is None or attested <= event.revoked_at else attested
    grants = [x for x in (attested, event.granted_at if event else None) if x is not None]
    return max(grants) if grants else None


def _itemization(a: Account, payments) -> Itemization:
    """D-12 defaults: due date as last statement date, else the creation date; interest and fees 0."""
    defaulted = set()
    date, kind = a.itemization_date, DATE_TYPES.get(a.itemization_date_type or "", a.itemization_date_type)
    if date is None:
        defaulted.update({"date", "date_type"})
        if a.due_date is not None:
            date, kind = a.due_date, "last statement date"
        else:
            date, kind = (a.created_at or dt.datetime.now(UTC)).astimezone(UTC).date(), None
    elif kind is None:
        defaulted.add("date_type")
    if a.interest_since_itemization is None:
        defaulted.add("interest")
    if a.fees_since_itemization is None:
        defaulted.add("fees")
    paid = Decimal("0.00")
    for amount, refunded, _, processed_at, created_at in payments:
        when = (processed_at or created_at).astimezone(UTC).date()
        if when > date:
            paid += (amount or Decimal("0")) - (refunded or Decimal("0"))
    return Itemization(date=date, date_type=kind, amount=a.itemization_amount,
                       interest=a.interest_since_itemization or Decimal("0"),
                       fees=a.fees_since_itemization or Decimal("0"), payments_credits=paid,
                       defaulted=frozenset(defaulted))


def _validation(a: Account, consents) -> Validation:
    return Validation(initial_comm_at=a.initial_communication_at, initial_had_validation=bool(a.initial_had_validation),
                      notice_sent_at=a.validation_notice_sent_at, method=a.validation_method,
                      period_end=a.validation_period_end,
                      esign_consent_at=_standing(a.esign_consent_at, consents.get(("esign", None))),
                      spanish_offer_included=bool(a.spanish_offer_included),
                      spanish_requested_at=a.spanish_notice_requested_at)


def _disputes(a: Account, rows) -> tuple[Dispute, ...]:
    found = [Dispute(received_at=r.received_at, kind=r.kind or "dispute", written=r.written, within_vp=r.within_vp,
                     portion=r.portion, answered_at=r.answered_at) for r in sorted(rows, key=lambda r: r.received_at)]
    if not found and a.dispute_status == "open" and a.disputed_at is not None:
        found.append(Dispute(received_at=a.disputed_at, within_vp=within_validation_period(
            a.disputed_at, a.validation_period_end)))
    return tuple(found)


def in_nyc(state: str | None, zip_code: str | None) -> bool:
    """STATE-NYC-1: the ZIP lies in one of the five boroughs (New York, Kings, Queens, Bronx, Richmond counties)."""
    zip5 = _zip5(zip_code) if zip_code else None
    record = _zip_index().get(zip5) if zip5 else None
    return bool(record and record.get("state") == "NY" and record.get("county") in NYC_COUNTIES)


# -- blackouts (TIME-4, WORK-2) ----------------------------------------------------------------------------------
def blackout_json(b: Blackout) -> dict:
    """The stored form of a designated time: local clock times, Monday = 0, ISO instants."""
    out = {"start": f"{b.start:%H:%M}", "end": f"{b.end:%H:%M}", "weekdays": sorted(b.weekdays)}
    if b.designated_at:
        out["designatedAt"] = _iso(b.designated_at)
    if b.revoked_at:
        out["revokedAt"] = _iso(b.revoked_at)
    if b.channels:
        out["channels"] = sorted(b.channels)
    return out


def blackouts_from_json(values) -> list[Blackout]:
    """Stored designations -> Blackouts; an entry that cannot be read is skipped."""
    found = []
    for item in values if isinstance(values, list) else ():
        if not isinstance(item, dict):
            continue
        try:
            start, end = dt.time.fromisoformat(item["start"]), dt.time.fromisoformat(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        weekdays = item.get("weekdays")
        found.append(Blackout(
            start=start, end=end,
            weekdays=frozenset(int(d) for d in weekdays) if isinstance(weekdays, list) else frozenset(range(7)),
            designated_at=_time(item.get("designatedAt") or item.get("designated_at")),
            revoked_at=_time(item.get("revokedAt") or item.get("revoked_at")),
            channels=frozenset(item.get("channels") or ())))
    return found


# -- small helpers ------------------------------------------------------------------------------------------------
def _default_portal_url() -> str | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    public = current_app.config.get("PUBLIC_URL")
    return f"{public.rstrip('/')}/p" if public else None


def _norm(address: str | None) -> str | None:
    return norm_address(address) if address else None


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(v for v in values if v))


def _uuid(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound("Account not found") from None


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _time(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amounts(values) -> list[Decimal]:
    out = []
    for v in values or ():
        try:
            out.append(Decimal(str(v)).quantize(Decimal("0.01")))
        except ArithmeticError:
            continue
    return out


def _json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None
