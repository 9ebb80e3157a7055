"""Block Kit for inductions: one step at a time in the person's DM (updated in place as each is
done), the line in App Home, and the lead's (or organiser's) view of who has completed it.

Programme and event names and people's names go into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from bot.blockkit import Block, actions, button, context, escape, header, mention, section
from bot.blockkit.forms import modal
from bot.content import Content, fill
from bot.induction.service import EVENT, Overview, PersonProgress, Progress, Scope

INDUCTION_START = "induction_start"  # value: the scope key, "programme:12" or "event:3"
INDUCTION_DONE = "induction_step_done"  # value: "<scope key>|<step id>"
INDUCTION_REVIEW = "induction_review"  # value: the scope key
INDUCTION_OVERVIEW = "induction_overview"  # value: the programme id (a lead's App Home)
OVERVIEW_VIEW = "induction_overview_view"

ROLE_WORDS = {
    "mentor": "mentor",
    "mentee": "mentee",
    "lead": "lead",
    "event-mentor": "mentor",
    "event-mentee": "mentee",
}
LINES_PER_SECTION = 30


def done_value(scope: Scope, step_id: str) -> str:
    return f"{scope.key}|{step_id}"


def parse_done_value(value: str) -> tuple[str, str]:
    scope, _, step = value.partition("|")
    return scope, step


def _checklist(progress: Progress) -> str:
    marks = [
        f"{':white_check_mark:' if step.id in progress.done else ':white_circle:'} {step.heading}"
        for step in progress.steps
    ]
    return "\n".join(marks)


def _finished_text(content: Content, progress: Progress) -> str:
    if progress.scope.kind == EVENT:
        text = fill(content.induction.event_finished, programme=escape(progress.name))
        return f"{text} {content.promise('briefing-read')}"
    return fill(content.induction.finished, programme=escape(progress.name))


def step_message(content: Content, progress: Progress) -> tuple[str, list[Block]]:
    """The person's next step with its "Done" button; once all are done, the thanks and the checklist."""
    copy = content.induction
    induction = progress.induction
    step = progress.next_step
    if step is None:
        text = _finished_text(content, progress)
        return text, [
            header(induction.title),
            section(text),
            section(_checklist(progress)),
            actions(button(copy.review_label, INDUCTION_REVIEW, progress.scope.key), block_id="induction-done"),
            context(content.promise("induction-steps")),
        ]
    number = progress.next_number
    last = number == len(progress.steps)
    where = fill(copy.step_of, step=number, steps=len(progress.steps))
    blocks: list[Block] = [header(induction.title), context(f"*{escape(progress.name)}* · {where}")]
    if number == 1:
        blocks.append(section(induction.intro))
    blocks += [
        section(content.with_setting_values(step.as_mrkdwn())),
        actions(
            button(
                copy.finish_label if last else copy.done_label,
                INDUCTION_DONE,
                done_value(progress.scope, step.id),
                style="primary",
            ),
            block_id=f"induction-step-{step.id}",
        ),
        context(_checklist(progress).replace("\n", "   ")),
        context(content.promise("induction-steps")),
    ]
    return f"{induction.title} ({escape(progress.name)}): {where}, {step.heading}", blocks


def whole_induction(content: Content, progress: Progress) -> tuple[str, list[Block]]:
    """Every step at once, to read again after completing it (nothing is recorded)."""
    induction = progress.induction
    blocks: list[Block] = [header(induction.title), context(f"*{escape(progress.name)}*"), section(induction.intro)]
    blocks += [section(content.with_setting_values(step.as_mrkdwn())) for step in induction.steps]
    return f"{induction.title} ({escape(progress.name)})", blocks


def home_line(content: Content, scope: Scope, done: int, steps: int, completed: bool, required: bool) -> list[Block]:
    """The "Induction" part of a participant's (or lead's) App Home for one programme."""
    copy = content.induction
    if completed:
        return [
            section(copy.progress_complete, accessory=button(copy.review_label, INDUCTION_REVIEW, scope.key))
        ]
    label = copy.continue_label if done else copy.start_label
    text = fill(copy.progress, done=done, steps=steps) + (f"\n{copy.required_note}" if required else "")
    return [section(text, accessory=button(label, INDUCTION_START, scope.key, style="primary"))]


def _person_line(person: PersonProgress) -> str:
    who = mention(person.user_id) if person.role == "lead" else f"*{escape(person.name)}*"
    role = ROLE_WORDS.get(person.role, person.role)
    if person.completed:
        return f":white_check_mark: {who} ({role}): completed"
    return f":white_circle: {who} ({role}): {person.done} of {person.steps} steps"


def overview_modal(content: Content, overview: Overview) -> dict[str, object]:
    """Who has completed the induction (or read the briefing): steps done per person, nothing else."""
    people = overview.people
    heading = "Briefing read" if overview.scope.kind == EVENT else "Induction completed"
    summary = f"*{heading}*: {overview.completed} of {len(people)}"
    if overview.require_induction:
        summary += f"\n{content.induction.required_note}"
    blocks: list[Block] = [header(overview.name), section(summary)]
    lines = [_person_line(person) for person in people]
    for start in range(0, min(len(lines), 90 * LINES_PER_SECTION), LINES_PER_SECTION):
        blocks.append(section("\n".join(lines[start : start + LINES_PER_SECTION])))
    if not lines:
        blocks.append(context("Nobody has enrolled yet."))
    blocks.append(context(content.promise("induction-steps")))
    return modal(OVERVIEW_VIEW, "Induction", blocks[:100], submit=None, close="Done")
