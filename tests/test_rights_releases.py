"""Survey figures are released in batches: no difference between two exports isolates one person."""

from __future__ import annotations

from bot.content import load_content
from bot.db import Database
from bot.impact import surveys
from bot.impact.service import ImpactReport, programme_report, report_csv
from bot.programmes import service as programmes
from bot.programmes.enrolment import EnrolmentInput, Person, enrol

CONTENT = load_content()
TOPICS = [topic_id for topic_id, _ in CONTENT.topic_options()]
QUESTIONS = [q.id for q in CONTENT.survey("baseline", "mentee").questions]


def setup(db: Database, people: int) -> int:
    programme = programmes.create_programme(
        db, programmes.ProgrammeInput(name="Pilot", lead_ids=["ULENA"]), created_by="UADMIN", by_admin=True
    )
    for number in range(people):
        data = EnrolmentInput(
            programme_id=programme.id,
            role="mentee",
            organisation="Acme",
            department=f"Dept {number}",
            inclusion_statement="Patchy.",
            understanding_gap="Everyday barriers.",
            privacy_confirmed=True,
        )
        enrol(db, Person(f"U{number:02}", f"Person {number}", "UTC"), data, TOPICS)
    return programme.id


def answer(db: Database, programme_id: int, number: int, value: int, comment: str | None = None) -> None:
    answers: dict[str, int | None] = {q: value for q in QUESTIONS}
    surveys.record_response(db, CONTENT, programme_id, f"U{number:02}", "baseline", answers, comment)


def export(db: Database, programme_id: int) -> tuple[ImpactReport, list[str]]:
    with db.session() as session:
        report = programme_report(session, programme_id, CONTENT, 5)
    text = report_csv(report.name, report.summary, report.pairs, report.impact).decode()
    impact_lines = [line for line in text.splitlines() if line.startswith("impact,")]
    return report.impact, impact_lines


def mean(impact: ImpactReport) -> float | None:
    return impact.question(QUESTIONS[0], "mentee").cells["baseline"].mean


def test_one_new_answer_changes_nothing_it_could_influence_until_five_new_have_arrived(db: Database) -> None:
    programme_id = setup(db, 10)
    for number in range(5):
        answer(db, programme_id, number, 3, f"comment {number}")
    first, first_lines = export(db, programme_id)
    assert mean(first) == 3.0 and first.respondents[("baseline", "mentee")] == 5
    assert first.comments[("baseline", "mentee")] == [f"comment {n}" for n in range(5)]

    # A sixth answer: before, 6 x 2.67 - 5 x 3.00 would give it away. Now nothing moves.
    answer(db, programme_id, 5, 1, "the sixth person's comment")
    second, second_lines = export(db, programme_id)
    assert second_lines == first_lines
    assert second.comments == first.comments and second.respondents == first.respondents
    # Nor does changing an answer already released: the change waits for a batch too.
    answer(db, programme_id, 0, 5, "changed")
    for number in range(6, 8):
        answer(db, programme_id, number, 1)
    third, third_lines = export(db, programme_id)
    assert third_lines == first_lines
    assert "changed" not in str(third.comments) and "sixth" not in str(third.comments)

    # The fifth new (or changed) answer releases the batch: every figure is recomputed.
    answer(db, programme_id, 8, 1)
    fourth, fourth_lines = export(db, programme_id)
    assert fourth_lines != first_lines
    assert fourth.respondents[("baseline", "mentee")] == 9
    assert mean(fourth) == round((5 + 3 * 4 + 1 * 4) / 9, 2)
    assert fourth.comments[("baseline", "mentee")] == sorted(
        ["changed", *(f"comment {n}" for n in range(1, 5)), "the sixth person's comment"]
    )


def test_fewer_than_five_answers_are_never_released(db: Database) -> None:
    programme_id = setup(db, 4)
    for number in range(4):
        answer(db, programme_id, number, 2, "hidden")
    impact, _ = export(db, programme_id)
    assert mean(impact) is None and impact.comments == {}
    assert impact.respondents[("baseline", "mentee")] == 0
    assert impact.question(QUESTIONS[0], "mentee").cells["baseline"].describe(5).startswith("hidden")
