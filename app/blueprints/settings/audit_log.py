"""The audit log page: search by date, user, action and resource; export to CSV."""
import csv
import datetime as dt
import io
import json

from flask import Response, g, render_template, request

from app.blueprints.settings import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.models import AuditLog
from app.services import audit as audit_service
from app.services.clock import get_clock

PAGE_SIZE = 50


def _date(name):
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> audit_service.AuditFilters:
    return audit_service.AuditFilters(date_from=_date("from"), date_to=_date("to"),
                                      user=request.args.get("user") or None, action=request.args.get("action") or None,
                                      resource_type=request.args.get("resource") or None)


@bp.get("/audit", endpoint="audit_log")
@page_permission("audit.view")
def audit_log_page():
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    rows, total = audit_service.search(db.session, g.principal.business_id, _filters(), page=page, limit=PAGE_SIZE)
    template = "settings/_audit_rows.html" if request.headers.get("HX-Request") else "settings/audit_log.html"
    return render_template(template, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           actions=audit_service.distinct_values(db.session, g.principal.business_id, AuditLog.action),
                           resources=audit_service.distinct_values(db.session, g.principal.business_id,
                                                                   AuditLog.resource_type),
                           args=request.args)


@bp.get("/audit/export.csv")
@page_permission("audit.view")
def audit_log_export():
    """The filtered rows as CSV; the export itself is audited."""
    filters = _filters()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["seq", "created_at", "user_email", "user_role", "action", "resource_type", "resource_id",
                     "description", "changes", "ip_address", "user_agent", "success", "row_hash"])
    for row, changes in audit_service.export_rows(db.session, g.principal.business_id, filters):
        writer.writerow([row.seq, row.created_at.isoformat(), row.user_email, row.user_role, row.action,
                         row.resource_type, row.resource_id, row.description,
                         json.dumps(changes, default=str) if changes else "", row.ip_address, row.user_agent,
                         row.success, row.row_hash])
    audit_service.record(db.session, "audit_exported", principal=g.principal, now=get_clock().now(),
                         resource_type="audit_log", ip=request.remote_addr, user_agent=request.user_agent.string,
                         meta={"filters": {k: v for k, v in request.args.items()}})
    db.session.commit()
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})
