"""Errors services raise for people: a code, and the values its words need.

A service raises a dotted code, never English::

    raise NotFound("programmes.not_found")
    raise NotAllowed("closeout.already_closed", programme=programme.name)
    raise FieldErrors.on("time", "sessions.time_passed")
    raise FieldErrors({"note": Problem("concerns.note_too_long", max=NOTE_MAX)})

The words live in ``content/errors.yml`` (keyed by code, with the placeholders each text uses),
so copy can be reworded or translated without touching code, and tests assert the code
(``error.code``, ``error.codes``) rather than the English. ``str(error)`` and
``FieldErrors.errors`` still render the words, from the default content; ``error.text(content)``
and ``error.texts(content)`` render them from a programme's own content.

A text that is not a code (``NotAllowed("Only leads can do that.")``) is taken as words already
written; its ``code`` is ``None``. Handlers use that to wrap one error's words under a form field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.content import Content

__all__ = ["CODE_PATTERN", "FieldErrors", "NotAllowed", "NotFound", "Problem", "ServiceError", "error_text", "is_code"]

log = logging.getLogger(__name__)

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
"""A code: lower-case names joined by dots, the first naming the feature (``concerns.not_visible``)."""


def is_code(text: str) -> bool:
    return bool(CODE_PATTERN.match(text))


def _default_content() -> Content:
    from bot.content import load_content

    return load_content()


def error_text(code: str, content: Content | None = None, /, **params: object) -> str:
    """The words for ``code`` with its placeholders filled, from ``content`` (default: the
    default content). Raises ``KeyError`` for an unknown code or a missing placeholder value."""
    return (content or _default_content()).error_text(code, **params)


class Problem:
    """One thing wrong: a code and the values its text needs (or, from a handler, words)."""

    __slots__ = ("_words", "code", "params")

    def __init__(self, code: str, /, **params: object) -> None:
        if is_code(code):
            self.code: str | None = code
            self._words: str | None = None
        else:
            self.code = None
            self._words = code
        self.params: dict[str, object] = params

    def text(self, content: Content | None = None) -> str:
        """The words, from ``content`` (default: the default content)."""
        if self.code is None:
            return self._words or ""
        try:
            return error_text(self.code, content, **self.params)
        except (KeyError, IndexError, ValueError):
            # A code or placeholder missing from the content (tests/test_error_codes.py guards
            # against it). Say something rather than fail while answering the person.
            log.error("no usable text for error code %s with params %s", self.code, sorted(self.params))
            return (content or _default_content()).message("error_generic")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.code, self._words, self.params) == (other.code, other._words, other.params)

    def __hash__(self) -> int:
        return hash((self.code, self._words))

    def __repr__(self) -> str:
        params = "".join(f", {name}={value!r}" for name, value in self.params.items())
        return f"Problem({self.code or self._words!r}{params})"


class ServiceError(Exception):
    """A refusal with a code; ``str(error)`` is its words."""

    def __init__(self, code: str, /, **params: object) -> None:
        super().__init__(code)
        self.problem = Problem(code, **params)

    @property
    def code(self) -> str | None:
        return self.problem.code

    @property
    def params(self) -> dict[str, object]:
        return self.problem.params

    def text(self, content: Content | None = None) -> str:
        return self.problem.text(content)

    def __str__(self) -> str:
        return self.text()


class NotAllowed(ServiceError):
    """The person may not do this; the words say why, plainly."""


class NotFound(ServiceError):
    """What the person asked about does not exist (or they cannot see it)."""


class FieldErrors(Exception):
    """Invalid form input: a problem per field name (handlers map fields to modal blocks).

    Values are :class:`Problem` objects, or words already written (from a handler).
    """

    def __init__(self, problems: Mapping[str, Problem | str]) -> None:
        self.problems: dict[str, Problem] = {
            field: problem if isinstance(problem, Problem) else Problem(problem) for field, problem in problems.items()
        }
        super().__init__(", ".join(f"{field}: {p.code or 'text'}" for field, p in self.problems.items()))

    @classmethod
    def on(cls, field: str, code: str, /, **params: object) -> FieldErrors:
        """One field's problem: ``FieldErrors.on("time", "sessions.time_passed")``."""
        return cls({field: Problem(code, **params)})

    @property
    def codes(self) -> dict[str, str | None]:
        """Field name -> code."""
        return {field: problem.code for field, problem in self.problems.items()}

    @property
    def params(self) -> dict[str, dict[str, object]]:
        """Field name -> the values its text needs."""
        return {field: problem.params for field, problem in self.problems.items()}

    def texts(self, content: Content | None = None) -> dict[str, str]:
        """Field name -> words, from ``content`` (default: the default content)."""
        return {field: problem.text(content) for field, problem in self.problems.items()}

    @property
    def errors(self) -> dict[str, str]:
        """Field name -> words, from the default content (what a modal shows under each field)."""
        return self.texts()

    def __str__(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.errors.items())
