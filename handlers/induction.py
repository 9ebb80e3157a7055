"""Induction before stepping in: `/mentoring induction`, "Start my induction", each step's "Done"
(the message updates in place to the next step), "Read my induction again", and the lead's
"Who has done the induction" view. Nothing here can fail after ``ack()``: every answer is private.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack

from bot.blockkit import escape
from bot.errors import NotAllowed, NotFound
from bot.induction import service
from bot.induction.blocks import (
    INDUCTION_DONE,
    INDUCTION_OVERVIEW,
    INDUCTION_REVIEW,
    INDUCTION_START,
    overview_modal,
    parse_done_value,
    step_message,
    whole_induction,
)
from bot.runtime import Runtime
from handlers.commands import CommandCall
from handlers.common import Listeners, acting_user, action_value, ephemeral, parse_int, tell, user_is_admin
from handlers.home import refresh_home

log = logging.getLogger(__name__)


def _refusal(runtime: Runtime, error: NotAllowed | NotFound) -> str:
    return error.text(runtime.content)


def induction_command(call: CommandCall) -> None:
    """`/mentoring induction [programme or event]`: the next step arrives in the person's DM."""
    runtime, user_id = call.runtime, call.user_id
    try:
        chosen = service.choose(service.inductions_for(runtime.db, user_id), " ".join(call.args))
        progress = service.progress(runtime.db, runtime.content, chosen.scope, user_id)
    except (NotAllowed, NotFound) as error:
        if error.code == "induction.which_one":
            names = ", ".join(
                escape(item.name) for item in service.inductions_for(runtime.db, user_id)
            )
            ephemeral(call.ack, runtime.content.error_text("induction.which_one", names=names))
            return
        ephemeral(call.ack, _refusal(runtime, error))
        return
    where = f"Your induction for *{escape(progress.name)}* is in your messages from me, one step at a time."
    ephemeral(call.ack, where)
    text, blocks = step_message(runtime.content, progress)
    tell(runtime, user_id, text, blocks)


def _clicked_progress(runtime: Runtime, body: dict[str, Any]) -> service.Progress | None:
    """The clicker's progress in the induction the button names; None (after telling them why) when
    it is not theirs or does not exist."""
    user_id = acting_user(body)
    try:
        return service.progress(runtime.db, runtime.content, service.Scope.parse(action_value(body)), user_id)
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, _refusal(runtime, error))
        return None


def start(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """"Start my induction" (App Home, the enrolment confirmation, an event's messages): the next step by DM."""
    ack()
    progress = _clicked_progress(runtime, body)
    if progress is not None:
        tell(runtime, acting_user(body), *step_message(runtime.content, progress))


def _in_place(
    runtime: Runtime, body: dict[str, Any], text: str, blocks: list[dict[str, Any]], *, or_dm: bool = True
) -> None:
    """Replace the message whose button was clicked; a DM instead when there is none (or it fails),
    unless ``or_dm`` is False (a replay that recorded nothing new says nothing new)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if channel and ts and not (body.get("container") or {}).get("is_ephemeral"):
        try:
            runtime.gateway.update_message(str(channel), str(ts), text, blocks)
            return
        except Exception:
            log.info("Could not update the induction message in place", exc_info=True)
    if or_dm:
        tell(runtime, acting_user(body), text, blocks)


def step_done(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """A step's "Done": recorded once (a replay or a double click records nothing more), then the next step."""
    ack()
    user_id = acting_user(body)
    scope_key, step_id = parse_done_value(action_value(body))
    try:
        scope = service.Scope.parse(scope_key)
        progress = service.complete_step(runtime.db, runtime.content, scope, user_id, step_id)
    except NotFound as error:
        if error.code != "induction.unknown_step":
            tell(runtime, user_id, _refusal(runtime, error))
            return
        try:  # the content changed under an old message: show where they are now
            progress = service.progress(runtime.db, runtime.content, scope, user_id)
        except (NotAllowed, NotFound) as again:
            tell(runtime, user_id, _refusal(runtime, again))
            return
    except NotAllowed as error:
        tell(runtime, user_id, _refusal(runtime, error))
        return
    text, blocks = step_message(runtime.content, progress)
    _in_place(runtime, body, text, blocks, or_dm=progress.recorded or progress.next_number == 1)
    if progress.newly_completed and scope.kind == service.PROGRAMME:
        refresh_home(runtime, user_id)


def review(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """"Read my induction again": every step in one message, nothing recorded."""
    ack()
    progress = _clicked_progress(runtime, body)
    if progress is not None:
        tell(runtime, acting_user(body), *whole_induction(runtime.content, progress))


def overview(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """The lead's "Who has done the induction": steps done per person, for this programme's leads only."""
    ack()
    user_id = acting_user(body)
    try:
        board = service.programme_overview(
            runtime.db,
            runtime.content,
            parse_int(action_value(body)),
            user_id,
            admin=user_is_admin(runtime, user_id),
        )
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, _refusal(runtime, error))
        return
    try:
        runtime.gateway.open_view(str(body["trigger_id"]), overview_modal(runtime.content, board))
    except Exception:
        log.info("Could not open the induction overview", exc_info=True)
        tell(runtime, user_id, "That took too long to open. Please try again.")


LISTENERS = Listeners(
    commands={"induction": induction_command},
    actions=[
        (INDUCTION_START, start),
        (INDUCTION_DONE, step_done),
        (INDUCTION_REVIEW, review),
        (INDUCTION_OVERVIEW, overview),
    ],
)
