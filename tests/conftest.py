"""Shared fixtures: encryption keys, and a migrated database on SQLite and on PostgreSQL.

Tests that take ``db`` run once per database. PostgreSQL runs when ``TEST_DATABASE_URL`` points at
a server that answers (``make test`` sets it); otherwise those runs are skipped with the reason,
unless ``REQUIRE_POSTGRES=1`` (CI), where an unreachable server fails the run.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from bot import crypto
from bot.db import Database
from bot.emulator.core import LIVE_EMULATORS
from bot.local_slack import LocalSlack
from bot.models import Base
from tests.conformance import Coverage, check_call
from tests.words import Settings, Watch, WordsCoverage, problems_in, settings_from

TEST_KEY = crypto.generate_key()
# Fails a test when a simulated person met an answer Slack would have given up on (> 3 s).
pytest_plugins = ["bot.emulator.pytest_plugin"]

# Hypothesis: the same examples on every CI run (a red build can be re-run and stays red), fresh
# random ones on a developer's machine; no deadline on a shared CI machine. A test's own @settings wins.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)  # random examples, Hypothesis defaults
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(autouse=True)
def _encryption_keys() -> Iterator[str]:
    crypto.configure([TEST_KEY])
    yield TEST_KEY


def postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL (make test does)")
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc}")
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL does not answer: {type(exc).__name__}")
    return url


class PostgresSchema:
    """A private schema per test session, so parallel runs on one database never meet."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"test_{uuid.uuid4().hex[:12]}"
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))

    def database(self) -> Database:
        # The schema rides in the URL, so a subprocess given ``db.url`` (the CLI) lands in it too.
        separator = "&" if "?" in self.url else "?"
        return Database(f"{self.url}{separator}options=-csearch_path%3D{self.name}")

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._admin.dispose()


def make_database(kind: str, tmp_path: Path) -> tuple[Database, PostgresSchema | None]:
    if kind == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'test.db'}"), None
    schema = PostgresSchema(postgres_url_or_skip())
    return schema.database(), schema


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database migrated to head, shared by the tests of one session (per kind)."""
    crypto.configure([TEST_KEY])
    db, schema = make_database(request.param, tmp_path_factory.mktemp(request.param))
    db.migrate()
    yield db
    db.dispose()
    if schema:
        schema.drop()


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The shared database, emptied after each test."""
    yield database
    with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A brand-new, unmigrated database of the kind named by the test's ``db_kind`` parameter."""
    kind = getattr(request, "param", "sqlite")
    db, schema = make_database(kind, tmp_path)
    yield db
    db.dispose()
    if schema:
        schema.drop()


@pytest.fixture
def slack(db: Database) -> Iterator[LocalSlack]:
    """The real Bolt app over HTTP, talking to the local Slack emulator, on the test database."""
    world = LocalSlack(db).start(admins=[])
    yield world
    world.stop()


def raw_sqlite_bytes(path: str, suffixes: tuple[str, ...] = ("", "-wal", "-journal")) -> bytes:
    """The bytes of a live SQLite database's files, read by another process.

    Never open these files in this process: closing any descriptor to them drops every POSIX lock
    SQLite holds on them here, and the app's own connections then fail with "disk I/O error".
    """
    import subprocess
    import sys

    reader = (
        "import os, sys\n"
        "for name in sys.argv[1:]:\n"
        "    if os.path.exists(name):\n"
        "        sys.stdout.buffer.write(open(name, 'rb').read())\n"
    )
    names = [path + suffix for suffix in suffixes]
    return subprocess.run([sys.executable, "-c", reader, *names], capture_output=True, check=True).stdout


# --- Conformance: every Web API call a test makes is held against Slack's published spec -----------

CONFORMANCE = Coverage()
WORDS = WordsCoverage()


class ListenerFailures(logging.Handler):
    """Every listener that raised, as the app's error handler logs it (bot/app.py)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Unexpected error while handling"):
            kind = record.exc_info[1] if record.exc_info else None
            self.seen.append(f"{record.getMessage()}: {type(kind).__name__}: {kind}")


LISTENER_FAILURES = ListenerFailures()
logging.getLogger("bot.app").addHandler(LISTENER_FAILURES)


@pytest.fixture
def listener_failures() -> list[str]:
    """What the guard below has seen so far (for the test that proves the guard works)."""
    return LISTENER_FAILURES.seen


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After each test, check the calls it made (tests/conformance.py), the words it showed people
    (tests/words.py) and that no listener raised (before or after ``ack()``); a problem fails that test."""
    seen = {id(emulator): len(emulator.calls) for emulator in list(LIVE_EMULATORS)}
    refused = {id(emulator): emulator.rate_limiter.refused for emulator in list(LIVE_EMULATORS)}
    watches = [Watch(emulator) for emulator in list(LIVE_EMULATORS)]
    failures_before = len(LISTENER_FAILURES.seen)
    result = yield
    failed = LISTENER_FAILURES.seen[failures_before:]
    if failed and item.get_closest_marker("listener_errors_expected") is None:
        listed = "\n".join(f"  - {line}" for line in failed)
        pytest.fail(f"a listener raised (Slack would show an error, or nothing):\n{listed}", pytrace=False)
    problems: list[str] = []
    # The emulator's own tests send Slack bad calls on purpose, to see them refused.
    checked = "emulator" not in item.path.parts
    if item.get_closest_marker("nonconforming_on_purpose") is None and checked:
        for emulator in list(LIVE_EMULATORS):
            for call in emulator.calls[seen.get(id(emulator), 0):]:
                problems += check_call(call.method, call.args, CONFORMANCE)
                CONFORMANCE.rate_limited += call.error == "ratelimited"
            CONFORMANCE.by_limits += emulator.rate_limiter.refused - refused.get(id(emulator), 0)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in dict.fromkeys(problems))
        pytest.fail(f"calls real Slack would refuse or that break its documented rules:\n{listed}", pytrace=False)
    if checked and item.get_closest_marker("odd_words_on_purpose") is None:
        # Emulators a test started itself (after the fixtures ran) are read from their beginning.
        known = {id(watch.emulator) for watch in watches}
        watches += [Watch.fresh(emulator) for emulator in list(LIVE_EMULATORS) if id(emulator) not in known]
        funcargs = getattr(item, "funcargs", {})
        database = funcargs.get("db") or funcargs.get("database")
        settings = settings_from(database) if database is not None else Settings()
        words = problems_in(watches, settings)
        WORDS.shown += sum(1 for watch in watches for _ in watch.shown())
        if words:
            listed = "\n".join(f"  - {problem}" for problem in dict.fromkeys(map(str, words)))
            pytest.fail(f"words people would read that are wrong (tests/words.py):\n{listed}", pytrace=False)
    return result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nonconforming_on_purpose: the test sends Slack bad calls on purpose")
    config.addinivalue_line(
        "markers", "listener_errors_expected: the test makes a listener raise on purpose (to test the error handler)"
    )
    config.addinivalue_line("markers", "odd_words_on_purpose: the test shows people broken words on purpose")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CONFORMANCE.calls:
        terminalreporter.write_line(
            f"Slack conformance: {CONFORMANCE.calls} Web API calls ({len(CONFORMANCE.methods)} methods) and "
            f"{CONFORMANCE.payloads} Block Kit payloads checked against the published spec and manifest.yml; "
            f"{CONFORMANCE.rate_limited} answered 429 ({CONFORMANCE.by_limits} by Slack's rate limits, on in every "
            f"journey; the others injected)"
        )
    if WORDS.shown:
        terminalreporter.write_line(
            f"Words: {WORDS.shown} messages and views read for raw ids, internal keys, placeholders, "
            "doubled words and numbers that contradict their settings"
        )
