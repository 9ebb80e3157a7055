"""The pair journey's timed messages, rendered from the database when they are sent.

Every renderer re-reads the pair: a pair that was declined, paused or ended before its message
went out gets nothing (the row is skipped, with the reason recorded).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.blockkit import Block
from bot.clock import as_utc, now
from bot.content import Content
from bot.journey import service as journey
from bot.journey.blocks import (
    agenda_request_message,
    agreed_contract_message,
    contract_prompts_message,
    contract_review_message,
    introduction_message,
    role_briefing_message,
)
from bot.journey.service import PairPeople
from bot.models import OutboxMessage
from bot.outbox import Kind, Rendered, Skip


def _active_pair(session: Session, row: OutboxMessage) -> PairPeople | Skip:
    people = journey.load_pair(session, int(row.payload["pair_id"]))
    if people is None:
        return Skip("the pair no longer exists")
    if people.pair.status != "active":
        return Skip(f"the pair is {people.pair.status}")
    return people


def _to_pair(people: PairPeople, text: str, blocks: list[Block], *, pin: bool = False) -> Rendered:
    """Into the pair's group DM: the known channel, or open it with both of them."""
    if people.pair.group_dm_channel_id:
        return Rendered(text=text, blocks=blocks, channel=people.pair.group_dm_channel_id, pin=pin)
    return Rendered(text=text, blocks=blocks, group_user_ids=people.user_ids, pin=pin)


def render_introduction(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    # Always a fresh group DM opened with both people (not a cached channel): it is the first message.
    text, blocks = introduction_message(content, people)
    return Rendered(text=text, blocks=blocks, group_user_ids=people.user_ids)


def introduction_sent(session: Session, row: OutboxMessage, slack_ts: str | None) -> None:
    journey.record_introduction_sent(session, int(row.payload["pair_id"]), row.channel_id)


def render_role_briefing(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    user_id = row.recipient_user_id or ""
    if user_id not in people.user_ids:
        return Skip("the recipient is no longer in this pair")
    text, blocks = role_briefing_message(content, people, people.role_of(user_id))
    return Rendered(text=text, blocks=blocks, user_id=user_id)


def render_contract_prompt(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    if journey.contract_status_in(session, people.pair_id).agreed:
        return Skip("the pair has already agreed a contract")
    text, blocks = contract_prompts_message(content, people.pair_id)
    return _to_pair(people, text, blocks)


def render_contract_review(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    status = journey.contract_status_in(session, people.pair_id)
    text, blocks = contract_review_message(content, people, status.agreed)
    return _to_pair(people, text, blocks)


def render_agreed_contract(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    agreed = journey.agreed_contract(session, people.pair_id, int(row.payload["version"]))
    if agreed is None:
        return Skip("the contract changed again before this version was posted")
    _, terms, agreed_at = agreed
    text, blocks = agreed_contract_message(content, people, terms, agreed_at)
    return _to_pair(people, text, blocks, pin=True)


def agreed_contract_sent(session: Session, row: OutboxMessage, slack_ts: str | None) -> None:
    journey.record_contract_pinned(
        session, int(row.payload["pair_id"]), int(row.payload["version"]), row.channel_id, slack_ts
    )


def render_agenda_request(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = _active_pair(session, row)
    if isinstance(people, Skip):
        return people
    raw_session = row.payload.get("session_id")
    session_id = int(raw_session) if raw_session is not None else None
    starts_at = None
    if session_id is not None:
        starts_at = journey.session_starts_at(session, session_id, people.pair_id)
        if starts_at is None:
            return Skip("the session is no longer booked")
        if as_utc(starts_at) <= now():
            return Skip("the session has started: too late to ask for its agenda")
        if journey.agenda_exists_for_session(session, people.pair_id, session_id):
            return Skip("the mentee has already set this session's agenda")
    text, blocks = agenda_request_message(content, people, session_id=session_id, starts_at=starts_at)
    return Rendered(text=text, blocks=blocks, user_id=people.mentee.user_id)


# An introduction, a briefing or a contract is worth sending however late; a prompt for a
# session's agenda is not once the session is near or past.


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    journey.INTRODUCTION: Kind(render_introduction, on_sent=introduction_sent),
    journey.ROLE_BRIEFING: Kind(render_role_briefing),
    journey.CONTRACT_PROMPT: Kind(render_contract_prompt),
    journey.CONTRACT_REVIEW: Kind(render_contract_review, skip_if_later_than=timedelta(days=14)),
    journey.CONTRACT_AGREED: Kind(render_agreed_contract, on_sent=agreed_contract_sent),
    journey.AGENDA_REQUEST: Kind(render_agenda_request, skip_if_later_than=timedelta(days=2)),
}
