"""PRD 7.2 through the API: MFA, tokens that die when they should, forged tokens, registration, reset."""
import base64
import datetime as dt
import json
import re

import jwt
import pyotp
import pytest

from app.extensions import db
from app.models import SandboxMessage, User
from tests.api.helpers import api_login, bearer
from tests.factories import PASSWORD, gen_business, gen_user

STRONG = "Vq7#rLm2!xTz9Kp"


def _err(response, status, code=None):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["success"] is False
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_business_role_without_code_gets_mfa_required_and_no_token(client):
    user = gen_user(gen_business(), "agent")
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    err = _err(response, 401, "MFA_REQUIRED")
    assert err["field"] == "mfaCode" and "token" not in response.get_data(as_text=True)


def test_login_returns_prd_body_and_jwt_claims(client, clock, app):
    business = gen_business()
    user = gen_user(business, "manager")
    data = api_login(client, user, clock)
    assert set(data) == {"user", "token", "refreshToken"}
    assert data["user"]["id"] == str(user.id) and data["user"]["businessId"] == str(business.id)
    assert data["user"]["role"] == "manager" and "passwordHash" not in data["user"]
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert {"userId", "email", "role", "businessId", "iat", "exp"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 24 * 3600
    me = client.get("/api/v1/auth/me", headers=bearer(data["token"])).get_json()["data"]["user"]
    assert me["email"] == user.email


def test_wrong_password_and_unknown_email_answer_alike(client):
    user = gen_user(gen_business(), "agent")
    a = _err(client.post("/api/v1/auth/login", json={"email": user.email, "password": "Wrong-Pass-123!", "mfaCode": "123456"}), 401)
    b = _err(client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "Wrong-Pass-123!", "mfaCode": "123456"}), 401)
    assert a == b and a["code"] == "INVALID_CREDENTIALS"


def test_wrong_and_replayed_codes_are_refused(client, clock):
    user = gen_user(gen_business(), "agent")
    code = pyotp.TOTP(user.mfa_secret).at(clock.now())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    _err(client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD, "mfaCode": wrong}), 401)
    assert client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD, "mfaCode": code}).status_code == 200
    _err(client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD, "mfaCode": code}), 401)


def test_logout_revokes_the_token(client, clock):
    data = api_login(client, gen_user(gen_business(), "agent"), clock)
    headers = bearer(data["token"])
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).get_json()["data"]["message"]
    _err(client.get("/api/v1/auth/me", headers=headers), 401, "UNAUTHORIZED")
    _err(client.post("/api/v1/auth/refresh", json={"refreshToken": data["refreshToken"]}), 401)


def test_refresh_rotates_and_reuse_revokes_the_family(client, clock):
    first = api_login(client, gen_user(gen_business(), "agent"), clock)
    second = client.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}).get_json()["data"]
    assert second["refreshToken"] != first["refreshToken"]
    assert client.get("/api/v1/auth/me", headers=bearer(second["token"])).status_code == 200
    _err(client.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}), 401)
    _err(client.post("/api/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}), 401)
    _err(client.get("/api/v1/auth/me", headers=bearer(second["token"])), 401)


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_forged_tokens_are_refused(client, clock):
    data = api_login(client, gen_user(gen_business(), "agent"), clock)
    header, payload, signature = data["token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "business_admin"
    for forged in (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        f"{header}.{_b64(claims)}.{signature}",
        jwt.encode(claims, "not-the-server-key-but-long-enough-to-sign", algorithm="HS256"),
        "garbage", "",
    ):
        _err(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}), 401)
    _err(client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401)


def test_expired_token_is_refused(client, clock):
    data = api_login(client, gen_user(gen_business(), "agent"), clock)
    clock.advance(hours=24, seconds=1)
    _err(client.get("/api/v1/auth/me", headers=bearer(data["token"])), 401)


def test_deactivation_and_password_change_end_tokens_at_once(client, clock):
    from app.services.auth.account_flows import change_password

    business = gen_business()
    admin = gen_user(business, "business_admin")
    agent = gen_user(business, "agent")
    admin_token = api_login(client, admin, clock)["token"]
    agent_token = api_login(client, agent, clock)["token"]
    response = client.patch(f"/api/v1/admin/users/{agent.id}", json={"status": "inactive"}, headers=bearer(admin_token))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "inactive"
    _err(client.get("/api/v1/auth/me", headers=bearer(agent_token)), 401)
    change_password(db.session, admin, "An0ther-Str0ng-Pass!", clock.now())
    db.session.commit()
    _err(client.get("/api/v1/auth/me", headers=bearer(admin_token)), 401)


@pytest.mark.parametrize("password", ["password", "Sh0rt!pw", "NoDigitsOrSymbolsHere", "alllowercase1!xx",
                                      "Password1234!", "Jane.Debtor#2026"])
def test_register_rejects_weak_passwords(client, password):
    err = _err(client.post("/api/v1/auth/register", json={
        "email": "jane.debtor@example.com", "password": password, "firstName": "Jane", "lastName": "Debtor",
        "role": "debtor"}), 400)
    assert err["field"] == "password"


def test_register_codes_and_the_unverified_token(client, clock):
    existing = gen_user(gen_business(), "agent")
    _err(client.post("/api/v1/auth/register", json={"email": existing.email, "password": STRONG, "role": "debtor"}),
         400, "EMAIL_EXISTS")
    _err(client.post("/api/v1/auth/register", json={"email": "root@example.com", "password": STRONG,
                                                      "role": "super_admin"}), 400, "INVALID_ROLE")
    _err(client.post("/api/v1/auth/register", data="{bad json", headers={"Content-Type": "application/json"}),
         400, "BAD_REQUEST")
    response = client.post("/api/v1/auth/register", json={"email": "New.Debtor@example.com", "password": STRONG,
                                                           "firstName": "New", "lastName": "Debtor"})
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["user"]["role"] == "debtor" and data["user"]["email"] == "new.debtor@example.com"
    headers = bearer(data["token"])
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _err(client.get("/api/v1/admin/users", headers=headers), 403, "EMAIL_NOT_VERIFIED")
    mail = db.session.query(SandboxMessage).filter_by(to_address="new.debtor@example.com").one()
    token = re.search(r"/verify-email/(\S+)", mail.body).group(1)
    from app.services.auth.account_flows import verify_email

    verify_email(db.session, token, clock.now())
    db.session.commit()
    _err(client.get("/api/v1/admin/users", headers=headers), 403, "FORBIDDEN")


def test_forgot_and_reset_password(client, clock):
    user = gen_user(gen_business(), "agent")
    known = client.post("/api/v1/auth/forgot-password", json={"email": user.email})
    unknown = client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_json()["data"] == unknown.get_json()["data"]
    mail = db.session.query(SandboxMessage).filter_by(to_address=user.email).one()
    token = re.search(r"/reset-password/(\S+)", mail.body).group(1)
    old_token = api_login(client, user, clock)["token"]
    _err(client.post("/api/v1/auth/reset-password", json={"token": token, "newPassword": "weak"}), 400)
    assert client.post("/api/v1/auth/reset-password", json={"token": token, "newPassword": STRONG}).status_code == 200
    _err(client.post("/api/v1/auth/reset-password", json={"token": token, "newPassword": STRONG}), 400)
    _err(client.get("/api/v1/auth/me", headers=bearer(old_token)), 401)
    api_login(client, user, clock, password=STRONG)


def test_reset_link_expires_after_an_hour(client, clock):
    user = gen_user(gen_business(), "agent")
    client.post("/api/v1/auth/forgot-password", json={"email": user.email})
    token = re.search(r"/reset-password/(\S+)", db.session.query(SandboxMessage).one().body).group(1)
    clock.advance(hours=1, seconds=1)
    _err(client.post("/api/v1/auth/reset-password", json={"token": token, "newPassword": STRONG}), 400)


def test_sixth_failed_login_is_429_with_retry_after(client):
    user = gen_user(gen_business(), "agent")
    statuses = [client.post("/api/v1/auth/login", json={"email": user.email, "password": "Wrong-Pass-123!",
                                                          "mfaCode": "000000"}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": "Wrong-Pass-123!"})
    _err(response, 429, "RATE_LIMITED")
    assert int(response.headers["Retry-After"]) > 0


def test_successful_logins_do_not_use_up_the_limit(client, clock):
    user = gen_user(gen_business(), "agent")
    for _ in range(7):
        api_login(client, user, clock)


def test_api_keys_authenticate_and_die_when_revoked(client, clock):
    from app.services.auth import api_keys

    business = gen_business()
    admin = gen_user(business, "business_admin")
    key, plain = api_keys.create_key(db.session, business_id=business.id, name="CRM sync", role="manager",
                                     created_by_id=admin.id, now=clock.now())
    db.session.commit()
    assert key.key_hash != plain and plain.startswith("fc_")
    users = client.get("/api/v1/admin/users", headers={"X-API-Key": plain})
    assert users.status_code == 200 and admin.email in {u["email"] for u in users.get_json()["data"]}
    api_keys.revoke(db.session, key, clock.now())
    db.session.commit()
    _err(client.get("/api/v1/admin/users", headers={"X-API-Key": plain}), 401)
    _err(client.get("/api/v1/admin/users", headers={"X-API-Key": "fc_nope"}), 401)


def test_a_verified_debtor_login_is_linked_to_their_accounts_only(client, clock):
    from app.models import Account
    from app.services.auth.account_flows import verify_email
    from tests.factories import gen_account

    a, b = gen_business(), gen_business()
    mine_a = gen_account(a, email="Pat.Debtor@example.com")
    mine_b = gen_account(b, email="pat.debtor@example.com")
    other = gen_account(a, email="someone.else@example.com")
    client.post("/api/v1/auth/register", json={"email": "pat.debtor@example.com", "password": STRONG,
                                               "firstName": "Pat", "lastName": "Debtor"})
    user = db.session.query(User).filter_by(email="pat.debtor@example.com").one()
    assert db.session.get(Account, mine_a.id).debtor_id is None, "nothing is linked before verification"
    mail = db.session.query(SandboxMessage).filter_by(to_address="pat.debtor@example.com").first()
    assert mail is None, "the address is a debtor account's: system mail refuses it (the gate will send it)"
    from app.services.auth.account_flows import issue_token

    token = issue_token(db.session, "verify_email", clock.now(), user=user)
    verify_email(db.session, token, clock.now())
    db.session.commit()
    assert {db.session.get(Account, x.id).debtor_id for x in (mine_a, mine_b)} == {user.id}
    assert db.session.get(Account, other.id).debtor_id is None
