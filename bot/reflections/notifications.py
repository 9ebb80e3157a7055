"""Reflection messages sent through the outbox, rendered from the database at send time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content import Content
from bot.errors import NotFound
from bot.models import Enrolment, MentoringSession, OutboxMessage, Pair, Reflection
from bot.outbox import Kind, Rendered, Skip
from bot.reflections import service as reflections
from bot.reflections.blocks import prompt_message, shared_takeaways_message


def _render_prompt(session: Session, row: OutboxMessage, content: Content, *, reminder: bool) -> Rendered | Skip:
    session_id = int(row.payload.get("session_id") or 0)
    user_id = str(row.payload.get("user_id") or row.recipient_user_id or "")
    held = session.get(MentoringSession, session_id)
    if held is None or held.status != "held":
        return Skip("the session is no longer counted as held")
    pair = session.get(Pair, held.pair_id)
    if pair is None or pair.status != "active":
        return Skip("the pair is no longer active")
    if reflections.has_reflected(session, session_id, user_id):
        return Skip("already reflected")
    try:
        target = reflections.target_in_session(session, held, user_id)
    except NotFound:
        return Skip("the person is no longer in this pair")
    min_group = content.setting("min_group_size")  # the runtime's setting
    text, blocks = prompt_message(content, target, min_group=min_group, reminder=reminder)
    return Rendered(text=text, blocks=blocks, user_id=user_id)


def render_prompt(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render_prompt(session, row, content, reminder=False)


def render_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render_prompt(session, row, content, reminder=True)


def render_shared(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    reflection = session.get(Reflection, int(row.payload.get("reflection_id") or 0))
    if reflection is None or not reflection.share_takeaways:
        return Skip("the reflection was deleted or is no longer shared")
    pair = session.get(Pair, reflection.pair_id)
    if pair is None:
        return Skip("the pair no longer exists")
    author = session.scalar(
        select(Enrolment.real_name).where(
            Enrolment.programme_id == pair.programme_id, Enrolment.user_id == reflection.author_user_id
        )
    )
    text, blocks = shared_takeaways_message(content, author or "Your partner", reflection.takeaways)
    if pair.group_dm_channel_id:
        return Rendered(text=text, blocks=blocks, channel=pair.group_dm_channel_id)
    return Rendered(text=text, blocks=blocks, group_user_ids=(pair.mentor_user_id, pair.mentee_user_id))


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    reflections.PROMPT_KIND: Kind(render_prompt),
    reflections.REMINDER_KIND: Kind(render_reminder, skip_if_later_than=timedelta(days=2)),
    reflections.SHARED_KIND: Kind(render_shared),
}
