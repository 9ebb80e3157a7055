"""Block Kit for private reflections: the prompt, the form, the author's list, shared takeaways.

What people wrote is shown as ``plain_text`` (exactly as typed, never read as formatting), and only
to its author; the shared takeaways are the one exception, in the pair's DM, by the author's choice.
Names in mrkdwn go through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blockkit import MESSAGE_BLOCK_LIMIT, Block, actions, button, context, divider, escape, plain, section
from bot.blockkit.forms import checkbox, input_block, modal, option, radio, text_input
from bot.concerns.blocks import raise_concern_button, user_text, when
from bot.content import Content, fill
from bot.reflections.service import TEXT_MAX, MyReflection, ReflectionTarget

REFLECTION_FORM = "reflection_form"
OPEN_REFLECTION = "reflection_open"  # value: a session id
EDIT_REFLECTION = "reflection_edit"  # value: a reflection id
DELETE_REFLECTION = "reflection_delete"  # value: a reflection id
SHARE_VALUE = "share"
SHOWN_IN_LIST = 8


def _session_line(target: ReflectionTarget) -> str:
    return f"Session {target.session_number} with {escape(target.partner_name)}, {when(target.starts_at)}"


def prompt_message(
    content: Content, target: ReflectionTarget, *, min_group: int, reminder: bool = False
) -> tuple[str, list[Block]]:
    copy = content.reflection
    partner = escape(target.partner_name)
    body = f"{fill(copy.prompt, partner=partner)} {content.promise('reflection-own', partner=partner)}"
    if reminder:
        body = "*A gentle reminder* (the only one): " + body
    blocks: list[Block] = [
        section(body),
        actions(
            button(copy.prompt_button, OPEN_REFLECTION, str(target.session_id), style="primary"),
            raise_concern_button(target.programme_id),
        ),
        context(content.promise("reflection-ratings", min_group=min_group)),
    ]
    text = (
        "Reminder: reflect on your session" if reminder else "Reflect on this session"
    ) + f" with {escape(target.partner_name)}"
    return text, blocks


def _rating(question: Any, initial: int | None) -> Block:
    options = [
        option(f"{point} · {question.scale.labels[point]}", str(point)) for point in sorted(question.scale.labels)
    ]
    return radio(options, str(initial) if initial else None)


def reflection_modal(content: Content, target: ReflectionTarget, *, min_group: int) -> dict[str, Any]:
    copy = content.reflection
    existing = target.existing
    blocks: list[Block] = [context(_session_line(target) + f" · {escape(target.programme_name)}")]
    for name, field in (
        ("takeaways", copy.takeaways),
        ("do_differently", copy.do_differently),
        ("explore_next", copy.explore_next),
    ):
        initial = getattr(existing, name) if existing else None
        blocks.append(
            input_block(
                name,
                field.label,
                text_input(initial, multiline=True, max_length=TEXT_MAX, placeholder=field.placeholder),
                optional=field.optional,
                hint=field.hint,
            )
        )
    blocks.append(
        input_block(
            "safety", copy.safety.label, _rating(copy.safety, existing.safety if existing else None), optional=True
        )
    )
    blocks.append(
        input_block(
            "usefulness",
            copy.usefulness.label,
            _rating(copy.usefulness, existing.usefulness if existing else None),
            optional=True,
        )
    )
    if existing and existing.shared_at:
        blocks.append(
            context(f"You shared your key takeaways with {escape(target.partner_name)} {when(existing.shared_at)}.")
        )
    else:
        blocks.append(
            input_block(
                "share_takeaways",
                copy.share.field.label,
                checkbox(copy.share.option_text, SHARE_VALUE, checked=False),
                optional=True,
                hint=copy.share.field.hint or content.promise("reflection-takeaways"),
            )
        )
    blocks.append(context(content.promise("reflection-ratings", min_group=min_group)))
    blocks.append(
        section(
            "Something worrying you? Tell the independent programme lead privately.",
            accessory=raise_concern_button(target.programme_id),
        )
    )
    return modal(
        REFLECTION_FORM,
        copy.modal_title,
        blocks,
        submit=copy.submit_label,
        metadata={"session_id": target.session_id},
    )


def saved_view(content: Content, partner_name: str, shared_now: bool) -> dict[str, Any]:
    blocks: list[Block] = [section(content.reflection.saved), context(content.promise("reflection-saved"))]
    if shared_now:
        blocks.append(context(content.promise("takeaways-shared", partner=escape(partner_name))))
    return modal(REFLECTION_FORM + "_saved", content.reflection.modal_title, blocks, submit=None, close="Done")


def my_reflections_message(content: Content, reflections: Sequence[MyReflection]) -> tuple[str, list[Block]]:
    if not reflections:
        text = (
            "You haven't written any reflections yet. "
            "After each session I'll ask you privately, or use `/mentoring reflect`."
        )
        return text, [section(text)]
    blocks: list[Block] = [
        section(f"*Your reflections* ({len(reflections)}). {content.promise('reflections-list')}"),
    ]
    shown = 0
    for item in reflections[:SHOWN_IN_LIST]:
        group = _reflection_blocks(content, item)
        if len(blocks) + len(group) > MESSAGE_BLOCK_LIMIT - 1:  # room for the line that says what is left out
            break
        blocks += group
        shown += 1
    if shown < len(reflections):
        blocks.append(context(
            f"Showing your latest {shown} of {len(reflections)} reflections (a message holds only so much). "
            "Older ones are kept and stay yours: `/mentoring my-data` sends you all of them."
        ))
    return f"Your reflections ({len(reflections)}). {content.promise('reflections-list')}", blocks


def _reflection_blocks(content: Content, item: MyReflection) -> list[Block]:
    """One reflection, whole: what the author wrote is never cut."""
    target, data = item.target, item.reflection
    shared = f" · {content.promise('takeaways-status')}" if data.shared_at else ""
    blocks: list[Block] = [divider(), section(f"*{_session_line(target)}*{shared}")]
    blocks += [section("*Key takeaways*"), *user_text(data.takeaways)]
    blocks += [section("*What I will do differently*"), *user_text(data.do_differently)]
    if data.explore_next:
        blocks += [section("*What I want to explore next time*"), *user_text(data.explore_next)]
    delete = button("Delete", DELETE_REFLECTION, str(data.id), style="danger")
    delete["confirm"] = {
        "title": plain("Delete this reflection?"),
        "text": plain("It will be gone for good, ratings included. Anything already shared stays with your partner."),
        "confirm": plain("Delete"),
        "deny": plain("Keep it"),
    }
    blocks.append(actions(button("Edit", EDIT_REFLECTION, str(data.id)), delete))
    return blocks


def shared_takeaways_message(content: Content, author_name: str, takeaways: str) -> tuple[str, list[Block]]:
    intro = fill(content.reflection.share.shared_intro, partner=escape(author_name))
    return f"{intro} {escape(takeaways)}"[:3000], [section(intro), *user_text(takeaways)]
