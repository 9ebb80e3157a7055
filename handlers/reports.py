"""The lead's `/mentoring report` and `/mentoring close`, and mentors' answers about being thanked by name."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import metadata, read_values
from bot.closeout import service as closeout
from bot.errors import NotAllowed, NotFound
from bot.impact import service as impact
from bot.impact.blocks import CLOSE_FORM, RECOGNITION_NO, RECOGNITION_YES, close_modal
from bot.models import Programme
from bot.programmes import service as programme_service
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import acting_user, ephemeral, programme_for_lead_command, user_is_admin
from handlers.home import refresh_homes

log = logging.getLogger(__name__)
REPORT_USAGE = "Usage: `/mentoring report [programme]` or `/mentoring report csv [programme]`"
CLOSE_USAGE = "Usage: `/mentoring close [programme]`"


def _programme_for_report(runtime: Runtime, user_id: str, name: str) -> Programme | str:
    """As for other lead commands, but a closed programme can still be reported on: with no name,
    the only programme the person leads (or the only active one)."""
    if not name.strip():
        led = programme_service.programmes_led_by(runtime.db, user_id)
        if len(led) == 1:
            return led[0]
    return programme_for_lead_command(runtime, user_id, name, REPORT_USAGE)


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, gateway = runtime.db, runtime.gateway

    def report(call: CommandCall) -> None:
        args = list(call.args)
        fmt = "summary"
        if args and args[0].lower() == "csv":
            fmt, args = "csv", args[1:]
        programme = _programme_for_report(runtime, call.user_id, " ".join(args))
        if isinstance(programme, str):
            ephemeral(call.ack, programme)
            return
        try:
            impact.request_report(
                db,
                programme.id,
                call.user_id,
                fmt=fmt,
                min_group=runtime.settings.min_group_size,
                admin=user_is_admin(runtime, call.user_id),
            )
        except (NotAllowed, NotFound) as error:
            ephemeral(call.ack, str(error))
            return
        what = "CSV export" if fmt == "csv" else "report and its chart"
        ephemeral(call.ack, f"I'm preparing the {what} for *{programme.name}*. It will arrive in our DM in a moment.")

    router.add("report", report)

    def close(call: CommandCall) -> None:
        programme = programme_for_lead_command(runtime, call.user_id, " ".join(call.args), CLOSE_USAGE)
        if isinstance(programme, str):
            ephemeral(call.ack, programme)
            return
        if programme.status == "closed":
            ephemeral(call.ack, f"{programme.name} is already closed.")
            return
        call.ack()
        from bot.home.service import lead_dashboard

        with db.session() as session:
            board = lead_dashboard(session, programme.id, page_size=1)
        live = board.pairs_by_status.get("active", 0) + board.pairs_by_status.get("paused", 0)
        gateway.open_view(call.trigger_id, close_modal(programme.id, programme.name, live, programme.retention_days))

    router.add("close", close)

    @app.view(CLOSE_FORM)
    def close_programme(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        programme_id = int(metadata(view).get("programme_id") or 0)
        channel = read_values(view).get("recognition_channel") or None
        try:
            result = closeout.close_programme(
                db,
                programme_id,
                user_id,
                admin=user_is_admin(runtime, user_id),
                recognition_channel_id=channel,
            )
        except (NotAllowed, NotFound) as error:
            ack(response_action="errors", errors={"recognition_channel": str(error)})
            return
        ack()
        refresh_homes(runtime, result.lead_ids)

    def recognition(yes: bool) -> Any:
        def handler(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user_id = acting_user(body)
            try:
                answer = closeout.answer_recognition(db, int(body["actions"][0].get("value") or 0), user_id, yes)
            except (NotAllowed, NotFound, ValueError) as error:
                respond(text=str(error), response_type="ephemeral", replace_original=False)
                return
            if answer.answer == "yes":
                where = f" in <#{answer.channel_id}>" if answer.channel_id else ""
                text = f"Thank you. You'll be thanked by name{where} for mentoring in *{answer.programme_name}*."
            else:
                text = f"Of course. Nothing will be posted about you for *{answer.programme_name}*. Thank you."
            if not answer.changed:
                text = "You've already answered. " + text
            respond(text=text, replace_original=True)

        return handler

    app.action(RECOGNITION_YES)(recognition(True))
    app.action(RECOGNITION_NO)(recognition(False))
