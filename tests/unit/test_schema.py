"""Do the migrations build the models' schema, the same on SQLite and PostgreSQL, idempotently and reversibly?"""
import os
import socket

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def _postgres_admin_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql", "postgres")):
        return sa.engine.make_url(url.replace("postgres://", "postgresql://", 1)).set(
            drivername="postgresql+psycopg", database="postgres").render_as_string(hide_password=False)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", 5432)) == 0:
            return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    return None


def _fresh_app(url: str):
    return create_app(make_config(url))


def _schema(engine) -> dict:
    """Tables -> columns (normalised type family, nullability), indexes (columns, unique), foreign keys."""
    inspector = sa.inspect(engine)
    families = (("CHAR(32)", "uuid"), ("UUID", "uuid"), ("BIGINT", "money_or_int"), ("NUMERIC", "money_or_int"),
                ("INTEGER", "integer"), ("TIMESTAMP", "timestamp"), ("DATETIME", "timestamp"), ("JSON", "json"),
                ("VARCHAR", "string"), ("TEXT", "text"), ("BOOLEAN", "boolean"), ("DATE", "date"),
                ("FLOAT", "float"), ("REAL", "float"), ("DOUBLE", "float"))
    schema = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        columns = {}
        for column in inspector.get_columns(table):
            text = str(column["type"]).upper()
            family = next((name for prefix, name in families if text.startswith(prefix)), text)
            if family == "integer" and column["name"].endswith(("amount", "balance", "payment", "_since_itemization")):
                family = "money_or_int"
            columns[column["name"]] = (family, column["nullable"])
        # PostgreSQL lists the index behind each unique constraint too; SQLite does not.
        indexes = {(tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
                   if not i.get("duplicates_constraint") and not i["name"].startswith("ix_pg_")}
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        fks = {(tuple(f["constrained_columns"]), f["referred_table"]) for f in inspector.get_foreign_keys(table)}
        schema[table] = {"columns": columns, "indexes": indexes, "uniques": uniques, "fks": fks}
    return schema


def test_models_and_migrations_agree(app):
    """No model change without a migration: autogenerate finds nothing to do."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            "include_object": lambda obj, name, type_, reflected, other: not (
                type_ == "index" and name and name.startswith("ix_pg_"))})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_works(tmp_path):
    application = _fresh_app(f"sqlite:///{tmp_path / 'cycle.db'}")
    with application.app_context():
        upgrade()
        before = _schema(db.engine)
        upgrade()  # second run: nothing to do, nothing broken
        assert _schema(db.engine) == before
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _schema(db.engine) == before
        db.engine.dispose()


def test_sqlite_and_postgresql_schemas_match(tmp_path):
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 and no postgresql DATABASE_URL")
    name = f"fc_parity_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        pg_url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        schemas = {}
        for label, url in (("sqlite", f"sqlite:///{tmp_path / 'parity.db'}"), ("postgresql", pg_url)):
            application = _fresh_app(url)
            with application.app_context():
                upgrade()
                schemas[label] = _schema(db.engine)
                db.engine.dispose()
        sqlite, postgres = schemas["sqlite"], schemas["postgresql"]
        assert sqlite.keys() == postgres.keys()
        for table in sqlite:
            assert sqlite[table]["columns"] == postgres[table]["columns"], table
            assert sqlite[table]["fks"] == postgres[table]["fks"], table
            assert sqlite[table]["uniques"] == postgres[table]["uniques"], table
            assert sqlite[table]["indexes"] == postgres[table]["indexes"], table
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
