"""Documents on an account file: uploaded by staff, checked by content, kept in the document store, audited.

A file's type is what its bytes are, not what its name or the browser claim: the content must be one of the
allowed kinds and agree with the name's extension. Who may do what (DESIGN.md section 12): every staff role that
may see the account file may list and download its documents, admins, managers and agents (in their queue) may
upload, and only admins and managers may delete (a soft delete; the stored bytes are kept)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from sqlalchemy import select

from app.models import Account, Document, User
from app.services import audit
from app.services.accounts.records import visible
from app.services.errors import DomainError, Forbidden, NotFound, ValidationError
from app.services.storage import ObjectMissing, Storage, new_key
from app.services.tenancy import Principal

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_FILES_PER_UPLOAD = 10
VIEW_ROLES = ("business_admin", "manager", "agent")
UPLOAD_ROLES = ("business_admin", "manager", "agent")
DELETE_ROLES = ("business_admin", "manager")
DOCUMENT_TYPES = {
    "statement": "Statement",
    "correspondence": "Correspondence",
    "payment_proof": "Proof of payment",
    "dispute": "Dispute",
    "legal": "Legal",
    "identity": "Identity",
    "other": "Other",
}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    mime: str
    extensions: tuple[str, ...]


KINDS = {
    "pdf": Kind("pdf", "PDF document", "application/pdf", (".pdf",)),
    "png": Kind("png", "PNG image", "image/png", (".png",)),
    "jpg": Kind("jpg", "JPEG image", "image/jpeg", (".jpg", ".jpeg")),
    "docx": Kind("docx", "Word document",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "txt": Kind("txt", "text file", "text/plain", (".txt",)),
    "csv": Kind("csv", "CSV file", "text/csv", (".csv",)),
}
ALLOWED_EXTENSIONS = tuple(ext for kind in KINDS.values() for ext in kind.extensions)
ACCEPT = ",".join(ALLOWED_EXTENSIONS)
ALLOWED_SUMMARY = "PDF, PNG, JPG, DOCX, TXT or CSV"


def sniff(data: bytes) -> str | None:
    """What the bytes are: pdf, png, jpg, docx or text (UTF-8 without NUL bytes); None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        return "docx" if "word/document.xml" in names and "[Content_Types].xml" in names else None
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text"


_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*]')


def clean_filename(raw: str | None) -> str:
    """A display name safe to show and to put in a Content-Disposition header: the last path part only, no
    control or reserved characters, no leading dots, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:16]
    if not stem.strip(" ._"):
        stem = "document"
    limit = 255 - (len(ext) + 1 if ext else 0)
    return f"{stem[:limit].rstrip()}.{ext}" if ext else stem[:255]


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def identify(filename: str, data: bytes) -> Kind:
    """The file's kind from its content, refused (ValidationError on `file`) unless its extension agrees."""
    if not data:
        raise ValidationError("The file is empty.", field="file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.", field="file")
    extension = _extension(filename)
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(f"Only {ALLOWED_SUMMARY} files are accepted.", field="file")
    sniffed = sniff(data)
    if sniffed is None:
        raise ValidationError(f"The content is not a {ALLOWED_SUMMARY} file.", field="file")
    if sniffed == "text":
        if extension in (".txt", ".csv"):
            return KINDS[extension[1:]]
        raise ValidationError(f"The file is named {extension} but its content is plain text.", field="file")
    kind = KINDS[sniffed]
    if extension not in kind.extensions:
        raise ValidationError(f"The file is named {extension} but its content is a {kind.label}.", field="file")
    return kind


def _check_staff(principal: Principal, account: Account, roles: tuple[str, ...], message: str) -> None:
    if account.business_id != principal.business_id or account.deleted_at is not None:
        raise NotFound("Account not found")
    if principal.role not in roles:
        raise Forbidden(message)
    visible(principal, account)


def may_upload(principal: Principal) -> bool:
    return principal.role in UPLOAD_ROLES


def may_delete(principal: Principal) -> bool:
    return principal.role in DELETE_ROLES


def check_upload(principal: Principal, account: Account) -> None:
    _check_staff(principal, account, UPLOAD_ROLES, "Your role may not add documents to this account.")


def upload(db_session, storage: Storage, principal: Principal, account: Account, filename: str | None,
           data: bytes, now: dt.datetime, description: str | None = None, document_type: str | None = None, *,
           ip: str | None = None, user_agent: str | None = None) -> Document:
    """Check, store and record one file; ValidationError (field `file`) says why a file was refused."""
    check_upload(principal, account)
    name = clean_filename(filename)
    kind = identify(name, data)
    if document_type is not None and document_type not in DOCUMENT_TYPES:
        raise ValidationError("Choose a listed document category.", field="document_type")
    description = (description or "").strip() or None
    if description and len(description) > 1000:
        raise ValidationError("Descriptions are limited to 1,000 characters.", field="description")
    key = new_key(account.business_id)
    storage.put(key, data, kind.mime)
    try:
        document = Document(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id,
                            filename=name, file_type=kind.name, file_size=len(data), mime_type=kind.mime,
                            storage_path=key, sha256=hashlib.sha256(data).hexdigest(), document_type=document_type,
                            uploaded_by_id=principal.user_id, description=description, tags=[],
                            created_at=now, updated_at=now)
        db_session.add(document)
        db_session.flush()
        _audit(db_session, "document_uploaded", principal, account, document, now, ip, user_agent)
    except Exception:
        storage.delete(key)
        raise
    return document


def store_inbound(db_session, storage: Storage, account: Account, *, filename: str | None, data: bytes,
                  now: dt.datetime, message_id) -> Document | None:
    """A debtor's attachment to an inbound message: kept as a document when its bytes are an allowed kind that agrees
    with its name; anything else (HTML, executables, a mislabelled file) is refused and None returned."""
    name = clean_filename(filename)
    try:
        kind = identify(name, data)
    except ValidationError:
        return None
    key = new_key(account.business_id)
    storage.put(key, data, kind.mime)
    document = Document(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, filename=name,
                        file_type=kind.name, file_size=len(data), mime_type=kind.mime, storage_path=key,
                        sha256=hashlib.sha256(data).hexdigest(), document_type="correspondence",
                        description=f"Sent by the debtor (message {message_id})", tags=["inbound"],
                        created_at=now, updated_at=now)
    db_session.add(document)
    return document


def list_documents(db_session, account: Account) -> list[tuple[Document, User | None]]:
    """The account's documents (newest first) with their uploaders."""
    return db_session.execute(
        select(Document, User).outerjoin(User, User.id == Document.uploaded_by_id)
        .where(Document.business_id == account.business_id, Document.account_id == account.id,
               Document.deleted_at.is_(None))
        .order_by(Document.created_at.desc(), Document.filename)).all()


def get_document(db_session, principal: Principal, account: Account, document_id) -> Document:
    """One live document of this account (another account's or business's id is 404)."""
    _check_staff(principal, account, VIEW_ROLES, "Documents are for staff.")
    try:
        key = document_id if isinstance(document_id, uuid.UUID) else uuid.UUID(str(document_id))
    except ValueError:
        raise NotFound("Document not found") from None
    document = db_session.get(Document, key)
    if (document is None or document.deleted_at is not None or document.business_id != account.business_id
            or document.account_id != account.id):
        raise NotFound("Document not found")
    return document


def open_document(db_session, storage: Storage, principal: Principal, account: Account, document_id,
                  now: dt.datetime, *, ip: str | None = None,
                  user_agent: str | None = None) -> tuple[bytes, str, str]:
    """(bytes, mime type, file name) of a document, checked against its recorded digest; the read is audited."""
    document = get_document(db_session, principal, account, document_id)
    try:
        data = storage.get(document.storage_path)
    except ObjectMissing:
        raise NotFound("The file of this document is missing from storage.") from None
    if document.sha256 and hashlib.sha256(data).hexdigest() != document.sha256:
        raise DomainError("The stored file does not match the file that was uploaded.", code="INTERNAL_ERROR",
                          status=500)
    _audit(db_session, "document_downloaded", principal, account, document, now, ip, user_agent)
    return data, document.mime_type or "application/octet-stream", document.filename


def delete_document(db_session, principal: Principal, account: Account, document_id, now: dt.datetime, *,
                    ip: str | None = None, user_agent: str | None = None) -> Document:
    """Hide a document from the file (soft delete: the row and the stored bytes stay for the record)."""
    _check_staff(principal, account, DELETE_ROLES, "Only admins and managers may delete documents.")
    document = get_document(db_session, principal, account, document_id)
    document.deleted_at = now
    document.updated_at = now
    _audit(db_session, "document_deleted", principal, account, document, now, ip, user_agent)
    return document


def _audit(db_session, action, principal, account, document, now, ip, user_agent) -> None:
    # Filed under the account so the file's audit trail shows it; the name stays out (it may hold personal data).
    audit.record(db_session, action, principal=principal, now=now, resource_type="account", resource_id=account.id,
                 description=account.account_number,
                 meta={"documentId": str(document.id), "fileType": document.file_type,
                       "fileSize": document.file_size, "sha256": document.sha256},
                 ip=ip, user_agent=user_agent)
