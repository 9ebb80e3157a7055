"""Participants: join, edit a profile, read a guide; leads: invite people."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import metadata, read_values, text_value
from bot.errors import FieldErrors, NotFound
from bot.models import Programme
from bot.programmes import enrolment as enrolment_service
from bot.programmes import service as programme_service
from bot.programmes.enrolment_blocks import (
    ENROLMENT_FORM,
    enrolment_confirmation,
    enrolment_modal,
    guide_blocks,
    invitation,
    profile_blocks,
)
from bot.runtime import Runtime
from bot.sessions.slots import parse_hhmm
from handlers.commands import CommandCall, CommandRouter
from handlers.common import (
    ack_field_errors,
    acting_user,
    ephemeral,
    mentioned_users,
    programme_for_lead_command,
    without_mentions,
)

log = logging.getLogger(__name__)
INVITE_USAGE = "Usage: `/mentoring invite [programme] @person @person ...`"


def enrolment_form_input(values: dict[str, Any], programme_id: int | None) -> enrolment_service.EnrolmentInput:
    chosen = values.get("programme_id") or programme_id
    if not chosen:
        raise FieldErrors({"programme_id": "Choose a programme."})
    return enrolment_service.EnrolmentInput(
        programme_id=int(chosen),
        role=str(values.get("role") or ""),
        organisation=text_value(values, "organisation"),
        department=text_value(values, "department"),
        title=text_value(values, "title"),
        line_manager_id=values.get("line_manager_id"),
        pronouns=text_value(values, "pronouns"),
        topics=list(values.get("topics") or []),
        can_bring=text_value(values, "can_bring"),
        hope_to_get=text_value(values, "hope_to_get"),
        off_limits=text_value(values, "off_limits"),
        inclusion_statement=text_value(values, "inclusion_statement"),
        understanding_gap=text_value(values, "understanding_gap"),
        do_not_pair_with=list(values.get("do_not_pair_with") or []),
        privacy_confirmed="yes" in (values.get("privacy_confirmed") or []),
        tz=text_value(values, "tz").strip(),
        work_start=parse_hhmm(values.get("work_start")),
        work_end=parse_hhmm(values.get("work_end")),
        work_days=[int(day) for day in values["work_days"]] if values.get("work_days") is not None else None,
    )


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, content, gateway = runtime.db, runtime.content, runtime.gateway

    def open_enrolment(trigger_id: str, user_id: str, programmes: list[Programme]) -> None:
        """The join form for these programmes, or the profile form if already enrolled in the only one."""
        current = None
        if len(programmes) == 1:
            existing = enrolment_service.find_enrolment(db, programmes[0].id, user_id)
            if existing is not None and existing.status != "left":
                current = enrolment_service.enrolment_input(existing)
        title = gateway.user(user_id).title if current is None else ""
        retention = programmes[0].retention_days if len(programmes) == 1 else 90
        view = enrolment_modal(content, programmes, current, slack_title=title, retention_days=retention)
        gateway.open_view(trigger_id, view)

    def join(call: CommandCall) -> None:
        name = " ".join(call.args)
        if name:
            try:
                programme = programme_service.find_programme(db, name)
            except NotFound as error:
                ephemeral(call.ack, f"{error} See the open ones with `/mentoring programmes`.")
                return
            if not (programme.enrolment_open and programme.status == "active"):
                ephemeral(call.ack, f"Enrolment for {programme.name} is closed. Ask its lead when it opens.")
                return
            programmes = [programme]
        else:
            programmes = programme_service.open_programmes(db)
            if not programmes:
                ephemeral(
                    call.ack, "No programme is open for enrolment right now. Your programme lead will invite you."
                )
                return
        call.ack()
        open_enrolment(call.trigger_id, call.user_id, programmes)

    def profile(call: CommandCall) -> None:
        enrolments = enrolment_service.enrolments_of(db, call.user_id)
        if not enrolments:
            ephemeral(call.ack, content.message("not_enrolled"))
            return
        blocks: list[dict[str, Any]] = []
        texts = []
        for enrolment in enrolments[:3]:
            text, part = profile_blocks(content, enrolment, programme_service.get_programme(db, enrolment.programme_id))
            texts.append(text)
            blocks += part
        ephemeral(call.ack, "; ".join(texts), blocks)

    def invite(call: CommandCall) -> None:
        text = str(call.body.get("text") or "").split(maxsplit=1)
        rest = text[1] if len(text) > 1 else ""
        people = mentioned_users(rest)
        if not people:
            ephemeral(call.ack, f"Mention the people to invite. {INVITE_USAGE}")
            return
        programme = programme_for_lead_command(runtime, call.user_id, without_mentions(rest), INVITE_USAGE)
        if isinstance(programme, str):
            ephemeral(call.ack, programme)
            return
        call.ack()
        invited, failed = [], []
        message, blocks = invitation(programme, call.user_id)
        for user_id in people:
            try:
                gateway.post_dm(user_id, message, blocks)
                invited.append(user_id)
            except Exception:
                log.warning("Could not invite a person", exc_info=True)
                failed.append(user_id)
        answer = f"Invited {len(invited)} person(s) to {programme.name}." if invited else ""
        if failed:
            answer += " I couldn't reach " + ", ".join(f"<@{user}>" for user in failed) + " (deactivated or not found)."
        call.respond(text=answer.strip(), response_type="ephemeral")

    router.add("join", join)
    router.add("profile", profile)
    router.add("invite", invite)

    @app.action("join_programme")
    def join_from_invitation(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            programme = programme_service.get_programme(db, int(body["actions"][0]["value"]))
        except (NotFound, ValueError):
            respond(text="That programme no longer exists.", response_type="ephemeral", replace_original=False)
            return
        if not (programme.enrolment_open and programme.status == "active"):
            respond(
                text=f"Enrolment for {programme.name} is closed.", response_type="ephemeral", replace_original=False
            )
            return
        open_enrolment(body["trigger_id"], user_id, [programme])

    @app.action("edit_profile")
    def edit_profile(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = acting_user(body)
        try:
            programme = programme_service.get_programme(db, int(body["actions"][0]["value"]))
        except (NotFound, ValueError):
            return
        open_enrolment(body["trigger_id"], user_id, [programme])

    @app.action(re.compile(r"^read_guide_(mentor|mentee)$"))
    def read_guide(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        role = str(body["actions"][0]["action_id"]).removeprefix("read_guide_")
        text, blocks = guide_blocks(content, role)
        # Shown only to the person who clicked, wherever the button was.
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    @app.view(ENROLMENT_FORM)
    def save_enrolment(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        values = read_values(view)
        known_topics = {topic_id for topic_id, _ in content.topic_options()}
        try:
            data = enrolment_form_input(values, metadata(view).get("programme_id"))
            existing = enrolment_service.find_enrolment(db, data.programme_id, user_id)
            slack_user = gateway.user(user_id)
            person = enrolment_service.Person(user_id, slack_user.real_name, slack_user.tz)
            enrolment = enrolment_service.enrol(db, person, data, known_topics)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except NotFound as error:
            ack_field_errors(ack, FieldErrors({"role": str(error)}), view)
            return
        ack()
        programme = programme_service.get_programme(db, enrolment.programme_id)
        channel = gateway.open_dm(user_id)
        if existing is None or existing.status == "left" or existing.privacy_confirmed_at is None:
            text, blocks = enrolment_confirmation(content, programme, enrolment.role)
            gateway.post_message(channel, text, blocks)
        else:
            gateway.post_message(channel, f"Your profile in *{programme.name}* is updated.")
