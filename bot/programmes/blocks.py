"""The programme settings modal and the list of programmes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blockkit import Block, context, counted, escape, header, section
from bot.blockkit.forms import (
    checkbox,
    date_picker,
    input_block,
    modal,
    number_input,
    option,
    private_channel_select,
    radio,
    text_input,
    user_select,
    users_select,
)
from bot.models import Programme
from bot.programmes.service import ProgrammeInput

PROGRAMME_FORM = "programme_form"
ORGANISATION_MODES = [
    option("Within one organisation", "single", "Pairs come from the same organisation"),
    option("Across organisations", "cross", "Every pair spans two organisations"),
]


def programme_modal(current: ProgrammeInput | None, programme_id: int | None) -> dict[str, Any]:
    data = current or ProgrammeInput(name="")
    blocks: list[Block] = [
        input_block("name", "Programme name", text_input(data.name, max_length=80)),
        input_block(
            "description",
            "Description",
            text_input(data.description, multiline=True, max_length=2000),
            optional=True,
            hint="What the programme is for, in a sentence or two. Participants see this when they join.",
        ),
        input_block(
            "cross_organisation",
            "Organisation mode",
            radio(ORGANISATION_MODES, "cross" if data.cross_organisation else "single"),
        ),
        input_block(
            "cadence_min_days",
            "Shortest gap between sessions (days)",
            number_input(data.cadence_min_days, minimum=7, maximum=90),
        ),
        input_block(
            "cadence_max_days",
            "Longest gap between sessions (days)",
            number_input(data.cadence_max_days, minimum=7, maximum=120),
            hint="Three to four weeks (21 to 28 days) gives time to reflect between sessions.",
        ),
        input_block(
            "session_minutes", "Session length (minutes)", number_input(data.session_minutes, minimum=15, maximum=240)
        ),
        input_block(
            "planned_sessions",
            "Number of sessions",
            number_input(data.planned_sessions, minimum=1, maximum=52),
            optional=True,
            hint="Give a number of sessions, an end date, or both. A roadmap of 6 to 12 months is typical.",
        ),
        input_block("end_date", "End date", date_picker(data.end_date), optional=True),
        input_block(
            "lead_ids",
            "Programme leads",
            users_select(data.lead_ids),
            hint="Independent people: not a participant's line manager. They receive concerns.",
        ),
        input_block("backup_lead_id", "Backup lead", user_select(data.backup_lead_id), optional=True),
        input_block(
            "alerts_channel_id",
            "Private channel for leads' alerts",
            private_channel_select(data.alerts_channel_id),
            optional=True,
            hint=(
                "Invite the app first: type /invite @reverse-mentoring in the channel. Only the leads may be "
                "in it; I check both when you save. Alerts never carry what someone wrote, and if the channel "
                "ever fails they go to each lead by DM."
            ),
        ),
        input_block(
            "support_resources",
            "Support resources",
            text_input(data.support_resources, multiline=True, max_length=2000),
            optional=True,
            hint="For example your employee assistance programme. Shown to anyone who raises a concern.",
        ),
        input_block(
            "enrolment_open", "Enrolment", checkbox("Enrolment is open", "open", data.enrolment_open), optional=True
        ),
        input_block(
            "retention_days",
            "Delete sensitive text this many days after closing",
            number_input(data.retention_days, minimum=0, maximum=3650),
        ),
        input_block(
            "consent_days",
            "Working days a mentor has to accept a match",
            number_input(data.consent_days, minimum=1, maximum=15),
            hint="Each mentor sees their proposed mentee privately first and has this long to say yes or no.",
        ),
        input_block(
            "require_induction",
            "Induction",
            checkbox("Require the induction before matching", "required", data.require_induction),
            optional=True,
            hint="Matching then leaves out anyone who has not completed the short induction for their role, "
            "and the proposal says who and why.",
        ),
    ]
    title = "Edit programme" if programme_id else "New programme"
    return modal(PROGRAMME_FORM, title, blocks, metadata={"programme_id": programme_id})


def programme_line(programme: Programme) -> str:
    mode = "across organisations" if programme.cross_organisation else "within one organisation"
    enrolment = "enrolment open" if programme.enrolment_open else "enrolment closed"
    length = counted(programme.planned_sessions, "session") if programme.planned_sessions else "sessions"
    if programme.end_date:
        length += f" until {programme.end_date:%-d %B %Y}"
    leads = ", ".join(f"<@{lead.user_id}>" for lead in programme.leads if not lead.is_backup)
    status = "" if programme.status == "active" else f" ({programme.status})"
    return (
        f"*{escape(programme.name)}*{status}: {mode}, {length}, every {programme.cadence_min_days} to "
        f"{programme.cadence_max_days} days, {enrolment}. Led by {leads or 'nobody yet'}."
    )


def programmes_list(programmes: Sequence[Programme]) -> tuple[str, list[Block]]:
    if not programmes:
        text = "There are no programmes you can see yet. An admin can start one with `/mentoring programme new`."
        return text, [section(text)]
    lines = [programme_line(programme) for programme in programmes[:40]]
    blocks: list[Block] = [header("Mentoring programmes")]
    blocks += [section(line) for line in lines]
    if len(programmes) > 40:
        blocks.append(context(f"And {len(programmes) - 40} more."))
    blocks.append(context("Join one with `/mentoring join`."))
    return "Mentoring programmes: " + "; ".join(escape(p.name) for p in programmes), blocks
