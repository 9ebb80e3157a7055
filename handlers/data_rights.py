"""Leaving a programme, getting a copy of your data, and having it deleted."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.closeout import data_rights
from bot.errors import NotAllowed, NotFound
from bot.home.blocks import LEAVE_PROGRAMME
from bot.impact.blocks import DELETE_CANCEL, DELETE_CONFIRM, delete_prompt
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import acting_user, ephemeral
from handlers.common import tell as common_tell
from handlers.home import refresh_home, refresh_homes

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, content = runtime.db, runtime.content

    def tell(user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        common_tell(runtime, user_id, text, blocks)

    def leave(call: CommandCall) -> None:
        try:
            result = data_rights.leave_programme(db, call.user_id, " ".join(call.args) or None)
        except (NotAllowed, NotFound) as error:
            ephemeral(call.ack, str(error))
            return
        ephemeral(call.ack, content.message("leaving_confirmation", programme=result.programme_name))
        refresh_homes(runtime, [call.user_id, result.partner_id, *result.lead_ids])

    router.add("leave", leave)

    @app.action(LEAVE_PROGRAMME)
    def leave_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = acting_user(body)
        try:
            result = data_rights.leave_programme(db, user_id, str(body["actions"][0].get("value") or "") or None)
        except (NotAllowed, NotFound) as error:
            tell(user_id, str(error))
            return
        tell(user_id, content.message("leaving_confirmation", programme=result.programme_name))
        refresh_homes(runtime, [user_id, result.partner_id, *result.lead_ids])

    def my_data(call: CommandCall) -> None:
        data_rights.request_export(db, call.user_id)
        ephemeral(
            call.ack,
            "I'm gathering everything held about you. It will arrive in our DM as a file in a moment; only you see it.",
        )

    router.add("my-data", my_data)

    def delete_my_data(call: CommandCall) -> None:
        text, blocks = delete_prompt(data_rights.deletion_preview(db, call.user_id))
        ephemeral(call.ack, text, blocks)

    router.add("delete-my-data", delete_my_data)

    @app.action(DELETE_CONFIRM)
    def confirm_delete(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        data_rights.delete_my_data(db, user_id)
        respond(
            text=content.message("data_deletion_confirmed")
            + " Messages already in your Slack conversations stay in Slack; you can delete them there.",
            replace_original=True,
        )
        refresh_home(runtime, user_id)

    @app.action(DELETE_CANCEL)
    def cancel_delete(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Nothing was deleted. Your data stays as it is.", replace_original=True)
