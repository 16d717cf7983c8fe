"""Demo data for `make run`: one agency with staff, 200 debtor files, conversations and payments.

Rows here are history (past messages and payments), written directly; nothing is sent."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.models import (Account, Business, ConsentEvent, Conversation, Message, Payment, PaymentInstallment,
                        PaymentPlan, User)
from app.services import money
from app.services.auth import totp
from app.services.auth.users import create_user, get_or_create_business, new_recovery_codes
from app.services.payments import receipts
from app.services.payments.manual import METHODS as MANUAL_LABELS
from app.services.timezones import candidate_zones

BUSINESS_NAME = "Acme Recovery Partners"
PASSWORD = "Demo-Collect-2026!"
STAFF = (
    # email, role, first, last, TOTP secret (base32, fixed so the README can show it)
    ("admin@demo.funnelchat.test", "business_admin", "Alex", "Morgan", "FUNNELCHATDEMOADMINSECRETKEY2345"),
    ("manager@demo.funnelchat.test", "manager", "Priya", "Raman", "FUNNELCHATDEMOMANAGERSECRETK2345"),
    ("agent1@demo.funnelchat.test", "agent", "Jordan", "Lee", "FUNNELCHATDEMOAGENTONESECRETK234"),
    ("agent2@demo.funnelchat.test", "agent", "Sofia", "Alvarez", "FUNNELCHATDEMOAGENTTWOSECRETK234"),
)

LOCATIONS = (
    ("New York", "NY", "10001", "212"), ("Boston", "MA", "02108", "617"), ("Miami", "FL", "33130", "305"),
    ("Atlanta", "GA", "30303", "404"), ("Chicago", "IL", "60601", "312"), ("Houston", "TX", "77002", "713"),
    ("Dallas", "TX", "75201", "214"), ("Denver", "CO", "80202", "303"), ("Phoenix", "AZ", "85004", "602"),
    ("Los Angeles", "CA", "90012", "213"), ("San Francisco", "CA", "94102", "415"), ("Seattle", "WA", "98101", "206"),
    ("Anchorage", "AK", "99501", "907"), ("Honolulu", "HI", "96813", "808"), ("Pensacola", "FL", "32501", "850"),
    ("El Paso", "TX", "79901", "915"), ("San Juan", "PR", "00901", "787"), ("Detroit", "MI", "48226", "313"),
    ("Nashville", "TN", "37203", "615"), ("Salt Lake City", "UT", "84111", "801"), ("Boise", "ID", "83702", "208"),
    ("Portland", "OR", "97204", "503"), ("Las Vegas", "NV", "89101", "702"), ("Albuquerque", "NM", "87102", "505"),
    ("Minneapolis", "MN", "55401", "612"), ("New Orleans", "LA", "70112", "504"), ("Philadelphia", "PA", "19107", "215"),
    ("Charlotte", "NC", "28202", "704"), ("San Antonio", "TX", "78205", "210"), ("Tucson", "AZ", "85701", "520"),
)
STREETS = ("Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Blvd", "Washington St", "Lake Rd", "Hillcrest Ave",
           "Sunset Blvd", "River Rd", "Elm St", "Pine St")
FIRST = ("James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Elizabeth",
         "Richard", "Barbara", "Joseph", "Susan", "Thomas", "Jessica", "Charles", "Sarah", "Christopher", "Karen",
         "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Donald", "Ashley", "Kevin",
         "Kimberly", "Brian", "Emily", "Aisha", "Tyrone", "Mei", "Hiroshi", "Fatima", "Olga", "Darnell", "Keisha")
FIRST_ES = ("José", "María", "Luis", "Carmen", "Juan", "Rosa", "Carlos", "Ana", "Miguel", "Lucía", "Javier",
            "Guadalupe", "Alejandro", "Sofía", "Fernando", "Isabel")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nguyen", "Patel", "Kim",
        "Okafor", "Kowalski", "Schmidt", "O'Brien", "Murphy", "Rossi", "Chen")
LAST_ES = ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez",
           "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Reyes")
CREDITORS = (("Mercy General Hospital", "medical"), ("Lakeside Medical Group", "medical"),
             ("Riverbend Dental", "medical"), ("Brightline Auto Finance", "auto"), ("Summit Utilities", "utility"),
             ("Northstar Credit Union", "credit_card"), ("Cedar Property Management", "rent"),
             ("Metro Wireless", "telecom"))
STATUS_WEIGHTS = (("active", 64), ("in_payment_plan", 14), ("payment_failed", 4), ("paid_in_full", 8),
                  ("disputed", 4), ("legal", 2), ("closed", 4))

THREADS = (
    ("sms", "active", [("outbound", "Hi {first}, this is {biz} about your {creditor} account ending {last4}. "
                       "Reply here or use your secure link to review options. This is an attempt to collect a debt. "
                       "Any information obtained will be used for that purpose. Reply STOP to opt out."),
                      ("inbound", "I can't pay it all right now. Can I do a payment plan?"),
                      ("outbound", "Yes. Plans start at $25 a month. Would you prefer monthly or every two weeks? "
                       "This communication is from a debt collector. Reply STOP to opt out.")]),
    ("sms", "escalated", [("outbound", "Hi {first}, {biz} here about your {creditor} balance. This is an attempt to "
                           "collect a debt. Any information obtained will be used for that purpose. Reply STOP to opt out."),
                          ("inbound", "This amount is wrong, I already paid part of it in March.")]),
    ("email", "active", [("outbound", "Hello {first}, we are writing about your {creditor} account. This is an "
                          "attempt to collect a debt. Any information obtained will be used for that purpose."),
                         ("inbound", "What are my options? I lost my job last month.")]),
    ("sms", "resolved", [("outbound", "Hi {first}, your payment was received. Thank you. This communication is from "
                          "a debt collector. Reply STOP to opt out."),
                         ("inbound", "Thanks!")]),
)
THREADS_ES = (
    ("sms", "active", [("outbound", "Hola {first}, le escribe {biz} sobre su cuenta de {creditor}. Este es un intento "
                        "de cobrar una deuda. Cualquier información obtenida se utilizará para ese fin. Responda STOP "
                        "para no recibir más mensajes."),
                       ("inbound", "¿Puedo pagar en partes? Ahora no tengo todo el dinero.")]),
)


@dataclass
class DemoResult:
    business: Business
    created: bool


def load(db_session, now: dt.datetime, *, skip_if_present: bool = False, accounts: int = 200,
         seed: int = 20261125) -> DemoResult:
    """Create the demo agency; with skip_if_present, an existing demo business is left as it is."""
    existing = db_session.scalars(select(Business).where(Business.name == BUSINESS_NAME,
                                                         Business.deleted_at.is_(None))).first()
    if existing is not None and skip_if_present:
        return DemoResult(existing, created=False)
    rng = random.Random(seed)
    business = get_or_create_business(db_session, BUSINESS_NAME, email="billing@acme-recovery.example")
    business.phone = "+18005550199"
    business.address = "400 Commerce Way, Suite 210, Columbus, OH 43215"
    business.website = "https://acme-recovery.example"
    business.subscription_tier = "premium"
    business.message_quota = 12500
    staff = {}
    for email, role, first, last, secret in STAFF:
        user = db_session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = create_user(db_session, email=email, password=PASSWORD, role=role, business=business,
                               first_name=first, last_name=last, mfa_secret=secret, now=now, check_strength=False)
            new_recovery_codes(user)
        staff[role if role != "agent" else email] = user
    agents = [u for u in staff.values() if u.role == "agent"]
    manager = staff["manager"]
    accounts_made = [_account(db_session, business, rng, i, now, agents) for i in range(accounts)]
    db_session.flush()
    _inbox(db_session, business, agents, manager)
    _conversations(db_session, business, rng, accounts_made, now, agents)
    _payments(db_session, business, rng, accounts_made, now, manager)
    return DemoResult(business, created=True)


def _account(db_session, business, rng, index, now, agents) -> Account:
    city, state, zip_code, area = rng.choice(LOCATIONS)
    spanish = rng.random() < 0.18 or state == "PR"
    first = rng.choice(FIRST_ES if spanish else FIRST)
    last = rng.choice(LAST_ES if spanish else LAST)
    creditor, category = rng.choice(CREDITORS)
    original = Decimal(rng.randrange(8_500, 980_000)) / 100
    paid_share = Decimal(rng.choice((0, 0, 0, 5, 10, 20, 35))) / 100
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], weights=[w for _, w in STATUS_WEIGHTS])[0]
    balance = Decimal("0.00") if status == "paid_in_full" else money.to_decimal(
        (original * (1 - paid_share)).quantize(Decimal("0.01")))
    phone = f"+1{area}555{rng.randrange(1000, 10000)}"
    zones = candidate_zones(zip_code=zip_code)
    tags = sorted({category} | set(rng.sample(("high_priority", "hardship", "first_notice", "returning",
                                                "broken_promise"), k=rng.choice((0, 0, 1, 2)))))
    business.account_number_seq += 1
    consent = rng.random() < 0.75
    email_handle = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(' ', '')}{rng.randrange(10, 99)}"
    account = Account(
        business_id=business.id, first_name=first, last_name=last,
        email=f"{email_handle}@example.com" if rng.random() < 0.85 else None,
        phone=phone, address=f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}", city=city, state=state,
        zip=zip_code, account_number=f"ACC-{business.account_number_seq:06d}", original_creditor=creditor,
        current_balance=balance, original_balance=original,
        due_date=(now - dt.timedelta(days=rng.randrange(-30, 240))).date(), status=status, tags=tags,
        preferred_language="es" if spanish else "en",
        preferred_contact_method=rng.choice(("sms", "sms", "email", "whatsapp")),
        timezone=zones.zones[0] if len(zones.zones) == 1 else None,
        timezone_source="zip" if len(zones.zones) == 1 else None,
        sms_consent=consent, sms_consent_date=now - dt.timedelta(days=rng.randrange(30, 400)) if consent else None,
        email_consent=rng.random() < 0.6,
        assigned_agent_id=rng.choice(agents).id if rng.random() < 0.4 else None,
        dispute_status="open" if status == "disputed" else None,
        disputed_at=now - dt.timedelta(days=rng.randrange(1, 20)) if status == "disputed" else None,
        created_at=now - dt.timedelta(days=rng.randrange(1, 200), minutes=rng.randrange(0, 1440)),
    )
    db_session.add(account)
    if consent:
        db_session.flush()
        db_session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel="sms", address=phone,
                                    granted=True, source="creditor_attested", occurred_at=account.sms_consent_date,
                                    evidence={"via": "demo import"}))
    return account


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "")


CANNED = (
    ("hello", "en", "Hi {{firstName}}, this is {{businessName}}. How can I help you with account {{accountNumber}}?"),
    ("balance", "en", "Your current balance is ${{balance}}. You can pay or set up a plan from your secure link."),
    ("plan", "en", "We can set up a payment plan that fits your budget. How much could you pay each month?"),
    ("hola", "es", "Hola {{firstName}}, le saluda {{businessName}}. ¿En qué le puedo ayudar con la cuenta "
                   "{{accountNumber}}?"),
    ("saldo", "es", "Su saldo actual es de ${{balance}}. Puede pagar o pedir un plan desde su enlace seguro."),
)
"""Canned responses the inbox offers after '/', in both languages."""


def _inbox(db_session, business, agents, manager) -> None:
    """Skills for skill-based assignment (Sofia speaks Spanish and takes medical accounts) and canned responses."""
    from app.models import Template

    for agent in agents:
        agent.skills = ["es", "medical"] if agent.first_name == "Sofia" else ["en"]
    for name, language, body in CANNED:
        db_session.add(Template(business_id=business.id, name=name, template_type="canned", language=language,
                                body=body, variables=[], is_active=True, created_by_id=manager.id))


def _conversations(db_session, business, rng, accounts, now, agents) -> None:
    candidates = [a for a in accounts if a.status in ("active", "in_payment_plan", "disputed") and a.phone]
    for n, account in enumerate(rng.sample(candidates, k=min(14, len(candidates)))):
        threads = THREADS_ES if account.preferred_language == "es" else THREADS
        channel, status, lines = threads[n % len(threads)]
        if channel == "email" and not account.email:
            channel = "sms"
        started = now - dt.timedelta(hours=rng.randrange(2, 96))
        ours = business.sender_email if channel == "email" else business.sms_number
        theirs = account.email if channel == "email" else account.phone
        agent = rng.choice(agents) if status == "escalated" or rng.random() < 0.5 else None
        conv = Conversation(business_id=business.id, account_id=account.id, channel=channel, status=status,
                            debtor_address=theirs, business_address=ours, assigned_agent_id=agent.id if agent else None,
                            assigned_at=started if agent else None, sentiment=rng.choice(("neutral", "negative", "positive")),
                            subject="About your account" if channel == "email" else None, created_at=started,
                            resolution_type="paid" if status == "resolved" else None,
                            resolved_at=started + dt.timedelta(hours=1) if status == "resolved" else None,
                            escalated_at=started + dt.timedelta(minutes=30) if status == "escalated" else None,
                            escalation_reason="The debtor disputes the amount" if status == "escalated" else None)
        db_session.add(conv)
        db_session.flush()
        at = started
        for direction, text in lines:
            at += dt.timedelta(minutes=rng.randrange(3, 90))
            body = text.format(first=account.first_name, biz=business.name, creditor=account.original_creditor,
                               last4=account.account_number[-4:])
            inbound = direction == "inbound"
            db_session.add(Message(
                business_id=business.id, conversation_id=conv.id, account_id=account.id, channel=channel,
                sender_type="debtor" if inbound else ("agent" if agent else "ai"), sender_id=None if inbound else (agent.id if agent else None),
                kind="inbound" if inbound else ("agent" if agent else "ai"),
                direction=direction, content=body, from_address=theirs if inbound else ours,
                to_address=ours if inbound else theirs, delivery_status="received" if inbound else "delivered",
                ai_generated=not inbound and agent is None, provider="sandbox", created_at=at, updated_at=at,
                sent_at=None if inbound else at, delivered_at=None if inbound else at + dt.timedelta(seconds=4)))
            conv.last_message_at = at
            conv.last_message_from = "debtor" if inbound else ("agent" if agent else "ai")
            if inbound:
                conv.last_inbound_at = at
        conv.unread_count = 1 if conv.last_message_from == "debtor" else 0


CARD_BRANDS = (("visa", 52), ("mastercard", 30), ("amex", 10), ("discover", 8))
BANKS = ("Chase", "Bank of America", "Wells Fargo", "Navy Federal Credit Union", "U.S. Bank", "Regions Bank")
CARD_FAILURES = (("card_declined", "Your card was declined."),
                 ("insufficient_funds", "Your card has insufficient funds."),
                 ("expired_card", "Your card has expired."),
                 ("incorrect_cvc", "Your card's security code is incorrect."))
"""Stripe's decline codes and messages, as a declined payment stores them (failure_code, failure_reason)."""
BANK_FAILURE = ("insufficient_funds", "The customer's account has insufficient funds to cover this payment.")
PAYER_AGENTS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Version/18.1 Mobile/15E148 Safari/604.1",
                "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Mobile Safari/537.36")
STRIPE_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _stripe_id(rng, prefix: str) -> str:
    """An id shaped like Stripe's (pi_3Q..., 27 characters): these payments are history, never sent to Stripe."""
    return f"{prefix}_3" + "".join(rng.choice(STRIPE_ID_CHARS) for _ in range(23))


def _online(rng, method: str) -> dict:
    """What the portal stores for a card or bank payment: the PaymentIntent, the payer's device and how it was paid
    (gateway.MethodDetails). No Stripe customer is stored on the account: a demo debtor paying in `make run` gets a
    real one from localstripe."""
    fields = {"stripe_payment_intent_id": _stripe_id(rng, "pi"), "payer_ip": f"198.51.100.{rng.randrange(2, 255)}",
              "payer_user_agent": rng.choice(PAYER_AGENTS)}
    last4 = f"{rng.randrange(0, 10000):04d}"
    if method == "card":
        brand = rng.choices([b for b, _ in CARD_BRANDS], weights=[w for _, w in CARD_BRANDS])[0]
        fields.update(card_brand=brand, card_last4=last4)
    else:
        fields.update(bank_name=rng.choice(BANKS), bank_last4=last4)
    return fields


def _payments(db_session, business, rng, accounts, now, manager) -> None:
    """Payments as the product makes them: card and bank payments through the portal (a PaymentIntent id, the card
    brand and last 4 or the bank), checks, cash and money orders recorded by the manager, declines with Stripe's
    words; each success with its balance after and a receipt number from the business's counter, in date order."""
    made: list[tuple[dt.datetime, Payment]] = []
    payers = [a for a in accounts if a.status in ("active", "in_payment_plan", "paid_in_full")
              and a.original_balance > a.current_balance]
    for account in rng.sample(payers, k=min(45, len(payers))):
        at = now - dt.timedelta(days=rng.randrange(1, 58), hours=rng.randrange(0, 24), minutes=rng.randrange(0, 60))
        method = rng.choices(("card", "ach", "check", "cash", "money_order"), weights=(60, 14, 16, 5, 5))[0]
        payment = Payment(business_id=business.id, account_id=account.id,
                          amount=account.original_balance - account.current_balance, currency="USD",
                          payment_method=method, status="succeeded", balance_after=account.current_balance,
                          processed_at=at, succeeded_at=at, created_at=at, updated_at=at)
        if method in ("card", "ach"):
            for name, value in _online(rng, method).items():
                setattr(payment, name, value)
            payment.stripe_charge_id = _stripe_id(rng, "ch" if method == "card" else "py")
        else:
            reference = f" {rng.randrange(1000, 9999)}" if method != "cash" else ""
            payment.processed_by_id = manager.id
            payment.description = f"{MANUAL_LABELS[method]}{reference}, received {at.date().isoformat()}"
        made.append((at, payment))
    declined = [a for a in accounts if a.status == "payment_failed"]
    owing = [a for a in accounts if a.status == "active" and a.current_balance > 25]
    declined += rng.sample(owing, k=min(4, len(owing)))
    for account in declined:
        at = now - dt.timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 24), minutes=rng.randrange(0, 60))
        method = "ach" if rng.random() < 0.2 else "card"
        code, reason = BANK_FAILURE if method == "ach" else rng.choice(CARD_FAILURES)
        amount = min(account.current_balance, money.to_decimal(Decimal(rng.randrange(2_500, 40_000)) / 100))
        payment = Payment(business_id=business.id, account_id=account.id, amount=amount, currency="USD",
                          payment_method=method, status="failed", failure_code=code, failure_reason=reason,
                          created_at=at, updated_at=at, **_online(rng, method))
        made.append((at, payment))
    made.sort(key=lambda item: item[0])
    for at, payment in made:
        if payment.status == "succeeded":
            payment.receipt_number = receipts.next_number(db_session, business.id, at)
        db_session.add(payment)
    for account in [a for a in accounts if a.status == "in_payment_plan"][:6]:
        down, parts = money.installments(account.current_balance, money.percent_of(account.current_balance, 10), 6)
        start = (now - dt.timedelta(days=45)).date()
        plan = PaymentPlan(business_id=business.id, account_id=account.id, total_amount=account.current_balance,
                           down_payment=down, installment_amount=parts[0], number_of_installments=len(parts),
                           frequency="monthly", start_date=start, status="active", agreement_signed=True,
                           agreement_signed_at=now - dt.timedelta(days=46), created_by_id=manager.id,
                           auto_pay_enabled=True, amount_paid=down)
        db_session.add(plan)
        db_session.flush()
        for number, amount in enumerate(parts, start=1):
            due = _add_months(start, number)
            paid = due <= now.date()
            db_session.add(PaymentInstallment(business_id=business.id, payment_plan_id=plan.id, number=number,
                                              amount=amount, due_date=due, status="paid" if paid else "scheduled",
                                              paid_at=now if paid else None))
            if paid:
                plan.payments_made += 1
                plan.amount_paid += amount
        plan.next_payment_date = next((_add_months(start, n) for n in range(1, len(parts) + 1)
                                       if _add_months(start, n) > now.date()), None)


def _add_months(start: dt.date, months: int) -> dt.date:
    import calendar

    year = start.year + (start.month - 1 + months) // 12
    month = (start.month - 1 + months) % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def sign_in_text(result: DemoResult, base_url: str | None = None) -> str:
    from flask import current_app

    base = base_url or current_app.config["PUBLIC_URL"]
    lines = [f"Demo business: {result.business.name}" + ("" if result.created else " (already loaded)"),
             f"Sign in at {base}/login with password {PASSWORD} and the TOTP code for:"]
    for email, role, _, _, secret in STAFF:
        lines.append(f"  {role:<15} {email:<32} TOTP secret {secret}")
        lines.append(f"  {'':<15} {totp.provisioning_uri(secret, email)}")
    return "\n".join(lines)
