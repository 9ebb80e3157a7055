"""The impact survey: open it from its invitation or App Home, and save the answers."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blockkit.forms import metadata, read_values
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.impact import surveys
from bot.impact.survey_blocks import OPEN_SURVEY, SURVEY_FORM, survey_modal, thanks_view
from bot.runtime import Runtime
from handlers.common import ack_field_errors, acting_user
from handlers.home import refresh_home

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    db, gateway, content = runtime.db, runtime.gateway, runtime.content

    @app.action(OPEN_SURVEY)
    def open_survey(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = acting_user(body)
        raw = str(body["actions"][0].get("value") or "")
        programme_id, _, kind = raw.partition(":")
        try:
            task = surveys.open_survey(db, int(programme_id), user_id, kind)
        except (NotAllowed, NotFound, ValueError) as error:
            gateway.post_dm(user_id, str(error) or "That survey is no longer open.")
            return
        view = survey_modal(content, task, min_group=runtime.settings.min_group_size)
        gateway.open_view(str(body["trigger_id"]), view)

    @app.view(SURVEY_FORM)
    def save_survey(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        meta = metadata(view)
        values = read_values(view)
        answers: dict[str, int | None] = {}
        for field, value in values.items():
            if field.startswith("q:"):
                try:
                    answers[field[2:]] = int(value) if value not in (None, "") else None
                except ValueError:
                    answers[field[2:]] = None
        try:
            programme_id, kind = int(meta.get("programme_id") or 0), str(meta.get("kind") or "")
            surveys.record_response(db, content, programme_id, user_id, kind, answers, values.get("comment"))
            task = surveys.open_survey(db, programme_id, user_id, kind)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack_field_errors(ack, FieldErrors({"comment": str(error)}), view)
            return
        ack(response_action="update", view=thanks_view(task))
        refresh_home(runtime, user_id)
