"""flask seed demo: load the demo business and print how to sign in."""
import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.clock import get_clock

seed_cli = AppGroup("seed", help="Load data.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo business already exists.")
def demo(if_empty):
    """Demo business, staff, 200 debtor accounts, conversations and payments."""
    from app.services import demo as demo_service

    result = demo_service.load(db.session, get_clock().now(), skip_if_present=if_empty)
    db.session.commit()
    click.echo(demo_service.sign_in_text(result))
