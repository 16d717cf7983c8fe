"""Does the SMTP adapter deliver through a real relay (aiosmtpd with STARTTLS and AUTH), never in clear, and map
the relay's answers to bounces and retries?"""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.extensions import db
from app.models import SandboxMessage
from app.services.channels import send_system_email
from app.services.channels.providers import by_name, for_channel
from app.services.channels.providers.base import Attachment, CannotReconcile, Envelope, PermanentError, \
    RetryableError
from app.services.channels.providers.smtp import SmtpProvider, parse_url
from tests.factories import NOW

USER, PASSWORD = "relay@agency.example", "p@ss word/1"
URL_PASSWORD = "p%40ss%20word%2F1"


# -- a real relay --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost, and a client context that trusts only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return {"server": server, "client": client, "cert_file": str(cert_file)}


class Relay:
    """What the relay received, the logins it saw, and the refusals it is told to make."""

    def __init__(self):
        self.messages = []
        self.logins = []
        self.refuse_rcpt = {}  # address -> "550 5.1.1 ..." reply
        self.refuse_data = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.messages.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                              "tls": session.ssl is not None, "login": session.auth_data,
                              "message": email.message_from_bytes(envelope.content, policy=email.policy.default)})
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data.login.decode())
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(relay, **kwargs) -> Controller:
    controller = Controller(relay, hostname="127.0.0.1", port=_free_port(), authenticator=relay.authenticate,
                            **kwargs)
    controller.start()
    return controller


@pytest.fixture
def relay(certificate):
    """STARTTLS required before anything, AUTH required before mail."""
    relay = Relay()
    controller = _start(relay, tls_context=certificate["server"], require_starttls=True, auth_required=True)
    relay.url = f"smtp://{USER.replace('@', '%40')}:{URL_PASSWORD}@127.0.0.1:{controller.port}"
    yield relay
    controller.stop()


def _envelope(**fields) -> Envelope:
    values = dict(message_id=uuid.uuid4(), channel="email", from_address="collections@agency.example",
                  from_name="Acme Recovery", to_address="maria@example.com", subject="Your account",
                  body="Hello Maria,\n\nPlease call us.", html="<p>Hello Maria,</p><p>Please call us.</p>",
                  created_at=NOW, reply_to="replies@agency.example",
                  unsubscribe_url="https://app.example/u/abc123",
                  attachments=(Attachment("validation-notice.pdf", "application/pdf", b"%PDF-1.4 notice"),))
    values.update(fields)
    return Envelope(**values)


def _text(part) -> str:
    return part.get_content().replace("\r\n", "\n").strip()


# -- sending -------------------------------------------------------------------------------------------------------
def test_a_message_arrives_over_starttls_with_every_header(relay, certificate):
    """Does the relay receive the message after STARTTLS and AUTH, with From, To, Subject, our Message-ID, the
    one-click unsubscribe headers, the text and HTML parts and the attachment?"""
    envelope = _envelope()
    accepted = SmtpProvider(relay.url, tls_context=certificate["client"]).send(envelope)

    assert accepted.external_id == f"<{envelope.message_id}@funnelchat>" and accepted.status == "sent"
    [got] = relay.messages
    assert got["tls"] and got["login"] == USER and relay.logins == [USER]
    assert got["mail_from"] == "collections@agency.example" and got["rcpt_tos"] == ["maria@example.com"]
    msg = got["message"]
    assert msg["From"] == "Acme Recovery <collections@agency.example>" and msg["To"] == "maria@example.com"
    assert msg["Subject"] == "Your account" and msg["Message-ID"] == accepted.external_id
    assert msg["Reply-To"] == "replies@agency.example"
    assert msg["List-Unsubscribe"] == "<https://app.example/u/abc123>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _text(msg.get_body(("plain",))) == "Hello Maria,\n\nPlease call us."
    assert _text(msg.get_body(("html",))) == "<p>Hello Maria,</p><p>Please call us.</p>"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "validation-notice.pdf"
    assert attachment.get_content_type() == "application/pdf" and attachment.get_content() == b"%PDF-1.4 notice"


def test_plain_text_only_without_unsubscribe_headers(relay, certificate):
    """Without HTML or an unsubscribe link, is the message a single text part with no List-Unsubscribe?"""
    SmtpProvider(relay.url, tls_context=certificate["client"]).send(
        _envelope(html=None, unsubscribe_url=None, attachments=(), from_name=None, reply_to=None))
    msg = relay.messages[0]["message"]
    assert msg.get_content_type() == "text/plain" and "List-Unsubscribe" not in msg
    assert msg["From"] == "collections@agency.example" and "Reply-To" not in msg


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the whole session is TLS here
def test_implicit_tls_on_smtps(certificate):
    """Does smtps:// speak TLS from the first byte (port 465 style)?"""
    relay = Relay()
    controller = _start(relay, ssl_context=certificate["server"], auth_required=True, auth_require_tls=False)
    try:
        url = f"smtps://{USER.replace('@', '%40')}:{URL_PASSWORD}@127.0.0.1:{controller.port}"
        SmtpProvider(url, tls_context=certificate["client"]).send(_envelope())
    finally:
        controller.stop()
    assert relay.messages[0]["login"] == USER and relay.messages[0]["rcpt_tos"] == ["maria@example.com"]


# -- refusals ------------------------------------------------------------------------------------------------------
def test_a_refused_recipient_is_a_hard_bounce(relay, certificate):
    """Is a 550 to RCPT a permanent failure carrying the relay's reply?"""
    relay.refuse_rcpt["gone@example.com"] = "550 5.1.1 <gone@example.com>: user unknown"
    with pytest.raises(PermanentError) as caught:
        SmtpProvider(relay.url, tls_context=certificate["client"]).send(_envelope(to_address="gone@example.com"))
    assert caught.value.code == 550 and "user unknown" in caught.value.reason
    assert relay.messages == []


def test_a_temporary_refusal_is_retried(relay, certificate):
    """Is a 4xx (greylisting, mailbox busy) a retry, not a bounce?"""
    relay.refuse_rcpt["busy@example.com"] = "451 4.7.1 greylisted, try again later"
    with pytest.raises(RetryableError) as caught:
        SmtpProvider(relay.url, tls_context=certificate["client"]).send(_envelope(to_address="busy@example.com"))
    assert caught.value.code == 451 and "greylisted" in caught.value.reason


def test_refused_content_is_permanent(relay, certificate):
    """Is a 554 after DATA (content rejected) permanent?"""
    relay.refuse_data = "554 5.7.1 message content rejected"
    with pytest.raises(PermanentError) as caught:
        SmtpProvider(relay.url, tls_context=certificate["client"]).send(_envelope())
    assert caught.value.code == 554 and "content rejected" in caught.value.reason


def test_a_wrong_password_waits_for_an_operator(relay, certificate):
    """A rejected login is our setup, not the debtor's address: is it retried rather than failing the message?"""
    url = relay.url.replace(URL_PASSWORD, "wrong")
    with pytest.raises(RetryableError) as caught:
        SmtpProvider(url, tls_context=certificate["client"]).send(_envelope())
    assert caught.value.code == 535 and relay.messages == []


def test_no_credentials_or_mail_cross_a_server_without_starttls(certificate):
    """A relay that offers no STARTTLS gets nothing: no AUTH is attempted, nothing is sent, and it is retried."""
    relay = Relay()
    controller = _start(relay, auth_require_tls=False)
    try:
        url = f"smtp://{USER.replace('@', '%40')}:{URL_PASSWORD}@127.0.0.1:{controller.port}"
        with pytest.raises(RetryableError) as caught:
            SmtpProvider(url, tls_context=certificate["client"]).send(_envelope())
    finally:
        controller.stop()
    assert "STARTTLS" in caught.value.reason and relay.logins == [] and relay.messages == []


def test_an_untrusted_certificate_is_refused(relay, monkeypatch):
    """With the system's trust store, is the relay's self-signed certificate refused (and retried)?"""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(RetryableError) as caught:
        SmtpProvider(relay.url).send(_envelope())
    assert "SSL" in caught.value.reason and relay.logins == [] and relay.messages == []


def test_an_unreachable_relay_is_retried():
    """Is a refused connection a retry?"""
    with pytest.raises(RetryableError):
        SmtpProvider(f"smtp://127.0.0.1:{_free_port()}").send(_envelope())


def test_smtp_cannot_reconcile():
    """SMTP has no lookup: does find() say so, so a row left sending goes to a person?"""
    with pytest.raises(CannotReconcile):
        SmtpProvider("smtp://relay.example").find(_envelope())


# -- settings ------------------------------------------------------------------------------------------------------
def test_smtp_url_settings():
    """Are ports defaulted, credentials URL-decoded, and TLS impossible to turn off?"""
    plain = parse_url(f"smtp://{USER.replace('@', '%40')}:{URL_PASSWORD}@mail.example")
    assert (plain.host, plain.port, plain.implicit_tls) == ("mail.example", 587, False)
    assert (plain.username, plain.password) == (USER, PASSWORD)
    assert parse_url("smtps://mail.example").port == 465 and parse_url("smtps://mail.example").implicit_tls
    for bad in ("smtp://mail.example?starttls=0", "http://mail.example", "smtp://"):
        with pytest.raises(ValueError):
            parse_url(bad)


# -- system mail ---------------------------------------------------------------------------------------------------
@pytest.fixture
def smtp_mode(app, relay, certificate, monkeypatch):
    """The app configured for SMTP, trusting the relay's certificate through the system trust store."""
    config = dataclasses.replace(app.config["CONFIG_OBJECT"], SMTP_URL=relay.url, SENDGRID_API_KEY=None,
                                 SENDGRID_FROM_EMAIL=None)
    monkeypatch.setitem(app.config, "CONFIG_OBJECT", config)
    monkeypatch.setenv("SSL_CERT_FILE", certificate["cert_file"])
    return config


def test_system_mail_goes_through_smtp(smtp_mode, relay, clock):
    """In SMTP mode, does a password-reset email reach the relay from the relay's own login, and not the sandbox?"""
    assert for_channel("email", config=smtp_mode, db_session=db.session).name == "smtp"
    result = send_system_email(db.session, to="Staff@Agency.example", subject="Reset your password",
                               body="Follow the link", now=clock.now(), category="password_reset")
    [got] = relay.messages
    assert result.provider == "smtp" and result.external_id == got["message"]["Message-ID"]
    assert got["rcpt_tos"] == ["staff@agency.example"] and got["mail_from"] == USER
    assert got["message"]["Subject"] == "Reset your password"
    assert got["message"]["X-Funnelchat-Category"] == "password_reset"
    assert db.session.query(SandboxMessage).count() == 0


def test_system_mail_reports_a_bounce(smtp_mode, relay, clock):
    """Does a hard bounce on system mail come back as an error on the address?"""
    from app.services.channels.system_email import SystemEmailFailed

    relay.refuse_rcpt["nobody@agency.example"] = "550 5.1.1 no such user"
    with pytest.raises(SystemEmailFailed) as caught:
        send_system_email(db.session, to="nobody@agency.example", subject="Hi", body="b", now=clock.now())
    assert caught.value.status == 422 and caught.value.field == "email"


def test_a_provider_named_on_a_row_but_no_longer_configured(app):
    """A row sent through SMTP before SMTP_URL was removed: is it held for a person instead of resent?"""
    config = dataclasses.replace(app.config["CONFIG_OBJECT"], SMTP_URL=None)
    provider = by_name("smtp", config=config, db_session=db.session)
    with pytest.raises(CannotReconcile):
        provider.find(_envelope())
    with pytest.raises(RetryableError):
        provider.send(_envelope())
