"""Impact: survey results for leads, aggregated so that no individual can be singled out.

Rules (DESIGN section 4):

- A group's result (a mean, a comment) is shown only when at least ``min_group`` people answered
  (the ``MIN_GROUP_SIZE`` setting: 5 by default, never below 3). A group of one to four is
  *suppressed*; an empty group is simply "no answers".
- Complementary suppression: a total is the sum of its role groups, so when the people hidden in
  suppressed role groups number fewer than ``min_group`` while the total is shown, the hidden answers
  could be worked out by subtraction. Then the next-smallest role group is suppressed as well (or,
  when there is none, the total).
- Comments are shown only for groups large enough to show, sorted alphabetically (never in the
  order they arrived, which could hint at who wrote them).
- Baseline to end change per question is shown only when both ends are shown.
- Releases: a lead never sees live figures. Each group's figures and comments are released
  (:func:`release_results`, stored in ``impact_releases``) only once at least ``min_group`` new
  or changed answers have arrived since its last release, so comparing two reports (5 answers,
  mean 3.00; 6 answers, mean 2.67) can never recover one person's answer or single out their comment.

The aggregation is pure: plain rows in, plain results out. :func:`load_responses` reads the rows;
:func:`released_impact` gives what a lead's report shows.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.clock import now
from bot.content import Content
from bot.db import Database
from bot.models import ImpactRelease, SurveyResponse

ABSOLUTE_MIN_GROUP = 3
DEFAULT_MIN_GROUP = 5
ROLES = ("mentor", "mentee")
KINDS = ("baseline", "midpoint", "end")
ALL = "all"


def effective_min_group(min_group: int) -> int:
    """The group size actually used: the setting, but never below three."""
    return max(ABSOLUTE_MIN_GROUP, int(min_group))


@dataclass(frozen=True)
class ResponseRow:
    """One person's answers to one survey (who answered is not kept here)."""

    role: str
    kind: str
    answers: dict[str, int]
    comment: str | None = None


@dataclass
class Cell:
    """One group's result for one question in one survey."""

    n: int
    total: float = 0.0
    suppressed: bool = False

    @property
    def shown(self) -> bool:
        return self.n > 0 and not self.suppressed

    @property
    def mean(self) -> float | None:
        return round(self.total / self.n, 2) if self.shown else None

    def describe(self, min_group: int) -> str:
        if self.n == 0 and not self.suppressed:
            return "no answers yet"
        if self.suppressed:
            return f"hidden (fewer than {min_group} answers, or could be worked out from other figures)"
        return f"{self.mean:.1f} (n={self.n})"


@dataclass
class QuestionResult:
    question_id: str
    text: str
    group: str  # mentor | mentee | all
    cells: dict[str, Cell] = field(default_factory=dict)  # survey kind -> cell

    @property
    def change(self) -> float | None:
        """End minus baseline, when both are shown."""
        base, end = self.cells.get("baseline"), self.cells.get("end")
        if base is None or end is None or base.mean is None or end.mean is None:
            return None
        return round(end.mean - base.mean, 2)


@dataclass
class ImpactReport:
    min_group: int
    questions: list[QuestionResult] = field(default_factory=list)
    respondents: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, role) -> people
    comments: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # shown comments only

    def question(self, question_id: str, group: str) -> QuestionResult:
        for result in self.questions:
            if result.question_id == question_id and result.group == group:
                return result
        raise KeyError((question_id, group))

    @property
    def shown_cells(self) -> Iterable[tuple[QuestionResult, str, Cell]]:
        for result in self.questions:
            for kind, cell in result.cells.items():
                if cell.shown:
                    yield result, kind, cell


def suppress(cells: dict[str, Cell], min_group: int, *, total: str | None = None) -> None:
    """Mark cells to hide, in place: small groups, then whatever would let them be worked out.

    ``cells`` maps a group name to its cell; ``total`` names the cell that sums all the others.
    """
    k = effective_min_group(min_group)
    for cell in cells.values():
        if 0 < cell.n < k:
            cell.suppressed = True
    if total is None or total not in cells:
        return
    parts = {name: cell for name, cell in cells.items() if name != total}
    while cells[total].shown:
        hidden = sum(cell.n for cell in parts.values() if cell.suppressed)
        if hidden == 0 or hidden >= k:
            break  # nothing hidden, or what is hidden together is itself a large enough group
        candidates = sorted((cell.n, name) for name, cell in parts.items() if cell.shown)
        if candidates:
            parts[candidates[0][1]].suppressed = True
        else:
            cells[total].suppressed = True


@dataclass
class GroupFigures:
    """One group's (survey kind and role) answers, summed: what a release keeps, never who answered."""

    respondents: int = 0
    figures: dict[str, tuple[int, float]] = field(default_factory=dict)  # question id -> (answers, total)
    comments: list[str] = field(default_factory=list)
    waiting: bool = False  # answers are in, none released yet: shown as hidden, not as "no answers"


def group_rows(rows: Sequence[ResponseRow]) -> dict[tuple[str, str], GroupFigures]:
    """Sum response rows per (survey kind, role)."""
    groups: dict[tuple[str, str], GroupFigures] = defaultdict(GroupFigures)
    for row in rows:
        group = groups[(row.kind, row.role)]
        group.respondents += 1
        for question_id, value in row.answers.items():
            if isinstance(value, int):
                n, total = group.figures.get(question_id, (0, 0.0))
                group.figures[question_id] = (n + 1, total + value)
        if row.comment and row.comment.strip():
            group.comments.append(row.comment.strip())
    return dict(groups)


def aggregate(rows: Sequence[ResponseRow], content: Content, min_group: int = DEFAULT_MIN_GROUP) -> ImpactReport:
    """Aggregate survey answers by question, role and survey, with small-group suppression."""
    return aggregate_groups(group_rows(rows), content, min_group)


def aggregate_groups(
    groups: dict[tuple[str, str], GroupFigures], content: Content, min_group: int = DEFAULT_MIN_GROUP
) -> ImpactReport:
    """:func:`aggregate` from per-group sums (the released figures, for a lead's report)."""
    k = effective_min_group(min_group)
    report = ImpactReport(min_group=k)
    for kind in KINDS:
        for role in ROLES:
            group = groups.get((kind, role), GroupFigures())
            report.respondents[(kind, role)] = group.respondents
            comments = sorted(group.comments)
            if group.respondents >= k and comments:
                report.comments[(kind, role)] = comments

    # Which roles were asked each question (by stable id), and its wording.
    asked: dict[str, dict[str, str]] = defaultdict(dict)  # question id -> role -> text
    order: list[str] = []
    for role in ROLES:
        for kind in KINDS:
            for question in content.survey(kind, role).questions:
                if question.id not in asked:
                    order.append(question.id)
                asked[question.id][role] = question.text

    for question_id in order:
        roles = [role for role in ROLES if role in asked[question_id]]
        per_group: dict[str, QuestionResult] = {
            role: QuestionResult(question_id, asked[question_id][role], role) for role in roles
        }
        if len(roles) > 1:
            per_group[ALL] = QuestionResult(question_id, asked[question_id][roles[0]], ALL)
        for kind in KINDS:
            kind_roles = [role for role in roles if _asked_in(content, kind, role, question_id)]
            if not kind_roles:
                continue
            cells: dict[str, Cell] = {}
            for role in kind_roles:
                group = groups.get((kind, role), GroupFigures())
                n, total = group.figures.get(question_id, (0, 0.0))
                cells[role] = Cell(n=int(n), total=float(total), suppressed=group.waiting and not n)
            if len(kind_roles) > 1:
                cells[ALL] = Cell(n=sum(c.n for c in cells.values()), total=sum(c.total for c in cells.values()))
            suppress(cells, k, total=ALL if len(kind_roles) > 1 else None)
            for name, cell in cells.items():
                per_group[name].cells[kind] = cell
        report.questions.extend(per_group.values())
    return report


def _asked_in(content: Content, kind: str, role: str, question_id: str) -> bool:
    return any(q.id == question_id for q in content.survey(kind, role).questions)


def load_responses(session: Session, programme_id: int) -> list[ResponseRow]:
    """The programme's survey answers, without who gave them."""
    rows = session.execute(
        select(SurveyResponse.role, SurveyResponse.kind, SurveyResponse.answers, SurveyResponse.comment).where(
            SurveyResponse.programme_id == programme_id
        )
    ).all()
    return [ResponseRow(role, kind, dict(answers or {}), comment) for role, kind, answers, comment in rows]


def release_results(session: Session, programme_id: int, min_group: int = DEFAULT_MIN_GROUP) -> list[tuple[str, str]]:
    """Release new figures for each group that has at least ``min_group`` new or changed answers.

    Between two releases a group's figures and comments stay exactly as they were, whatever arrives:
    a report before and after one more answer is the same, so subtracting one from the other
    recovers nobody's answer. Once ``min_group`` new answers are in, the group is recomputed from
    every answer it holds and those answers' comments are released with it. Returns the groups
    released now.
    """
    k = effective_min_group(min_group)
    pending = session.execute(
        select(SurveyResponse.kind, SurveyResponse.role, func.count())
        .where(SurveyResponse.programme_id == programme_id, SurveyResponse.released.is_(False))
        .group_by(SurveyResponse.kind, SurveyResponse.role)
    ).all()
    released: list[tuple[str, str]] = []
    for kind, role, count in pending:
        if int(count) < k:
            continue
        in_group = (
            SurveyResponse.programme_id == programme_id,
            SurveyResponse.kind == kind,
            SurveyResponse.role == role,
        )
        answers = session.execute(select(SurveyResponse.answers).where(*in_group)).scalars().all()
        sums = group_rows([ResponseRow(role, kind, dict(a or {})) for a in answers])
        group = sums.get((kind, role), GroupFigures())
        release = session.scalar(
            select(ImpactRelease).where(
                ImpactRelease.programme_id == programme_id, ImpactRelease.kind == kind, ImpactRelease.role == role
            )
        )
        if release is None:
            release = ImpactRelease(programme_id=programme_id, kind=kind, role=role)
            session.add(release)
        release.respondents = group.respondents
        release.figures = {q: [n, total] for q, (n, total) in group.figures.items()}
        release.released_at = now()
        session.execute(update(SurveyResponse).where(*in_group).values(released=True))
        released.append((kind, role))
    session.flush()
    return released


def released_impact(session: Session, programme_id: int, content: Content, min_group: int) -> ImpactReport:
    """The impact figures a lead may see now: the last release of each group (releasing what is due)."""
    release_results(session, programme_id, min_group)
    groups: dict[tuple[str, str], GroupFigures] = {}
    for release in session.scalars(select(ImpactRelease).where(ImpactRelease.programme_id == programme_id)):
        groups[(release.kind, release.role)] = GroupFigures(
            respondents=release.respondents,
            figures={q: (int(value[0]), float(value[1])) for q, value in (release.figures or {}).items()},
        )
    comments = session.execute(
        select(SurveyResponse.kind, SurveyResponse.role, SurveyResponse.comment).where(
            SurveyResponse.programme_id == programme_id,
            SurveyResponse.released.is_(True),
            SurveyResponse.comment.isnot(None),
        )
    ).all()
    for kind, role, comment in comments:
        if (kind, role) in groups and comment and comment.strip():
            groups[(kind, role)].comments.append(comment.strip())
    for kind, role in session.execute(
        select(SurveyResponse.kind, SurveyResponse.role).distinct().where(SurveyResponse.programme_id == programme_id)
    ).all():
        if (kind, role) not in groups:
            groups[(kind, role)] = GroupFigures(waiting=True)
    return aggregate_groups(groups, content, min_group)


# ------------------------------------------------------------------------------------------
# Report artefacts: CSV and PNG chart. Never any reflection, concern or survey comment text.


@dataclass
class PairLine:
    """One pair's progress, for the CSV (names and numbers only)."""

    pair_id: int
    mentor: str
    mentee: str
    status: str
    introduced: bool
    contract_agreed: date | None
    sessions_held: int
    sessions_planned: int | None
    last_session: date | None
    next_session: date | None
    at_risk: bool
    at_risk_reason: str | None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading ``'`` (OWASP).

    Numbers stay numbers: ints and floats are written as they are, and so is text that is only a
    number (a signed change such as ``+0.50`` or ``-1.00``, a rate such as ``40%``).
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class _SafeWriter:
    """``csv.writer`` with every cell passed through :func:`csv_cell`."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Sequence[object]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in row])


def report_csv(
    programme_name: str,
    summary: Sequence[tuple[str, str]],
    pairs: Sequence[PairLine],
    impact: ImpactReport,
) -> bytes:
    """The lead's export: programme summary, pair progress and impact aggregates (suppressed cells blank).

    Every cell that came from a person (names, the programme's name) is neutralised if a spreadsheet
    would read it as a formula (:func:`csv_cell`).
    """
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(["section", "programme", programme_name])
    writer.writerow([])
    writer.writerow(["summary", "measure", "value"])
    for measure, value in summary:
        writer.writerow(["summary", measure, value])
    writer.writerow([])
    writer.writerow(
        [
            "pair",
            "pair_id",
            "mentor",
            "mentee",
            "status",
            "introduced",
            "contract_agreed",
            "sessions_held",
            "sessions_planned",
            "last_session",
            "next_session",
            "at_risk",
            "at_risk_reason",
        ]
    )
    for line in pairs:
        writer.writerow(
            [
                "pair",
                line.pair_id,
                line.mentor,
                line.mentee,
                line.status,
                "yes" if line.introduced else "no",
                line.contract_agreed.isoformat() if line.contract_agreed else "",
                line.sessions_held,
                "" if line.sessions_planned is None else line.sessions_planned,
                line.last_session.isoformat() if line.last_session else "",
                line.next_session.isoformat() if line.next_session else "",
                "yes" if line.at_risk else "no",
                line.at_risk_reason or "",
            ]
        )
    writer.writerow([])
    writer.writerow(
        ["impact", "question_id", "group", "survey", "respondents", "mean", "note", "change_baseline_to_end"]
    )
    for result in impact.questions:
        for kind, cell in result.cells.items():
            empty = cell.n == 0 and not cell.suppressed
            note = "" if cell.shown else ("no answers" if empty else f"hidden: group under {impact.min_group}")
            writer.writerow(
                [
                    "impact",
                    result.question_id,
                    result.group,
                    kind,
                    cell.n if cell.shown else "",
                    f"{cell.mean:.2f}" if cell.mean is not None else "",
                    note,
                    f"{result.change:+.2f}" if kind == "end" and result.change is not None else "",
                ]
            )
    return out.getvalue().encode("utf-8")


def report_chart(programme_name: str, sessions_per_month: Sequence[tuple[str, int]], impact: ImpactReport) -> bytes:
    """A PNG: sessions held per month, and baseline versus end means for the questions that may be shown."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    compared = [
        result
        for result in impact.questions
        if result.cells.get("baseline") is not None
        and result.cells.get("end") is not None
        and result.cells["baseline"].shown
        and result.cells["end"].shown
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    months = [month for month, _ in sessions_per_month]
    counts = [count for _, count in sessions_per_month]
    left.bar(months or ["(none yet)"], counts or [0], color="#2a7ab0")
    left.set_title("Sessions held per month")
    left.set_ylabel("Sessions")
    left.tick_params(axis="x", rotation=45, labelsize=8)
    if compared:
        labels = [f"{r.question_id} ({r.group})" for r in compared]
        positions = list(range(len(compared)))
        base = [r.cells["baseline"].mean or 0 for r in compared]
        end = [r.cells["end"].mean or 0 for r in compared]
        right.barh([p + 0.2 for p in positions], base, height=0.4, label="Baseline", color="#b0b0b0")
        right.barh([p - 0.2 for p in positions], end, height=0.4, label="End", color="#1b9e77")
        right.set_yticks(positions, labels, fontsize=7)
        right.set_xlim(0, 5)
        right.legend(fontsize=8)
    else:
        right.text(
            0.5,
            0.5,
            f"Baseline versus end is shown\nonce both have at least {impact.min_group} answers",
            ha="center",
            va="center",
            fontsize=9,
        )
        right.set_xticks([])
        right.set_yticks([])
    right.set_title("Average score, baseline versus end (1-5)")
    figure.suptitle(programme_name, parse_math=False)  # a name with $ signs is text, never mathtext
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------
# The lead's report: programme health, sessions per month and impact, in one object.


@dataclass
class ProgrammeReport:
    programme_id: int
    name: str
    status: str
    summary: list[tuple[str, str]]
    pairs: list[PairLine]
    sessions_per_month: list[tuple[str, int]]
    impact: ImpactReport
    concerns_open: int
    generated_at: str


def programme_report(session: Session, programme_id: int, content: Content, min_group: int) -> ProgrammeReport:
    """Everything the lead's report and CSV show. Counts, names and aggregates: never anyone's text."""
    from bot.clock import as_utc, now
    from bot.home.service import lead_dashboard
    from bot.models import MentoringSession

    board = lead_dashboard(session, programme_id, page_size=10**9)
    months: dict[str, int] = defaultdict(int)
    for (starts_at,) in session.execute(
        select(MentoringSession.starts_at).where(
            MentoringSession.programme_id == programme_id, MentoringSession.status == "held"
        )
    ).all():
        months[as_utc(starts_at).strftime("%Y-%m")] += 1
    impact = released_impact(session, programme_id, content, min_group)
    rate = board.reflection_rate
    waiting = board.waiting
    summary = [
        ("status", board.status),
        ("pairs", str(board.pairs_total)),
        ("pairs_active", str(board.pairs_by_status.get("active", 0))),
        ("pairs_paused", str(board.pairs_by_status.get("paused", 0))),
        ("pairs_ended", str(board.pairs_by_status.get("ended", 0))),
        ("pairs_introduced", str(board.introduced)),
        ("pairs_contract_agreed", str(board.contract_agreed)),
        ("pairs_at_risk", str(board.at_risk)),
        ("sessions_held", str(board.sessions_held)),
        ("sessions_planned", str(board.sessions_planned)),
        ("waiting_mentors", str(waiting.get("mentor", 0))),
        ("waiting_mentees", str(waiting.get("mentee", 0))),
        ("reflection_completion", "" if rate is None else f"{rate:.0%}"),
        ("open_concerns", str(board.open_concerns)),
    ]
    for kind, (asked, answered) in board.surveys.items():
        summary.append((f"survey_{kind}_asked", str(asked)))
        summary.append((f"survey_{kind}_answered", str(answered)))
    pairs = [
        PairLine(
            pair_id=row.pair_id,
            mentor=row.mentor_name,
            mentee=row.mentee_name,
            status=row.status,
            introduced=row.introduced,
            contract_agreed=row.contract_agreed_at.date() if row.contract_agreed_at else None,
            sessions_held=row.held,
            sessions_planned=row.planned,
            last_session=row.last_session.date() if row.last_session else None,
            next_session=row.next_session.date() if row.next_session else None,
            at_risk=row.at_risk,
            at_risk_reason=row.at_risk_reason,
        )
        for row in board.rows
    ]
    return ProgrammeReport(
        programme_id=board.programme_id,
        name=board.name,
        status=board.status,
        summary=summary,
        pairs=pairs,
        sessions_per_month=sorted(months.items()),
        impact=impact,
        concerns_open=board.open_concerns,
        generated_at=now().isoformat(timespec="minutes"),
    )


REPORT_KIND = "lead_report"


def request_report(
    db: Database, programme_id: int, lead_id: str, *, fmt: str = "summary", min_group: int, admin: bool = False
) -> None:
    """Send a lead the report (summary with a PNG chart, or ``fmt="csv"``) in their DM.

    It is built when the dispatcher sends it, from the database as it is then; the row holds ids only.
    """
    from bot import outbox
    from bot.clock import now
    from bot.programmes.access import require_lead

    if fmt not in {"summary", "csv"}:
        raise ValueError(fmt)
    with db.session() as session:
        require_lead(session, programme_id, lead_id, admin=admin)
        outbox.enqueue(
            session,
            kind=REPORT_KIND,
            key=f"report:{programme_id}:{lead_id}:{fmt}:{now().isoformat()}",
            recipient_user_id=lead_id,
            programme_id=programme_id,
            payload={"programme_id": programme_id, "format": fmt, "min_group": min_group, "admin": admin},
        )
