"""The leads' alerts channel: when it may carry an alert about a concern.

A privacy rule, so it lives here and not in a handler: the channel must be private, not archived,
and hold no one but the programme's leads (and the app itself). Slack's facts about the channel
come from the gateway (:meth:`bot.slack_gateway.SlackGateway.channel_facts`).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from bot.errors import Problem


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



# Slack's answers that mean the app cannot see or post in the channel: it was never invited (a
# private channel the bot is not in is ``channel_not_found`` to it), removed, or the channel is gone.
NOT_INVITED_ERRORS = frozenset({"channel_not_found", "not_in_channel"})
UNUSABLE_ERRORS = NOT_INVITED_ERRORS | frozenset({"is_archived", "restricted_action", "channel_is_archived"})


def refusal(facts: ChannelFacts, allowed: Set[str]) -> Problem | None:
    """Why this channel may not carry leads' alerts, or None when it may.

    Checked when the programme's settings are saved: private, not archived, the app invited (it
    could read the facts at all) and nobody in it but the programme's leads and the app.
    """
    if not facts.is_private:
        return Problem("programmes.alerts_channel_not_private")
    if facts.is_archived:
        return Problem("programmes.alerts_channel_archived")
    others = outsiders(facts, allowed)
    if others:
        return Problem("programmes.alerts_channel_not_only_leads", people=", ".join(f"<@{u}>" for u in others[:10]))
    return None


def refusal_for_error(slack_error: str) -> Problem:
    """What to tell the lead when Slack would not describe the channel (``slack_error`` is Slack's code)."""
    if slack_error in NOT_INVITED_ERRORS:
        return Problem("programmes.alerts_channel_not_invited")
    return Problem("programmes.alerts_channel_unchecked")


def outsiders(facts: ChannelFacts, allowed: Set[str]) -> list[str]:
    """Members who are neither leads nor the app, sorted."""
    return sorted(facts.member_ids - {facts.bot_user_id} - set(allowed))
