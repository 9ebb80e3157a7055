"""Encryption at rest for sensitive text (reflections, concerns, off-limits topics, contracts).

Keys come from ``ENCRYPTION_KEYS`` (newest first). ``MultiFernet`` decrypts with any key and
encrypts with the newest, so rotation is: put a new key first, run ``python -m bot reencrypt``,
then drop the old key.

**Per-person data keys.** A person's sensitive text is not encrypted with the app key itself but
with a data key of their own (one per person and programme or speed event, see
:mod:`bot.data_keys`), stored in ``data_keys`` wrapped by the app key. Such a token reads
``pk1.<key id>.<Fernet token>``. Deleting a person's data, or a programme's text by retention,
destroys their data keys, so every old copy of their text (the write-ahead log, dead tuples,
backups) can no longer be decrypted, not even with the app key. A value the ORM saves for a known
owner is a :class:`OwnedText` (made in a ``before_flush`` hook); a plain ``str`` bound by a Core
statement (an emptied column, ``"{}"``) is encrypted with the app key.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


PERSONAL_PREFIX = "pk1."
log = logging.getLogger(__name__)


def new_data_key() -> tuple[str, Fernet]:
    """A fresh per-person data key: (the key as text, to be wrapped and stored; its Fernet)."""
    key = Fernet.generate_key()
    return key.decode("ascii"), Fernet(key)


class OwnedText(str):
    """Text to be stored under one person's data key (``key_id``): equal to, and used as, a ``str``."""

    key_id: str
    fernet: Fernet

    def __new__(cls, text: str, key_id: str, fernet: Fernet) -> OwnedText:
        made = super().__new__(cls, text)
        made.key_id, made.fernet = key_id, fernet
        return made


KeyLoader = Callable[[str], "str | None"]  # key id -> the key as text, None when it was destroyed
# key id -> every wrapped key (still encrypted with the app key) of the same scope, by id
ScopeLoader = Callable[[str], "dict[str, str]"]
PREFETCH_AFTER = 8  # misses in one unit of work before the rest of a scope's keys are read at once


class KeyRing:
    """The data keys one unit of work has unwrapped: each is read from the database once.

    A unit of work that reads many people's text (a lead's report, matching) would read one key per
    person; after :data:`PREFETCH_AFTER` misses the ring reads the wrapped keys of the whole scope
    (the programme or event) in one query and unwraps each only when a value needs it.
    """

    def __init__(self, load: KeyLoader, load_scope: ScopeLoader | None = None) -> None:
        self._load, self._load_scope = load, load_scope
        self._keys: dict[str, Fernet | None] = {}
        self._wrapped: dict[str, str] = {}
        self.loads = 0

    def remember(self, key_id: str, fernet: Fernet) -> None:
        self._keys[key_id] = fernet

    def forget(self, key_ids: Sequence[str]) -> None:
        for key_id in key_ids:
            self._keys[key_id] = None
            self._wrapped.pop(key_id, None)

    def fernet(self, key_id: str) -> Fernet | None:
        if key_id not in self._keys:
            if key_id in self._wrapped:
                key: str | None = encryptor().decrypt(self._wrapped.pop(key_id))
            elif self._load_scope is not None and self.loads >= PREFETCH_AFTER:
                self.loads += 1
                self._wrapped.update({k: v for k, v in self._load_scope(key_id).items() if k not in self._keys})
                wrapped = self._wrapped.pop(key_id, None)
                key = encryptor().decrypt(wrapped) if wrapped else None
            else:
                self.loads += 1
                key = self._load(key_id)
            self._keys[key_id] = Fernet(key.encode("ascii")) if key else None
        return self._keys[key_id]


_keyring: contextvars.ContextVar[KeyRing | None] = contextvars.ContextVar("keyring", default=None)


@contextmanager
def keyring_scope(load: KeyLoader, load_scope: ScopeLoader | None = None) -> Iterator[KeyRing]:
    """Decrypt per-person tokens read inside this block with keys from ``load`` (cached for the block)."""
    ring = KeyRing(load, load_scope)
    token = _keyring.set(ring)
    try:
        yield ring
    finally:
        _keyring.reset(token)


def current_keyring() -> KeyRing | None:
    return _keyring.get()


def decrypt_personal(token: str) -> str:
    """A ``pk1.`` token's text, or ``""`` when its data key was destroyed (the data was deleted)."""
    _, key_id, inner = token.split(".", 2)
    ring = current_keyring()
    if ring is None:
        raise EncryptionNotConfigured("a per-person value was read outside a unit of work (Database.session)")
    fernet = ring.fernet(key_id)
    if fernet is None:
        log.debug("A value whose data key was destroyed was read; it is gone")
        return ""
    try:
        return fernet.decrypt(inner.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise EncryptionNotConfigured("a stored value does not match its data key") from None


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token: what is in the database is never the plain text.

    An :class:`OwnedText` is encrypted with its owner's data key; any other ``str`` with the app key.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, OwnedText):
            inner = value.fernet.encrypt(value.encode("utf-8")).decode("ascii")
            return f"{PERSONAL_PREFIX}{value.key_id}.{inner}"
        return encryptor().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        token = str(value)
        if token.startswith(PERSONAL_PREFIX):
            return decrypt_personal(token)
        return encryptor().decrypt(token)
