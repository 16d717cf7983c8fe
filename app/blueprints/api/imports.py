"""Account imports run as a job (files over 1,000 rows): their progress and row errors."""
from __future__ import annotations

from flask import g

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.envelope import ok
from app.blueprints.api.openapi import document
from app.extensions import db
from app.services.accounts import import_jobs


def import_json(account_import) -> dict:
    return {
        "id": str(account_import.id), "status": account_import.status, "filename": account_import.filename,
        "onDuplicate": account_import.on_duplicate, "totalRows": account_import.total_rows,
        "processedRows": account_import.processed_rows, "imported": account_import.imported,
        "failed": account_import.failed, "skipped": account_import.skipped,
        "errors": list(account_import.errors or []),
        "errorsTruncated": import_jobs.errors_truncated(account_import),
        "errorMessage": account_import.error_message, "createdAt": account_import.created_at,
        "startedAt": account_import.started_at, "finishedAt": account_import.finished_at,
    }


@bp.get("/imports/<import_id>")
@api_auth("business_admin", "manager", action="accounts.import")
def get_import(import_id):
    """Where an import stands; another business's import is 404."""
    return ok(import_json(import_jobs.get_import(db.session, g.principal, import_id)))


_ERROR_ROW = {"type": "object", "properties": {"row": {"type": "integer"}, "column": {"type": ["string", "null"]},
                                               "error": {"type": "string"}}}
_IMPORT = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"},
    "status": {"enum": ["pending", "running", "completed", "failed"]},
    "totalRows": {"type": "integer"}, "processedRows": {"type": "integer"}, "imported": {"type": "integer"},
    "failed": {"type": "integer"}, "skipped": {"type": "integer", "description": "empty rows"},
    "errors": {"type": "array", "items": _ERROR_ROW,
               "description": "row counted as a spreadsheet row (header = row 1); at most the first 10,000"},
    "errorsTruncated": {"type": "boolean"}, "errorMessage": {"type": ["string", "null"]},
    "createdAt": {"type": "string", "format": "date-time"},
    "finishedAt": {"type": ["string", "null"], "format": "date-time"}}}
document("/imports/{id}", "get", "Progress and row errors of a CSV import answered with 202", tags=["accounts"],
         responses={"200": {"description": "The import",
                            "content": {"application/json": {"schema": {"type": "object", "properties": {
                                "success": {"const": True}, "data": _IMPORT}}}}},
                    "404": {"description": "No such import in your business"}})
# The full description of bulk import (its short entry in accounts.py is replaced here, with both answers).
document("/accounts/bulk-import", "post",
         "Import a CSV (multipart field 'file', optional 'onDuplicate' skip|update): up to 1,000 rows answer 200 "
         "with the result; larger files answer 202 and run as a job (GET /imports/{id})", tags=["accounts"],
         responses={
             "200": {"description": "Imported now", "content": {"application/json": {"schema": {
                 "type": "object", "properties": {"success": {"const": True}, "data": {"type": "object", "properties": {
                     "imported": {"type": "integer"}, "failed": {"type": "integer"}, "skipped": {"type": "integer"},
                     "errors": {"type": "array", "items": _ERROR_ROW}}}}}}}},
             "202": {"description": "Queued as a job", "content": {"application/json": {"schema": {
                 "type": "object", "properties": {"success": {"const": True}, "data": {"type": "object", "properties": {
                     "importId": {"type": "string", "format": "uuid"}, "id": {"type": "string", "format": "uuid"},
                     "status": {"const": "pending"}, "totalRows": {"type": "integer"}}}}}}}}})
