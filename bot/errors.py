"""Errors services raise for people, in words people can act on."""

from __future__ import annotations


class FieldErrors(Exception):
    """Invalid form input: a message per field name (handlers map fields to modal blocks)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class NotAllowed(Exception):
    """The person may not do this; the message says why, plainly."""


class NotFound(Exception):
    """What the person asked about does not exist (or they cannot see it)."""
