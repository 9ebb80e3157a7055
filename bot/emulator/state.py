"""Data kept by the emulator: users, conversations, messages, views, files and call records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ConversationKind = Literal["im", "mpim", "channel", "private"]
SeenKind = Literal["im", "mpim", "channel", "ephemeral"]


@dataclass
class User:
    """A workspace member (or the bot user itself)."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    tz: str = "Europe/London"
    title: str = ""
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    bot_id: str | None = None


@dataclass
class Message:
    """A message in a conversation, or an ephemeral message shown to one person."""

    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    pinned: bool = False
    edited: bool = False
    ephemeral_to: str | None = None  # recipient of an ephemeral message
    bot_id: str | None = None
    source: str = "api"  # "api", "response_url", "ack", "user"
    metadata: dict[str, Any] | None = None

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_to is not None


@dataclass
class Conversation:
    """A channel, private channel, IM (``D…``) or group DM (``G…``)."""

    id: str
    kind: ConversationKind
    name: str
    members: list[str]
    created: int
    creator: str = ""
    is_archived: bool = False
    messages: list[Message] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""


@dataclass
class View:
    """A modal or home view as Slack stores it."""

    id: str
    user_id: str
    data: dict[str, Any]  # the full view object returned by the API (includes state and hash)

    @property
    def type(self) -> str:
        return str(self.data.get("type"))

    @property
    def hash(self) -> str:
        return str(self.data.get("hash"))


@dataclass
class StoredFile:
    """A file uploaded through the files.getUploadURLExternal flow."""

    id: str
    name: str
    length: int
    title: str = ""
    content: bytes | None = None
    user: str = ""
    created: int = 0
    channels: list[str] = field(default_factory=list)
    completed: bool = False
    alt_txt: str | None = None
    snippet_type: str | None = None

    @property
    def bytes(self) -> bytes:
        return self.content or b""


@dataclass
class RecordedCall:
    """One Web API call as the emulator saw it."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    http_status: int
    at: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        err = self.response.get("error")
        return str(err) if err is not None else None


@dataclass
class Seen:
    """A message as one person sees it."""

    kind: SeenKind
    channel: str
    ts: str
    text: str  # the message text plus text flattened from its blocks
    blocks: list[dict[str, Any]]
    user: str  # author
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    message: Message | None = None

    def has_button(self, label: str) -> bool:
        from bot.emulator.simulated import find_button  # local import to avoid a cycle

        return find_button(self.blocks, label) is not None


@dataclass
class ResponseUrl:
    """A response_url issued for a slash command or an interaction."""

    token: str
    user_id: str
    channel_id: str
    issued_at: float
    message_ts: str | None = None  # the original message for interactions
    original_ephemeral: bool = False
    uses: int = 0


@dataclass
class Trigger:
    """A trigger_id handed out with an interaction."""

    id: str
    user_id: str
    issued_at: float  # wall clock (the app's, possibly frozen): only for the id's shape
    issued_real: float = 0.0  # real monotonic seconds: what expiry is measured against
    used: bool = False


@dataclass
class Problem:
    """Something the app did that real Slack would have shown the person as a failure.

    ``kind`` is ``"slow_answer"`` when the app took longer than Slack waits (3 seconds) to answer a
    request; ``detail`` says what the person saw.
    """

    kind: str
    user_id: str
    request: str  # "slash_command /mentoring join", "block_actions schedule", "view_submission join", ...
    elapsed: float
    detail: str
    transport: str = "http"

    def __str__(self) -> str:
        return f"{self.kind}: {self.request} took {self.elapsed:.2f}s ({self.transport}); {self.detail}"
