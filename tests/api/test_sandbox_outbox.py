"""Can staff read their business's sandbox outbox, and only theirs? Does system mail refuse debtors?"""
import pytest

from app.extensions import db
from app.services.channels import send_system_email
from app.services.channels.system_email import DebtorAddressRefused
from tests.factories import gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in


def test_system_email_lands_in_the_outbox_and_is_listed(client, clock):
    business = gen_business("Delta Accounts")
    admin = gen_user(business, "business_admin")
    send_system_email(db.session, to=admin.email.upper(), subject="Verify your email", body="Click the link",
                      now=clock.now(), business_id=business.id)
    clock.advance(seconds=1)
    send_system_email(db.session, to="someone@elsewhere.example", subject="Other", body="x", now=clock.now(),
                      business_id=business.id)
    db.session.commit()
    sign_in(client, admin, clock)
    body = client.get("/api/v1/sandbox/messages").get_json()
    assert body["success"] is True and body["meta"]["total"] == 2
    newest = body["data"][0]
    assert newest["to"] == "someone@elsewhere.example"
    assert set(newest) == {"id", "channel", "from", "to", "subject", "body", "status", "externalId", "attachments",
                           "createdAt"}
    assert newest["attachments"] == []
    filtered = client.get("/api/v1/sandbox/messages", query_string={"to": admin.email}).get_json()["data"]
    assert [m["subject"] for m in filtered] == ["Verify your email"]
    assert filtered[0]["channel"] == "email" and filtered[0]["createdAt"].endswith("Z")


def test_outbox_of_another_business_is_invisible(client, clock):
    mine, theirs = gen_business("Mine Co"), gen_business("Theirs Co")
    send_system_email(db.session, to="x@theirs.example", subject="Secret", body="b", now=clock.now(),
                      business_id=theirs.id)
    db.session.commit()
    sign_in(client, gen_user(mine, "manager"), clock)
    assert client.get("/api/v1/sandbox/messages").get_json()["data"] == []
    assert client.get("/api/v1/sandbox/messages", query_string={"to": "x@theirs.example"}).get_json()["data"] == []


def test_system_mail_to_a_signup_without_business_is_visible_to_that_business_staff(client, clock):
    business = gen_business("Epsilon")
    admin = gen_user(business, "business_admin")
    send_system_email(db.session, to=admin.email, subject="Reset your password", body="b", now=clock.now())
    db.session.commit()
    sign_in(client, admin, clock)
    assert [m["subject"] for m in client.get("/api/v1/sandbox/messages").get_json()["data"]] == ["Reset your password"]


def test_agents_may_not_read_the_sandbox(client, clock):
    sign_in(client, gen_user(gen_business(), "agent"), clock)
    response = client.get("/api/v1/sandbox/messages")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"


def test_system_email_refuses_a_debtor_address(clock):
    business = gen_business()
    account = gen_account(business, email="debtor@example.com")
    with pytest.raises(DebtorAddressRefused):
        send_system_email(db.session, to="Debtor@Example.com", subject="Hi", body="b", now=clock.now())
    assert account.email == "debtor@example.com"


def test_bad_paging_is_a_validation_error(client, clock):
    sign_in(client, gen_user(gen_business(), "business_admin"), clock)
    response = client.get("/api/v1/sandbox/messages", query_string={"page": "abc"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "page"
