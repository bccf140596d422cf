"""Build SQLAlchemy engines: SQLite (WAL, busy timeout, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from edutools.errors import ConfigError

__all__ = ["insert_ignore", "make_engine", "upsert"]

BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; turn it off and let the
    # "begin" hook below issue BEGIN IMMEDIATE, so a transaction that reads and then writes
    # never fails to upgrade its lock under concurrent writers.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys.

    ``postgresql://`` and ``postgres://`` URLs use the psycopg (3) driver.

    Example
    -------
    >>> engine = make_engine("sqlite:///:memory:")
    >>> engine.dialect.name
    'sqlite'
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"EDUTOOLS_DATABASE_URL={url!r} is not a database URL; "
            "use e.g. sqlite:////path/edutools.sqlite3 or postgresql://user:pw@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return sa.create_engine(parsed, pool_pre_ping=True)
        except (ModuleNotFoundError, NoSuchModuleError):
            raise ConfigError(
                "PostgreSQL needs the psycopg driver: pip install 'edutools[postgres]'"
            ) from None
    if backend != "sqlite":
        raise ConfigError(
            f"unsupported database {backend!r}; use a sqlite:/// or postgresql:// URL"
        )
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise ConfigError(
        f"unsupported database {name!r}"
    )  # pragma: no cover - make_engine refuses others


def insert_ignore(
    conn: sa.Connection, table: sa.Table, values: dict[str, Any], keys: list[str]
) -> bool:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``; True when a row was inserted.

    The first write under a natural key wins; a repeat (double click, rerun, retry) is a no-op.
    """
    stmt = (
        _insert(conn, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*table.primary_key.columns)
    )
    # rowcount is unreliable with RETURNING on psycopg; a returned row means it was inserted.
    return conn.execute(stmt).first() is not None


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    values: dict[str, Any],
    keys: list[str],
    update: dict[str, Any],
) -> None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET update``: for rows that allow revisions."""
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update)
    conn.execute(stmt)
