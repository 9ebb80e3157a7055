"""Steps that many user stories share, written as a person would do them in Slack."""

from __future__ import annotations

from typing import Any

from bot.local_slack import LocalSlack, Person


def create_programme(
    admin: Person, leads: list[Person], *, name: str = "Inclusive Leadership", cross: bool = True, **extra: Any
) -> None:
    answer = admin.command("/mentoring", "programme new")
    assert answer.status == 200, answer.body
    assert admin.modal is not None, "the programme form did not open"
    fields: dict[str, Any] = {
        "Programme name": name,
        "Organisation mode": "Across organisations" if cross else "Within one organisation",
        "Programme leads": [lead.user_id for lead in leads],
    }
    fields.update(extra)
    admin.fill(fields)
    result = admin.submit()
    assert result.ok and not result.errors, result.errors


def enrol(
    person: Person,
    role: str,
    organisation: str,
    department: str,
    *,
    manager: Person | None = None,
    topics: list[str] | None = None,
    programme: str = "",
    **extra: Any,
) -> None:
    person.command("/mentoring", f"join {programme}".strip())
    assert person.modal is not None, "the enrolment form did not open"
    fields: dict[str, Any] = {
        "I am joining as": "Mentor" if role == "mentor" else "Mentee",
        "Organisation": organisation,
        "Department or function": department,
        "Privacy notice": True,
    }
    if manager:
        fields["Line manager"] = manager.user_id
    if topics:
        fields["Perspectives I can share or want to learn about"] = topics
    if role == "mentee":
        fields["Mentees: the state of inclusion in my part of the business today"] = "Early days, honestly."
        fields["Mentees: the gap in understanding I hope to close"] = "How our policies land for new starters."
    fields.update(extra)
    person.fill(fields)
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def texts_seen(person: Person) -> str:
    return "\n".join(seen.text for seen in person.seen())


def world_people(slack: LocalSlack, *names: str, **attrs: Any) -> list[Person]:
    return [slack.person(name, **attrs) for name in names]
