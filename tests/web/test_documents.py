"""Account documents in the browser: several files at once, types checked by content, authorized downloads only,
queues and roles respected, every upload, download and delete audited."""
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Document
from app.services.accounts import documents
from app.services.errors import ValidationError
from app.services.storage import LocalStorage
from tests.factories import gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV = "accountNumber,amount\nACC-000001,125.00\nACC-000002,80.50\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (25, 118, 210)).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (194, 24, 91)).save(out, format="JPEG")
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                                'package/2006/content-types"/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                                              'openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>')
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    return out.getvalue()


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    """Documents go to a temporary folder for each test."""
    local = LocalStorage(tmp_path / "documents")
    monkeypatch.setitem(app.extensions, "storage", local)
    return local


def files(*pairs):
    return {"files": [(io.BytesIO(data), name) for name, data in pairs]}


def post_files(client, account, *pairs, headers=HTMX, **form):
    return client.post(f"/accounts/{account.id}/documents", data={**files(*pairs), **form},
                       content_type="multipart/form-data", headers=headers)


def actions(business):
    return db.session.scalars(select(AuditLog.action).where(AuditLog.business_id == business.id)
                              .order_by(AuditLog.seq)).all()


def test_manager_uploads_several_files_and_downloads_identical_bytes(client, clock, store):
    business = gen_business()
    account = gen_account(business)
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    png, docx = png_bytes(), docx_bytes()
    response = post_files(client, account, ("statement.pdf", PDF), ("photo.png", png), ("letter.docx", docx),
                          ("ledger.csv", CSV), ("receipt.JPEG", jpeg_bytes()), ("call notes.txt", b"Called 5pm\n"),
                          document_type="statement")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="account-documents"' in html
    assert "6 documents uploaded" in html
    for name in ("statement.pdf", "photo.png", "letter.docx", "ledger.csv", "receipt.JPEG", "call notes.txt"):
        assert name in html
    rows = {d.filename: d for d in db.session.scalars(select(Document)).all()}
    assert {n: (d.file_type, d.mime_type) for n, d in rows.items()} == {
        "statement.pdf": ("pdf", "application/pdf"), "photo.png": ("png", "image/png"),
        "letter.docx": ("docx", documents.KINDS["docx"].mime), "ledger.csv": ("csv", "text/csv"),
        "receipt.JPEG": ("jpg", "image/jpeg"), "call notes.txt": ("txt", "text/plain")}
    pdf_row = rows["statement.pdf"]
    assert pdf_row.business_id == business.id and pdf_row.account_id == account.id
    assert pdf_row.uploaded_by_id == manager.id and pdf_row.document_type == "statement"
    assert pdf_row.file_size == len(PDF) and pdf_row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf_row.storage_path.startswith(f"{business.id}/") and "statement" not in pdf_row.storage_path
    assert store.get(pdf_row.storage_path) == PDF

    for name, data in (("statement.pdf", PDF), ("photo.png", png), ("letter.docx", docx), ("ledger.csv", CSV)):
        download = client.get(f"/accounts/{account.id}/documents/{rows[name].id}")
        assert download.status_code == 200 and download.data == data
        assert download.headers["Content-Disposition"] == f"attachment; filename={name}"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Cache-Control"] == "private, no-store"
        assert "sandbox" in download.headers["Content-Security-Policy"]
    assert client.get(f"/accounts/{account.id}/documents/{rows['ledger.csv'].id}").mimetype == "text/csv"
    assert actions(business).count("document_uploaded") == 6
    assert actions(business).count("document_downloaded") == 5
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "document_downloaded")).first()
    assert row.user_id == manager.id and row.resource_id == account.id and row.meta["documentId"]
    assert "statement.pdf" not in str(row.meta)

    page = client.get(f"/accounts/{account.id}?tab=documents").get_data(as_text=True)
    assert 'aria-current="page">Documents' in page and "statement.pdf" in page and "Statement" in page
    assert 'type="file"' in page and "multiple" in page and f'/accounts/{account.id}/documents/' in page
    assert "js/documents.js" in page and "Delete" in page


def test_bad_files_are_named_with_their_reason_and_good_ones_still_saved(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "business_admin"), clock)
    too_big = b"%PDF-1.7\n" + b"0" * (documents.MAX_DOCUMENT_BYTES + 1 - 9)
    assert len(too_big) == documents.MAX_DOCUMENT_BYTES + 1
    response = post_files(client, account, ("invoice.pdf", EXE), ("huge.pdf", too_big), ("scan.pdf", png_bytes()),
                          ("archive.docx", zip_bytes()), ("tool.exe", EXE), ("notes.pdf", b"plain text"),
                          ("empty.txt", b""), ("good.pdf", PDF))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 document uploaded: good.pdf" in html
    problems = html[html.index('id="document-problems"'):]
    assert "<strong>invoice.pdf</strong>: The content is not a PDF, PNG, JPG, DOCX, TXT or CSV file." in problems
    assert "<strong>huge.pdf</strong>: The file is larger than 10 MB." in problems
    assert "<strong>scan.pdf</strong>: The file is named .pdf but its content is a PNG image." in problems
    assert "<strong>archive.docx</strong>: The content is not a PDF" in problems
    assert "<strong>tool.exe</strong>: Only PDF, PNG, JPG, DOCX, TXT or CSV files are accepted." in problems
    assert "<strong>notes.pdf</strong>: The file is named .pdf but its content is plain text." in problems
    assert "<strong>empty.txt</strong>: The file is empty." in problems
    assert db.session.scalars(select(Document.filename)).all() == ["good.pdf"]
    assert actions(business).count("document_uploaded") == 1

    refused = post_files(client, account, ("invoice.pdf", EXE))
    assert refused.status_code == 400 and "invoice.pdf" in refused.get_data(as_text=True)
    nothing = client.post(f"/accounts/{account.id}/documents", data={}, content_type="multipart/form-data",
                          headers=HTMX)
    assert nothing.status_code == 400 and "Choose at least one file" in nothing.get_data(as_text=True)
    too_many = post_files(client, account, *[(f"f{i}.txt", b"x") for i in range(documents.MAX_FILES_PER_UPLOAD + 1)])
    assert too_many.status_code == 400 and "at most 10 files" in too_many.get_data(as_text=True)
    bad_type = post_files(client, account, ("a.txt", b"x"), document_type="secret")
    assert bad_type.status_code == 400 and "category" in bad_type.get_data(as_text=True)
    assert db.session.scalars(select(Document.filename)).all() == ["good.pdf"]


def test_the_client_content_type_and_path_are_never_trusted(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    response = client.post(f"/accounts/{account.id}/documents", content_type="multipart/form-data", headers=HTMX,
                           data={"files": [(io.BytesIO(png_bytes()), "photo.png", "application/pdf"),
                                           (io.BytesIO(b"<script>alert(1)</script>"), "../../static/x.txt",
                                            "text/html"),
                                           (io.BytesIO(PDF), "r\u00e9sum\u00e9\x07 <final>.pdf", "text/html")]})
    assert response.status_code == 200
    rows = {d.filename: d for d in db.session.scalars(select(Document)).all()}
    assert set(rows) == {"photo.png", "x.txt", "résumé _final_.pdf"}
    assert rows["photo.png"].mime_type == "image/png" and rows["x.txt"].mime_type == "text/plain"
    download = client.get(f"/accounts/{account.id}/documents/{rows['x.txt'].id}")
    assert download.mimetype == "text/plain" and download.headers["Content-Disposition"].startswith("attachment")
    accented = client.get(f"/accounts/{account.id}/documents/{rows['résumé _final_.pdf'].id}")
    assert accented.headers["Content-Disposition"] == (
        "attachment; filename=\"resume _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20_final_.pdf")


def test_nothing_is_served_from_a_public_path(app, client, clock, store):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    post_files(client, account, ("statement.pdf", PDF))
    document = db.session.scalars(select(Document)).one()
    stored = Path(store.root) / document.storage_path
    assert stored.read_bytes() == PDF
    assert document.storage_url is None
    static = Path(app.static_folder).resolve()
    assert static not in stored.resolve().parents
    assert static not in (Path(app.instance_path) / "documents").resolve().parents
    for path in (f"/static/{document.storage_path}", f"/static/documents/{document.storage_path}",
                 f"/documents/{document.storage_path}", f"/instance/documents/{document.storage_path}"):
        assert client.get(path).status_code == 404
    anonymous = app.test_client()
    response = anonymous.get(f"/accounts/{account.id}/documents/{document.id}")
    assert response.status_code in (302, 401) and response.data != PDF


def test_another_business_gets_404_everywhere(client, clock):
    business, other = gen_business(), gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    post_files(client, account, ("statement.pdf", PDF))
    document = db.session.scalars(select(Document)).one()
    client.post("/logout")
    sign_in(client, gen_user(other, "business_admin"), clock)
    assert client.get(f"/accounts/{account.id}/documents/{document.id}").status_code == 404
    assert post_files(client, account, ("x.pdf", PDF)).status_code == 404
    assert client.post(f"/accounts/{account.id}/documents/{document.id}/delete").status_code == 404
    # Their own account with this business's document id: still 404.
    theirs = gen_account(other)
    assert client.get(f"/accounts/{theirs.id}/documents/{document.id}").status_code == 404
    assert client.get(f"/accounts/{theirs.id}/documents/not-a-uuid").status_code == 404
    db.session.refresh(document)
    assert document.deleted_at is None and db.session.scalars(select(Document)).all() == [document]


def test_agents_upload_in_their_queue_but_cannot_delete(client, clock):
    business = gen_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    mine = gen_account(business, assigned_agent_id=agent.id)
    unassigned = gen_account(business)
    theirs = gen_account(business, assigned_agent_id=other.id)
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    post_files(client, theirs, ("theirs.pdf", PDF))
    their_document = db.session.scalars(select(Document)).one()
    client.post("/logout")

    sign_in(client, agent, clock)
    assert post_files(client, mine, ("mine.pdf", PDF)).status_code == 200
    assert post_files(client, unassigned, ("queue.csv", CSV)).status_code == 200
    assert post_files(client, theirs, ("nope.pdf", PDF)).status_code == 403
    assert client.get(f"/accounts/{theirs.id}/documents/{their_document.id}").status_code == 403
    assert client.get(f"/accounts/{theirs.id}?tab=documents").status_code == 403
    my_document = db.session.scalars(select(Document).where(Document.filename == "mine.pdf")).one()
    assert my_document.uploaded_by_id == agent.id
    assert client.get(f"/accounts/{mine.id}/documents/{my_document.id}").data == PDF
    page = client.get(f"/accounts/{mine.id}?tab=documents").get_data(as_text=True)
    assert "mine.pdf" in page and 'type="file"' in page and "/delete" not in page
    assert client.post(f"/accounts/{mine.id}/documents/{my_document.id}/delete", headers=HTMX).status_code == 403
    db.session.refresh(my_document)
    assert my_document.deleted_at is None
    assert sorted(db.session.scalars(select(Document.filename)).all()) == ["mine.pdf", "queue.csv", "theirs.pdf"]


def test_managers_soft_delete_and_it_is_audited(client, clock, store):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    post_files(client, account, ("statement.pdf", PDF), ("ledger.csv", CSV))
    document = db.session.scalars(select(Document).where(Document.filename == "statement.pdf")).one()
    response = client.post(f"/accounts/{account.id}/documents/{document.id}/delete", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "statement.pdf deleted" in html and "ledger.csv" in html
    assert f"/documents/{document.id}\"" not in html
    db.session.refresh(document)
    assert document.deleted_at is not None and store.get(document.storage_path) == PDF  # kept for the record
    assert client.get(f"/accounts/{account.id}/documents/{document.id}").status_code == 404
    assert client.post(f"/accounts/{account.id}/documents/{document.id}/delete").status_code == 404
    assert actions(business).count("document_deleted") == 1
    page = client.get(f"/accounts/{account.id}?tab=documents").get_data(as_text=True)
    assert "ledger.csv" in page and "statement.pdf" not in page
    trail = client.get(f"/accounts/{account.id}?tab=audit").get_data(as_text=True)
    assert "document uploaded" in trail and "document deleted" in trail


def test_without_htmx_the_upload_redirects_back_to_the_tab_with_messages(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    response = post_files(client, account, ("statement.pdf", PDF), ("bad.png", EXE), headers={})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/accounts/{account.id}?tab=documents")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 document uploaded." in page and "bad.png: The content is not a PDF" in page
    assert "statement.pdf" in page


def test_empty_state(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "business_admin"), clock)
    page = client.get(f"/accounts/{account.id}?tab=documents").get_data(as_text=True)
    assert "No documents yet" in page and "Drop files" in page


def test_several_large_files_fit_in_one_request(client, clock):
    """Three 9 MB files are more than the 25 MB default body limit: the documents path allows them."""
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    big = b"%PDF-1.7\n" + b"1" * (9 * 1024 * 1024)
    response = post_files(client, account, ("a.pdf", big), ("b.pdf", big), ("c.pdf", big))
    assert response.status_code == 200 and "3 documents uploaded" in response.get_data(as_text=True)
    notes = client.post(f"/accounts/{account.id}/notes", data={"body": "x" * (26 * 1024 * 1024)})
    assert notes.status_code == 413


@pytest.mark.parametrize("name, data, kind", [
    ("a.pdf", PDF, "pdf"), ("a.PNG", png_bytes(), "png"), ("a.jpg", jpeg_bytes(), "jpg"),
    ("a.jpeg", jpeg_bytes(), "jpg"), ("a.docx", docx_bytes(), "docx"), ("a.csv", CSV, "csv"),
    ("a.txt", "Olá, \u4e16\u754c\n".encode(), "txt"), ("a.txt", b"\xef\xbb\xbfwith a BOM", "txt")])
def test_identify_accepts_the_allowed_kinds(name, data, kind):
    assert documents.identify(name, data).name == kind


@pytest.mark.parametrize("name, data", [
    ("a.txt", b"text\x00with a NUL"), ("a.txt", b"\xff\xfe\x00latin"), ("a.csv", "caf\xe9".encode("latin-1")),
    ("a.docx", b"PK\x03\x04broken zip"), ("a.docx", zip_bytes()), ("a.jpg", png_bytes()), ("a.png", PDF),
    ("a.html", b"<html></html>"), ("a", PDF), ("a.pdf.exe", EXE), ("a.svg", b"<svg/>")])
def test_identify_refuses_everything_else(name, data):
    with pytest.raises(ValidationError) as caught:
        documents.identify(name, data)
    assert caught.value.field == "file"


@pytest.mark.parametrize("raw, clean", [
    ("statement.pdf", "statement.pdf"), ("C:\\Users\\me\\scan.png", "scan.png"), ("../../etc/passwd.txt", "passwd.txt"),
    ("..hidden.txt", "hidden.txt"), ("a<b>:c|d?.pdf", "a_b__c_d_.pdf"), ("line\r\nbreak.txt", "linebreak.txt"),
    ("", "document"), (".pdf", "pdf"), ("   .csv", "csv"), ("_.pdf", "document.pdf"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf")])
def test_clean_filename(raw, clean):
    assert documents.clean_filename(raw) == clean
