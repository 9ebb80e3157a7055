"""Impact surveys: results only for groups of at least five, never recoverable by subtraction."""

from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import select, update

from bot.content import load_content
from bot.db import Database
from bot.emulator import view_text
from bot.errors import error_text
from bot.impact import surveys
from bot.impact.service import ALL, Cell, ResponseRow, aggregate, effective_min_group, report_csv, suppress
from bot.local_slack import LocalSlack
from bot.models import Enrolment, SurveyResponse
from bot.settings import SettingsError, load_settings
from tests.factory import AROUND_THE_CLOCK, accept_offers, create_programme, enrol, texts_seen

CONTENT = load_content()
MENTEE_QS = [q.id for q in CONTENT.survey("baseline", "mentee").questions]
MENTOR_QS = [q.id for q in CONTENT.survey("baseline", "mentor").questions]


def rows(kind: str, role: str, count: int, value: int = 3, comment: str | None = None) -> list[ResponseRow]:
    questions = CONTENT.survey(kind, role).questions
    return [
        ResponseRow(role, kind, {q.id: value for q in questions}, f"{comment} {n}" if comment else None)
        for n in range(count)
    ]


def test_groups_under_five_are_never_shown() -> None:
    report = aggregate(rows("baseline", "mentee", 4, comment="only four"), CONTENT)
    for question in MENTEE_QS:
        cell = report.question(question, "mentee").cells["baseline"]
        assert cell.n == 4 and cell.suppressed and cell.mean is None
    assert report.comments == {}
    assert not list(report.shown_cells)


def test_five_are_shown_with_comments_sorted_and_the_change_from_baseline() -> None:
    data = rows("baseline", "mentee", 5, value=2, comment="zeta") + rows("end", "mentee", 6, value=4, comment="alpha")
    report = aggregate(data, CONTENT)
    result = report.question("inclusion-confidence", "mentee")
    assert result.cells["baseline"].mean == 2.0 and result.cells["end"].mean == 4.0
    assert result.change == 2.0
    assert report.comments[("end", "mentee")] == sorted(f"alpha {n}" for n in range(6))
    assert "midpoint" not in result.cells or not result.cells["midpoint"].shown


def test_a_hidden_role_cannot_be_worked_out_from_the_total() -> None:
    """'recommend' is asked of both roles: 3 mentors (hidden) + 6 mentees. Showing everyone (9) and
    the mentees would give the mentors' answers by subtraction, so the mentees are hidden too."""
    data = rows("end", "mentor", 3, value=1) + rows("end", "mentee", 6, value=5)
    report = aggregate(data, CONTENT)
    everyone = report.question("recommend", ALL).cells["end"]
    mentors = report.question("recommend", "mentor").cells["end"]
    mentees = report.question("recommend", "mentee").cells["end"]
    assert mentors.suppressed and mentees.suppressed
    assert everyone.shown and everyone.n == 9
    # And the CSV carries only what may be shown.
    text = report_csv("P", [], [], report).decode()
    recommend = [line for line in text.splitlines() if ",recommend," in line]
    assert any(",all,end,9," in line for line in recommend)
    assert not any(",mentor,end,3" in line or ",mentee,end,6" in line for line in recommend)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_no_combination_of_group_sizes_reveals_a_small_group(k: int) -> None:
    for sizes in itertools.product(range(0, 12), repeat=2):
        cells = {"mentor": Cell(sizes[0], 1.0 * sizes[0]), "mentee": Cell(sizes[1], 2.0 * sizes[1])}
        cells[ALL] = Cell(sum(sizes), cells["mentor"].total + cells["mentee"].total)
        suppress(cells, k, total=ALL)
        shown = {name for name, cell in cells.items() if cell.shown}
        for name in ("mentor", "mentee"):
            assert name not in shown or cells[name].n >= k
            other = "mentee" if name == "mentor" else "mentor"
            derivable = ALL in shown and other in shown
            if derivable:
                assert cells[name].n == 0 or cells[name].n >= k, (sizes, shown)
    random.seed(7)
    for _ in range(200):  # three groups (a future breakdown): what is hidden together is never small
        sizes3 = [random.randint(0, 9) for _ in range(3)]
        cells = {f"g{i}": Cell(n, float(n)) for i, n in enumerate(sizes3)}
        cells[ALL] = Cell(sum(sizes3), float(sum(sizes3)))
        suppress(cells, k, total=ALL)
        hidden = sum(c.n for name, c in cells.items() if name != ALL and not c.shown)
        if cells[ALL].shown:
            assert hidden == 0 or hidden >= k


def test_the_minimum_group_is_a_setting_never_below_three() -> None:
    assert effective_min_group(1) == 3
    assert load_settings(min_group_size=7).min_group_size == 7
    with pytest.raises(SettingsError, match="MIN_GROUP_SIZE"):
        load_settings(min_group_size=2)
    report = aggregate(rows("baseline", "mentor", 3), CONTENT, min_group=3)
    assert report.question("felt-heard", "mentor").cells["baseline"].shown


def test_a_survey_goes_out_privately_with_one_reminder_and_is_answered_in_a_modal(
    slack: LocalSlack, db: Database
) -> None:
    admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
    lead = slack.person("lena", real_name="Lena Lead")
    amara = slack.person("amara", real_name="Amara Okafor")
    diana = slack.person("diana", real_name="Diana Reyes")
    create_programme(admin, [lead], name="Pilot")
    enrol(amara, "mentor", "Acme", "Finance")
    enrol(diana, "mentee", "Globex", "Strategy")
    assert surveys.schedule_due_surveys(db) == 0, "not at enrolment: the baseline comes with the match"
    lead.command("/mentoring", "match")
    assert lead.submit().ok
    with db.session() as session:  # this story runs on the real clock: nothing waits for a working morning
        session.execute(update(Enrolment).values(**AROUND_THE_CLOCK))
    assert accept_offers(slack, amara) == 1
    assert surveys.schedule_due_surveys(db) == 0  # asked once, on the mentor's yes
    slack.deliver()
    assert any("Before you start" in s.text for s in diana.dms())
    invitation = next(s for s in amara.dms() if "Before you start" in s.text)
    assert invitation.kind == "im"
    amara.click("Take the survey", in_message=invitation)
    assert amara.modal is not None
    form = view_text(amara.modal)
    assert "I feel heard by senior leaders in this organisation." in form
    # A missing answer is refused under its own question.
    amara.fill({"I feel heard by senior leaders in this organisation.": "2: Disagree"})
    result = amara.submit(force=True)
    assert result.errors and all(key.startswith("q:") for key in result.errors)
    assert set(result.errors.values()) == {error_text("surveys.answer_required", min=1, max=5)}

    answers = {
        q.text: "4: Agree" if q.scale.label(4) == "Agree" else f"4: {q.scale.label(4)}"
        for q in CONTENT.survey("baseline", "mentor").questions
    }
    amara.fill({**answers, "Anything you would like to add?": "My private comment"})
    assert amara.submit().ok
    with db.session() as session:
        response = session.scalar(select(SurveyResponse))
        assert response is not None and response.answers["felt-heard"] == 4
        assert response.comment == "My private comment"
    # The reminder is not sent to someone who answered.
    from freezegun import freeze_time

    from bot.clock import now

    with freeze_time(now() + surveys.REMINDER_AFTER + surveys.REMINDER_AFTER):
        slack.deliver()
    assert "gentle reminder" not in texts_seen(amara)
