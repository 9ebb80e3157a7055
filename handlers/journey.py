"""The pair's journey in Slack: icebreakers, guides, the contract and agendas.

Introductions and role briefings are timed messages (see bot.journey.notifications); what is here
answers people's commands, clicks and forms. Every button carries only an id, and the service
checks the clicker belongs to that pair, so a replayed or forged click changes nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, Respond

from bot import submissions
from bot.blockkit import Block, escape
from bot.blockkit.forms import metadata, read_values, text_value
from bot.clock import now
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.journey import service as journey
from bot.journey.blocks import (
    ADD_TO_AGENDA,
    AGENDA_ADDITION_FORM,
    AGENDA_FORM,
    AGREE_CONTRACT,
    ANOTHER_ICEBREAKER,
    CONTRACT_FORM,
    DEPTH_ICEBREAKER,
    EDIT_CONTRACT,
    OPEN_AGENDA,
    OPEN_CONTRACT,
    READ_MY_GUIDE,
    SHOW_ICEBREAKER,
    START_CONTRACTING,
    agenda_addition_form,
    agenda_form,
    agenda_message,
    contract_form,
    contract_half_agreed_message,
    contract_prompts_message,
    contract_saved_message,
    contract_view,
    guide_message,
    icebreaker_message,
    superseded_contract_message,
)
from bot.journey.service import AgendaView, PairPeople
from bot.runtime import Runtime
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    refusal_text,
)

log = logging.getLogger(__name__)

NOT_MATCHED = "You don't have a partner yet. Once your programme lead has matched you, this is where {what}."
REFUSALS = (NotAllowed, NotFound, ValueError)
ICEBREAKER_BUTTONS = re.compile(f"^({SHOW_ICEBREAKER}|{ANOTHER_ICEBREAKER}|{'|'.join(DEPTH_ICEBREAKER.values())})$")
DEPTH_OF_ACTION = {action_id: depth for depth, action_id in DEPTH_ICEBREAKER.items()}


def id_from(value: str, position: int = 0) -> int:
    """The number at ``position`` in a button value such as ``"12"`` or ``"12:3"`` (ValueError if none)."""
    return int(value.split(":")[position])


def answer_refusal(runtime: Runtime, body: dict[str, Any], respond: Respond, error: Exception) -> None:
    """A refused click, answered only to the clicker (a malformed value says no more than a stranger's)."""
    answer_privately(runtime, body, respond, refusal_text(error, journey.NOT_A_MEMBER))


# ------------------------------------------------------------------------ the pair's conversation


def pair_channel(runtime: Runtime, people: PairPeople) -> str:
    """The pair's group DM: recorded when the introduction opened it, or opened now."""
    if people.pair.group_dm_channel_id:
        return people.pair.group_dm_channel_id
    channel = runtime.gateway.open_group_dm(list(people.user_ids))
    journey.record_group_dm(runtime.db, people.pair_id, channel)
    return channel


def post_to_pair(runtime: Runtime, people: PairPeople, text: str, blocks: list[Block]) -> tuple[str, str]:
    channel = pair_channel(runtime, people)
    return channel, runtime.gateway.post_message(channel, text, blocks)


# ------------------------------------------------------------------------ icebreakers


def post_icebreaker(runtime: Runtime, pair_id: int, user_id: str, depth: str | None = None) -> PairPeople:
    pick = journey.next_icebreaker(runtime.db, runtime.content, pair_id, user_id, depth)
    text, blocks = icebreaker_message(runtime.content, pick)
    post_to_pair(runtime, pick.people, text, blocks)
    return pick.people


def icebreaker_command(call: CommandCall) -> None:
    people = journey.current_pair_of(call.runtime.db, call.user_id)
    if people is None:
        ephemeral(call.ack, NOT_MATCHED.format(what="you'll get icebreakers to share"))
        return
    partner = people.partner_of(call.user_id)
    call.ack(text=f"Here's one for you and {escape(partner.real_name)}: I've posted it in your pair conversation.")
    post_icebreaker(call.runtime, people.pair_id, call.user_id)


def show_icebreaker(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        actions = body.get("actions") or [{}]
        clicked = actions[0] if isinstance(actions, list) and isinstance(actions[0], dict) else {}
        depth = DEPTH_OF_ACTION.get(str(clicked.get("action_id")))
        post_icebreaker(runtime, id_from(action_value(body)), acting_user(body), depth)
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)


# ------------------------------------------------------------------------ guides


def read_my_guide(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        people = journey.pair_for_member(runtime.db, id_from(action_value(body)), user_id)
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)
        return
    text, blocks = guide_message(runtime.content, people.role_of(user_id))
    # Shown only to the person who clicked, even in the pair's shared conversation.
    answer_privately(runtime, body, respond, text, blocks)


# ------------------------------------------------------------------------ contract


def open_contract(runtime: Runtime, trigger_id: str, pair_id: int, user_id: str) -> None:
    state = journey.contract_for(runtime.db, pair_id, user_id)
    view = contract_view(runtime.content, state) if state.exists else contract_form(runtime.content, state)
    runtime.gateway.open_view(trigger_id, view)


def contract_command(call: CommandCall) -> None:
    people = journey.current_pair_of(call.runtime.db, call.user_id)
    if people is None:
        ephemeral(call.ack, NOT_MATCHED.format(what="you'll agree your mentoring contract"))
        return
    call.ack()
    open_contract(call.runtime, call.trigger_id, people.pair_id, call.user_id)


def start_contracting(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        people = journey.pair_for_member(runtime.db, id_from(action_value(body)), acting_user(body))
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)
        return
    text, blocks = contract_prompts_message(runtime.content, people.pair_id)
    post_to_pair(runtime, people, text, blocks)


def open_contract_button(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        open_contract(runtime, body["trigger_id"], id_from(action_value(body)), acting_user(body))
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)


def edit_contract(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        state = journey.contract_for(runtime.db, id_from(action_value(body)), acting_user(body))
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)
        return
    # The form takes the place of the contract it edits (not pushed on top of it).
    view = body.get("view") or {}
    if view.get("id"):
        runtime.gateway.update_view(view["id"], contract_form(runtime.content, state))
    else:
        runtime.gateway.open_view(body["trigger_id"], contract_form(runtime.content, state))


def save_contract(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    content = runtime.content
    user_id = acting_user(body)
    details = metadata(view)
    values = read_values(view)
    answers = {prompt.id: text_value(values, prompt.id) for prompt in content.contracting.prompts}
    opened_version = int(details.get("version") or 0)
    # The same modal can hold the form again ("Edit"): the version it opened on tells the edits apart.
    key = submissions.view_key(view)
    try:
        saved = journey.save_contract(
            runtime.db,
            content,
            int(details.get("pair_id") or 0),
            user_id,
            answers,
            opened_version=opened_version,
            submission=f"{key}:v{opened_version}"[:200] if key else None,
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({content.contracting.prompts[0].id: str(error)}), view)
        return
    # Show what was saved, with "I agree", in place of the form.
    ack(response_action="update", view=contract_view(content, saved.state))
    if not saved.changed:
        return
    text, blocks = contract_saved_message(saved.state, user_id)
    post_to_pair(runtime, saved.state.people, text, blocks)
    if saved.superseded is not None:
        retire_pinned_contract(runtime, saved.superseded, saved.state.people.mentee.tz)


def retire_pinned_contract(runtime: Runtime, pinned: journey.PinnedMessage, tz: str) -> None:
    """The agreed version no longer counts: unpin it and take its text out of the conversation."""
    text, blocks = superseded_contract_message(now(), tz)
    try:
        runtime.gateway.unpin(pinned.channel_id, pinned.ts)
        runtime.gateway.update_message(pinned.channel_id, pinned.ts, text, blocks)
    except Exception:
        log.warning("Could not retire the previously pinned contract", exc_info=True)


def agree_to_contract(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    db, content, gateway = runtime.db, runtime.content, runtime.gateway
    user_id = acting_user(body)
    value = action_value(body)
    view_id = (body.get("view") or {}).get("id")
    try:
        pair_id, version = id_from(value, 0), id_from(value, 1)
        agreement = journey.agree_to_contract(db, pair_id, user_id, version)
    except REFUSALS as error:
        # A member whose copy is out of date sees the latest version; anyone else is just refused.
        try:
            state = journey.contract_for(db, id_from(value), user_id)
        except REFUSALS:
            answer_refusal(runtime, body, respond, error)
            return
        if view_id:
            gateway.update_view(view_id, contract_view(content, state, notice=str(error)))
        else:
            answer_privately(runtime, body, respond, str(error))
        return
    state = agreement.state
    if view_id:
        gateway.update_view(view_id, contract_view(content, state))
    if not state.agreed:
        text, blocks = contract_half_agreed_message(state, user_id)
        post_to_pair(runtime, state.people, text, blocks)
    # Once both have agreed, the outbox posts and pins the contract in the pair's DM.


# ------------------------------------------------------------------------ agendas


def show_agenda(runtime: Runtime, view: AgendaView) -> None:
    """Post the agenda to the pair's DM, or update it where it was posted."""
    text, blocks = agenda_message(view)
    if view.channel_id and view.message_ts:
        runtime.gateway.update_message(view.channel_id, view.message_ts, text, blocks)
        return
    channel, ts = post_to_pair(runtime, view.people, text, blocks)
    journey.record_agenda_message(runtime.db, view.agenda_id, channel, ts)


def agenda_command(call: CommandCall) -> None:
    runtime = call.runtime
    start = journey.agenda_start(runtime.db, call.user_id)
    if start is None:
        ephemeral(call.ack, NOT_MATCHED.format(what="you'll share agendas for your sessions"))
        return
    if start.role == "mentee":
        call.ack()
        form = agenda_form(
            runtime.content, start.people, session_id=start.next_session_id, starts_at=start.next_session_starts_at
        )
        runtime.gateway.open_view(call.trigger_id, form)
        return
    mentee = escape(start.people.mentee.real_name)
    if start.latest_agenda_id is None:
        ephemeral(
            call.ack,
            f"{mentee} sets the agenda as mentee. Once it's posted in your pair conversation, you can add "
            "your own items with its *Add to the agenda* button, or here with `/mentoring agenda`.",
        )
        return
    call.ack()
    current = journey.agenda_for(runtime.db, start.latest_agenda_id, call.user_id)
    runtime.gateway.open_view(call.trigger_id, agenda_addition_form(runtime.content, current, start.role))


def open_agenda(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    pair_text, _, session_text = action_value(body).partition(":")
    try:
        session_id = int(session_text) if session_text else None
        people, starts_at = journey.agenda_form_context(runtime.db, int(pair_text), acting_user(body), session_id)
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)
        return
    form = agenda_form(runtime.content, people, session_id=session_id, starts_at=starts_at)
    runtime.gateway.open_view(body["trigger_id"], form)


def save_agenda(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    details = metadata(view)
    raw_session = details.get("session_id")
    try:
        agenda = journey.set_agenda(
            runtime.db,
            int(details.get("pair_id") or 0),
            acting_user(body),
            text_value(read_values(view), "items"),
            session_id=int(raw_session) if raw_session is not None else None,
            submission=submissions.view_key(view),
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"items": str(error)}), view)
        return
    ack()
    show_agenda(runtime, agenda)


def add_to_agenda(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        current = journey.agenda_for(runtime.db, id_from(action_value(body)), user_id)
    except REFUSALS as error:
        answer_refusal(runtime, body, respond, error)
        return
    role = current.people.role_of(user_id)
    runtime.gateway.open_view(body["trigger_id"], agenda_addition_form(runtime.content, current, role))


def save_agenda_addition(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        agenda = journey.add_to_agenda(
            runtime.db,
            int(metadata(view).get("agenda_id") or 0),
            acting_user(body),
            text_value(read_values(view), "items"),
            submission=submissions.view_key(view),
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"items": str(error)}), view)
        return
    ack()
    show_agenda(runtime, agenda)


LISTENERS = Listeners(
    commands={"icebreaker": icebreaker_command, "contract": contract_command, "agenda": agenda_command},
    actions=[
        (ICEBREAKER_BUTTONS, show_icebreaker),
        (READ_MY_GUIDE, read_my_guide),
        (START_CONTRACTING, start_contracting),
        (OPEN_CONTRACT, open_contract_button),
        (EDIT_CONTRACT, edit_contract),
        (AGREE_CONTRACT, agree_to_contract),
        (OPEN_AGENDA, open_agenda),
        (ADD_TO_AGENDA, add_to_agenda),
    ],
    views=[(CONTRACT_FORM, save_contract), (AGENDA_FORM, save_agenda), (AGENDA_ADDITION_FORM, save_agenda_addition)],
)
