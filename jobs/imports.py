"""Account imports: run one stored CSV import (resumable; a completed import is left as it is)."""
from __future__ import annotations

import uuid

from jobs import app_context


def run_account_import(import_id: str) -> None:
    """Import the rows of AccountImport `import_id` that are not processed yet."""
    with app_context():
        from app.extensions import db
        from app.services.accounts.import_jobs import run_import
        from app.services.clock import get_clock

        run_import(db.session, uuid.UUID(import_id), get_clock().now())
