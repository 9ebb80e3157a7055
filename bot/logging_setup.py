"""Logging: one format, the level from settings, and tokens never written out.

Tokens are blanked wherever they can ride along: the message and its arguments, the text of an
exception and its traceback (``exc_info`` / ``exc_text``), and ``stack_info``. The filter cleans the
record itself (so every handler that sees it gets the clean text); the formatter cleans the final
line once more, in case a formatter adds something of its own.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"xox[abposer]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
# Incoming webhooks and response URLs carry their secret in the path.
_HOOK = re.compile(r"(hooks\.slack\.com/)[^\s'\"<>]+")
_TRACEBACKS = logging.Formatter()


def redact(text: str) -> str:
    """``text`` with anything shaped like a Slack token or webhook secret blanked out."""
    return _HOOK.sub(r"\1[redacted]", _TOKEN.sub("xox?-[redacted]", text))


def _needs_redacting(text: str) -> bool:
    return bool(_TOKEN.search(text) or _HOOK.search(text))


class RedactTokens(logging.Filter):
    """Belt and braces: blank out anything shaped like a Slack token before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: logging reports that itself
            message = ""
        if _needs_redacting(message):
            record.msg = redact(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            # Render the traceback now, so the exception's text is cleaned before anyone writes it.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text and _needs_redacting(record.exc_text):
            record.exc_text = redact(record.exc_text)
        if record.stack_info and _needs_redacting(record.stack_info):
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, traceback, stack) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: object) -> str:
        return redact(super().formatException(ei))  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


def configure_logging(level: int) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Slack libraries log request and response bodies at DEBUG: those can hold sensitive text.
    for name in ("slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
