"""flask commands: users, seed, jobs, audit, compliance, ai."""
from flask import Flask


def register(app: Flask) -> None:
    from app.cli.ai import ai_cli
    from app.cli.audit import audit_cli
    from app.cli.compliance import compliance_cli
    from app.cli.jobs import jobs_cli
    from app.cli.seed import seed_cli
    from app.cli.users import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(compliance_cli)
    app.cli.add_command(ai_cli)
