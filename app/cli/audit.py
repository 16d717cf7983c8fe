"""flask audit verify: walk every business's hash chain and report altered or missing rows."""
import sys
import uuid

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import audit as audit_service

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
@click.option("--business", "business_id", default=None, help="Only this business's chain (UUID).")
def verify(business_id):
    """Exit 0 when every chain verifies; 1 with one line per problem otherwise."""
    if business_id:
        problems = audit_service.verify(db.session, uuid.UUID(business_id))
    else:
        problems = audit_service.verify(db.session, all_businesses=True)
    for p in problems:
        click.echo(f"business {p.business_id or 'platform'} row {p.seq}: {p.problem}")
    if problems:
        sys.exit(1)
    click.echo("audit chains verified")
