"""Builders for the one-time payment tests: a debtor who can be emailed (tests/messaging.py), with a portal user
linked to the account, and API calls made as that debtor or as staff."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Message, Payment
from tests.api.helpers import api_login, bearer
from tests.factories import gen_user
from tests.messaging import debtor, messaging_business

GOOD_CARD = "4242424242424242"
DECLINED_AT_ATTACH = "4000000000000002"
DECLINED_AT_CHARGE = "4000000000000341"
THREE_D_SECURE = "4000002760003184"


def paying_debtor(balance: str = "412.50", business=None, **fields):
    """(business, account, debtor user): the account belongs to the user, as after the portal's sign-up."""
    business = business or messaging_business()
    account = debtor(business, contacted=True, current_balance=Decimal(balance), **fields)
    user = gen_user(business, "debtor", mfa=False)
    account.debtor_id = user.id
    db.session.commit()
    return business, account, user


def token_for(client, user, clock) -> dict:
    return bearer(api_login(client, user, clock)["token"])


def balance_of(account_id) -> Decimal:
    db.session.expire_all()
    return db.session.get(Account, account_id).current_balance


def payments_of(account_id) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.account_id == account_id)
                              .order_by(Payment.created_at)).all()


def receipts_of(account_id) -> list[Message]:
    return db.session.scalars(select(Message).where(Message.account_id == account_id,
                                                    Message.purpose == "receipt")).all()


def count_succeeded(account_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.account_id == account_id, Payment.status == "succeeded"))
