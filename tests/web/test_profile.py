"""The profile page: can a signed-in user change their own name, phone, email, password, photo and
notification settings, safely and on the audit trail?"""
import io
import re
import uuid

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, SandboxMessage
from tests.factories import PASSWORD, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}
NEW_PASSWORD = "Quiet-Lantern-Orbit-93"


@pytest.fixture
def avatars(app, monkeypatch, tmp_path):
    """Uploads go to a temporary instance folder, not the real one."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads" / "avatars"


def _signed_in(client, clock, role="agent", business=None):
    user = gen_user(business or gen_business(), role)
    sign_in(client, user, clock)
    return user


def _png(size=(800, 600), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make: metadata that must not survive
    image.save(out, format="PNG", exif=exif)
    return out.getvalue()


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def _mail_to(address):
    return db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == address)
                              .order_by(SandboxMessage.created_at)).all()


def _confirm_link(address) -> str:
    body = _mail_to(address)[-1].body
    return re.search(r"https?://\S+(/settings/profile/email/confirm/\S+)", body).group(1)


def test_profile_page_lists_every_section_for_a_staff_user(client, clock):
    """Does every staff user get the page, with a labelled field for each setting and the defaults shown?"""
    _signed_in(client, clock, "agent")
    page = client.get("/settings/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("First name", "Last name", "Phone (optional)", "New email address", "Current password",
                  "New password", "Confirm new password", "Photo", "Email me a daily digest"):
        assert f">{label}</label>" in html, label
    assert re.search(r'checked id="notify-assignment_email"', html)
    assert not re.search(r'checked id="notify-daily_digest_email"', html), "the daily digest is off by default"
    assert 'href="/settings/profile"' in client.get("/settings/").get_data(as_text=True)


def test_name_and_phone_are_saved_and_audited(client, clock):
    """Are name and phone saved (phone as E.164) with an audit row holding before/after, IP and user agent?"""
    user = _signed_in(client, clock)
    response = client.post("/settings/profile/details", headers={"User-Agent": "ProfileTest/1.0"}, data={
        "details-first_name": " Ada ", "details-last_name": "Lovelace", "details-phone": "(212) 555-0199"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/profile#profile-details")
    db.session.refresh(user)
    assert (user.first_name, user.last_name, user.phone) == ("Ada", "Lovelace", "+12125550199")
    row = _audit("profile_updated")[0]
    assert row.user_id == user.id and row.ip_address == "127.0.0.1" and row.user_agent == "ProfileTest/1.0"
    assert row.changes == {"first_name": ["Test", "Ada"], "last_name": ["Agent", "Lovelace"],
                           "phone": [None, "+12125550199"]}
    assert "Your name and phone are saved." in client.get("/settings/profile").get_data(as_text=True)


def test_an_invalid_phone_or_a_missing_name_is_refused_inline(client, clock):
    """Does a bad phone number or an empty name come back as an inline error, changing nothing?"""
    user = _signed_in(client, clock)
    response = client.post("/settings/profile/details", data={
        "details-first_name": "Ada", "details-last_name": "Lovelace", "details-phone": "12345"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="details-phone-error">Enter a valid phone number' in html
    assert re.search(r'aria-describedby="[^"]*details-phone-error"', html) and 'aria-invalid="true"' in html
    partial = client.post("/settings/profile/details", headers=HX, data={
        "details-first_name": "", "details-last_name": "Lovelace", "details-phone": ""})
    assert partial.status_code == 200, "HTMX swaps only 2xx responses"
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<form class="card" id="profile-details"') and "<html" not in body
    assert 'id="details-first_name-error">Enter your first name.' in body
    db.session.refresh(user)
    assert (user.first_name, user.phone) == ("Test", None) and not _audit("profile_updated")


def test_email_changes_only_when_the_link_sent_to_the_new_address_is_followed(client, clock):
    """Does an email change send a link to the new address and a notice to the old one, apply only when the
    link is followed, and refuse a second use of the link?"""
    user = _signed_in(client, clock)
    old = user.email
    response = client.post("/settings/profile/email", headers=HX,
                           data={"email-email": "Ada.New@Example.com", "email-password": PASSWORD})
    assert response.status_code == 200 and "confirmation link to ada.new@example.com" in response.get_data(as_text=True)
    link = _confirm_link("ada.new@example.com")
    assert "ada.new@example.com" in _mail_to(old)[-1].body, "the current address is told"
    db.session.refresh(user)
    assert user.email == old, "nothing changes before the link is followed"
    assert "A confirmation link was sent to ada.new@example.com" in client.get("/settings/profile").get_data(
        as_text=True)

    confirmed = client.get(link)
    assert confirmed.status_code == 302
    db.session.refresh(user)
    assert user.email == "ada.new@example.com" and user.email_verified
    assert _audit("email_changed")[0].changes == {"email": [old, "ada.new@example.com"]}
    assert "Your email address is now ada.new@example.com." in client.get("/settings/profile").get_data(as_text=True)

    again = client.get(link)
    assert again.status_code == 400 and "invalid or has expired" in again.get_data(as_text=True)


def test_an_email_link_works_only_for_the_user_it_was_sent_to(client, clock, app):
    """Is another user's confirmation link refused (without using it up)?"""
    business = gen_business()
    owner = _signed_in(client, clock, business=business)
    client.post("/settings/profile/email", data={"email-email": "owner.new@example.com", "email-password": PASSWORD})
    link = _confirm_link("owner.new@example.com")
    intruder_client = app.test_client()
    intruder = _signed_in(intruder_client, clock, business=business)
    refused = intruder_client.get(link)
    assert refused.status_code == 400
    db.session.refresh(intruder)
    db.session.refresh(owner)
    assert intruder.email != "owner.new@example.com" and owner.email != "owner.new@example.com"
    assert client.get(link).status_code == 302, "the owner can still use it"
    db.session.refresh(owner)
    assert owner.email == "owner.new@example.com"


def test_an_email_change_needs_the_current_password_and_a_free_address(client, clock):
    """Are a wrong current password and an address another user has refused inline, sending nothing?"""
    business = gen_business()
    taken = gen_user(business, "manager")
    user = _signed_in(client, clock, business=business)
    wrong = client.post("/settings/profile/email",
                        data={"email-email": "fresh@example.com", "email-password": "Not-The-Password-1"})
    assert wrong.status_code == 400
    assert 'id="email-password-error">Your current password is not correct.' in wrong.get_data(as_text=True)
    clash = client.post("/settings/profile/email", headers=HX,
                        data={"email-email": taken.email.upper(), "email-password": PASSWORD})
    assert clash.status_code == 200
    assert 'id="email-email-error">Another account already uses this email address.' in clash.get_data(as_text=True)
    assert not _mail_to("fresh@example.com") and not _mail_to(taken.email)
    db.session.refresh(user)
    assert not _audit("email_change_requested")


def test_the_password_change_refuses_a_wrong_current_password_and_a_weak_new_one(client, clock):
    """Is a wrong current password refused, and a weak new password refused with feedback on its field?"""
    user = _signed_in(client, clock)
    wrong = client.post("/settings/profile/password", data={
        "password-current_password": "Not-The-Password-1", "password-new_password": NEW_PASSWORD,
        "password-confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert 'id="password-current_password-error">Your current password is not correct.' in wrong.get_data(
        as_text=True)
    weak = client.post("/settings/profile/password", headers=HX, data={
        "password-current_password": PASSWORD, "password-new_password": "password",
        "password-confirm_password": "password"})
    html = weak.get_data(as_text=True)
    assert weak.status_code == 200 and 'id="password-new_password-error">Password must be at least 12' in html
    assert re.search(r'aria-describedby="[^"]*password-new_password-error"', html)
    mismatch = client.post("/settings/profile/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-confirm_password": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and b"The two new passwords do not match." in mismatch.data
    assert client.get("/dashboard").status_code == 200, "still signed in"
    db.session.refresh(user)
    assert not _audit("password_changed")


def test_a_password_change_signs_the_user_out_everywhere(client, clock, app):
    """Does a successful change end every session (this one too), send to the sign-in page with a message,
    and make the old password stop working?"""
    user = _signed_in(client, clock)
    other_browser = app.test_client()
    clock.advance(seconds=30)
    sign_in(other_browser, user, clock)
    response = client.post("/settings/profile/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-confirm_password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    login_page = client.get("/login").get_data(as_text=True)
    assert "Password changed: sign in again with your new password." in login_page
    for browser in (client, other_browser):
        assert browser.get("/dashboard").headers["Location"].startswith("/login")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    clock.advance(seconds=30)
    sign_in(client, user, clock, password=NEW_PASSWORD)
    assert client.get("/dashboard").status_code == 200
    assert _audit("password_changed")


def test_a_password_change_over_htmx_redirects_the_whole_page(client, clock):
    """Does an HTMX password change answer with HX-Redirect to the sign-in page?"""
    _signed_in(client, clock)
    response = client.post("/settings/profile/password", headers=HX, data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-confirm_password": NEW_PASSWORD})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/login"
    assert client.get("/dashboard").status_code == 302


def test_a_photo_is_resized_stripped_and_shown_to_the_same_business_only(client, clock, app, avatars):
    """Is a real PNG accepted, cropped to at most 256 px without metadata, served privately to a user of the
    same business and refused (404) to a user of another business?"""
    business = gen_business()
    user = _signed_in(client, clock, business=business)
    response = client.post("/settings/profile/avatar", headers=HX, content_type="multipart/form-data",
                           data={"avatar-avatar": (io.BytesIO(_png()), "me.png")})
    assert response.status_code == 200 and "Your photo is updated." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.avatar_url.startswith(f"/settings/avatar/{user.id}")
    assert f'src="{user.avatar_url}" alt="Your profile photo"' in response.get_data(as_text=True)
    stored = Image.open(avatars / f"{user.id}.png")
    assert stored.format == "PNG" and stored.size == (256, 256)
    assert not stored.getexif() and "exif" not in stored.info
    row = _audit("avatar_changed")[0]
    assert row.changes == {"avatar_url": [None, user.avatar_url]} and row.ip_address == "127.0.0.1"

    colleague_client = app.test_client()
    _signed_in(colleague_client, clock, business=business)
    served = colleague_client.get(user.avatar_url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "private" in served.headers["Cache-Control"]
    assert Image.open(io.BytesIO(served.data)).size == (256, 256)

    stranger_client = app.test_client()
    _signed_in(stranger_client, clock, role="business_admin")
    assert stranger_client.get(user.avatar_url).status_code == 404
    assert app.test_client().get(user.avatar_url).status_code == 302, "signed-out visitors go to sign in"


def test_a_file_that_is_not_an_image_is_refused(client, clock, avatars):
    """Is a text file renamed .png refused with an inline error, storing nothing?"""
    user = _signed_in(client, clock)
    response = client.post("/settings/profile/avatar", content_type="multipart/form-data",
                           data={"avatar-avatar": (io.BytesIO(b"just some text, not pixels\n" * 20), "photo.png")})
    assert response.status_code == 400
    assert 'id="avatar-avatar-error">This file is not a PNG, JPEG or WebP image.' in response.get_data(as_text=True)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    other = client.post("/settings/profile/avatar", content_type="multipart/form-data",
                        data={"avatar-avatar": (io.BytesIO(gif.getvalue()), "photo.png")})
    assert other.status_code == 400, "a real image in another format is refused too"
    db.session.refresh(user)
    assert user.avatar_url is None and not (avatars / f"{user.id}.png").exists()


def test_a_photo_can_be_removed(client, clock, avatars):
    """Does "Remove photo" delete the file, clear the URL and show initials again?"""
    user = _signed_in(client, clock)
    client.post("/settings/profile/avatar", content_type="multipart/form-data",
                data={"avatar-avatar": (io.BytesIO(_png((120, 300))), "tall.png")})
    db.session.refresh(user)
    url = user.avatar_url
    assert Image.open(avatars / f"{user.id}.png").size == (120, 120), "small photos are cropped, not enlarged"
    response = client.post("/settings/profile/avatar/remove", headers=HX)
    assert response.status_code == 200 and "Your photo is removed." in response.get_data(as_text=True)
    assert 'aria-label="No photo yet: your initials, TA"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.avatar_url is None and not (avatars / f"{user.id}.png").exists()
    assert client.get(url).status_code == 404
    assert _audit("avatar_removed")[0].changes == {"avatar_url": [url, None]}


def test_notification_preferences_are_saved_as_booleans(client, clock):
    """Are the five notification settings stored as booleans (unticked is off) and audited?"""
    user = _signed_in(client, clock)
    response = client.post("/settings/profile/notifications",
                           data={"notify-assignment_email": "y", "notify-daily_digest_email": "y"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.notification_preferences == {"assignment_email": True, "message_email": False,
                                             "escalation_email": False, "daily_digest_email": True,
                                             "browser_notifications": False}
    assert _audit("notification_preferences_updated")[0].changes == {
        "message_email": [True, False], "escalation_email": [True, False], "daily_digest_email": [False, True],
        "browser_notifications": [True, False]}
    html = client.get("/settings/profile").get_data(as_text=True)
    assert re.search(r'checked id="notify-daily_digest_email"', html)
    assert not re.search(r'checked id="notify-escalation_email"', html)


def test_the_profile_pages_need_a_signed_in_user(client):
    """Are the page, its actions and the photos closed to signed-out visitors?"""
    assert client.get("/settings/profile").headers["Location"].startswith("/login")
    assert client.post("/settings/profile/details", data={}).headers["Location"].startswith("/login")
    assert client.get(f"/settings/avatar/{uuid.uuid4()}").headers["Location"].startswith("/login")
