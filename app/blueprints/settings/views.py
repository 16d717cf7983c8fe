from flask import g, render_template
from flask_login import login_required

from app.blueprints.settings import bp
from app.services.auth import permissions

# Settings pages in the order they are listed, with the permission each needs (None: every signed-in user).
SECTIONS = (
    ("Profile", "settings.profile", None, "Your name, email, phone, password and notifications."),
    ("Team", "settings.team", "users.manage", "Invite people, change roles, deactivate accounts."),
    ("API keys", "settings.api_keys", "settings.manage", "Keys for integrations, shown once and revocable."),
    ("Webhooks", "settings.webhooks", "settings.manage", "Signed JSON to your systems when accounts change."),
    ("Compliance", "settings.compliance", "settings.manage",
     "Narrower contact caps and hours, safe-harbor switches, dispute address and licence numbers."),
    ("Payment plans", "settings.payment_plans", "settings.manage",
     "Limits agents offer plans within, and the standard, flexible and hardship options."),
    ("Canned responses", "settings.canned", None, "Ready replies agents insert with / in a conversation."),
    ("Assignment", "settings.assignment", "users.manage",
     "How conversations reach agents, capacity, and who is online."),
    ("Audit log", "settings.audit_log", "audit.view", "Who did what, when and from where; export to CSV."),
)


def visible_sections():
    from flask import current_app, url_for

    return [(label, url_for(endpoint), text) for label, endpoint, action, text in SECTIONS
            if endpoint in current_app.view_functions and (action is None or permissions.can(g.principal.role, action))]


@bp.app_context_processor
def _settings_sections():
    from flask import request

    if request.blueprint != "settings" or g.get("principal") is None:
        return {}
    return {"settings_sections": visible_sections()}


@bp.get("/")
@login_required
def index():
    return render_template("settings/index.html", sections=visible_sections())
