"""What a running process holds: settings, database, Slack gateway and content, built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot import crypto
from bot.content import Content, load_content
from bot.db import Database
from bot.outbox import Kind
from bot.registry import OUTBOX_KINDS
from bot.settings import Settings
from bot.slack_gateway import SlackGateway


@dataclass
class Runtime:
    settings: Settings
    db: Database
    gateway: SlackGateway
    content: Content
    kinds: Mapping[str, Kind] = field(default_factory=lambda: OUTBOX_KINDS)

    @classmethod
    def build(cls, settings: Settings, *, db: Database | None = None) -> Runtime:
        crypto.configure(settings.keys)
        database = db or Database(settings.database_url)
        database.ensure_schema(settings.auto_migrate)
        gateway = SlackGateway.connect(settings.bot_token, settings.slack_api_url)
        return cls(settings=settings, db=database, gateway=gateway, content=load_content().with_settings(settings))
