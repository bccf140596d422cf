"""Build SQLAlchemy engines: SQLite (WAL, busy timeout, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)

from edutools.errors import ConfigError, EdutoolsError

__all__ = [
    "BUSY_ATTEMPTS",
    "StorageError",
    "create_schema",
    "insert_ignore",
    "is_busy",
    "make_engine",
    "make_memory_engine",
    "retry_busy",
    "upsert",
]

BUSY_TIMEOUT_MS = 15_000
# A write that still finds the database busy after SQLite's busy timeout (or hits a PostgreSQL
# deadlock or serialisation failure) is tried again this many times in all, with a growing,
# jittered pause; then it fails with one StorageError line.
BUSY_ATTEMPTS = 5
BUSY_PAUSE_S = 0.2

P = ParamSpec("P")
R = TypeVar("R")


class StorageError(EdutoolsError):
    """The database could not do what was asked (busy beyond the retries, unreachable, refused).

    The message is one line for a participant or the CLI; the driver's error is the cause.
    """


# SQLite's "database is locked" / "database table is locked"; PostgreSQL's serialisation
# failure, deadlock, lock timeout and a connection dropped under the pool.
_BUSY_TEXT = ("database is locked", "database table is locked", "database schema has changed")
_BUSY_PGCODES = {"40001", "40P01", "55P03", "57P01", "08006", "08003"}


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` is a transient conflict that the same operation may retry."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in _BUSY_PGCODES:
        return True
    return any(text in str(orig).lower() for text in _BUSY_TEXT)


def retry_busy(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` again when the database is busy (up to :data:`BUSY_ATTEMPTS` in all).

    Every write under it is idempotent (natural keys, ON CONFLICT DO NOTHING, conditional
    updates) or rolled back whole, so a repeat never duplicates a row. A database error that is
    cannot be reached, or one that outlasts the retries, becomes a one-line
    :class:`StorageError`. Constraint violations (IntegrityError) and SQL errors are bugs of the
    caller, not states of the database, and pass through unchanged.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if is_busy(exc) and attempt < BUSY_ATTEMPTS:
                    time.sleep(BUSY_PAUSE_S * attempt * (0.5 + random.random()))
                    continue
                if is_busy(exc) or isinstance(exc, OperationalError | InterfaceError):
                    raise _storage_error(exc, attempt) from exc
                # A constraint or SQL error is a caller's bug, not the database's state.
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _storage_error(exc: DBAPIError, attempts: int) -> StorageError:
    if is_busy(exc):
        return StorageError(
            f"the database stayed busy through {attempts} attempts; wait a moment and try again"
        )
    first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
    return StorageError(f"the database refused the operation ({first[:200]})")


_SCHEMA_LOCK = threading.Lock()
_SCHEMA_READY: set[str] = set()


def create_schema(engine: Engine, metadata: sa.MetaData) -> None:
    """Create the missing tables once per process and database (later calls return at once).

    Several processes may start on one new database together: a lost race to create a table
    (SQLite busy, or PostgreSQL's duplicate type) is retried, and the retry finds the tables.
    """
    key = engine.url.render_as_string(hide_password=False)
    if key in _SCHEMA_READY:
        return
    with _SCHEMA_LOCK:
        if key in _SCHEMA_READY:
            return
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                metadata.create_all(engine)
                break
            except DBAPIError as exc:
                if attempt == BUSY_ATTEMPTS:
                    raise _storage_error(exc, attempt) from exc
                time.sleep(BUSY_PAUSE_S * attempt * (0.5 + random.random()))
        if engine.url.database not in (None, "", ":memory:"):
            _SCHEMA_READY.add(key)


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


def make_memory_engine() -> Engine:
    """A private in-memory SQLite database that every thread of this process shares.

    For throwaway work that must leave no trace (the study admin's preview of the participant
    view); the data disappear with the engine.
    """
    from sqlalchemy.pool import StaticPool

    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
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


def insert_many_ignore(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """:func:`insert_ignore` for many rows in one statement (rows under a taken key are skipped)."""
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(index_elements=keys), rows)
