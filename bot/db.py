"""Database access: one engine per process, one session per unit of work.

Bolt runs listeners on worker threads, so nothing here hands a session across threads: every unit
of work opens its own with :meth:`Database.session` and commits or rolls back as it leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import crypto, data_keys

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Several workers may start at once on PostgreSQL: only one migrates at a time.
_MIGRATION_LOCK_ID = 72_1305_2026
# Slack gives a request 3 seconds. A unit of work that waits longer than this for a lock held by
# someone else (another process writing on SQLite, a table lock on PostgreSQL) gives up, so the app
# can still answer in time: "not saved yet, try again", with the person's form and words kept.
LOCK_TIMEOUT_SECONDS = 2.0
STATEMENT_TIMEOUT_SECONDS = 2.5  # PostgreSQL: no single statement may run longer


class SchemaOutOfDate(RuntimeError):
    pass


def make_engine(
    url: str,
    *,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
    **kwargs: Any,
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": lock_timeout}, hide_parameters=True, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # First, so the rest waits (briefly) instead of failing at once.
            cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        if database and database != ":memory:":
            # WAL lets readers and a writer work at once. It is a property of the database file, so it
            # is set once here: switching it on every new pooled connection races other writers.
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _postgres_timeouts(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
        cursor.execute(f"SET statement_timeout = {int(statement_timeout * 1000)}")
        cursor.close()
        dbapi_connection.commit()

    return engine


class Database:
    def __init__(
        self,
        url: str,
        *,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
        statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.lock_timeout, self.statement_timeout = lock_timeout, statement_timeout
        self.engine = make_engine(url, lock_timeout=lock_timeout, statement_timeout=statement_timeout, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        data_keys.install(self._sessions)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error, always closes."""
        session = self._sessions()
        # Per-person data keys read in this unit of work are unwrapped once (bot/data_keys.py).
        with crypto.keyring_scope(data_keys.loader_for(session), data_keys.scope_loader_for(session)):
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    # --- migrations -------------------------------------------------------------------------

    # Alembic is imported where it is used: a serving process needs it once, at start.
    def _alembic_config(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def is_up_to_date(self) -> bool:
        return self.current_revision() == self.head_revision()

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema (serialised across processes on PostgreSQL)."""
        from alembic import command

        self._run_locked(lambda config, connection: command.upgrade(config, revision))

    def downgrade(self, revision: str) -> None:
        from alembic import command

        self._run_locked(lambda config, connection: command.downgrade(config, revision))

    def _run_locked(self, action: Any) -> None:
        config = self._alembic_config()
        with self.engine.connect() as connection:
            if self.is_postgresql:
                # Migrations may wait for a lock and take their time; requests may not.
                connection.execute(text("SET lock_timeout = 0"))
                connection.execute(text("SET statement_timeout = 0"))
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                connection.commit()
            try:
                config.attributes["connection"] = connection
                action(config, connection)
                connection.commit()
            finally:
                if self.is_postgresql:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
                    connection.execute(text(f"SET lock_timeout = {int(self.lock_timeout * 1000)}"))
                    connection.execute(text(f"SET statement_timeout = {int(self.statement_timeout * 1000)}"))
                    connection.commit()

    def ensure_schema(self, auto_migrate: bool) -> None:
        """Migrate (AUTO_MIGRATE=true, the default) or refuse to start on an out-of-date schema."""
        if auto_migrate:
            self.migrate()
            return
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"the database schema is at {current or 'nothing'} but the code needs {head}: "
                "run `python -m bot migrate` (or set AUTO_MIGRATE=true)"
            )

    def dispose(self) -> None:
        self.engine.dispose()
