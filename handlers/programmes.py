"""Programmes and enrolment on the Slack surface: leads and admins create, edit and list programmes;
participants join, edit a profile and read a guide; leads invite people."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk.errors import SlackApiError

from bot.blockkit import counted, escape
from bot.blockkit.forms import date_value, int_value, metadata, read_values, text_value
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import Programme
from bot.programmes import enrolment as enrolment_service
from bot.programmes import leads_channel, pauses, refusals
from bot.programmes import service as programme_service
from bot.programmes.blocks import PROGRAMME_FORM, programme_modal, programmes_list
from bot.programmes.enrolment_blocks import (
    ENROLMENT_FORM,
    NO_THANKS,
    enrolment_confirmation,
    enrolment_modal,
    guide_blocks,
    invitation,
    profile_blocks,
)
from bot.programmes.pause_blocks import KEEP_PAUSING, RESUME_NOW, paused_message, resumed_message
from bot.runtime import Runtime
from bot.sessions.slots import parse_hhmm
from bot.slack_gateway import error_code
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    mentioned_users,
    parse_int,
    programme_for_lead_command,
    tell,
    user_is_admin,
    without_mentions,
)
from handlers.home import refresh_home

log = logging.getLogger(__name__)
USAGE = "Usage: `/mentoring programme new` or `/mentoring programme edit [programme name]`"
INVITE_USAGE = "Usage: `/mentoring invite [programme] @person @person ...`"


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
        consent_days=whole("consent_days", default=3) or 0,
        require_induction="required" in (values.get("require_induction") or []),
    )
    if errors:
        raise FieldErrors(errors)
    return data


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


def programme_command(call: CommandCall) -> None:
    runtime = call.runtime
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
        programme = _programme_to_edit(runtime, call.user_id, rest, admin)
        if isinstance(programme, str):
            ephemeral(call.ack, programme)
            return
        call.ack()
        current = programme_service.programme_input(programme)
        runtime.gateway.open_view(call.trigger_id, programme_modal(current, programme.id))
    else:
        ephemeral(call.ack, f"I didn't understand that. {USAGE}")


def _programme_to_edit(runtime: Runtime, user_id: str, name: str, admin: bool) -> Programme | str:
    db = runtime.db
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
    admin = user_is_admin(call.runtime, call.user_id)
    programmes = programme_service.programmes_visible_to(call.runtime.db, call.user_id, admin=admin)
    text, blocks = programmes_list(programmes)
    ephemeral(call.ack, text, blocks)


def alerts_channel_problem(runtime: Runtime, data: programme_service.ProgrammeInput) -> Problem | None:
    """Whether the chosen leads' channel can carry alerts, asked of Slack when the form is saved:
    the app must be invited (Slack hides a private channel from an app that is not in it) and only
    the programme's leads may be in it. The rule itself is :mod:`bot.programmes.leads_channel`."""
    if not data.alerts_channel_id:
        return None
    allowed = set(data.lead_ids) | ({data.backup_lead_id} if data.backup_lead_id else set())
    try:
        facts = runtime.gateway.channel_facts(data.alerts_channel_id)
    except SlackApiError as error:
        log.info("The leads' channel could not be checked: %s", error_code(error))
        return leads_channel.refusal_for_error(error_code(error))
    return leads_channel.refusal(facts, allowed)


def save_programme(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    db = runtime.db
    user_id = acting_user(body)
    programme_id = metadata(view).get("programme_id")
    admin = user_is_admin(runtime, user_id)
    try:
        data = programme_form_input(read_values(view))
        channel_problem = alerts_channel_problem(runtime, data)
        if channel_problem is not None:
            raise FieldErrors({"alerts_channel_id": channel_problem})
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
    tell(
        runtime,
        user_id,
        f"*{escape(programme.name)}* is {verb}. Leads can invite people with `/mentoring invite @person ...`; "
        "anyone can enrol with `/mentoring join`.",
    )
    # New leads and backup leads get the lead's guide through the outbox (bot.programmes.service).


def open_enrolment(runtime: Runtime, trigger_id: str, user_id: str, programmes: list[Programme]) -> None:
    """The join form for these programmes, or the profile form if already enrolled in the only one."""
    current = None
    if len(programmes) == 1:
        existing = enrolment_service.find_enrolment(runtime.db, programmes[0].id, user_id)
        if existing is not None and existing.status != "left":
            current = enrolment_service.enrolment_input(existing)
    title = ""
    if current is None:
        try:  # before the trigger expires: a busy Slack leaves the title for the person to type
            title = runtime.gateway.user(user_id, wait=False).title
        except SlackApiError:
            log.warning("Could not look up the title of someone opening the enrolment form")
    retention = programmes[0].retention_days if len(programmes) == 1 else 90
    view = enrolment_modal(runtime.content, programmes, current, slack_title=title, retention_days=retention)
    runtime.gateway.open_view(trigger_id, view)


def join(call: CommandCall) -> None:
    db = call.runtime.db
    name = " ".join(call.args)
    if name:
        try:
            programme = programme_service.find_programme(db, name)
        except NotFound as error:
            ephemeral(call.ack, f"{error} See the open ones with `/mentoring programmes`.")
            return
        if not (programme.enrolment_open and programme.status == "active"):
            ephemeral(call.ack, f"Enrolment for {escape(programme.name)} is closed. Ask its lead when it opens.")
            return
        programmes = [programme]
    else:
        programmes = programme_service.open_programmes(db)
        if not programmes:
            ephemeral(call.ack, "No programme is open for enrolment right now. Your programme lead will invite you.")
            return
    call.ack()
    open_enrolment(call.runtime, call.trigger_id, call.user_id, programmes)


def profile(call: CommandCall) -> None:
    db, content = call.runtime.db, call.runtime.content
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
    runtime = call.runtime
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
    said_no = refusals.refused(runtime.db, programme.id, people)  # never asked again
    for user_id in [person for person in people if person not in said_no]:
        try:
            runtime.gateway.post_dm(user_id, message, blocks)
            invited.append(user_id)
        except Exception:
            log.warning("Could not invite a person", exc_info=True)
            failed.append(user_id)
    answer = f"Invited {counted(len(invited), 'person', 'people')} to {escape(programme.name)}." if invited else ""
    if said_no:
        answer += (
            f" Not invited again: {', '.join(f'<@{user}>' for user in sorted(said_no))} "
            "said no thanks to this programme before."
        )
    if failed:
        answer += " I couldn't reach " + ", ".join(f"<@{user}>" for user in failed) + " (deactivated or not found)."
    call.respond(text=answer.strip(), response_type="ephemeral")


def join_from_invitation(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        programme = programme_service.get_programme(runtime.db, int(action_value(body)))
    except (NotFound, ValueError):
        answer_privately(runtime, body, respond, "That programme no longer exists.")
        return
    if not (programme.enrolment_open and programme.status == "active"):
        answer_privately(runtime, body, respond, f"Enrolment for {escape(programme.name)} is closed.")
        return
    open_enrolment(runtime, body["trigger_id"], user_id, [programme])


def decline_invitation(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """"No thanks": recorded, never chased; no reason asked."""
    ack()
    try:
        programme = refusals.say_no_thanks(runtime.db, parse_int(action_value(body)), acting_user(body))
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text = (
        f"Thank you for letting me know. You won't be asked about *{escape(programme.name)}* again. "
        "If you change your mind, `/mentoring join` is always open to you."
    )
    answer_privately(runtime, body, respond, text, replace=True)


PAUSE_USAGE = "Usage: `/mentoring pause [2|4|8]` (weeks; leave it out to pause until you resume)"


def pause_command(call: CommandCall) -> None:
    """`/mentoring pause [2|4|8]`: a break without a reason."""
    words = [word for word in call.args if word.lower() not in {"weeks", "week", "w"}]
    if len(words) > 1 or (words and words[0] not in {"2", "4", "8"}):
        ephemeral(call.ack, PAUSE_USAGE)
        return
    weeks = int(words[0]) if words else None
    try:
        result = pauses.pause(
            call.runtime.db, call.user_id, weeks, long_after=timedelta(weeks=call.runtime.settings.long_pause_weeks)
        )
    except (NotAllowed, NotFound) as error:
        ephemeral(call.ack, str(error))
        return
    ephemeral(call.ack, paused_message(result.programme_name, result.ends_at, result.tz))
    refresh_home(call.runtime, call.user_id)


def resume_command(call: CommandCall) -> None:
    try:
        result = pauses.resume(call.runtime.db, call.user_id)
    except (NotAllowed, NotFound) as error:
        ephemeral(call.ack, str(error))
        return
    ephemeral(call.ack, resumed_message(result.programme_name))
    refresh_home(call.runtime, call.user_id)


def resume_from_prompt(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """The gentle prompt before a break ends: "Resume now"."""
    ack()
    user_id = acting_user(body)
    try:
        result = pauses.resume(runtime.db, user_id)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    answer_privately(runtime, body, respond, resumed_message(result.programme_name), replace=True)
    refresh_home(runtime, user_id)


def keep_pausing(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """The gentle prompt before a break ends: "Keep pausing" (until they resume)."""
    ack()
    user_id = acting_user(body)
    try:
        result = pauses.keep_pausing(
            runtime.db, user_id, parse_int(action_value(body)),
            long_after=timedelta(weeks=runtime.settings.long_pause_weeks),
        )
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    answer_privately(runtime, body, respond, paused_message(result.programme_name, None, result.tz), replace=True)
    refresh_home(runtime, user_id)


def edit_profile(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        programme = programme_service.get_programme(runtime.db, int(action_value(body)))
    except (NotFound, ValueError):
        answer_privately(runtime, body, respond, "That programme no longer exists.")
        return
    open_enrolment(runtime, body["trigger_id"], acting_user(body), [programme])


def read_guide(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    role = str(body["actions"][0]["action_id"]).removeprefix("read_guide_")
    text, blocks = guide_blocks(runtime.content, role)
    # Shown only to the person who clicked, wherever the button was.
    answer_privately(runtime, body, respond, text, blocks)


def save_enrolment(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    db, content, gateway = runtime.db, runtime.content, runtime.gateway
    user_id = acting_user(body)
    values = read_values(view)
    known_topics = {topic_id for topic_id, _ in content.topic_options()}
    try:
        data = enrolment_form_input(values, metadata(view).get("programme_id"))
        existing = enrolment_service.find_enrolment(db, data.programme_id, user_id)
        try:  # before ack(): a 429 must not sleep past Slack's deadline; the form and answers stay
            slack_user = gateway.user(user_id, wait=False)
        except SlackApiError as error:
            if error_code(error) != "ratelimited":
                raise
            raise FieldErrors.on("role", "enrolment.slack_busy") from None
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
    if existing is None or existing.status == "left" or existing.privacy_confirmed_at is None:
        text, blocks = enrolment_confirmation(content, programme, enrolment.role)
        tell(runtime, user_id, text, blocks)
    else:
        tell(runtime, user_id, f"Your profile in *{escape(programme.name)}* is updated.")


LISTENERS = Listeners(
    commands={
        "programme": programme_command,
        "programmes": list_programmes,
        "join": join,
        "profile": profile,
        "invite": invite,
        "pause": pause_command,
        "resume": resume_command,
    },
    actions=[
        ("join_programme", join_from_invitation),
        ("edit_profile", edit_profile),
        (NO_THANKS, decline_invitation),
        (RESUME_NOW, resume_from_prompt),
        (KEEP_PAUSING, keep_pausing),
        (re.compile(r"^read_guide_(mentor|mentee)$"), read_guide),
    ],
    views=[(PROGRAMME_FORM, save_programme), (ENROLMENT_FORM, save_enrolment)],
)
