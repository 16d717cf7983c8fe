"""The signed-in user's own profile. Each section posts to its own URL:

- an HTMX request gets the section back (200, so HTMX swaps it) with inline errors or a success notice;
- a plain form post redirects back to the page with a flash, or re-renders the page (400) with inline errors."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user, login_required, logout_user

from app.blueprints.settings import bp
from app.blueprints.settings.profile_forms import (AvatarForm, DetailsForm, EmailForm, NotificationsForm,
                                                   PasswordForm, RemoveAvatarForm)
from app.extensions import db, limiter
from app.models import User
from app.services.auth import profile as profile_service
from app.services.clock import get_clock
from app.services.errors import DomainError, ValidationError

# Section name -> (partial template, form's context name, form class, prefix, anchor on the page).
SECTIONS = {
    "details": ("settings/_profile_details.html", "details_form", DetailsForm, "details", "profile-details"),
    "email": ("settings/_profile_email.html", "email_form", EmailForm, "email", "profile-email"),
    "password": ("settings/_profile_password.html", "password_form", PasswordForm, "password", "profile-password"),
    "avatar": ("settings/_profile_avatar.html", "avatar_form", AvatarForm, "avatar", "profile-avatar"),
    "notifications": ("settings/_profile_notifications.html", "notifications_form", NotificationsForm, "notify",
                      "profile-notifications"),
}


def staff_only(view):
    """Signed in as a staff user (the business shell's pages)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.user.is_staff:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _rate_key() -> str:
    if current_user.is_authenticated:
        return f"profile:{current_user.user.id}"
    return request.remote_addr or "?"


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string or None}


def _initials(user: User) -> str:
    first = (user.first_name or user.email or "?")[:1]
    last = (user.last_name or "")[:1]
    return (first + last).upper()


def _fresh_form(section: str, user: User):
    """A section's form filled from the user, never from the request."""
    _, _, form_class, prefix, _ = SECTIONS[section]
    if section == "details":
        return form_class(formdata=None, prefix=prefix,
                          data={"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone})
    if section == "notifications":
        return form_class(formdata=None, prefix=prefix, data=profile_service.notification_preferences(user))
    return form_class(formdata=None, prefix=prefix)


def _submitted_form(section: str):
    _, _, form_class, prefix, _ = SECTIONS[section]
    return form_class(prefix=prefix)


def _context(user: User, forms: dict | None = None, notices: dict | None = None) -> dict:
    context = {name: (forms or {}).get(section) or _fresh_form(section, user)
               for section, (_, name, _, _, _) in SECTIONS.items()}
    context.update(
        user=user,
        initials=_initials(user),
        remove_avatar_form=RemoveAvatarForm(formdata=None, prefix="remove-avatar"),
        pending_email=profile_service.pending_email_change(db.session, user, get_clock().now()),
        notification_keys=list(profile_service.NOTIFICATION_DEFAULTS),
        notices=notices or {},
    )
    return context


def _apply_error(form, exc: DomainError) -> None:
    """Show a service error inline on the field it concerns (or at the top of the section)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _invalid(section: str, form):
    """The section again with its errors: the partial for HTMX, otherwise the whole page (400)."""
    user = current_user.user
    context = _context(user, forms={section: form}, notices={section: ("error", "Check the highlighted fields.")})
    if _is_htmx():
        return render_template(SECTIONS[section][0], **context)
    return render_template("settings/profile.html", **context), 400


def _saved(section: str, message: str, category: str = "success"):
    """The section refreshed with a notice for HTMX, otherwise back to the page with a flash."""
    user = current_user.user
    if _is_htmx():
        return render_template(SECTIONS[section][0], **_context(user, notices={section: (category, message)}))
    flash(message, category)
    return redirect(url_for("settings.profile", _anchor=SECTIONS[section][4]))


@bp.get("/profile")
@staff_only
def profile():
    """Name, email, phone, password, photo and notification settings of the signed-in user."""
    return render_template("settings/profile.html", **_context(current_user.user))


@bp.post("/profile/details")
@staff_only
def update_details():
    form = _submitted_form("details")
    if not form.validate_on_submit():
        return _invalid("details", form)
    user = current_user.user
    try:
        changes = profile_service.update_details(db.session, user, first_name=form.first_name.data,
                                                 last_name=form.last_name.data, phone=form.phone.data,
                                                 now=get_clock().now(), **_client())
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return _invalid("details", form)
    db.session.commit()
    return _saved("details", "Your name and phone are saved." if changes else "Nothing to change.",
                  "success" if changes else "info")


@bp.post("/profile/email")
@limiter.limit("10 per 15 minutes", key_func=_rate_key)
@staff_only
def change_email():
    form = _submitted_form("email")
    if not form.validate_on_submit():
        return _invalid("email", form)
    user = current_user.user
    try:
        new_email = profile_service.request_email_change(
            db.session, user, new_email=form.email.data, password=form.password.data, now=get_clock().now(),
            public_url=current_app.config["PUBLIC_URL"], **_client())
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return _invalid("email", form)
    db.session.commit()
    return _saved("email", f"We sent a confirmation link to {new_email}. Your email changes when you open it.",
                  "info")


@bp.get("/profile/email/confirm/<token>")
@staff_only
def confirm_email_change(token: str):
    user = current_user.user
    try:
        new_email = profile_service.confirm_email_change(db.session, user, token, now=get_clock().now(),
                                                         **_client())
    except DomainError as exc:
        db.session.rollback()
        context = _context(user)
        context["page_error"] = exc.message
        return render_template("settings/profile.html", **context), exc.status
    db.session.commit()
    flash(f"Your email address is now {new_email}.", "success")
    return redirect(url_for("settings.profile", _anchor=SECTIONS["email"][4]))


@bp.post("/profile/password")
@limiter.limit("10 per 15 minutes", key_func=_rate_key)
@staff_only
def change_password():
    form = _submitted_form("password")
    if not form.validate_on_submit():
        return _invalid("password", form)
    user = current_user.user
    try:
        profile_service.change_own_password(db.session, user, current_password=form.current_password.data,
                                            new_password=form.new_password.data,
                                            confirm_password=form.confirm_password.data, now=get_clock().now(),
                                            ip=request.remote_addr, user_agent=request.user_agent.string)
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return _invalid("password", form)
    db.session.commit()
    # Every session of the user has ended, this one included.
    logout_user()
    session.clear()
    flash("Password changed: sign in again with your new password.", "success")
    login_url = url_for("auth.login")
    if _is_htmx():
        return "", 200, {"HX-Redirect": login_url}
    return redirect(login_url)


@bp.post("/profile/avatar")
@limiter.limit("20 per 15 minutes", key_func=_rate_key)
@staff_only
def upload_avatar():
    form = _submitted_form("avatar")
    if not form.validate_on_submit():
        return _invalid("avatar", form)
    user = current_user.user
    now = get_clock().now()
    try:
        profile_service.set_avatar(db.session, user, form.avatar.data.read(profile_service.AVATAR_MAX_BYTES + 1),
                                   instance_path=current_app.instance_path,
                                   avatar_url=url_for("settings.avatar", user_id=user.id, v=int(now.timestamp())),
                                   now=now, **_client())
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return _invalid("avatar", form)
    db.session.commit()
    return _saved("avatar", "Your photo is updated.")


@bp.post("/profile/avatar/remove")
@staff_only
def remove_avatar():
    form = RemoveAvatarForm(prefix="remove-avatar")
    if not form.validate_on_submit():
        abort(400)
    removed = profile_service.remove_avatar(db.session, current_user.user, instance_path=current_app.instance_path,
                                            now=get_clock().now(), **_client())
    db.session.commit()
    return _saved("avatar", "Your photo is removed." if removed else "You have no photo.",
                  "success" if removed else "info")


@bp.post("/profile/notifications")
@staff_only
def update_notifications():
    form = _submitted_form("notifications")
    if not form.validate_on_submit():
        return _invalid("notifications", form)
    values = {key: getattr(form, key).data for key in profile_service.NOTIFICATION_DEFAULTS}
    profile_service.update_notification_preferences(db.session, current_user.user, values, now=get_clock().now(),
                                                    **_client())
    db.session.commit()
    return _saved("notifications", "Your notification settings are saved.")


@bp.get("/avatar/<uuid:user_id>")
@login_required
def avatar(user_id):
    """A user's photo, for signed-in users of the same business (the user themself always)."""
    viewer = current_user.user
    owner = db.session.get(User, user_id)
    same_business = owner is not None and viewer.business_id is not None and owner.business_id == viewer.business_id
    if owner is None or owner.deleted_at is not None or not (owner.id == viewer.id or same_business):
        abort(404)
    path = profile_service.avatar_file(current_app.instance_path, owner.id)
    if owner.avatar_url is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/png", conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
