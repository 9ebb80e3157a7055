"""Logging: one format, the level from settings, and tokens never written out."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"xox[abposer]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


class RedactTokens(logging.Filter):
    """Belt and braces: blank out anything shaped like a Slack token before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("xox?-[redacted]", message)
            record.args = None
        return True


def configure_logging(level: int) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Slack libraries log request and response bodies at DEBUG: those can hold sensitive text.
    for name in ("slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
