"""PRD 7.3 accounts: list, get, create, patch, delete, bulk import, export."""
from __future__ import annotations

import datetime as dt

from flask import Response, g, request, stream_with_context

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.openapi import document
from app.blueprints.api.params import pagination
from app.blueprints.api.serializers import account_json
from app.extensions import db
from app.services import audit
from app.services.accounts import export, fields, importer, records
from app.services.accounts.search import AccountQuery, query_from_mapping, run
from app.services.clock import get_clock
from app.services.errors import ValidationError

STAFF_AND_DEBTOR = ("business_admin", "manager", "agent", "debtor")


def _client():
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


def _list_arg(name: str) -> list[str]:
    """`name=a,b` or `name=a&name=b` (what a form of checkboxes sends)."""
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def query_from_args() -> AccountQuery:
    return query_from_mapping(request.args)


@bp.get("/accounts")
@api_auth(*STAFF_AND_DEBTOR, action="accounts.view")
def list_accounts():
    page, limit = pagination()
    rows, total, estimate = run(db.session, g.principal, query_from_args(), page=page, limit=limit)
    meta = page_meta(page, limit, total)
    if estimate:
        meta["totalIsEstimate"] = True
    return ok([account_json(a, detail=False) for a in rows], meta=meta)


@bp.post("/accounts")
@api_auth("business_admin", "manager", action="accounts.write")
@idempotent
def create_account():
    values = fields.parse(json_body(), partial=False)
    account = records.create_account(db.session, g.principal, values, get_clock().now(), **_client())
    db.session.commit()
    return ok(account_json(account), status=201)


@bp.get("/accounts/<account_id>")
@api_auth(*STAFF_AND_DEBTOR, action="accounts.view")
def get_account(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    if g.principal.role != "debtor":
        audit.record(db.session, "account_viewed", principal=g.principal, now=get_clock().now(),
                     resource_type="account", resource_id=account.id, description=account.account_number, **_client())
        db.session.commit()
    return ok(account_json(account))


@bp.patch("/accounts/<account_id>")
@api_auth("business_admin", "manager", "agent", action="accounts.write")
def update_account(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    values = fields.parse(json_body(), partial=True)
    records.update_account(db.session, g.principal, account, values, get_clock().now(), **_client())
    db.session.commit()
    return ok(account_json(account))


@bp.delete("/accounts/<account_id>")
@api_auth("business_admin", "manager", action="accounts.delete")
def delete_account(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    records.delete_account(db.session, g.principal, account, get_clock().now(), **_client())
    db.session.commit()
    return ok({"message": "Account deleted successfully"})


@bp.post("/accounts/bulk-import")
@api_auth("business_admin", "manager", action="accounts.import")
def bulk_import():
    """Up to 1,000 rows answer synchronously in the PRD shape; each row error names its spreadsheet row."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Send the CSV as multipart form field 'file'.", field="file")
    try:
        text = importer.decode(upload.read())
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 or Windows-1252 text.", field="file") from None
    header, rows = importer.read_rows(text)
    if len(rows) > importer.SYNC_ROW_LIMIT:
        # Larger files run as a job: 202 now, progress at GET /api/v1/imports/<id>.
        from app.services.accounts import import_jobs

        now = get_clock().now()
        job = import_jobs.create_import_from_text(db.session, g.principal, upload.filename, text,
                                                  request.form.get("onDuplicate", "skip"), now=now)
        import_jobs.start_import(db.session, g.principal, job, now, **_client())
        db.session.commit()
        return ok({"importId": str(job.id), "id": str(job.id), "status": job.status, "totalRows": job.total_rows},
                  status=202, headers={"Location": f"/api/v1/imports/{job.id}"})
    on_duplicate = request.form.get("onDuplicate", "skip")
    if on_duplicate not in ("skip", "update"):
        raise ValidationError("onDuplicate must be skip or update.", field="onDuplicate")
    now = get_clock().now()
    result = importer.import_rows(db.session, g.principal, header, rows, now, on_duplicate=on_duplicate)
    audit.record(db.session, "accounts_imported", principal=g.principal, now=now, resource_type="account",
                 description=f"{result.imported} imported, {result.failed} failed", **_client())
    db.session.commit()
    return ok(result.as_dict())


@bp.get("/accounts/export")
@api_auth("business_admin", "manager", action="accounts.export")
def export_accounts():
    """CSV streamed at constant memory (or XLSX) of the accounts matching the list filters."""
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("format must be csv or xlsx.", field="format")
    query = query_from_args()
    columns = _list_arg("columns") or None
    audit.record(db.session, "accounts_exported", principal=g.principal, now=get_clock().now(),
                 resource_type="account", description=fmt, meta={"filters": dict(request.args)}, **_client())
    db.session.commit()
    stamp = dt.date.today().isoformat()
    if fmt == "xlsx":
        body = export.xlsx_bytes(db.session, g.principal, query, columns)
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=accounts-{stamp}.xlsx"})
    stream = stream_with_context(export.csv_stream(db.session, g.principal, query, columns))
    return Response(stream, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=accounts-{stamp}.csv"})


_T = ["accounts"]
_LIST_PARAMS = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in (
    "page", "limit", "status", "search", "tags", "sortBy", "sortOrder", "balanceMin", "balanceMax", "dueFrom", "dueTo",
    "createdFrom", "createdTo", "state", "language", "hasActivePlan", "optedOut", "assignedTo")]
_ACCOUNT_BODY = {"type": "object", "properties": {name: {} for name in fields.FIELDS},
                 "required": list(fields.REQUIRED_ON_CREATE)}
document("/accounts", "get", "List accounts (search, filters, sort, pages)", tags=_T, parameters=_LIST_PARAMS)
document("/accounts", "post", "Create an account (Idempotency-Key supported)", tags=_T, request_body=_ACCOUNT_BODY,
         parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
         responses={"201": {"description": "Created"}})
document("/accounts/{id}", "get", "One account", tags=_T)
document("/accounts/{id}", "patch", "Change an account", tags=_T, request_body={**_ACCOUNT_BODY, "required": []})
document("/accounts/{id}", "delete", "Soft-delete an account (400 ACTIVE_PLAN while a plan is live)", tags=_T)
document("/accounts/export", "get", "Export the filtered accounts as CSV or XLSX", tags=_T,
         parameters=_LIST_PARAMS + [{"name": "format", "in": "query", "schema": {"enum": ["csv", "xlsx"]}},
                                    {"name": "columns", "in": "query", "schema": {"type": "string"}}])
