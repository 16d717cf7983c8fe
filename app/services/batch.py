"""Bulk inserts for imports: COPY on PostgreSQL, one executemany on SQLite.

A multi-row INSERT is no faster here: psycopg re-parses every long statement to convert its placeholders, and a
plain executemany sends one statement per row. COPY streams the rows in the session's transaction, with
psycopg adapting each value as it would a parameter."""
from __future__ import annotations

from functools import lru_cache

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb



@lru_cache(maxsize=None)
def _column_names(model) -> dict[str, str]:
    """Mapped attribute -> column name (AuditLog.meta is stored as "metadata")."""
    return {attr.key: attr.columns[0].name for attr in sa.inspect(model).column_attrs}


@lru_cache(maxsize=None)
def _json_attributes(model) -> frozenset[str]:
    return frozenset(attr.key for attr in sa.inspect(model).column_attrs
                     if isinstance(attr.columns[0].type, sa.JSON))


def insert_many(db_session, model, rows: list[dict]) -> None:
    """Insert rows given by attribute name, in the session's transaction; every row must carry the same keys."""
    if not rows:
        return
    names = _column_names(model)
    keys = list(rows[0])
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(model.__table__.insert(), [{names[k]: row[k] for k in keys} for row in rows])
        return
    columns = ", ".join(f'"{names[k]}"' for k in keys)
    json_keys = _json_attributes(model)
    wrap = [k in json_keys for k in keys]
    statement = f'COPY "{model.__tablename__}" ({columns}) FROM STDIN'
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([Jsonb(row[k]) if json and row[k] is not None else row[k]
                                for k, json in zip(keys, wrap)])
    except psycopg.IntegrityError as exc:  # the same exception an INSERT would raise through SQLAlchemy
        raise sa.exc.IntegrityError(statement, None, exc) from exc


def one_of(db_session, column, values):
    """`column IN values` for a long list: one array parameter on PostgreSQL (a thousand placeholders cost more
    to send than the lookup), the usual IN elsewhere."""
    values = list(values)
    if db_session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
