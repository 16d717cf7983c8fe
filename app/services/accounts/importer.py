"""CSV import: map columns, validate every row, import the good ones, report the bad ones by spreadsheet row
(the header is row 1). Each row is all-or-nothing (a savepoint), so nothing partial is left for a bad row."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from app.services.accounts import fields as account_fields
from sqlalchemy.exc import IntegrityError

from app.services.accounts.records import create_account, insert_accounts
from app.services.batch import one_of
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
    # Compliance columns as collection files often name them (only where the cell's meaning is unambiguous).
    "emailsource": "emailProvenance", "emailorigin": "emailProvenance", "employeremaildomain": "employerDomain",
    "rndcheckdate": "phoneRndCheckDate", "reassignedcheckdate": "phoneRndCheckDate",
    "debtowner": "currentCreditor", "currentowner": "currentCreditor",
    "bankrupt": "bankruptcy", "inbankruptcy": "bankruptcy", "bankruptcyflag": "bankruptcy",
    "deceasedflag": "deceased",
    "ceaseanddesistdate": "ceaseDate", "ceasereceiveddate": "ceaseDate",
    "lawfirm": "attorneyName", "attorneyfirm": "attorneyName", "lawyername": "attorneyName",
    "lawyeremail": "attorneyEmail", "lawyerphone": "attorneyPhone", "lawyeraddress": "attorneyAddress",
    "disputeddate": "disputeDate", "disputereceiveddate": "disputeDate",
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


@dataclass
class Prepared:
    """A batch after validation: good rows with their spreadsheet row numbers, and the bad rows' errors."""

    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def prepare(header: list[str], rows: list[list[str]], mapping: dict[int, str] | None = None,
            first_row: int = 2) -> Prepared:
    """Validate a batch without touching the database."""
    mapping = mapping or auto_mapping(header)
    missing = [name for name in account_fields.REQUIRED_ON_CREATE if name not in mapping.values()]
    if missing:
        raise ValidationError(f"The file has no {missing[0]} column.", field="file")
    prepared = Prepared()
    for offset, row in enumerate(rows):
        if not any(cell.strip() for cell in row):
            continue
        try:
            prepared.rows.append((first_row + offset, account_fields.parse(row_payload(row, header, mapping),
                                                                           partial=False, from_csv=True)))
        except DomainError as exc:
            prepared.errors.append({"row": first_row + offset, "column": exc.field, "error": exc.message})
    return prepared


def import_rows(db_session, principal: Principal, header: list[str], rows: list[list[str]], now: dt.datetime, *,
                mapping: dict[int, str] | None = None, on_duplicate: str = "skip", first_row: int = 2,
                reference=None) -> ImportResult:
    """Validate and import; `on_duplicate` is 'skip' (report it) or 'update' (upsert by account number)."""
    return store(db_session, principal, prepare(header, rows, mapping, first_row), now,
                 on_duplicate=on_duplicate, reference=reference)


def store(db_session, principal: Principal, prepared: Prepared, now: dt.datetime, *, on_duplicate: str = "skip",
          reference=None) -> ImportResult:
    """Write a validated batch: new accounts in bulk; rows that touch an existing account (or repeat a number
    earlier in the batch) one by one, each in its own savepoint, so nothing partial is left for a row."""
    result = ImportResult(failed=len(prepared.errors), errors=list(prepared.errors))
    bulk, single = _split(db_session, principal, prepared.rows)
    if bulk:
        savepoint = db_session.begin_nested()
        try:
            insert_accounts(db_session, principal, [values for _, values in bulk], now, source="import",
                            reference=reference)
            savepoint.commit()
            result.imported += len(bulk)
        except IntegrityError:  # a concurrent writer took a number: fall back to one row at a time
            savepoint.rollback()
            single = sorted(bulk + single, key=lambda pair: pair[0])
    for number, values in single:
        _import_one(db_session, principal, number, values, now, on_duplicate, result)
    result.errors.sort(key=lambda error: error["row"])
    return result


def _split(db_session, principal: Principal, parsed: list[tuple[int, dict]]):
    """Rows that can be inserted in bulk, and rows that need the one-by-one path (existing number, repeated
    number, an agent to check)."""
    from sqlalchemy import select

    from app.models import Account

    numbers = {values["account_number"] for _, values in parsed if values.get("account_number")}
    taken = set(db_session.scalars(select(Account.account_number).where(
        Account.business_id == principal.business_id, one_of(db_session, Account.account_number, numbers)))
    ) if numbers else set()
    bulk, single, seen = [], [], set()
    for number, values in parsed:
        account_number = values.get("account_number")
        if account_number in taken or account_number in seen or values.get("assigned_agent_id"):
            single.append((number, values))
        else:
            bulk.append((number, values))
        if account_number:
            seen.add(account_number)
    return bulk, single


def _import_one(db_session, principal: Principal, number: int, values: dict, now: dt.datetime, on_duplicate: str,
                result: ImportResult) -> None:
    from sqlalchemy import select

    from app.models import Account
    from app.services.accounts.records import update_account

    savepoint = db_session.begin_nested()
    try:
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
