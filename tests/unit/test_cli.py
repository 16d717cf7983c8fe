"""Do the CLI commands of DESIGN.md section 8 do what they say?"""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Business, Conversation, Payment, User

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_users_create_prints_only_the_id_and_creates_the_business(runner):
    result = runner.invoke(args=["users", "create", "Boss@Example.com", "--password", "pw-123456789",
                                 "--role", "business_admin", "--business", "Zeta Recovery",
                                 "--mfa-secret", "JBSWY3DPEHPK3PXP"])
    assert result.exit_code == 0, result.output
    assert UUID.match(result.output.strip())
    user = db.session.scalars(select(User).where(User.email == "boss@example.com")).one()
    assert str(user.id) == result.output.strip()
    assert user.email_verified and user.mfa_secret == "JBSWY3DPEHPK3PXP" and user.business.name == "Zeta Recovery"
    assert user.business.sms_number.startswith("+1555") and user.business.sender_email
    again = runner.invoke(args=["users", "create", "second@example.com", "--password", "pw-123456789",
                                "--role", "agent", "--business", "Zeta Recovery"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Business)) == 1
    assert db.session.scalars(select(User).where(User.email == "second@example.com")).one().mfa_secret


def test_users_create_refuses_duplicates_and_bad_roles(runner):
    args = ["users", "create", "dup@example.com", "--password", "pw-123456789", "--role", "agent", "--business", "B"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "already exists" in result.output
    assert runner.invoke(args=["users", "create", "x@example.com", "--password", "p", "--role", "king"]).exit_code == 2


def test_seed_demo_loads_a_realistic_business_once(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.funnelchat.test" in result.output and "otpauth://totp/" in result.output
    assert db.session.scalar(select(func.count()).select_from(Account)) == 200
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
    assert db.session.scalar(select(func.count()).select_from(Conversation)) >= 10
    from app.models import Template

    canned = db.session.scalars(select(Template.language).where(Template.template_type == "canned")).all()
    assert {"en", "es"} <= set(canned), "the inbox offers canned responses in both languages"
    assert db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.status == "resolved", Conversation.resolution_type.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Payment)) >= 40
    languages = set(db.session.scalars(select(Account.preferred_language)).all())
    states = set(db.session.scalars(select(Account.state)).all())
    assert languages == {"en", "es"} and len(states) >= 15
    again = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert db.session.scalar(select(func.count()).select_from(Account)) == 200
