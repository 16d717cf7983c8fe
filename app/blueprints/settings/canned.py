"""Settings > Canned responses: managers and admins create, edit and delete them; agents read the list they insert
from with `/` in the composer. HTMX swaps one response (or the new-response form) in place; a plain form post
redirects back to the page, or re-renders it (400) with the errors on their fields."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.blueprints.settings import bp
from app.blueprints.settings.profile import staff_only
from app.extensions import db
from app.services import canned
from app.services.clock import get_clock
from app.services.errors import DomainError, Forbidden


class CannedForm(FlaskForm):
    """Fields only: CSRFProtect checks every post, and the service validates (it names the field at fault)."""

    class Meta:
        csrf = False

    name = StringField("Shortcut", render_kw={"autocomplete": "off", "spellcheck": "false",
                                              "autocapitalize": "none"})
    language = SelectField("Language", validate_choice=False,
                           choices=[SelectChoice(code, label) for code, label in canned.LANGUAGE_NAMES.items()])
    body = TextAreaField("Text", render_kw={"rows": 4})


def _form(row=None, formdata=None) -> CannedForm:
    """The new-response form, or one response's edit form (its own prefix, so ids never collide on the page)."""
    prefix = f"edit-{row.id}-" if row is not None else "new-"
    data = {"name": row.name, "language": row.language, "body": row.body} if row is not None else None
    return CannedForm(formdata=formdata, prefix=prefix, data=data)


def _context(**extra) -> dict:
    business = current_user.user.business
    return {"may_edit": g.principal.role in canned.EDITOR_ROLES, "variables": canned.VARIABLES,
            "languages": canned.LANGUAGE_NAMES, "body_max": canned.BODY_MAX, "name_max": canned.NAME_MAX,
            "preview": lambda row: canned.preview(row.body, business, language=row.language), **extra}


def _page(status=200, new_form=None, editing=None):
    rows = canned.list_canned(db.session, g.principal)
    return render_template("settings/canned.html", responses=rows, new_form=new_form or _form(),
                           editing=editing or {}, **_context()), status


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _errors_on(form: CannedForm, exc: DomainError) -> None:
    target = getattr(form, exc.field or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*(target.errors or []), exc.message]
    else:
        form.form_errors.append(exc.message)


def _item(row, form=None, status=200, notice=None):
    return render_template("settings/_canned_item.html", r=row, form=form, focus_edit=True,
                           **_context(notice=notice)), status


@bp.get("/canned", endpoint="canned")
@staff_only
def canned_page():
    return _page()


@bp.post("/canned")
@staff_only
def canned_create():
    form = _form(formdata=request.form)
    try:
        row = canned.create(db.session, g.principal, name=form.name.data, body=form.body.data,
                            language=form.language.data, now=get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        _errors_on(form, exc)
        if _is_htmx():
            return render_template("settings/_canned_new.html", new_form=form, **_context()), 400
        return _page(400, new_form=form)
    db.session.commit()
    if _is_htmx():
        # A fresh form, and the new response added to the list out of band.
        return render_template("settings/_canned_new.html", new_form=_form(), created=row,
                               **_context(notice=f"/{row.name} saved."))
    flash(f"/{row.name} saved.", "success")
    return redirect(url_for("settings.canned"))


@bp.get("/canned/<canned_id>")
@staff_only
def canned_item(canned_id):
    """One response as the list shows it (what Cancel on an edit form swaps back)."""
    row = canned.get_canned(db.session, g.principal, canned_id)
    if not _is_htmx():
        return redirect(url_for("settings.canned", _anchor=f"canned-{row.id}"))
    return _item(row)


@bp.get("/canned/<canned_id>/edit")
@staff_only
def canned_edit(canned_id):
    row = canned.get_canned(db.session, g.principal, canned_id)
    if g.principal.role not in canned.EDITOR_ROLES:
        raise Forbidden("Only managers and admins edit canned responses.")
    if _is_htmx():
        return _item(row, form=_form(row))
    return _page(editing={row.id: _form(row)})


@bp.post("/canned/<canned_id>")
@staff_only
def canned_update(canned_id):
    row = canned.get_canned(db.session, g.principal, canned_id)
    form = _form(row, formdata=request.form)
    try:
        canned.update(db.session, g.principal, row.id, name=form.name.data, body=form.body.data,
                      language=form.language.data, now=get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        row = canned.get_canned(db.session, g.principal, canned_id)
        _errors_on(form, exc)
        if _is_htmx():
            return _item(row, form=form, status=400)
        return _page(400, editing={row.id: form})
    db.session.commit()
    if _is_htmx():
        return _item(row, notice="Saved.")
    flash(f"/{row.name} saved.", "success")
    return redirect(url_for("settings.canned"))


@bp.post("/canned/<canned_id>/delete")
@staff_only
def canned_delete(canned_id):
    name = canned.get_canned(db.session, g.principal, canned_id).name
    canned.delete(db.session, g.principal, canned_id, now=get_clock().now())
    db.session.commit()
    if _is_htmx():
        return ""
    flash(f"/{name} deleted.", "success")
    return redirect(url_for("settings.canned"))
