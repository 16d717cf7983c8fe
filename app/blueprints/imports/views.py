"""Upload -> mapping and preview (nothing written) -> start -> progress that polls itself until done."""
from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for

from app.blueprints.imports import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.models.account_import import MAX_STORED_ERRORS
from app.services.accounts import fields as account_fields
from app.services.accounts import import_jobs
from app.services.clock import get_clock
from app.services.errors import DomainError, ValidationError

SHOWN_ERRORS = 50


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _upload_page(status: int = 200, error: DomainError | None = None, on_duplicate: str = "skip"):
    recent = import_jobs.recent_imports(db.session, g.principal)
    return render_template("imports/upload.html", recent=recent, error=error, on_duplicate=on_duplicate,
                           max_mb=import_jobs.MAX_IMPORT_BYTES // (1024 * 1024)), status


@bp.get("", endpoint="index")
@page_permission("accounts.import")
def upload_form():
    return _upload_page()


@bp.post("", endpoint="upload")
@page_permission("accounts.import")
def upload():
    """Store the file and show its mapping and preview; a bad file is an inline error on the form."""
    on_duplicate = request.form.get("on_duplicate", "skip")
    upload_file = request.files.get("file")
    try:
        if upload_file is None or not upload_file.filename:
            raise ValidationError("Choose a CSV file to upload.", field="file")
        account_import = import_jobs.create_import(
            db.session, g.principal, upload_file.filename, upload_file.read(), on_duplicate,
            now=get_clock().now(), require_mapping=False)
    except DomainError as exc:
        db.session.rollback()
        return _upload_page(400, error=exc, on_duplicate=on_duplicate)
    db.session.commit()
    return redirect(url_for("imports.review", import_id=account_import.id), code=303)


@bp.get("/template.csv", endpoint="template")
@page_permission("accounts.import")
def template():
    return Response(import_jobs.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=accounts-template.csv"})


def _review(account_import, status: int = 200, error: DomainError | None = None):
    context = dict(job=account_import, preview=import_jobs.preview(db.session, g.principal, account_import),
                   fields=list(account_fields.FIELDS), required=account_fields.REQUIRED_ON_CREATE, error=error)
    if _is_htmx():
        return render_template("imports/_preview.html", **context), status
    return render_template("imports/review.html", **context), status


@bp.get("/<uuid:import_id>", endpoint="review")
@page_permission("accounts.import")
def review(import_id):
    """The detected mapping as one select per column, and the first rows with their errors."""
    account_import = import_jobs.get_import(db.session, g.principal, import_id)
    if account_import.queued_at is not None:
        return redirect(url_for("imports.progress", import_id=import_id))
    return _review(account_import)


@bp.post("/<uuid:import_id>", endpoint="update")
@page_permission("accounts.import")
def update(import_id):
    """Save the mapping; with action=start, queue the import and go to its progress."""
    account_import = import_jobs.get_import(db.session, g.principal, import_id)
    if account_import.queued_at is not None:
        return redirect(url_for("imports.progress", import_id=import_id), code=303)
    mapping = {key[len("map-"):]: value for key, value in request.form.items() if key.startswith("map-")}
    try:
        import_jobs.set_mapping(db.session, account_import, mapping, request.form.get("on_duplicate"))
        if request.form.get("action") == "start":
            import_jobs.start_import(db.session, g.principal, account_import, get_clock().now(),
                                     ip=request.remote_addr, user_agent=request.user_agent.string)
            db.session.commit()
            return redirect(url_for("imports.progress", import_id=import_id), code=303)
    except DomainError as exc:
        db.session.rollback()
        return _review(import_jobs.get_import(db.session, g.principal, import_id), 400, error=exc)
    db.session.commit()
    if _is_htmx():
        return _review(account_import)
    return redirect(url_for("imports.review", import_id=import_id), code=303)


@bp.get("/<uuid:import_id>/progress", endpoint="progress")
@page_permission("accounts.import")
def progress(import_id):
    """The progress component; it polls itself (HTMX) until the import is finished."""
    account_import = import_jobs.get_import(db.session, g.principal, import_id)
    if account_import.queued_at is None:
        return redirect(url_for("imports.review", import_id=import_id))
    context = dict(job=account_import, shown_errors=SHOWN_ERRORS, max_errors=MAX_STORED_ERRORS,
                   errors=(account_import.errors or [])[:SHOWN_ERRORS] if account_import.finished else [])
    if _is_htmx():
        return render_template("imports/_progress.html", **context)
    return render_template("imports/progress.html", **context)


@bp.get("/<uuid:import_id>/errors.csv", endpoint="errors_csv")
@page_permission("accounts.import")
def errors_csv(import_id):
    account_import = import_jobs.get_import(db.session, g.principal, import_id)
    name = f"import-errors-{account_import.created_at.date().isoformat()}.csv"
    return Response(import_jobs.errors_csv(account_import), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
