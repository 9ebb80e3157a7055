"""``SlackEmulator``: a stateful, local fake of Slack's Web API (and Socket Mode) for tests and demos.

Point the real ``slack_sdk.WebClient(base_url=emu.api_url)`` at it. Nothing here ever talks
to slack.com. The class is assembled from focused parts:

=============================  =============================================================
``bot.emulator.core``          state, ids, serialisers, scope and membership helpers
``bot.emulator.methods.*``     the Web API, one family per module (users, conversations,
                               chat, views, pins, files, auth)
``bot.emulator.interactions``  trigger ids, response_urls, the client-side modal stack
``bot.emulator.fault_injection``  errors, 5xx, 429, latency, dropped connections, rate limits
``bot.emulator.query``         the setup and query API tests use (``add_user``, ``seen_by``…)
``bot.emulator.transport``     the HTTP server and request routing
``bot.emulator.socket_mode``   ``apps.connections.open`` and the Socket Mode WebSocket
=============================  =============================================================
"""

from __future__ import annotations

from bot.emulator.errors import EmulatorError, SlackApiError
from bot.emulator.fault_injection import FaultInjection
from bot.emulator.interactions import InteractionPlumbing
from bot.emulator.methods import (
    AuthMethods,
    ChatMethods,
    ConversationMethods,
    FileMethods,
    PinMethods,
    UserMethods,
)
from bot.emulator.query import TestApi
from bot.emulator.socket_mode import SocketMode
from bot.emulator.transport import HttpTransport
from bot.emulator.util import message_text

__all__ = ["EmulatorError", "SlackApiError", "SlackEmulator", "message_text"]


class SlackEmulator(
    TestApi,
    FaultInjection,
    InteractionPlumbing,  # includes the views.* methods
    AuthMethods,
    UserMethods,
    ConversationMethods,
    ChatMethods,
    PinMethods,
    FileMethods,
    SocketMode,
    HttpTransport,  # last: the URL handlers above override its stubs
):
    """A stateful fake of Slack's Web API served on ``127.0.0.1`` (ephemeral port).

    As strict as Slack: the bot token holds only the bot scopes of ``manifest.yml`` (``scopes=``
    overrides), the bot is only in channels it was put in (``add_channel(bot_member=True)``,
    ``invite_bot``, ``conversations.join``), trigger ids expire after 3 real seconds and rate limits
    are on (``enforce_rate_limits(False)`` or ``rate_limits=False`` switches them off).

    Thread-safe: one re-entrant lock guards all state. Usable as a context manager.
    """

    def _stopping(self) -> None:
        self._stop_socket_mode()
