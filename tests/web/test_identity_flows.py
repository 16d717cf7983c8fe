"""Sign-up, MFA enrolment, invitations and password reset in the browser, end to end through the test client."""
import re

import pyotp
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business, SandboxMessage, User
from tests.factories import PASSWORD, gen_business, gen_user
from tests.web.auth_helpers import sign_in

STRONG = "Vq7#rLm2!xTz9Kp"


def _link(to: str, pattern: str) -> str:
    body = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == to)
                              .order_by(SandboxMessage.created_at.desc())).first().body
    return re.search(pattern, body).group(0)


def _enrol(client, clock):
    page = client.get("/mfa/setup")
    assert page.status_code == 200 and b"<svg" in page.data
    secret = re.search(rb'id="totp-secret">([A-Z2-7]+)<', page.data).group(1).decode()
    response = client.post("/mfa/setup", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302 and response.headers["Location"].endswith("/mfa/recovery-codes")
    codes_page = client.get("/mfa/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", codes_page)
    assert len(codes) == 10
    assert client.get("/mfa/recovery-codes").status_code == 302, "codes are shown once"
    return secret, codes


def test_signup_verify_enrol_and_sign_in_again(client, clock):
    page = client.post("/signup", data={"company": "Omega Collections", "name": "Olivia Park",
                                        "email": "olivia@omega.example", "password": STRONG})
    assert page.status_code == 200 and b"Check your email" in page.data
    assert db.session.scalar(select(Business).where(Business.name == "Omega Collections")) is None
    link = _link("olivia@omega.example", r"/signup/verify/\S+")
    response = client.get(link)
    assert response.headers["Location"].endswith("/mfa/setup")
    user = db.session.scalars(select(User).where(User.email == "olivia@omega.example")).one()
    assert user.role == "business_admin" and user.business.name == "Omega Collections" and user.email_verified
    secret, codes = _enrol(client, clock)
    assert client.get("/dashboard").status_code == 200
    assert client.get(link).status_code == 400, "a sign-up link works once"
    client.post("/logout")
    clock.advance(seconds=30)
    response = client.post("/login", data={"email": "olivia@omega.example", "password": STRONG})
    assert response.headers["Location"].endswith("/login/mfa")
    assert client.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(clock.now())}).status_code == 302
    assert client.get("/dashboard").status_code == 200
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.seq)).all()
    assert actions[:2] == ["signup", "mfa_enrolled"] and actions.count("login") == 2 and "logout" in actions


def test_signup_with_weak_password_shows_feedback_inline(client):
    response = client.post("/signup", data={"company": "X", "name": "Y Z", "email": "y@x.example",
                                            "password": "password1"})
    assert response.status_code == 400 and b'id="password-error"' in response.data


def test_signup_for_a_taken_email_looks_the_same_and_warns_the_owner(client):
    owner = gen_user(gen_business(), "agent")
    response = client.post("/signup", data={"company": "Copycat", "name": "Cat Copy", "email": owner.email,
                                            "password": STRONG})
    assert response.status_code == 200 and b"Check your email" in response.data
    assert "already has an account" in db.session.scalars(select(SandboxMessage.body)).one()


def test_invited_agent_sets_password_and_enrols(client, clock, app):
    business = gen_business("Invite Co")
    admin = gen_user(business, "business_admin")
    from app.services.auth import account_flows

    account_flows.invite(db.session, inviter=admin, email="ivy@example.com", role="agent", first_name="Ivy",
                         last_name="Agent", now=clock.now(), public_url="http://x")
    db.session.commit()
    link = _link("ivy@example.com", r"/invite/\S+")
    guest = app.test_client()
    assert guest.post(link, data={"password": STRONG, "confirm": "different"}).status_code == 400
    response = guest.post(link, data={"password": STRONG, "confirm": STRONG})
    assert response.headers["Location"].endswith("/mfa/setup")
    _enrol(guest, clock)
    assert b"Invite Co" in guest.get("/dashboard").data
    assert guest.get(link).status_code == 400


def test_business_user_without_authenticator_is_sent_to_enrolment(client, clock):
    user = gen_user(gen_business(), "manager", mfa=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/mfa/setup")
    assert client.get("/dashboard").status_code == 302, "no access before enrolment"
    _enrol(client, clock)


def test_forgot_and_reset_password_in_the_browser(client, clock):
    user = gen_user(gen_business(), "agent")
    sign_in(client, user, clock)
    other = client.application.test_client()
    assert other.post("/forgot-password", data={"email": user.email}).status_code == 200
    assert other.post("/forgot-password", data={"email": "ghost@example.com"}).status_code == 200
    link = _link(user.email, r"/reset-password/\S+")
    assert other.post(link, data={"password": STRONG, "confirm": STRONG}).status_code == 302
    assert client.get("/dashboard").status_code == 302, "every session ends on a password change"
    assert other.get(link).status_code == 400


def test_open_redirect_through_next_is_refused(client, clock):
    user = gen_user(gen_business(), "agent")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        response = client.post("/login/mfa", data={"code": pyotp.TOTP(user.mfa_secret).at(clock.now())})
        assert response.headers["Location"] == "/dashboard", target
        client.post("/logout")
        clock.advance(seconds=30)


def test_nothing_from_before_sign_in_survives_it(client, clock):
    """Session fixation: the signed-in session shares nothing with the anonymous one."""
    user = gen_user(gen_business(), "agent")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    sign_in(client, user, clock)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        token_cookie = sess["_user_id"]
    assert token_cookie != str(user.id), "the cookie carries a per-session secret, not the user id"
