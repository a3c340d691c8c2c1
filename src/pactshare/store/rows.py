"""Writing a row only if its key is new, in one statement on either backend.

``INSERT … ON CONFLICT DO NOTHING`` (SQLite from 3.24, PostgreSQL) in place of a look-up and
then an insert: one statement instead of two, and two transactions inserting the same key at
once (PostgreSQL) do not fail the second: it waits for the first and inserts nothing.

SQLAlchemy does not cache the compiled form of its dialects' ``on_conflict_do_nothing``
constructs (they have no cache key), so each use would be compiled again; the statement is
written here once per table, backend and set of columns, as text with typed parameters
(each column's own type processes its value), which is compiled once and cached.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table, TextClause, bindparam, text
from sqlalchemy.engine import Dialect

__all__ = ["insert_new"]


def insert_new(tx: Connection, table: Table, values: Mapping[str, object]) -> bool:
    """Insert ``values`` into ``table`` unless a row with the same unique key is there;
    whether it was inserted. (SQLite counts the rows it changed; psycopg does not say, so on
    PostgreSQL the statement returns the key of the row it inserted, if any.)"""
    key = (tx.dialect.name, table, tuple(values))
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS.setdefault(key, _ignoring(tx.dialect, table, key[2]))
    result = tx.execute(statement, dict(values))
    if tx.dialect.name == "sqlite":
        return bool(result.rowcount)
    return result.first() is not None


_STATEMENTS: dict[tuple[str, Table, tuple[str, ...]], TextClause] = {}  # by backend's name


def _ignoring(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> TextClause:
    """``INSERT INTO table (keys) VALUES (:keys) ON CONFLICT DO NOTHING`` (on PostgreSQL,
    ``RETURNING`` the primary key), its parameters typed as the table's columns."""
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.format_column(table.c[key]) for key in keys)
    parameters = ", ".join(f":{key}" for key in keys)
    # Names of our own schema's table and columns (a key not a column fails above), quoted.
    sql = f"INSERT INTO {quote.format_table(table)} ({columns}) VALUES ({parameters})"  # noqa: S608
    sql += " ON CONFLICT DO NOTHING"
    if dialect.name != "sqlite":
        sql += " RETURNING " + ", ".join(quote.format_column(c) for c in table.primary_key)
    return text(sql).bindparams(*(bindparam(key, type_=table.c[key].type) for key in keys))
