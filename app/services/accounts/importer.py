"""CSV import: map columns, validate every row, import the good ones, report the bad ones by spreadsheet row
(the header is row 1). Each row is all-or-nothing (a savepoint), so nothing partial is left for a bad row."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from app.services.accounts import fields as account_fields
from app.services.accounts.records import create_account
from app.services.errors import DomainError, ValidationError
from app.services.tenancy import Principal

MAX_COLUMNS = 200
SYNC_ROW_LIMIT = 1000


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Header variants -> API field name (auto-detected mapping).
ALIASES = {
    **{_key(name): name for name in account_fields.FIELDS},
    "first": "firstName", "fname": "firstName", "givenname": "firstName",
    "last": "lastName", "lname": "lastName", "surname": "lastName", "familyname": "lastName",
    "emailaddress": "email", "mail": "email",
    "phonenumber": "phone", "mobile": "phone", "cell": "phone", "cellphone": "phone", "telephone": "phone",
    "phone2": "phoneSecondary", "secondaryphone": "phoneSecondary", "altphone": "phoneSecondary",
    "street": "address", "address1": "address", "streetaddress": "address",
    "zipcode": "zip", "postalcode": "zip", "postcode": "zip",
    "accountno": "accountNumber", "account": "accountNumber", "acctnumber": "accountNumber", "acct": "accountNumber",
    "accountid": "accountNumber",
    "balance": "currentBalance", "amountdue": "currentBalance", "amountowed": "currentBalance",
    "originalamount": "originalBalance", "creditor": "originalCreditor",
    "duedate": "dueDate", "due": "dueDate", "language": "preferredLanguage", "contactmethod": "preferredContactMethod",
    "smsoptin": "smsConsent", "emailoptin": "emailConsent",
}


@dataclass
class ImportResult:
    imported: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "failed": self.failed, "skipped": self.skipped, "errors": self.errors}


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); Windows-1252 as the fallback spreadsheets often produce."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict")


def read_header(reader) -> list[str]:
    """The header row, or a clear error for an empty file, broken CSV or too many columns."""
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("The file is empty.", field="file") from None
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV ({exc}).", field="file") from None
    if len(header) > MAX_COLUMNS:
        raise ValidationError(f"The file has {len(header)} columns; at most {MAX_COLUMNS} are read.", field="file")
    return header


def read_rows(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = read_header(reader)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV near row {reader.line_num} ({exc}).", field="file") from None
    return header, rows


def auto_mapping(header: list[str]) -> dict[int, str]:
    """Column index -> API field, for the columns we recognise."""
    mapping = {}
    for index, name in enumerate(header):
        target = ALIASES.get(_key(name))
        if target and target not in mapping.values():
            mapping[index] = target
    return mapping


def row_payload(row: list[str], header: list[str], mapping: dict[int, str]) -> dict:
    payload = {}
    for index, target in mapping.items():
        value = row[index].strip() if index < len(row) else ""
        if value != "":
            payload[target] = value
    return payload


def import_rows(db_session, principal: Principal, header: list[str], rows: list[list[str]], now: dt.datetime, *,
                mapping: dict[int, str] | None = None, on_duplicate: str = "skip", first_row: int = 2,
                progress=None) -> ImportResult:
    """Validate and import; `on_duplicate` is 'skip' (report it) or 'update' (upsert by account number)."""
    from sqlalchemy import select

    from app.models import Account
    from app.services.accounts.records import update_account

    mapping = mapping or auto_mapping(header)
    missing = [name for name in account_fields.REQUIRED_ON_CREATE if name not in mapping.values()]
    if missing:
        raise ValidationError(f"The file has no {missing[0]} column.", field="file")
    result = ImportResult()
    for offset, row in enumerate(rows):
        number = first_row + offset
        if not any(cell.strip() for cell in row):
            continue
        payload = row_payload(row, header, mapping)
        savepoint = db_session.begin_nested()
        try:
            values = account_fields.parse(payload, partial=False, from_csv=True)
            existing = None
            if values.get("account_number"):
                existing = db_session.scalars(select(Account).where(
                    Account.business_id == principal.business_id, Account.account_number == values["account_number"],
                    Account.deleted_at.is_(None))).first()
            if existing is not None and on_duplicate == "update":
                update_account(db_session, principal, existing, values, now)
            elif existing is not None:
                raise ValidationError("Duplicate account number.", field="accountNumber")
            else:
                create_account(db_session, principal, values, now, source="import")
            savepoint.commit()
            result.imported += 1
        except DomainError as exc:
            savepoint.rollback()
            result.failed += 1
            result.errors.append({"row": number, "column": exc.field, "error": exc.message})
        if progress is not None:
            progress(offset + 1, len(rows))
    return result
