"""Block Kit for concerns: the reporter's form and receipt, the leads' alerts and concern modal.

Text people typed is shown only in the lead's concern modal (and never in an alert), as
``plain_text`` so nothing in it is read as Slack formatting. Names (programmes, people) and the
programme's support resources go into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blockkit import (
    VIEW_BLOCK_LIMIT,
    Block,
    actions,
    button,
    channel_mention,
    context,
    counted,
    date,
    divider,
    escape,
    header,
    limit_blocks,
    mention,
    section,
    sections,
    verbatims,
)
from bot.blockkit.forms import input_block, modal, option, radio, static_select, text_input
from bot.concerns.service import (
    DETAILS_MAX,
    HELP_MAX,
    MESSAGE_MAX,
    NOTE_MAX,
    REOPEN_WINDOW,
    ConcernSummary,
    LeadConcernView,
    ProgrammeChoice,
    ReporterConcern,
)
from bot.content import Content, fill

CONCERN_FORM = "concern_form"
CLOSE_FORM = "concern_close_form"
NOTE_FORM = "concern_note_form"
LEAD_VIEW = "concern_lead_view"

# The button anyone can press to raise a concern (reflection prompts, App Home). Its value, if
# any, is a programme id to preselect. The global shortcut's callback_id is the same string.
RAISE_CONCERN = "raise_concern"
# The same form, offered after a low safety rating: it starts with a gentle text and anonymous.
RAISE_AFTER_LOW_SAFETY = "raise_concern_low_safety"

OPEN = "concern_open"
ACKNOWLEDGE = "concern_acknowledge"
CONTACT = "concern_contact"
PAUSE = "concern_pause"
REMATCH = "concern_rematch"
CLOSE = "concern_close"
NOTE = "concern_note"
REOPEN = "concern_reopen"  # the reporter's "This isn't resolved"; value: the concern id

URGENCY_FOR_LEADS = {"today": "Urgent: today", "this-week": "This week", "fyi": "Just so you know"}
STATUS_LABELS = {"open": "Open, not yet acknowledged", "acknowledged": "Acknowledged", "closed": "Closed"}
AUDIT_SHOWN = 25


def user_text(text: str) -> list[Block]:
    """What someone typed, exactly as typed (plain text, never formatting), in as many sections as it
    takes: nothing is cut."""
    return verbatims(text)


def when(at: datetime) -> str:
    """A date Slack shows in the reader's own time zone."""
    return date(at, "{date_short_pretty} at {time}", at.strftime("%d %b %Y %H:%M UTC"))


def raise_concern_button(programme_id: int | None = None, label: str = "Raise a concern") -> Block:
    return button(label, RAISE_CONCERN, str(programme_id) if programme_id else None)


def support_blocks(content: Content, programme_resources: str) -> list[Block]:
    blocks: list[Block] = [section(content.concern.support_intro)]
    if programme_resources.strip():
        blocks += sections("*From your programme*\n" + escape(programme_resources.strip()))
    for resource in content.support[:8]:
        blocks.append(section(resource.as_mrkdwn(content.resource_description(resource))))
    blocks.append(context(content.concern.emergency_note))
    return blocks


def support_text(content: Content, programme_resources: str) -> str:
    names = [resource.name for resource in content.support[:8]]
    extra = " Your programme's own resources are listed below." if programme_resources.strip() else ""
    return f"{content.concern.support_intro} {', '.join(names)}.{extra}"


# ------------------------------------------------------------------------------------ reporter


def concern_form(
    content: Content,
    programmes: Sequence[ProgrammeChoice],
    preselected: int | None = None,
    *,
    details: str | None = None,
    identity: str = "named",
) -> dict[str, Any]:
    copy = content.concern
    blocks: list[Block] = [section(copy.intro)]
    metadata: dict[str, Any] = {}
    if len(programmes) == 1:
        metadata["programme_id"] = programmes[0].id
    else:
        options = [option(p.name, str(p.id)) for p in programmes]
        blocks.append(
            input_block(
                "programme_id",
                "Which programme is this about?",
                static_select(options, str(preselected) if preselected else None, placeholder="Choose a programme"),
            )
        )
    blocks.append(
        input_block(
            "details",
            copy.details.label,
            text_input(details, multiline=True, max_length=DETAILS_MAX, placeholder=copy.details.placeholder),
            optional=copy.details.optional,
            hint=copy.details.hint or content.promise("concern-text"),
        )
    )
    blocks.append(
        input_block(
            "urgency", copy.urgency_label, radio([option(o.label, o.id) for o in copy.urgency], initial="this-week")
        )
    )
    blocks.append(
        input_block(
            "what_would_help",
            copy.what_would_help.label,
            text_input(multiline=True, max_length=HELP_MAX, placeholder=copy.what_would_help.placeholder),
            optional=True,
            hint=copy.what_would_help.hint,
        )
    )
    blocks.append(
        input_block(
            "identity", copy.identity_label, radio([option(o.label, o.id) for o in copy.identity], initial=identity)
        )
    )
    blocks.append(context(copy.anonymity_note))
    return modal(CONCERN_FORM, copy.modal_title, blocks, submit=copy.submit_label, metadata=metadata)


def low_safety_offer(content: Content, programme_id: int, programme_resources: str) -> list[Block]:
    """For the person who rated their safety low, and only them: support, and a concern on their terms.

    Nothing is sent to anyone unless they press the button and then Send in the form."""
    return [
        divider(),
        section(content.concern.low_safety_offer),
        *support_blocks(content, programme_resources),
        actions(button("Tell the programme lead privately", RAISE_AFTER_LOW_SAFETY, str(programme_id))),
        context(
            "Nothing is sent unless you press Send in the form. It starts anonymous and with a few words "
            "you can change or delete."
        ),
    ]


def with_low_safety_offer(
    view: dict[str, Any], content: Content, programme_id: int, programme_resources: str
) -> dict[str, Any]:
    """A confirmation modal (a saved reflection, a thank-you for a survey) with the offer added."""
    blocks = [*view.get("blocks", []), *low_safety_offer(content, programme_id, programme_resources)]
    return {**view, "blocks": blocks[:100]}


def concern_sent_view(content: Content) -> dict[str, Any]:
    blocks = [
        section(content.concern.receipt),
        context("A receipt with places you can get support is in your direct messages with me."),
    ]
    return modal(CONCERN_FORM + "_sent", "Sent privately", blocks, submit=None, close="Done")


def not_enrolled_view(content: Content) -> dict[str, Any]:
    blocks = [
        section(
            "You're not in a mentoring programme yet, so there's no programme lead to send a concern to. "
            "If something is worrying you, these can help:"
        ),
        *support_blocks(content, "")[1:],
    ]
    return modal(CONCERN_FORM + "_none", "Raise a concern", blocks, submit=None, close="Close")


def receipt_message(
    content: Content, programme_name: str, urgency: str, programme_resources: str, anonymous: bool
) -> tuple[str, list[Block]]:
    copy = content.concern
    line = copy.urgency_option(urgency).receipt_line if urgency in {o.id for o in copy.urgency} else ""
    identity = (
        content.promise("concern-anonymous")
        if anonymous
        else "You gave your name, so the lead can talk it through with you."
    )
    blocks: list[Block] = [
        section(copy.receipt),
        section(f"{line}\n{identity}".strip()),
        context(f"Programme: {escape(programme_name)}"),
        divider(),
        *support_blocks(content, programme_resources),
    ]
    text = f"Your concern has gone privately to the programme lead of {escape(programme_name)}. " + support_text(
        content, programme_resources
    )
    return text, blocks


def reporter_update_message(
    content: Content,
    what: str,
    programme_name: str,
    lead_id: str | None,
    *,
    concern_id: int = 0,
    closing_message: str | None = None,
    closed_at: datetime | None = None,
) -> tuple[str, list[Block]]:
    copy = content.concern
    if what == "acknowledged":
        body = copy.acknowledged
    elif what == "closed":
        body = copy.closed
    else:
        body = copy.contact + (f" Your programme lead is {mention(lead_id)}." if lead_id else "")
    name = escape(programme_name)
    text = f"About the concern you raised in {name}: {body}"
    blocks: list[Block] = [section(f"*About the concern you raised in {name}*\n{body}")]
    if what == "closed" and closing_message:
        text += f" {copy.closing_message_intro} {escape(closing_message)}"
        blocks += [section(f"*{copy.closing_message_intro}*"), *user_text(closing_message)]
    if what == "closed" and concern_id and closed_at is not None:
        blocks += [
            actions(button(copy.reopen_button, REOPEN, str(concern_id))),
            context(copy.reopen_note.replace("{date}", when(closed_at + REOPEN_WINDOW))),
        ]
    return text[:3000], blocks


def reopen_answer(content: Content, outcome: str, programme_id: int) -> tuple[str, list[Block]]:
    """What the reporter sees after pressing "This isn't resolved" (only they see it)."""
    copy = content.concern
    if outcome == "reopened":
        return copy.reopened, [section(copy.reopened)]
    if outcome == "already_open":
        return copy.already_open, [section(copy.already_open)]
    too_late = fill(copy.reopen_too_late, days=REOPEN_WINDOW.days)
    return too_late, [
        section(too_late),
        actions(raise_concern_button(programme_id, "Raise a new concern")),
    ]


def pair_notice_message(content: Content, what: str, programme_name: str) -> tuple[str, list[Block]]:
    body = content.concern.pair_paused if what == "paused" else content.concern.pair_ended
    name = escape(programme_name)
    text = f"{name}: {body}"
    return text, [section(f"*{name}*\n{body}")]


def reporter_concerns_list(concerns: Sequence[ReporterConcern]) -> tuple[str, list[Block]]:
    if not concerns:
        return "You haven't raised any concerns.", [section("You haven't raised any concerns.")]
    lines = [
        f"• {when(c.created_at)} in *{escape(c.programme_name)}*: {STATUS_LABELS.get(c.status, c.status)}"
        for c in concerns[:20]
    ]
    text = f"You have raised {counted(len(concerns), 'concern')}."
    return text, [section("*Concerns you have raised*\n" + "\n".join(lines)), actions(raise_concern_button())]


# ------------------------------------------------------------------------------------ leads


def _pair_line(summary: ConcernSummary) -> str:
    if summary.pair_id is None:
        return "Pair: none (raised by someone not currently in a pair)"
    return f"Pair: {escape(summary.mentor_name)} (mentor) and {escape(summary.mentee_name)} (mentee)"


def alert_message(summary: ConcernSummary) -> tuple[str, list[Block]]:
    """The leads' alert: that there is a concern, its urgency, programme and pair. Never its text."""
    urgency = URGENCY_FOR_LEADS.get(summary.urgency, summary.urgency)
    name = escape(summary.programme_name)
    text = f"A concern has been raised in {name} ({urgency}). Open it to read it."
    blocks = [
        section(f"*A concern has been raised in {name}*\n*{urgency}*\n{_pair_line(summary)}"),
        actions(
            button("Open", OPEN, str(summary.id), style="primary"),
            button("Acknowledge", ACKNOWLEDGE, str(summary.id)),
        ),
        context("The details are not shown here. Open it to read them: only this programme's leads can."),
    ]
    return text, blocks


def reopened_message(summary: ConcernSummary) -> tuple[str, list[Block]]:
    """The leads' alert that the reporter says a closed concern isn't resolved. Never its text, nor who."""
    urgency = URGENCY_FOR_LEADS.get(summary.urgency, summary.urgency)
    text = f"A concern in {summary.programme_name} has been reopened: the reporter says it isn't resolved."
    blocks = [
        section(
            f"*A concern in {summary.programme_name} has been reopened*\nThe reporter says it isn't resolved "
            f"for them.\n*{urgency}*\n{_pair_line(summary)}"
        ),
        actions(
            button("Open", OPEN, str(summary.id), style="primary"),
            button("Acknowledge", ACKNOWLEDGE, str(summary.id)),
        ),
        context("It is open again and will be chased until a lead acknowledges it."),
    ]
    return text, blocks


def chase_message(summary: ConcernSummary, stage: str, can_open: bool) -> tuple[str, list[Block]]:
    urgency = URGENCY_FOR_LEADS.get(summary.urgency, summary.urgency)
    name = escape(summary.programme_name)
    if stage == "escalate":
        lead = (
            f"*A concern in {name} has not been acknowledged* by its leads since "
            f"{when(summary.created_at)}. You're receiving this as the backup lead or an admin."
        )
        advice = (
            "Open it to read and acknowledge it."
            if can_open
            else "Please check in with the programme's leads, or appoint another lead with `/mentoring programme edit`."
        )
    else:
        lead = (
            f"*Reminder: a concern in {name} is waiting for you.* It was raised "
            f"{when(summary.created_at)} and has not been acknowledged yet."
        )
        advice = "Open it to read it, and acknowledge it so the reporter knows it has been seen."
    blocks: list[Block] = [section(f"{lead}\n*{urgency}*\n{_pair_line(summary)}\n{advice}")]
    if can_open:
        blocks.append(
            actions(
                button("Open", OPEN, str(summary.id), style="primary"),
                button("Acknowledge", ACKNOWLEDGE, str(summary.id)),
            )
        )
    text = f"A concern in {name} ({urgency}) has not been acknowledged yet."
    return text, blocks


def channel_refused_message(
    content: Content, summary: ConcernSummary, channel_id: str
) -> tuple[str, list[Block]]:
    text = (
        f"I didn't post the alert for a new concern in {escape(summary.programme_name)} in "
        f"{channel_mention(channel_id)}. {content.promise('concern-channel')} You have the alert in this DM."
    )
    return text, [section(text)]


def lead_concerns_list(summaries: Sequence[ConcernSummary]) -> tuple[str, list[Block]]:
    if not summaries:
        return "No open concerns in the programmes you lead.", [section("No open concerns in the programmes you lead.")]
    blocks: list[Block] = [section(f"*Open concerns ({len(summaries)})*")]
    for summary in summaries[:20]:
        urgency = URGENCY_FOR_LEADS.get(summary.urgency, summary.urgency)
        status = STATUS_LABELS.get(summary.status, summary.status)
        blocks.append(
            section(
                f"*{escape(summary.programme_name)}* · {urgency} · {status}\n{_pair_line(summary)}\n"
                f"Raised {when(summary.created_at)}",
                accessory=button("Open", OPEN, str(summary.id)),
            )
        )
    return f"{counted(len(summaries), 'open concern')} in the programmes you lead.", blocks


def _actor(user_id: str | None) -> str:
    return mention(user_id) if user_id else "the app or the reporter"


def lead_concern_modal(view: LeadConcernView) -> dict[str, Any]:
    summary = view.summary
    urgency = URGENCY_FOR_LEADS.get(summary.urgency, summary.urgency)
    reporter = (
        "Anonymous (the reporter chose not to give their name)" if view.anonymous else mention(view.reporter_user_id)
    )
    status = STATUS_LABELS.get(view.status, view.status)
    blocks: list[Block] = []
    if view.message:
        blocks.append(context(view.message))
    blocks += [
        header(f"Concern in {summary.programme_name}"[:150]),
        section(
            f"*{urgency}* · {status}\nRaised {when(summary.created_at)} by {reporter}\n{_pair_line(summary)}"
            + (f" · pair {view.pair_status}" if view.pair_status else "")
        ),
        section("*What is happening*"),
        *user_text(view.details),
    ]
    if view.what_would_help:
        blocks += [section("*What would help*"), *user_text(view.what_would_help)]
    if view.outcome_note:
        blocks += [section("*Outcome note* (leads only)"), *user_text(view.outcome_note)]
    buttons: list[Block] = []
    if view.status == "open":
        buttons.append(button("Acknowledge", ACKNOWLEDGE, str(view.id), style="primary"))
    if view.can_contact:
        buttons.append(button("Contact the reporter", CONTACT, str(view.id)))
    if view.can_act_on_pair and view.pair_status == "active":
        buttons.append(button("Pause the pair", PAUSE, str(view.id)))
    if view.can_act_on_pair:
        buttons.append(button("Rematch", REMATCH, str(view.id)))
    if view.status != "closed":
        buttons.append(button("Add a note", NOTE, str(view.id)))
        buttons.append(button("Close with an outcome note", CLOSE, str(view.id), style="danger"))
    if buttons:
        blocks.append(actions(*buttons, block_id="concern_actions"))
    if view.anonymous:
        blocks.append(context("The reporter is anonymous, so they can't be contacted. In a pair of two, take care."))
    elif view.reporter_user_id and view.status != "closed":
        blocks.append(context(f"To talk it through, message {mention(view.reporter_user_id)} directly."))
    blocks.append(divider())
    blocks.append(section("*Audit trail* (every action is recorded; nobody can edit it)"))
    entries = view.events[-AUDIT_SHOWN:]
    if len(view.events) > len(entries):
        blocks.append(context(f"{len(view.events) - len(entries)} earlier entries are not shown."))
    for entry in entries:
        blocks.append(context(f"{when(entry.at)} · {entry.label} · {_actor(entry.actor_user_id)}"))
        if entry.note:
            blocks += user_text(entry.note)
    blocks = limit_blocks(blocks, VIEW_BLOCK_LIMIT, more="_(The audit trail goes on: there is more than fits here.)_")
    return modal(LEAD_VIEW, "Concern", blocks, submit=None, close="Close", metadata={"concern_id": view.id})


def close_form(concern_id: int, parent_view_id: str, content: Content) -> dict[str, Any]:
    copy = content.concern
    blocks = [
        section(
            "Closing sends the reporter your message, privately, with a button to say it isn't resolved "
            f"(for {REOPEN_WINDOW.days} days). Your outcome note is kept (encrypted) for the programme's leads "
            "only; the reporter never sees it."
        ),
        input_block(
            "outcome_note",
            "Outcome note",
            text_input(multiline=True, max_length=NOTE_MAX, placeholder="What was done, or why nothing more is needed"),
            hint="For the programme's leads only.",
        ),
        input_block(
            "reporter_message",
            "Message to the reporter",
            text_input(copy.closing_message_default, multiline=True, max_length=MESSAGE_MAX),
            hint=(
                "Say what was done, in words they will recognise. Only the reporter sees it. If they stayed "
                "anonymous, the app delivers it without telling you who they are."
            ),
        ),
    ]
    return modal(
        CLOSE_FORM,
        "Close the concern",
        blocks,
        submit="Close concern",
        metadata={"concern_id": concern_id, "parent": parent_view_id},
    )


def note_form(concern_id: int, parent_view_id: str) -> dict[str, Any]:
    blocks = [
        section("A note for the programme's leads, kept in the audit trail. It can't be edited later."),
        input_block("note", "Note", text_input(multiline=True, max_length=NOTE_MAX)),
    ]
    return modal(
        NOTE_FORM,
        "Add a note",
        blocks,
        submit="Save note",
        metadata={"concern_id": concern_id, "parent": parent_view_id},
    )
