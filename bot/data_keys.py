"""Per-person data keys: deletion that deletes, on every database and in every old copy.

Each person's sensitive text (their profile's private fields, reflections, concerns, agenda items,
survey comments, speed-event answers) is encrypted with a data key of their own, one per person
and programme (or speed event); text two people share (a pair's contract) has the pair's key.
Keys are stored in ``data_keys`` wrapped by the app key (:mod:`bot.crypto`).

- **Saving.** A ``before_flush`` hook finds each new or changed encrypted value, works out whose it
  is (:data:`OWNERS`), creates that owner's key if needed and hands the value to the column as an
  :class:`~bot.crypto.OwnedText`, which the column encrypts with the data key.
- **Reading.** Every :meth:`bot.db.Database.session` opens a key ring: a ``pk1.`` token's key is
  read and unwrapped once per unit of work and then served from the ring.
- **Deleting.** :func:`destroy_keys_of_person` (delete-my-data) and :func:`destroy_keys_of_scope`
  (retention) delete the key rows. Without the key, the ciphertext left anywhere (SQLite's freed
  pages, PostgreSQL's dead tuples and write-ahead log, a backup) cannot be decrypted, not even
  with the app key.

Values written by Core statements (``update(...).values(terms="{}")``) have no owner and are
encrypted with the app key: only emptied placeholders are written that way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Text, cast, delete, event, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

from bot import crypto
from bot.clock import now
from bot.crypto import EncryptedText, OwnedText
from bot.models import Agenda as AgendaModel
from bot.models import (
    AgendaItem,
    AlertAction,
    Base,
    Concern,
    ConcernEvent,
    DataKey,
    Enrolment,
    Pair,
    PairContract,
    Reflection,
    SpeedEventFeedback,
    SpeedEventParticipant,
    SurveyResponse,
)

Owner = tuple[str, str]  # (scope, subject)


def person(user_id: str) -> str:
    """The subject of a person's keys: a keyed hash of their Slack id, never the id."""
    return crypto.encryptor().subject_digests(user_id)[0]


def programme_scope(programme_id: int) -> str:
    return f"programme:{programme_id}"


def event_scope(event_id: int) -> str:
    return f"event:{event_id}"


def _pair_programme(session: Session, pair_id: int) -> int | None:
    pair = session.get(Pair, pair_id)
    return pair.programme_id if pair else None


def _agenda_item_owner(session: Session, item: AgendaItem) -> Owner | None:
    agenda = item.agenda if item.agenda is not None else session.get(AgendaModel, item.agenda_id)
    if agenda is not None and agenda.pair_id is None:
        return None
    programme_id = _pair_programme(session, agenda.pair_id) if agenda else None
    return (programme_scope(programme_id), person(item.author_user_id)) if programme_id else None


def _concern_event_owner(session: Session, row: ConcernEvent) -> Owner | None:
    concern = session.get(Concern, row.concern_id) if row.concern_id else None
    return (programme_scope(concern.programme_id), person(concern.reporter_user_id)) if concern else None


def _contract_owner(session: Session, row: PairContract) -> Owner | None:
    programme_id = _pair_programme(session, row.pair_id) if row.pair_id else None
    return (programme_scope(programme_id), f"pair:{row.pair_id}") if programme_id else None


def _alert_owner(session: Session, row: AlertAction) -> Owner | None:
    who = row.addressee_user_id or row.actor_user_id
    return (programme_scope(row.programme_id), person(who)) if row.programme_id and who else None


def _in_programme(who: str) -> Callable[[Session, Any], Owner | None]:
    def owner(_session: Session, row: Any) -> Owner | None:
        user_id = getattr(row, who)
        return (programme_scope(row.programme_id), person(user_id)) if row.programme_id and user_id else None

    return owner


def _at_event(_session: Session, row: Any) -> Owner | None:
    return (event_scope(row.event_id), person(row.user_id)) if row.event_id and row.user_id else None


OWNERS: dict[type[Any], Callable[[Session, Any], Owner | None]] = {
    Enrolment: _in_programme("user_id"),
    Reflection: _in_programme("author_user_id"),
    Concern: _in_programme("reporter_user_id"),
    ConcernEvent: _concern_event_owner,
    AgendaItem: _agenda_item_owner,
    PairContract: _contract_owner,
    AlertAction: _alert_owner,
    SurveyResponse: _in_programme("user_id"),
    SpeedEventParticipant: _at_event,
    SpeedEventFeedback: _at_event,
}


def encrypted_columns(model: type[Any]) -> list[str]:
    return [c.key for c in model.__table__.columns if isinstance(c.type, EncryptedText)]


_COLUMNS = {model: encrypted_columns(model) for model in OWNERS}


def every_owned_model_is_listed() -> list[str]:
    """Tables with encrypted columns and no owner rule (only the key table itself may be one)."""
    return sorted(
        t.name
        for t in Base.metadata.sorted_tables
        if t.name != DataKey.__tablename__
        and any(isinstance(c.type, EncryptedText) for c in t.columns)
        and t.name not in {m.__tablename__ for m in OWNERS}
    )


class _Keys:
    """The keys one session has made or found, by owner."""

    def __init__(self) -> None:
        self.by_owner: dict[Owner, tuple[str, Any]] = {}


def _keys_of(session: Session) -> _Keys:
    keys = session.info.get("data_keys")
    if keys is None:
        keys = session.info["data_keys"] = _Keys()
    return keys


def key_for(session: Session, owner: Owner) -> tuple[str, Any]:
    """The (key id, Fernet) of an owner's data key, made now if they have none."""
    keys = _keys_of(session)
    found = keys.by_owner.get(owner)
    if found is not None:
        return found
    scope, subject = owner
    with session.no_autoflush:
        row = session.scalars(select(DataKey).where(DataKey.scope == scope, DataKey.subject == subject)).first()
        if row is None:
            row = _insert_or_take_theirs(session, owner)
    from cryptography.fernet import Fernet

    fernet = Fernet(row.wrapped.encode("ascii"))
    ring = crypto.current_keyring()
    if ring is not None:
        ring.remember(row.id, fernet)
    keys.by_owner[owner] = (row.id, fernet)
    return row.id, fernet


def _insert_or_take_theirs(session: Session, owner: Owner) -> DataKey:
    """Store a new key for ``owner``, unless another unit of work stored one first (two first saves
    of one person's text at once): then theirs is the key, so neither save fails."""
    scope, subject = owner
    text, _ = crypto.new_data_key()
    values = {"id": uuid.uuid4().hex, "scope": scope, "subject": subject, "wrapped": text, "created_at": now()}
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(DataKey).values(**values).on_conflict_do_nothing(index_elements=["scope", "subject"]))
    stored = session.scalars(select(DataKey).where(DataKey.scope == scope, DataKey.subject == subject)).one()
    return stored


def _changed(obj: Any, name: str, is_new: bool) -> bool:
    if is_new:
        return True
    return bool(attributes.get_history(obj, name).added)


def seal(session: Session, obj: Any, *, force: bool = False) -> int:
    """Hand an object's encrypted values to their owner's key; returns how many were sealed."""
    rule = OWNERS.get(type(obj))
    if rule is None:
        return 0
    is_new = obj in session.new
    pending = [
        name
        for name in _COLUMNS[type(obj)]
        if isinstance(getattr(obj, name), str)
        and not isinstance(getattr(obj, name), OwnedText)
        and (force or _changed(obj, name, is_new))
    ]
    if not pending:
        return 0
    owner = rule(session, obj)
    if owner is None:
        return 0
    key_id, fernet = key_for(session, owner)
    for name in pending:
        setattr(obj, name, OwnedText(getattr(obj, name), key_id, fernet))
        if force:
            attributes.flag_modified(obj, name)
    return len(pending)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        for obj in [*session.new, *session.dirty]:
            seal(session, obj)


def install(session_factory: Any) -> None:
    """Seal every session's new and changed values (called once per :class:`bot.db.Database`)."""
    event.listen(session_factory, "before_flush", _before_flush)


def loader_for(session: Session) -> crypto.KeyLoader:
    """Reads one wrapped key through the session's own connection (sees keys it just made)."""
    table = DataKey.__table__

    def load(key_id: str) -> str | None:
        row = session.connection().execute(select(table.c.wrapped).where(table.c.id == key_id)).first()
        return None if row is None else str(row[0])

    return load


def scope_loader_for(session: Session) -> crypto.ScopeLoader:
    """Reads every wrapped key of the scope ``key_id`` belongs to, still wrapped, in one query."""
    table = DataKey.__table__

    def load_scope(key_id: str) -> dict[str, str]:
        scope = select(table.c.scope).where(table.c.id == key_id).scalar_subquery()
        rows = session.connection().execute(
            select(table.c.id, cast(table.c.wrapped, Text)).where(table.c.scope == scope)
        )
        return {str(key): str(wrapped) for key, wrapped in rows}

    return load_scope


def _destroy(session: Session, condition: Any) -> int:
    ids = list(session.scalars(select(DataKey.id).where(condition)))
    if not ids:
        return 0
    session.execute(delete(DataKey).where(DataKey.id.in_(ids)))
    ring = crypto.current_keyring()
    if ring is not None:
        ring.forget(ids)
    keys = _keys_of(session)
    keys.by_owner = {o: k for o, k in keys.by_owner.items() if k[0] not in ids}
    return len(ids)


def destroy_keys_of_person(session: Session, user_id: str, pair_ids: Iterable[int] = ()) -> int:
    """Delete-my-data: every key of the person (any programme or event) and of their pairs' contracts."""
    subjects = [*crypto.encryptor().subject_digests(user_id), *(f"pair:{p}" for p in pair_ids)]
    return _destroy(session, DataKey.subject.in_(subjects))


def destroy_keys_of_scope(session: Session, scope: str) -> int:
    """Retention: every key of a programme or a speed event."""
    return _destroy(session, DataKey.scope == scope)


def personalise_all(session: Session) -> int:
    """Move values still under the app key (written before per-person keys) to their owner's key.

    Written with Core updates of the one column (never an ORM flush), so the append-only audit
    trail, whose trigger lets only a re-encryption of ``note`` through, can be moved too.
    """
    moved = 0
    prefix = literal(crypto.PERSONAL_PREFIX + "%", Text)
    for model, columns in _COLUMNS.items():
        table = model.__table__
        primary_key = list(table.primary_key.columns)
        for name in columns:
            column = table.c[name]
            legacy = (column.isnot(None), ~cast(column, Text).like(prefix))
            for obj in session.scalars(select(model).where(*legacy)).all():
                owner = OWNERS[model](session, obj)
                value = getattr(obj, name)
                if owner is None or not isinstance(value, str):
                    continue
                key_id, fernet = key_for(session, owner)
                session.flush()  # a new key is stored before anything is written under it
                token = EncryptedText().process_bind_param(OwnedText(value, key_id, fernet), session.get_bind().dialect)
                where = [c == getattr(obj, c.key) for c in primary_key]
                session.execute(update(table).where(*where).values({name: literal(token, Text)}))
                moved += 1
    return moved
