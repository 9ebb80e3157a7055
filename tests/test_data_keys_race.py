"""Two first saves of one person's text at the same moment must not fail at the data key's unique
constraint: the second unit of work takes the key the first one stored (bot/data_keys.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import data_keys
from bot.db import Database
from bot.models import DataKey


def test_a_key_stored_meanwhile_by_another_unit_of_work_is_taken_not_duplicated(db: Database) -> None:
    owner = (data_keys.programme_scope(424242), data_keys.person("URACE0001"))
    with db.session() as first:
        first_id, _ = data_keys.key_for(first, owner)
    # The second unit of work looked before the first committed, found nothing, and now stores its own.
    with db.session() as second:
        taken = data_keys._insert_or_take_theirs(second, owner)
        assert taken.id == first_id
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(DataKey).where(DataKey.scope == owner[0]))
        assert count == 1


def test_a_key_made_for_the_first_time_is_stored_and_readable(db: Database) -> None:
    owner = (data_keys.programme_scope(434343), data_keys.person("URACE0002"))
    with db.session() as session:
        key_id, fernet = data_keys.key_for(session, owner)
        token = fernet.encrypt(b"words")
    with db.session() as session:
        again_id, again = data_keys.key_for(session, owner)
        assert again_id == key_id and again.decrypt(token) == b"words"
