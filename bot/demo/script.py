"""The demo's acts, in order. Each act drives simulated people through the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.demo.runner import Stage


def act_meet_the_app(stage: Stage) -> None:
    stage.narrator.scene("Monday 4 January 2027: the app arrives in the workspace")
    stage.person("Olu", is_admin=True, title="Head of People", tz="Europe/London")
    stage.person("Lena", title="Programme lead (independent)", tz="Europe/London")
    stage.person("Amara", title="Data Analyst", tz="Europe/London")
    stage.person("Ben", title="Graduate Engineer", tz="America/New_York")
    stage.person("Diana", title="Chief Financial Officer", tz="Europe/London")
    stage.person("Evan", title="VP Engineering", tz="America/New_York")
    stage.narrator.say("Amara types /mentoring help")
    stage.cast["Amara"].command("/mentoring", "help")
    stage.narrator.show_new()
    stage.narrator.say("Ben mistypes a command")
    stage.cast["Ben"].command("/mentoring", "joni")


def act_create_programme(stage: Stage) -> None:
    stage.advance(timedelta(hours=1))
    stage.narrator.scene("An admin starts a programme and appoints an independent lead")
    olu, lena = stage.cast["Olu"], stage.cast["Lena"]
    olu.command("/mentoring", "programme new")
    stage.narrator.show_modal(olu, "Olu")
    olu.fill(
        {
            "Programme name": "Inclusive Leadership 2027",
            "Description": "Senior leaders learn from colleagues earlier in their careers.",
            "Organisation mode": "Across organisations",
            "Programme leads": [lena.user_id],
        }
    )
    olu.submit()


def act_enrol(stage: Stage) -> None:
    stage.advance(timedelta(hours=2))
    stage.narrator.scene("Four people enrol")
    people = [
        ("Amara", "Mentor", "Acme", "Finance", ["Gender", "Race and ethnicity"]),
        ("Ben", "Mentor", "Globex", "Engineering", ["Social mobility and class background"]),
        ("Diana", "Mentee", "Globex", "Finance", ["Gender"]),
        ("Evan", "Mentee", "Acme", "Engineering", ["Social mobility and class background"]),
    ]
    for name, role, organisation, department, topics in people:
        person = stage.cast[name]
        person.command("/mentoring", "join")
        if name == "Amara":
            stage.narrator.show_modal(person, name)
        fields = {
            "I am joining as": role,
            "Organisation": organisation,
            "Department or function": department,
            "Perspectives I can share or want to learn about": topics,
            "Topics that are off limits for me": f"(private to {name})",
            "Privacy notice": True,
        }
        if role == "Mentee":
            fields["Mentees: the state of inclusion in my part of the business today"] = "Improving, unevenly."
            fields["Mentees: the gap in understanding I hope to close"] = "How promotion feels from the outside."
        person.fill(fields)
        person.submit()
        stage.advance(timedelta(minutes=20))


def act_match(stage: Stage) -> None:
    stage.advance(timedelta(days=1))
    stage.narrator.scene("The lead matches the pairs, and approves")
    lena = stage.cast["Lena"]
    lena.command("/mentoring", "match")
    stage.narrator.show_modal(lena, "Lena")
    lena.submit()


ACTS: list[Callable[[Stage], None]] = [act_meet_the_app, act_create_programme, act_enrol, act_match]
