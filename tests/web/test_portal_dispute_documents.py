"""A dispute with documents through the portal's test client: are up to three PDF/JPG/PNG files of 5 MB checked by
content, kept on the account file with the dispute, refused inline otherwise (nothing recorded), and does the
account page then confirm what was recorded and whether collection messages stopped?"""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, DebtDispute, Document
from app.services import channels
from app.services.portal import links
from app.services.storage import LocalStorage
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in
from tests.web.test_documents import EXE, PDF, docx_bytes, jpeg_bytes, png_bytes

BROWSER = {"REMOTE_ADDR": "198.51.100.40", "HTTP_USER_AGENT": "Mozilla/5.0 (Android 14; Mobile)"}


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    """Documents go to a temporary folder for each test."""
    local = LocalStorage(tmp_path / "documents")
    monkeypatch.setitem(app.extensions, "storage", local)
    return local


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _signed_in(client, account):
    _, url = links.issue(db.session, account, now=NOW, channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302


def _dispute(client, *files, **form):
    data = {"choice": "dispute", **form, "documents": [(io.BytesIO(body), name) for name, body in files]}
    return client.post("/p/account/dispute", data=data, content_type="multipart/form-data", environ_base=BROWSER)


def _stored(store) -> list[Path]:
    root = Path(store.root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_documents_sent_with_a_dispute_go_on_the_account_file_and_the_page_confirms_it(client, store, clock):
    """Are a PDF and a JPG stored byte for byte as the account's "dispute" documents (linked to the dispute by a tag
    and named in its note), audited with the debtor as the actor, shown to staff, and does the account page confirm
    the request, the files and the hold on collection messages (DISPUTE-1) once?"""
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business)
    _signed_in(client, account)
    photo = jpeg_bytes()
    response = _dispute(client, ("bank receipt.pdf", PDF), ("photo.JPG", photo), note="I paid this in May.")
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/account#dispute")

    dispute = db.session.scalars(select(DebtDispute)).one()
    assert (dispute.kind, dispute.channel, dispute.written, dispute.within_vp) == ("dispute", "portal", True, True)
    assert dispute.note == "I paid this in May.\n\nDocuments sent with this dispute: bank receipt.pdf, photo.JPG."
    assert db.session.get(Account, account.id).dispute_status == "open"
    documents = db.session.scalars(select(Document).order_by(Document.filename)).all()
    assert [(d.filename, d.file_type, d.mime_type, d.document_type) for d in documents] == [
        ("bank receipt.pdf", "pdf", "application/pdf", "dispute"), ("photo.JPG", "jpg", "image/jpeg", "dispute")]
    assert all(f"dispute:{dispute.id}" in d.tags and d.account_id == account.id and d.uploaded_by_id is None
               for d in documents)
    assert store.get(documents[0].storage_path) == PDF and store.get(documents[1].storage_path) == photo
    uploads = db.session.scalars(select(AuditLog).where(AuditLog.action == "document_uploaded")).all()
    assert len(uploads) == 2 and {u.user_role for u in uploads} == {"debtor"}
    assert {u.meta["disputeId"] for u in uploads} == {str(dispute.id)} and uploads[0].ip_address == "198.51.100.40"
    recorded = db.session.scalars(select(AuditLog).where(AuditLog.action == "dispute_recorded")).one()
    assert sorted(recorded.meta["documentIds"]) == sorted(str(d.id) for d in documents)

    page = _text(client.get("/p/account"))
    confirmation = page[page.index('id="dispute-done"'):page.index("If you think this debt is wrong")]
    assert "Request received" in confirmation and "We received your request." in confirmation
    assert "Dispute of the debt" in confirmation and "November 25, 2026, 9:00 AM CST" in confirmation
    assert "bank receipt.pdf" in confirmation and "photo.JPG" in confirmation
    assert "We have stopped collection messages about this debt until" in confirmation
    assert 'id="dispute-done"' not in _text(client.get("/p/account"))  # shown once

    held = channels.send(db.session, account=db.session.get(Account, account.id), channel="sms",
                         body="Reminder: your balance is $412.50.", now=NOW)
    assert held.blocked and "DISPUTE-1" in held.decision.rules
    db.session.rollback()

    staff = client.application.test_client()
    sign_in(staff, manager, clock)
    tab = staff.get(f"/accounts/{account.id}?tab=documents").get_data(as_text=True)
    assert "bank receipt.pdf" in tab and "photo.JPG" in tab
    download = staff.get(f"/accounts/{account.id}/documents/{documents[0].id}")
    assert download.status_code == 200 and download.data == PDF


@pytest.mark.parametrize("files, message", [
    ([("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF), ("d.pdf", PDF)], "Attach at most 3 files."),
    ([("statement.pdf", EXE)], "The content of statement.pdf is not a PDF, JPG or PNG file that matches its name."),
    ([("scan.png", PDF)], "The content of scan.png is not a PDF, JPG or PNG file that matches its name."),
    ([("letter.docx", docx_bytes())], "letter.docx is not a PDF, JPG or PNG file."),
    ([("big.pdf", PDF + b"0" * (5 * 1024 * 1024))], "big.pdf is larger than 5 MB."),
    ([("ok.png", png_bytes()), ("empty.pdf", b"")], "empty.pdf is empty."),
])
def test_a_refused_file_is_an_inline_error_and_nothing_is_recorded(client, store, files, message):
    """Too many files, a program or a PDF under another name, a Word file, more than 5 MB, an empty file: is each an
    inline error on the documents field (422), with the other answers kept, and no dispute, document or file kept?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    response = _dispute(client, *files, note="Not mine.")
    page = _text(response)
    assert response.status_code == 422
    assert f'<div class="error-text" id="documents-error">{message}</div>' in page
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="documents"', page)
    assert "Your request was not sent yet. Choose your files again before you send it." in page
    assert 'value="dispute" checked' in page and "Not mine." in page
    assert db.session.scalar(select(func.count()).select_from(DebtDispute)) == 0
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert _stored(store) == [] and db.session.get(Account, account.id).dispute_status is None


def test_a_file_exactly_at_the_limit_and_three_files_are_accepted(client, store):
    """Are three files (PDF, PNG, JPG) at most 5 MB each accepted, and the same request sent twice (a double tap)
    recorded once with its files stored once?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    full = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    files = (("statement.pdf", full), ("card.png", png_bytes()), ("letter.jpeg", jpeg_bytes()))
    assert _dispute(client, *files).status_code == 302
    assert _dispute(client, *files).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DebtDispute)) == 1
    assert db.session.scalar(select(func.count()).select_from(Document)) == 3 and len(_stored(store)) == 3
    assert db.session.scalar(select(Document.file_size).where(Document.filename == "statement.pdf")) == len(full)


def test_without_documents_the_dispute_works_as_before_and_the_confirmation_says_none(client, store):
    """Is a dispute without files recorded as before, with "None" under documents and nothing stored?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    assert _dispute(client, choice="dispute_part", portion="100.50").status_code == 302
    page = _text(client.get("/p/account"))
    assert "Dispute of $100.50" in page and "<dt>Documents</dt><dd>None</dd>" in page
    row = db.session.scalars(select(DebtDispute)).one()
    assert row.note is None and _stored(store) == []


def test_the_confirmation_says_what_holds_and_what_does_not(client, clock):
    """Inside the validation period, does a request for the original creditor say collection messages stop until the
    name and address are sent (DISPUTE-2); after it, does a dispute promise no hold?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    assert client.post("/p/account/dispute", data={"choice": "original_creditor"}).status_code == 302
    page = _text(client.get("/p/account"))
    assert "Request for the original creditor" in page
    assert "until Acme Recovery" in page and "sends you the name and address of the original creditor." in page

    late = debtor(messaging_business(), contacted=True)
    other = client.application.test_client()
    _signed_in(other, late)
    assert other.post("/p/account/dispute", data={"choice": "dispute"}).status_code == 302
    page = _text(other.get("/p/account"))
    assert "It arrived after the dispute deadline." in page and "We have stopped collection" not in page


def test_a_spanish_debtor_reads_the_file_errors_and_the_confirmation_in_spanish(client, store):
    account = debtor(messaging_business(), preferred_language="es")
    _signed_in(client, account)
    page = _text(_dispute(client, ("carta.docx", docx_bytes())))
    assert "carta.docx no es un archivo PDF, JPG o PNG." in page
    assert "Su solicitud aún no se envió." in page and "Documentos (opcional)" in page
    assert _dispute(client, ("recibo.pdf", PDF)).status_code == 302
    page = _text(client.get("/p/account"))
    assert "Solicitud recibida" in page and "recibo.pdf" in page
    assert "Dejamos de enviarle mensajes de cobro sobre esta deuda" in page
    assert "25 de noviembre de 2026" in page


class _FailingStore(LocalStorage):
    """Takes the first file and fails on the second, like a store that goes away mid-request."""

    puts = 0

    def put(self, key, data, content_type):
        self.puts += 1
        if self.puts > 1:
            raise OSError("store unavailable")
        super().put(key, data, content_type)


def test_a_store_failure_keeps_no_file_and_no_dispute(client, app, tmp_path, monkeypatch):
    """When the store fails on the second file, is the first one removed again and nothing recorded?"""
    failing = _FailingStore(tmp_path / "failing")
    monkeypatch.setitem(app.extensions, "storage", failing)
    account = debtor(messaging_business())
    _signed_in(client, account)
    assert _dispute(client, ("one.pdf", PDF), ("two.pdf", PDF)).status_code == 500
    db.session.rollback()
    assert failing.puts == 2 and _stored(failing) == []
    assert db.session.scalar(select(func.count()).select_from(DebtDispute)) == 0
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_the_dispute_form_takes_files_on_a_phone(client):
    """Is the form multipart, with a labelled file input that accepts PDF, JPG and PNG and describes the limits?"""
    account = debtor(messaging_business())
    _signed_in(client, account)
    page = client.get("/p/account").get_data(as_text=True)
    form = page[page.index('action="/p/account/dispute#dispute"') - 200:]
    assert 'enctype="multipart/form-data"' in form[:400]
    assert '<label for="documents">Documents (optional)</label>' in form
    assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in form
    assert 'aria-describedby="documents-hint"' in form and "5 MB each" in form
