"""Bulk-loading participants from a CSV: good rows in, bad rows reported by line and not saved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from bot.clock import now
from bot.db import Database
from bot.local_slack import LocalSlack
from bot.models import Enrolment, OutboxMessage
from tests.factory import create_programme


def test_import_then_people_confirm_before_matching(slack: LocalSlack, db: Database, tmp_path: Path) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot", cross=False)
    amara = slack.person("amara", real_name="Amara Okafor", email="amara@example.com")
    diana = slack.person("diana", real_name="Diana Reyes", email="diana@example.com")
    manager = slack.person("mo", email="mo@example.com")
    csv_text = (
        "slack,role,organisation,department,title,manager,topics\n"
        f"amara@example.com,mentor,Acme,Finance,Analyst,mo@example.com,Gender;disability\n"
        f"{diana.user_id},mentee,Acme,Strategy,CFO,,\n"
        "nobody@example.com,mentor,Acme,Finance,,,\n"
        f"{manager.user_id},boss,Acme,,,,\n"
        f"{manager.user_id},mentor,Acme,HR,,{manager.user_id},astrology\n"
    )
    path = tmp_path / "people.csv"
    path.write_text(csv_text)
    assert slack.runtime is not None
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.emulator.bot_token,
        "SLACK_API_URL": slack.emulator.api_url,
        "DATABASE_URL": db.url,
        "ENCRYPTION_KEYS": ",".join(slack.runtime.settings.keys) or _current_key(),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(path), "--programme", "Pilot"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Pilot: 2 added, 0 updated, 3 problem(s)." in result.stdout
    assert "line 4: Slack does not know nobody@example.com" in result.stdout
    assert "line 5: role must be mentor or mentee; department is empty" in result.stdout
    assert "line 6: unknown topic 'astrology'; a person cannot be their own manager" in result.stdout
    with db.session() as session:
        rows = {e.user_id: e for e in session.scalars(select(Enrolment))}
    assert set(rows) == {amara.user_id, diana.user_id}
    assert rows[amara.user_id].line_manager_id == manager.user_id
    assert rows[amara.user_id].topics == ["gender", "disability"]
    assert rows[amara.user_id].privacy_confirmed_at is None

    # Not matchable until they confirm the privacy notice.
    lead.command("/mentoring", "match")
    from bot.emulator import view_text

    assert "0 pairs proposed, 2 people waiting" in view_text(lead.modal or {})
    assert "has not yet confirmed the privacy notice" in view_text(lead.modal or {})
    lead.close_modal()

    # The import ran on the real clock: an invitation made outside working hours waits for the
    # person's morning (tests/test_humane_timing.py); this story brings it forward.
    with db.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(send_at=now()))
    slack.deliver()  # the invitations
    for person in (amara, diana):
        person.click("Review my profile")
        assert person.modal is not None
        fields = {"Privacy notice": True}
        if person is diana:
            fields.update(
                {
                    "Mentees: the state of inclusion in my part of the business today": "Patchy.",
                    "Mentees: the gap in understanding I hope to close": "Everyday barriers.",
                }
            )
        person.fill(fields)
        assert not person.submit().errors
    lead.command("/mentoring", "match")
    assert "1 pair proposed" in view_text(lead.modal or {})


def _current_key() -> str:
    from tests.conftest import TEST_KEY

    return TEST_KEY
