"""Programme leads and admins: create, edit and list programmes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blockkit.forms import date_value, int_value, metadata, read_values, text_value
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.models import Programme
from bot.programmes import service as programme_service
from bot.programmes.blocks import PROGRAMME_FORM, programme_modal, programmes_list
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import ack_field_errors, acting_user, ephemeral, user_is_admin

log = logging.getLogger(__name__)
USAGE = "Usage: `/mentoring programme new` or `/mentoring programme edit [programme name]`"


def programme_form_input(values: dict[str, Any]) -> programme_service.ProgrammeInput:
    """Read the settings modal; whole-number fields that are missing are reported per field."""
    errors: dict[str, str] = {}

    def whole(field: str, default: int | None = None, required: bool = True) -> int | None:
        value = int_value(values, field)
        if value is None and required and values.get(field) not in (None, ""):
            errors[field] = "Enter a whole number."
        if value is None and required and default is None:
            errors.setdefault(field, "Enter a whole number.")
        return value if value is not None else default

    data = programme_service.ProgrammeInput(
        name=text_value(values, "name"),
        description=text_value(values, "description"),
        cross_organisation=values.get("cross_organisation") == "cross",
        cadence_min_days=whole("cadence_min_days") or 0,
        cadence_max_days=whole("cadence_max_days") or 0,
        session_minutes=whole("session_minutes") or 0,
        planned_sessions=whole("planned_sessions", required=False),
        end_date=date_value(values, "end_date"),
        lead_ids=list(values.get("lead_ids") or []),
        backup_lead_id=values.get("backup_lead_id"),
        alerts_channel_id=values.get("alerts_channel_id"),
        support_resources=text_value(values, "support_resources"),
        enrolment_open="open" in (values.get("enrolment_open") or []),
        retention_days=whole("retention_days") or 0,
    )
    if errors:
        raise FieldErrors(errors)
    return data


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db = runtime.db

    def programme_command(call: CommandCall) -> None:
        action = call.args[0].lower() if call.args else ""
        rest = " ".join(call.args[1:])
        if action == "new":
            if not user_is_admin(runtime, call.user_id):
                ephemeral(call.ack, "Only workspace admins and the app's admins can start a programme.")
                return
            call.ack()
            runtime.gateway.open_view(call.trigger_id, programme_modal(None, None))
        elif action == "edit":
            admin = user_is_admin(runtime, call.user_id)
            programme = _programme_to_edit(call.user_id, rest, admin)
            if isinstance(programme, str):
                ephemeral(call.ack, programme)
                return
            call.ack()
            current = programme_service.programme_input(programme)
            runtime.gateway.open_view(call.trigger_id, programme_modal(current, programme.id))
        else:
            ephemeral(call.ack, f"I didn't understand that. {USAGE}")

    def _programme_to_edit(user_id: str, name: str, admin: bool) -> Programme | str:
        if name:
            try:
                programme = programme_service.find_programme(db, name)
            except NotFound as error:
                return str(error)
            led = {p.id for p in programme_service.programmes_led_by(db, user_id)}
            if not admin and programme.id not in led:
                return "Only this programme's leads and admins can change it."
            return programme
        led_programmes = programme_service.programmes_led_by(db, user_id)
        if len(led_programmes) == 1:
            return led_programmes[0]
        if not led_programmes:
            return "Only a programme's leads and admins can change it. " + USAGE
        names = ", ".join(p.name for p in led_programmes)
        return f"You lead several programmes ({names}). Say which: `/mentoring programme edit [programme name]`"

    def list_programmes(call: CommandCall) -> None:
        admin = user_is_admin(runtime, call.user_id)
        programmes = programme_service.programmes_visible_to(db, call.user_id, admin=admin)
        text, blocks = programmes_list(programmes)
        ephemeral(call.ack, text, blocks)

    router.add("programme", programme_command)
    router.add("programmes", list_programmes)

    @app.view(PROGRAMME_FORM)
    def save_programme(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        programme_id = metadata(view).get("programme_id")
        admin = user_is_admin(runtime, user_id)
        try:
            data = programme_form_input(read_values(view))
            if programme_id:
                programme = programme_service.update_programme(db, int(programme_id), data, by=user_id, by_admin=admin)
            else:
                programme = programme_service.create_programme(db, data, created_by=user_id, by_admin=admin)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack_field_errors(ack, FieldErrors({"name": str(error)}), view)
            return
        ack()
        verb = "updated" if programme_id else "created"
        runtime.gateway.post_dm(
            user_id,
            f"*{programme.name}* is {verb}. Leads can invite people with `/mentoring invite @person ...`; "
            "anyone can enrol with `/mentoring join`.",
        )
        if not programme_id:
            for lead in programme.leads:
                if lead.user_id == user_id:
                    continue
                role = "backup lead" if lead.is_backup else "a programme lead"
                runtime.gateway.post_dm(
                    lead.user_id,
                    f"<@{user_id}> has made you {role} of *{programme.name}*. As an independent lead you "
                    "match pairs, receive concerns and keep an eye on how pairs are doing. "
                    "Type `/mentoring help` to see the lead commands.",
                )
