"""flask users create EMAIL --password P --role ROLE --business NAME [--mfa-secret BASE32]"""
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models.user import ROLES
from app.services.auth.users import create_user, get_or_create_business
from app.services.clock import get_clock
from app.services.errors import DomainError

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The new user's password.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The user's role.")
@click.option("--business", "business_name", default=None, help="Business name (created if missing).")
@click.option("--mfa-secret", default=None, help="Base32 TOTP secret (business roles get one generated otherwise).")
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
def create(email, password, role, business_name, mfa_secret, first_name, last_name):
    """Create a verified user (and the business if missing); print only the new user's id."""
    from app.services.auth import totp

    now = get_clock().now()
    try:
        business = get_or_create_business(db.session, business_name) if business_name else None
        if role not in ("super_admin", "debtor") and mfa_secret is None:
            mfa_secret = totp.new_secret()
        if mfa_secret is not None:
            _check_base32(mfa_secret)
        user = create_user(db.session, email=email, password=password, role=role, business=business,
                           first_name=first_name, last_name=last_name, mfa_secret=mfa_secret, verified=True,
                           now=now, check_strength=False)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(str(user.id))


def _check_base32(secret: str) -> None:
    import base64

    try:
        base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    except Exception:
        raise DomainError("--mfa-secret must be base32.", field="mfa_secret") from None
