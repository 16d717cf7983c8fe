"""CSV imports too large for one request: store the file, preview it without writing, then import it as a job in
committed batches, so the page can show progress and a re-run resumes where the last one stopped."""
from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import itertools
import os
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import undefer

from app.models import Account, ApiKey, User
from app.models.account_import import DUPLICATE_CHOICES, MAX_STORED_ERRORS, AccountImport
from app.services import audit
from app.services.accounts import fields as account_fields
from app.services.accounts import importer
from app.services.accounts.export import neutralize
from app.services.auth import permissions
from app.services.errors import Conflict, DomainError, Forbidden, ValidationError
from app.services.tenancy import Principal, acting_as, get_scoped, scoped

BATCH_SIZE = 1000
PREVIEW_ROWS = 20
MAX_IMPORT_BYTES = 100 * 1024 * 1024
JOB = "jobs.imports.run_account_import"
# A 100 MB file is about a million rows; the job resumes from its last batch if it is ever cut short.
JOB_TIMEOUT_SECONDS = 6 * 3600


@dataclass
class PreviewRow:
    row: int
    values: dict[str, str]
    errors: list[dict] = field(default_factory=list)
    note: str | None = None


@dataclass
class ImportPreview:
    header: list[str]
    mapping: dict[int, str]
    missing: list[str]
    rows: list[PreviewRow]

    @property
    def errors(self) -> list[dict]:
        return [error for row in self.rows for error in row.errors]


# ---- reading the file --------------------------------------------------------------------------------------

def decode_upload(raw_bytes: bytes) -> str:
    """The upload as text; refuses what is not a CSV file (too big, not text, binary)."""
    if len(raw_bytes) > MAX_IMPORT_BYTES:
        raise ValidationError("The file is larger than 100 MB; split it into smaller files.", field="file")
    try:
        text = importer.decode(raw_bytes)
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 or Windows-1252 text.", field="file") from None
    if "\x00" in text:
        raise ValidationError("The file is not CSV text (is it a spreadsheet? Save it as CSV).", field="file")
    return text


def _reader(text: str):
    return csv.reader(io.StringIO(text, newline=""))


_header = importer.read_header


def _rows(reader):
    """The data rows one by one (a 100 MB file is never held as a list of rows)."""
    try:
        yield from reader
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV near line {reader.line_num} ({exc}).", field="file") from None


def scan(text: str) -> tuple[list[str], int]:
    """The header and the number of data rows, checking that the whole file parses."""
    reader = _reader(text)
    header = _header(reader)
    count = sum(1 for _ in _rows(reader))
    return header, count


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


# ---- mapping -----------------------------------------------------------------------------------------------

def missing_fields(mapping: dict[int, str]) -> list[str]:
    return [name for name in account_fields.REQUIRED_ON_CREATE if name not in mapping.values()]


def clean_mapping(header: list[str], mapping: dict) -> dict[int, str]:
    """{column index: API field} with ignored columns dropped; each field taken by one column at most."""
    cleaned: dict[int, str] = {}
    for raw_index, target in mapping.items():
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            raise ValidationError(f"Column {raw_index!r} is not a column number.", field="mapping") from None
        if not 0 <= index < len(header):
            raise ValidationError(f"The file has no column {index + 1}.", field="mapping")
        if not target:
            continue
        if target not in account_fields.FIELDS:
            raise ValidationError(f"Unknown field {target!r}.", field="mapping")
        if target in cleaned.values():
            raise ValidationError(f"{target} is chosen for more than one column.", field="mapping")
        cleaned[index] = target
    return cleaned


def _stored(mapping: dict[int, str]) -> dict[str, str]:
    return {str(index): target for index, target in sorted(mapping.items())}


# ---- creating, previewing, starting ------------------------------------------------------------------------

def _filename(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return (base or "import.csv")[:255]


def create_import(db_session, principal: Principal, filename: str | None, raw_bytes: bytes, on_duplicate: str,
                  mapping: dict | None = None, now: dt.datetime | None = None, *,
                  require_mapping: bool = True) -> AccountImport:
    """Store an uploaded file as a pending import (not started). Bad files raise ValidationError on "file"."""
    return create_import_from_text(db_session, principal, filename, decode_upload(raw_bytes), on_duplicate,
                                   mapping, now, require_mapping=require_mapping)


def create_import_from_text(db_session, principal: Principal, filename: str | None, text: str, on_duplicate: str,
                            mapping: dict | None = None, now: dt.datetime | None = None, *,
                            require_mapping: bool = True) -> AccountImport:
    """create_import for a file already decoded. Without `require_mapping` an incomplete mapping is kept, to be
    completed on the preview page before the import can start."""
    if principal.business_id is None:
        raise Forbidden("Accounts belong to a business.")
    permissions.require(principal.role, "accounts.import")
    if on_duplicate not in DUPLICATE_CHOICES:
        raise ValidationError("onDuplicate must be skip or update.", field="onDuplicate")
    if "\x00" in text:
        raise ValidationError("The file is not CSV text (is it a spreadsheet? Save it as CSV).", field="file")
    header, count = scan(text)
    if count == 0:
        raise ValidationError("The file has a header row but no accounts.", field="file")
    columns = clean_mapping(header, importer.auto_mapping(header) if mapping is None else mapping)
    missing = missing_fields(columns)
    if missing and require_mapping:
        raise ValidationError(f"The file has no {missing[0]} column.", field="file")
    account_import = AccountImport(
        business_id=principal.business_id, created_by_id=principal.user_id,
        created_by_api_key_id=principal.api_key_id, created_by_role=principal.role, filename=_filename(filename),
        status="pending", on_duplicate=on_duplicate, mapping=_stored(columns), total_rows=count, processed_rows=0,
        imported=0, failed=0, skipped=0, errors=[], source_text=text,
        created_at=now or dt.datetime.now(dt.timezone.utc))
    db_session.add(account_import)
    db_session.flush()
    return account_import


def get_import(db_session, principal: Principal, import_id) -> AccountImport:
    """One import of the principal's business (another business's id is NotFound)."""
    return get_scoped(db_session, AccountImport, import_id, principal)


def recent_imports(db_session, principal: Principal, limit: int = 10) -> list[AccountImport]:
    return list(db_session.scalars(scoped(AccountImport, principal).order_by(AccountImport.created_at.desc())
                                   .limit(limit)))


HEAD_CHARS = 256 * 1024


def _head(db_session, account_import: AccountImport, limit: int) -> tuple[list[str], list[list[str]]]:
    """The header and the first `limit` rows, reading only the start of a stored file when that suffices."""
    text = db_session.scalar(select(func.substr(AccountImport.source_text, 1, HEAD_CHARS))
                             .where(AccountImport.id == account_import.id))
    truncated = text is not None and len(text) >= HEAD_CHARS
    try:
        reader = _reader(text or "")
        header = _header(reader)
        rows = list(itertools.islice(_rows(reader), limit + 1))
    except ValidationError:
        if not truncated:
            raise
        rows, header = [], []
    if truncated:
        rows = rows[:-1]  # the last row read may be cut off at HEAD_CHARS
    if truncated and (not header or len(rows) < limit):
        reader = _reader(account_import.source_text)
        header = _header(reader)
        rows = list(itertools.islice(_rows(reader), limit))
    return header, rows[:limit]


def header_of(db_session, account_import: AccountImport) -> list[str]:
    return _head(db_session, account_import, 1)[0]


def set_mapping(db_session, account_import: AccountImport, mapping: dict, on_duplicate: str | None = None) -> None:
    """Change the column mapping (and duplicate handling) of an import that has not started."""
    if account_import.queued_at is not None:
        raise Conflict("This import has already started.")
    if on_duplicate is not None:
        if on_duplicate not in DUPLICATE_CHOICES:
            raise ValidationError("onDuplicate must be skip or update.", field="onDuplicate")
        account_import.on_duplicate = on_duplicate
    account_import.mapping = _stored(clean_mapping(header_of(db_session, account_import), mapping))
    db_session.flush()


def preview(db_session, principal: Principal, account_import: AccountImport,
            limit: int = PREVIEW_ROWS) -> ImportPreview:
    """The first rows as the import would see them, each with its errors; nothing is written."""
    header, rows = _head(db_session, account_import, limit)
    mapping = account_import.column_mapping
    parsed: list[tuple[int, list[str], dict | None, dict | None]] = []
    for offset, row in enumerate(rows):
        number = 2 + offset
        if _blank(row):
            parsed.append((number, row, None, None))
            continue
        try:
            values = account_fields.parse(importer.row_payload(row, header, mapping), partial=False, from_csv=True)
            parsed.append((number, row, values, None))
        except DomainError as exc:
            parsed.append((number, row, None, {"row": number, "column": exc.field, "error": exc.message}))
    numbers = {values["account_number"] for _, _, values, _ in parsed if values and values.get("account_number")}
    existing = set(db_session.scalars(select(Account.account_number).where(
        Account.business_id == principal.business_id, Account.account_number.in_(numbers),
        Account.deleted_at.is_(None)))) if numbers else set()
    seen: set[str] = set()
    result = []
    for number, row, values, error in parsed:
        shown = {target: (row[index].strip() if index < len(row) else "") for index, target in sorted(mapping.items())}
        line = PreviewRow(row=number, values=shown)
        if error is not None:
            line.errors.append(error)
        elif values is None:
            line.note = "Empty row: skipped."
        else:
            account_number = values.get("account_number")
            if account_number and (account_number in existing or account_number in seen):
                if account_import.on_duplicate == "update":
                    line.note = f"Updates account {account_number}."
                else:
                    line.errors.append({"row": number, "column": "accountNumber",
                                        "error": "Duplicate account number."})
            if account_number:
                seen.add(account_number)
        result.append(line)
    return ImportPreview(header=header, mapping=mapping, missing=missing_fields(mapping), rows=result)


def start_import(db_session, principal: Principal, account_import: AccountImport, now: dt.datetime, *,
                 ip: str | None = None, user_agent: str | None = None) -> bool:
    """Queue the job (after the caller commits); False if it was already started (a second click)."""
    if account_import.queued_at is not None:
        return False
    missing = missing_fields(account_import.column_mapping)
    if missing:
        raise ValidationError(f"Choose the column that holds {missing[0]}.", field="mapping")
    account_import.queued_at = now
    audit.record(db_session, "accounts_import_started", principal=principal, now=now,
                 resource_type="account_import", resource_id=account_import.id,
                 description=f"{account_import.filename}: {account_import.total_rows} rows", ip=ip,
                 user_agent=user_agent)
    current_app.extensions["jobs"].enqueue(db_session, "default", JOB, str(account_import.id),
                                           job_id=f"account-import-{account_import.id}",
                                           job_timeout=JOB_TIMEOUT_SECONDS)
    return True


# ---- running -----------------------------------------------------------------------------------------------

def import_principal(db_session, account_import: AccountImport) -> Principal:
    """Who the import acts as: its creator, as they are now (a user who lost the right stops the import)."""
    role, email = account_import.created_by_role, None
    if account_import.created_by_id is not None:
        user = db_session.get(User, account_import.created_by_id)
        if user is None or not user.is_active or user.business_id != account_import.business_id:
            raise Forbidden("The user who started this import can no longer import accounts.")
        role, email = user.role, user.email
    elif account_import.created_by_api_key_id is not None:
        key = db_session.get(ApiKey, account_import.created_by_api_key_id)
        if key is None or key.revoked_at is not None:
            raise Forbidden("The API key that started this import has been revoked.")
    else:
        raise Forbidden("The user who started this import no longer exists.")
    if not permissions.can(role, "accounts.import"):
        raise Forbidden("The user who started this import can no longer import accounts.")
    return Principal(business_id=account_import.business_id, role=role, user_id=account_import.created_by_id,
                     api_key_id=account_import.created_by_api_key_id, email=email)


def _lock(db_session, import_id) -> AccountImport | None:
    """The import row, fresh and locked until the next commit, so two runs never take the same batch."""
    stmt = select(AccountImport).where(AccountImport.id == import_id).options(undefer(AccountImport.errors)) \
        .execution_options(populate_existing=True)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    else:
        # SQLite has no row locks: a write takes the database lock and opens the transaction, so the batch's
        # per-row savepoints nest inside it (a savepoint opened outside a transaction would commit on release).
        db_session.execute(update(AccountImport).where(AccountImport.id == import_id)
                           .values(processed_rows=AccountImport.processed_rows)
                           .execution_options(synchronize_session=False))
    return db_session.scalars(stmt).first()


def _fail(db_session, import_id, message: str, now: dt.datetime) -> None:
    db_session.rollback()
    account_import = _lock(db_session, import_id)
    if account_import is None:
        return
    account_import.status = "failed"
    account_import.error_message = message[:1000]
    account_import.finished_at = now
    db_session.commit()


def run_import(db_session, import_id, now: dt.datetime) -> AccountImport | None:
    """Import every row not yet processed, BATCH_SIZE rows per commit. A completed import is left as it is."""
    account_import = _lock(db_session, import_id)
    if account_import is None or account_import.status == "completed":
        db_session.rollback()
        return account_import
    try:
        principal = import_principal(db_session, account_import)
    except DomainError as exc:
        _fail(db_session, import_id, exc.message, now)
        return db_session.get(AccountImport, import_id)
    account_import.status = "running"
    account_import.started_at = account_import.started_at or now
    account_import.error_message = None
    account_import.finished_at = None
    db_session.commit()

    reader = _reader(account_import.source_text)
    header = _header(reader)
    rows = _rows(reader)
    mapping, on_duplicate = account_import.column_mapping, account_import.on_duplicate
    position = start = 0
    collecting = gc.isenabled()
    gc.disable()  # a batch allocates many small objects and no cycles: collection passes would only cost time
    try:
        with acting_as(principal):
            while True:
                account_import = _lock(db_session, import_id)
                if account_import is None or account_import.status == "completed":
                    db_session.rollback()
                    return account_import
                start = account_import.processed_rows
                if start > position:  # resuming, or another run got further: skip what is already done
                    for _ in itertools.islice(rows, start - position):
                        pass
                    position = start
                batch = list(itertools.islice(rows, BATCH_SIZE))
                position += len(batch)
                if not batch:
                    break
                prepared = importer.prepare(header, batch, mapping, 2 + start)
                result = importer.store(db_session, principal, prepared, now, on_duplicate=on_duplicate,
                                        reference=account_import.id)
                account_import.processed_rows = start + len(batch)
                account_import.imported += result.imported
                account_import.failed += result.failed
                account_import.skipped += sum(1 for row in batch if _blank(row))
                room = MAX_STORED_ERRORS - len(account_import.errors or [])
                if room > 0 and result.errors:
                    account_import.errors = list(account_import.errors or []) + result.errors[:room]
                db_session.commit()
    except DomainError as exc:
        _fail(db_session, import_id, exc.message, now)
        return db_session.get(AccountImport, import_id)
    except Exception:
        _fail(db_session, import_id, f"The import stopped unexpectedly in the rows after row {start + 1}; "
                                     "run it again to resume from there.", now)
        raise
    finally:
        if collecting:
            gc.enable()

    account_import.status = "completed"
    account_import.total_rows = account_import.processed_rows
    account_import.finished_at = now
    audit.record(db_session, "accounts_imported", principal=principal, now=now, resource_type="account_import",
                 resource_id=account_import.id,
                 description=f"{account_import.filename}: {account_import.imported} imported, "
                             f"{account_import.failed} failed")
    db_session.commit()
    return account_import


# ---- reporting ---------------------------------------------------------------------------------------------

def errors_csv(account_import: AccountImport) -> str:
    """The row errors as CSV (row, column, error); cells a spreadsheet would run as formulas are neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "error"])
    for error in account_import.errors or []:
        writer.writerow([neutralize(error.get("row")), neutralize(error.get("column")), neutralize(error.get("error"))])
    return buffer.getvalue()


def errors_truncated(account_import: AccountImport) -> bool:
    return account_import.failed > len(account_import.errors or [])


TEMPLATE_COLUMNS = (
    # PRD 7.3's columns first, then the rest a creditor usually has, then the facts the compliance gate reads.
    "firstName", "lastName", "email", "phone", "accountNumber", "currentBalance", "dueDate",
    "phoneSecondary", "address", "city", "state", "zip", "originalCreditor", "originalBalance", "status", "tags",
    "notes", "preferredLanguage", "preferredContactMethod", "timezone",
    "smsConsent", "smsConsentDate", "emailConsent", "emailConsentDate", "whatsappConsent", "whatsappConsentDate",
    "itemizationDate", "itemizationDateType", "itemizationAmount", "interestSinceItemization",
    "feesSinceItemization", "timeBarred", "doNotContact", "doNotSms", "doNotEmail", "doNotCall",
)
TEMPLATE_EXAMPLE = {
    "firstName": "Jane", "lastName": "Smith", "email": "jane@example.com", "phone": "+12125550147",
    "accountNumber": "ACC-001", "currentBalance": "1250.00", "dueDate": "2025-12-31", "address": "123 Main St",
    "city": "New York", "state": "NY", "zip": "10001", "originalCreditor": "ABC Hospital",
    "originalBalance": "1500.00", "status": "active", "tags": "medical", "preferredLanguage": "en",
    "preferredContactMethod": "sms", "smsConsent": "true", "smsConsentDate": "2025-01-15", "emailConsent": "true",
    "emailConsentDate": "2025-01-15", "itemizationDate": "2025-03-31", "itemizationDateType": "charge_off",
    "itemizationAmount": "1500.00", "interestSinceItemization": "0.00", "feesSinceItemization": "0.00",
    "timeBarred": "false",
}


def template_csv() -> str:
    """The template to download: every importable column, with one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow([TEMPLATE_EXAMPLE.get(name, "") for name in TEMPLATE_COLUMNS])
    return buffer.getvalue()
