"""Documents on the account file: upload several at once, download through an authorized URL, soft delete."""
from __future__ import annotations

import io

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for

from app.blueprints.accounts import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.services.accounts import documents, records
from app.services.clock import get_clock
from app.services.errors import ValidationError
from app.services.storage import storage_for


@bp.app_template_global("document_rules")
def document_rules() -> dict:
    """What the documents tab needs to know: allowed files, limits, categories and the viewer's rights."""
    principal = g.get("principal")
    return {"accept": documents.ACCEPT, "allowed": documents.ALLOWED_SUMMARY,
            "max_mb": documents.MAX_DOCUMENT_BYTES // (1024 * 1024), "max_files": documents.MAX_FILES_PER_UPLOAD,
            "types": documents.DOCUMENT_TYPES,
            "may_upload": principal is not None and documents.may_upload(principal),
            "may_delete": principal is not None and documents.may_delete(principal)}


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _fragment(account, status: int = 200, **results):
    return render_template("accounts/_documents.html", account=account,
                           documents=documents.list_documents(db.session, account), **results), status


def _back(account):
    return redirect(url_for("accounts.show", account_id=account.id, tab="documents"), code=303)


@bp.post("/<account_id>/documents", endpoint="upload_documents")
@page_permission("accounts.view")
def upload_documents(account_id):
    """Every good file is saved; every refused one is named with its reason (the others still go in)."""
    account = records.get_account(db.session, g.principal, account_id)
    documents.check_upload(g.principal, account)
    files = [f for f in request.files.getlist("files") if f is not None and f.filename]
    document_type = request.form.get("document_type") or None
    uploaded, problems, stored = [], [], []
    if not files:
        problems.append(("", "Choose at least one file to upload."))
    elif len(files) > documents.MAX_FILES_PER_UPLOAD:
        problems.append(("", f"Upload at most {documents.MAX_FILES_PER_UPLOAD} files at a time."))
        files = []
    storage = storage_for(current_app)
    now = get_clock().now()
    try:
        for upload in files:
            name = documents.clean_filename(upload.filename)
            data = upload.stream.read(documents.MAX_DOCUMENT_BYTES + 1)
            try:
                document = documents.upload(db.session, storage, g.principal, account, upload.filename, data, now,
                                            document_type=document_type, **_client())
            except ValidationError as exc:
                problems.append((name, exc.message))
                if exc.field == "document_type":
                    break
                continue
            stored.append(document.storage_path)
            uploaded.append(document.filename)
        db.session.commit()
    except Exception:
        # Nothing was recorded: remove what this request stored so no file is left without its row.
        db.session.rollback()
        for key in stored:
            storage.delete(key)
        raise
    status = 400 if problems and not uploaded else 200
    if _is_htmx():
        return _fragment(account, status, uploaded=uploaded, problems=problems)
    if uploaded:
        flash(f"{len(uploaded)} document{'s' if len(uploaded) != 1 else ''} uploaded.", "success")
    for name, reason in problems:
        flash(f"{name}: {reason}" if name else reason, "error")
    return _back(account)


@bp.get("/<account_id>/documents/<document_id>", endpoint="download_document")
@page_permission("accounts.view")
def download_document(account_id, document_id):
    """The file itself, as an attachment that browsers neither sniff, render in place nor cache."""
    account = records.get_account(db.session, g.principal, account_id)
    data, mime, filename = documents.open_document(db.session, storage_for(current_app), g.principal, account,
                                                   document_id, get_clock().now(), **_client())
    db.session.commit()
    if mime.startswith("text/"):
        mime = f"{mime}; charset=utf-8"
    response = send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=filename,
                         conditional=False, etag=False, last_modified=None, max_age=None)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/<account_id>/documents/<document_id>/delete", endpoint="delete_document")
@page_permission("accounts.view")
def delete_document(account_id, document_id):
    account = records.get_account(db.session, g.principal, account_id)
    document = documents.delete_document(db.session, g.principal, account, document_id, get_clock().now(),
                                         **_client())
    db.session.commit()
    if _is_htmx():
        return _fragment(account, deleted=document.filename)
    flash(f"{document.filename} deleted.", "success")
    return _back(account)
