"""Can staff sign in with password + TOTP, and does everything that should end a session end it?"""
import pyotp

from app.extensions import db
from app.models import UserSession
from tests.factories import PASSWORD, gen_business, gen_user
from tests.web.auth_helpers import sign_in


def test_pages_need_a_signed_in_user(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_then_totp_signs_in_and_shows_the_dashboard(client, clock):
    user = gen_user(gen_business("Gamma Credit"), "business_admin")
    response = sign_in(client, user, clock)
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Gamma Credit" in html and "Dashboard" in html
    assert 'href="/dashboard"' in html
    assert 'href="/conversations"' in html, "the inbox is built and linked"
    assert "/campaigns" not in html and "/analytics" not in html, "pages that are not built are not linked"


def test_wrong_password_and_wrong_code_are_refused(client, clock):
    user = gen_user(gen_business(), "agent")
    assert client.post("/login", data={"email": user.email, "password": "nope-nope-nope"}).status_code == 401
    assert client.post("/login", data={"email": "nobody@example.com", "password": "x" * 12}).status_code == 401
    client.post("/login", data={"email": user.email, "password": "Correct-Horse-Battery-42"})
    assert client.post("/login/mfa", data={"code": "000000"}).status_code == 401
    assert client.get("/dashboard").status_code == 302


def test_a_totp_code_is_accepted_once(client, clock, app):
    user = gen_user(gen_business(), "manager")
    sign_in(client, user, clock)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": "Correct-Horse-Battery-42"})
    code = pyotp.TOTP(user.mfa_secret).at(clock.now())
    assert other.post("/login/mfa", data={"code": code}).status_code == 401


def test_sign_out_revokes_the_session_row(client, clock):
    user = gen_user(gen_business(), "agent")
    sign_in(client, user, clock)
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302
    rows = db.session.query(UserSession).filter_by(user_id=user.id).all()
    assert rows and all(r.revoked_at is not None for r in rows)


def test_thirty_idle_minutes_end_the_session(client, clock):
    user = gen_user(gen_business(), "agent")
    sign_in(client, user, clock)
    clock.advance(minutes=29)
    assert client.get("/dashboard").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/dashboard").status_code == 200, "activity keeps the session alive"
    clock.advance(minutes=31)
    assert client.get("/dashboard").status_code == 302


def test_deactivated_user_is_signed_out_at_once(client, clock):
    user = gen_user(gen_business(), "agent")
    sign_in(client, user, clock)
    user.status = "inactive"
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_unverified_and_suspended_users_cannot_sign_in(client):
    business = gen_business()
    unverified = gen_user(business, "agent", verified=False)
    response = client.post("/login", data={"email": unverified.email, "password": "Correct-Horse-Battery-42"})
    assert response.status_code == 401 and b"Verify your email" in response.data
    business.status = "suspended"
    db.session.commit()
    admin = gen_user(business, "business_admin")
    response = client.post("/login", data={"email": admin.email, "password": "Correct-Horse-Battery-42"})
    assert response.status_code == 401 and b"suspended" in response.data


def test_recovery_code_works_once(client, clock, app):
    from app.services.auth.users import new_recovery_codes

    user = gen_user(gen_business(), "agent")
    codes = new_recovery_codes(user)
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": "Correct-Horse-Battery-42"})
    assert client.post("/login/mfa", data={"code": codes[0]}).status_code == 302
    again = app.test_client()
    again.post("/login", data={"email": user.email, "password": "Correct-Horse-Battery-42"})
    assert again.post("/login/mfa", data={"code": codes[0]}).status_code == 401


def test_dashboard_figures_are_the_business_own(client, clock):
    from decimal import Decimal

    from tests.factories import gen_account

    mine, theirs = gen_business("Mine"), gen_business("Theirs")
    gen_account(mine, current_balance=Decimal("100.10"))
    gen_account(mine, current_balance=Decimal("200.20"))
    gen_account(theirs, current_balance=Decimal("999999.99"))
    sign_in(client, gen_user(mine, "manager"), clock)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "$300.30" in html
    assert "999,999.99" not in html


def test_debtor_logins_are_turned_away_from_the_staff_pages(client):
    user = gen_user(None, "debtor", mfa=False)
    response = client.post("/login", data={"email": user.email, "password": "Correct-Horse-Battery-42"})
    assert response.status_code == 403 and b"agency staff" in response.data
    assert client.get("/dashboard").status_code == 302


def test_only_wrong_codes_count_toward_the_mfa_limit_per_address_and_per_account(client, clock):
    """An office behind one address signs in all morning; code guessing stops at 10 per address and per account."""
    business = gen_business()
    for _ in range(12):
        sign_in(client, gen_user(business, "agent"), clock)
        client.post("/logout")
    target = gen_user(business, "agent")

    def wrong_code(address):
        client.post("/login", data={"email": target.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": address})
        return client.post("/login/mfa", data={"code": "000000"}, environ_base={"REMOTE_ADDR": address}).status_code

    assert [wrong_code(f"198.51.100.{n}") for n in range(10)] == [401] * 10
    assert wrong_code("198.51.100.77") == 429, "the account's own limit holds across addresses"
