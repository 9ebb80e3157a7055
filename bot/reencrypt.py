"""Key rotation: re-encrypt every encrypted column with the newest key.

Per-person tokens (``pk1.``) are not touched: their data keys, stored wrapped by the app key in
``data_keys``, are what the rotation re-wraps, so a rotation never needs a person's text.
:func:`personalise_all` moves values written before per-person keys (migration 0016) from the
app key to their owner's data key; ``python -m bot reencrypt`` runs both.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Text, cast, literal, select, update

from bot import data_keys
from bot.crypto import PERSONAL_PREFIX, EncryptedText, encryptor
from bot.db import Database
from bot.models import Base


def reencrypt_all(db: Database, metadata: MetaData = Base.metadata) -> int:
    """Rewrite each stored token with the newest key; returns how many values changed.

    Reads and writes the stored tokens as plain ``Text`` (never decrypting into Python objects),
    so the rotation works row by row without the model classes.
    """
    count = 0
    fernet = encryptor()
    for table in metadata.sorted_tables:
        primary_key = list(table.primary_key.columns)
        for column in (c for c in table.columns if isinstance(c.type, EncryptedText)):
            with db.session() as session:
                rows = session.execute(select(*primary_key, cast(column, Text)).where(column.isnot(None))).all()
                for *key_values, token in rows:
                    if token.startswith(PERSONAL_PREFIX):
                        continue  # under a data key: its wrapped key (data_keys.wrapped) is rotated instead
                    rotated = fernet.rotate(token)
                    if rotated == token:
                        continue
                    matches = [key == value for key, value in zip(primary_key, key_values, strict=True)]
                    session.execute(update(table).where(*matches).values({column.name: literal(rotated, Text)}))
                    count += 1
    return count


def personalise_all(db: Database) -> int:
    """Re-encrypt every value still under the app key with its owner's data key; returns how many moved."""
    with db.session() as session:
        return data_keys.personalise_all(session)
