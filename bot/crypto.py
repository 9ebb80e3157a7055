"""Encryption at rest for sensitive text (reflections, concerns, off-limits topics, contracts).

Keys come from ``ENCRYPTION_KEYS`` (newest first). ``MultiFernet`` decrypts with any key and
encrypts with the newest, so rotation is: put a new key first, run ``python -m bot reencrypt``,
then drop the old key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class EncryptionNotConfigured(RuntimeError):
    pass


class Encryptor:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise EncryptionNotConfigured("ENCRYPTION_KEYS is empty: sensitive text cannot be stored")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._digest_keys = [b"subject:" + key.encode("ascii") for key in keys]

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise EncryptionNotConfigured(
                "a stored value cannot be decrypted with any key in ENCRYPTION_KEYS"
            ) from None

    def subject_digests(self, subject: str) -> list[str]:
        """Keyed hashes of an identifier (a Slack id), newest key first: the first is the one to store.

        Used where the app must recognise a person again without keeping their id (someone who asked
        for their data to be deleted): without the app's keys the digest does not lead back to them.
        """
        return [hmac.new(key, subject.encode("utf-8"), hashlib.sha256).hexdigest() for key in self._digest_keys]

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the newest key (decrypting with whichever key made it)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


_encryptor: Encryptor | None = None


def configure(keys: Sequence[str]) -> Encryptor:
    """Set the process-wide keys used by :class:`EncryptedText` columns."""
    global _encryptor
    _encryptor = Encryptor(keys)
    return _encryptor


def encryptor() -> Encryptor:
    if _encryptor is None:
        raise EncryptionNotConfigured("encryption keys were not configured before using the database")
    return _encryptor


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token: what is in the database is never the plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encryptor().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encryptor().decrypt(str(value))
