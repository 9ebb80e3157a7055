"""The leads' alerts channel: when it may carry an alert about a concern.

A privacy rule, so it lives here and not in a handler: the channel must be private, not archived,
and hold no one but the programme's leads (and the app itself). Slack's facts about the channel
come from the gateway (:meth:`bot.slack_gateway.SlackGateway.channel_facts`).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelFacts:
    id: str
    is_private: bool
    is_archived: bool
    member_ids: frozenset[str]
    bot_user_id: str


def holds_only(facts: ChannelFacts, allowed: Set[str]) -> bool:
    """True only if the channel is private, not archived, and holds no one but ``allowed`` (and the app)."""
    if not facts.is_private or facts.is_archived or not facts.member_ids:
        return False
    return facts.member_ids - {facts.bot_user_id} <= allowed
