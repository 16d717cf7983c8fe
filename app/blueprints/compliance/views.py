"""/compliance: decisions by outcome per day, by rule, and the latest ones, for the audit-log roles."""
from flask import current_app, g, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.compliance import bp
from app.extensions import db
from app.services.clock import get_clock
from app.services.compliance import reports

MESSAGE_ENDPOINT = "inbox.show"
"""Where a decision's message is read, once the conversations page exists (until then the id is shown)."""


def _message_url(decision) -> str | None:
    if not decision.message_id or not decision.conversation_id or MESSAGE_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(MESSAGE_ENDPOINT, conversation_id=decision.conversation_id, _anchor=f"message-{decision.message_id}")


@bp.get("/", endpoint="index")
@page_permission("audit.view")
def index():
    """Decisions by outcome per day, by rule, and the latest ones; an HTMX request (a filter) gets the report."""
    filters = reports.Filters.from_args(request.args)
    report = reports.build(db.session, g.principal.business_id, filters, get_clock().now())
    context = dict(report=report, filters=filters, ranges=reports.RANGES, channels=reports.CHANNELS,
                   outcomes=reports.OUTCOMES, series=reports.SERIES, rule_choices=reports.rule_choices(),
                   platform=g.principal.business_id is None, message_url=_message_url)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "compliance-report":
        return render_template("compliance/_report.html", **context)
    return render_template("compliance/index.html", **context)
