"""Migrations up and down on both databases, encryption at rest, and event de-duplication."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Integer, String, Table, Text, cast, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot import crypto
from bot.crypto import EncryptedText, EncryptionNotConfigured
from bot.db import Database, SchemaOutOfDate
from bot.events import first_delivery
from bot.models import Base
from bot.reencrypt import reencrypt_all


@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_migrations_go_up_and_down(empty_database: Database) -> None:
    db = empty_database
    assert db.current_revision() is None
    assert not db.is_up_to_date()
    with pytest.raises(SchemaOutOfDate, match="python -m bot migrate"):
        db.ensure_schema(auto_migrate=False)
    db.ensure_schema(auto_migrate=True)
    assert db.is_up_to_date()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    db.downgrade("base")
    assert db.current_revision() is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.migrate()
    assert db.is_up_to_date()


@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_models_match_migrations(empty_database: Database) -> None:
    """Autogenerate finds nothing to add: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    empty_database.migrate()
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_retried_event_is_processed_once(db: Database) -> None:
    assert first_delivery(db, "Ev1")
    assert not first_delivery(db, "Ev1")
    assert first_delivery(db, "Ev2")


class _TestBase(DeclarativeBase):
    pass


# A throw-away model to prove the encrypted column type on a real database.
class _Secret(_TestBase):
    __tablename__ = "test_secrets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(EncryptedText)


@pytest.fixture
def secrets_table(db: Database) -> Iterator[Table]:
    table = _Secret.__table__
    assert isinstance(table, Table)
    table.create(db.engine, checkfirst=True)
    yield table
    table.drop(db.engine)


def test_sensitive_text_is_encrypted_at_rest(db: Database, secrets_table: Table) -> None:
    marker = "MARKER-ÿ-こんにちは-" + "x" * 5000
    with db.session() as session:
        session.add(_Secret(id=1, label="a", body=marker))
    with db.session() as session:
        assert session.get(_Secret, 1).body == marker  # type: ignore[union-attr]
        raw = session.execute(select(cast(secrets_table.c.body, Text))).scalar_one()
    assert "MARKER" not in raw and raw.startswith("gAAAA")


def test_rotation_reencrypts_with_the_newest_key(db: Database, secrets_table: Table) -> None:
    old_key = crypto.generate_key()
    crypto.configure([old_key])
    with db.session() as session:
        session.add_all([_Secret(id=1, label="a", body="first"), _Secret(id=2, label="b", body=None)])
    new_key = crypto.generate_key()
    crypto.configure([new_key, old_key])
    assert reencrypt_all(db, _TestBase.metadata) == 1
    crypto.configure([new_key])  # the old key is gone: the row must still read
    with db.session() as session:
        assert session.get(_Secret, 1).body == "first"  # type: ignore[union-attr]
    crypto.configure([crypto.generate_key()])
    with db.session() as session, pytest.raises(EncryptionNotConfigured):
        session.get(_Secret, 1)
