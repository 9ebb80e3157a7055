"""Command-line entry point: ``python -m bot <command>``."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from bot.content import ContentError
from bot.db import Database, SchemaOutOfDate
from bot.errors import NotFound
from bot.logging_setup import configure_logging
from bot.settings import Mode, Settings, SettingsError, load_settings

log = logging.getLogger("bot")


def _settings_for(mode: Mode) -> Settings:
    settings = load_settings()
    settings.require_for(mode)
    configure_logging(settings.log_level_number)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    """Socket Mode, for development: no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app
    from bot.runtime import Runtime

    settings = _settings_for("run")
    runtime = Runtime.build(settings)
    app = create_app(runtime)
    if settings.run_dispatcher is not False:
        from bot.worker import start_background_worker

        start_background_worker(runtime)
    assert settings.slack_app_token is not None
    log.info("Connecting to Slack in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """HTTP mode: Slack posts to POST /slack/events on $PORT."""
    from bot.app import create_app
    from bot.runtime import Runtime
    from bot.web import create_wsgi_app, make_http_server

    settings = _settings_for("serve")
    runtime = Runtime.build(settings)
    if settings.run_dispatcher:
        from bot.worker import start_background_worker

        start_background_worker(runtime)
    application = create_wsgi_app(create_app(runtime), runtime.db, signing_secret=settings.signing_secret)
    server = make_http_server(application, args.host, settings.port, settings.http_threads)
    # Everything loaded at start lives for the whole process: keep the collector from rescanning it.
    gc.collect()
    gc.freeze()
    log.info("Listening on http://%s:%s/slack/events", args.host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The scheduler process: periodic jobs that do not belong in a web request."""
    from bot.runtime import Runtime
    from bot.worker import run_worker

    settings = _settings_for("worker")
    run_worker(Runtime.build(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings_for("migrate")
    db = Database(settings.database_url)
    if args.downgrade:
        db.downgrade(args.downgrade)
    else:
        db.migrate(args.to)
    print(f"Database schema is at revision {db.current_revision() or 'base (empty)'}.")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from bot.crypto import generate_key

    print(generate_key())
    return 0


def cmd_reencrypt(args: argparse.Namespace) -> int:
    from bot import crypto
    from bot.reencrypt import personalise_all, reencrypt_all

    settings = _settings_for("tools")
    if not settings.keys:
        raise SettingsError("ENCRYPTION_KEYS is missing: make one with `python -m bot keygen`.")
    crypto.configure(settings.keys)
    db = Database(settings.database_url)
    db.ensure_schema(settings.auto_migrate)
    moved = personalise_all(db)
    count = reencrypt_all(db)
    print(f"Moved {moved} value(s) to their owner's data key; re-encrypted {count} value(s) with the newest key.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Bulk-load participants from a CSV; bad rows are reported by line and not saved."""
    from bot.programmes.enrolment import Person
    from bot.programmes.imports import import_participants
    from bot.programmes.service import find_programme
    from bot.runtime import Runtime

    settings = _settings_for("tools")
    settings.require_for("worker")  # needs the bot token (to find people) and the encryption keys
    runtime = Runtime.build(settings)
    programme = find_programme(runtime.db, args.programme)

    def resolve(id_or_email: str) -> Person | None:
        user = runtime.gateway.find_user(id_or_email)
        return None if user is None or user.deleted else Person(user.id, user.real_name, user.tz)

    with open(args.csv, encoding="utf-8") as handle:
        report = import_participants(runtime.db, programme, handle.read(), resolve, runtime.content)
    added, updated, problems = len(report.added), len(report.updated), len(report.problems)
    print(f"{programme.name}: {added} added, {updated} updated, {problems} problem(s).")
    for problem in report.problems:
        print(f"  {problem}")
    if report.skipped:
        print(f"{len(report.skipped)} skipped (they chose to leave; only they can join again):")
        for skipped in report.skipped:
            print(f"  {skipped}")
    if report.added:
        print("Each new person is sent an invitation to confirm their profile (by the worker's dispatcher).")
    return 1 if report.problems else 0


def cmd_import_event(args: argparse.Namespace) -> int:
    """Load a speed mentoring event's participants from a CSV; bad rows are reported by line and not saved."""
    from bot.runtime import Runtime
    from bot.speed_events.imports import import_event_participants
    from bot.speed_events.records import PersonInfo, find_event

    settings = _settings_for("tools")
    settings.require_for("worker")  # needs the bot token (to find people) and the encryption keys
    runtime = Runtime.build(settings)
    event = find_event(runtime.db, args.event)

    def resolve(id_or_email: str) -> PersonInfo | None:
        user = runtime.gateway.find_user(id_or_email)
        if user is None or user.deleted or user.is_bot:
            return None
        return PersonInfo(user.id, user.real_name, user.title, user.tz)

    with open(args.csv, encoding="utf-8") as handle:
        report = import_event_participants(runtime.db, event, handle.read(), resolve)
    added, updated, problems = len(report.added), len(report.updated), len(report.problems)
    print(f"{event.name}: {added} added, {updated} updated, {problems} problem(s).")
    for problem in report.problems:
        print(f"  {problem}")
    if report.added:
        print("Each new person is sent an invitation with an RSVP (by the worker's dispatcher).")
    return 1 if report.problems else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    run_demo(out=sys.stdout, full=args.full)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The lead's report from the command line: a summary, and the CSV (and chart) written to files."""
    from bot import crypto
    from bot.content import load_content
    from bot.impact.service import programme_report, report_chart, report_csv
    from bot.programmes.service import find_programme

    settings = _settings_for("tools")
    if settings.keys:
        crypto.configure(settings.keys)
    db = Database(settings.database_url)
    db.ensure_schema(settings.auto_migrate)
    programme = find_programme(db, args.programme)
    with db.session() as session:
        report = programme_report(session, programme.id, load_content(), settings.min_group_size)
    print(f"Report for {report.name} ({report.status}), generated {report.generated_at}")
    for measure, value in report.summary:
        print(f"  {measure}: {value}")
    shown = sum(1 for _ in report.impact.shown_cells)
    print(f"  impact: {shown} survey figure(s) shown (groups of at least {report.impact.min_group})")
    if args.csv:
        with open(args.csv, "wb") as handle:
            handle.write(report_csv(report.name, report.summary, report.pairs, report.impact))
        print(f"Wrote {len(report.pairs)} pair(s) and the aggregates to {args.csv} (no reflection or concern text).")
    if args.png:
        with open(args.png, "wb") as handle:
            handle.write(report_chart(report.name, report.sessions_per_month, report.impact))
        print(f"Wrote the chart to {args.png}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Reverse mentoring Slack app")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("run", help="run in Socket Mode (development)").set_defaults(func=cmd_run)
    serve = commands.add_parser("serve", help="run the HTTP server on $PORT (production)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.set_defaults(func=cmd_serve)
    commands.add_parser("worker", help="run the scheduler and dispatcher").set_defaults(func=cmd_worker)
    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--to", default="head", help="revision to upgrade to (default: head)")
    migrate.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION instead")
    migrate.set_defaults(func=cmd_migrate)
    commands.add_parser("keygen", help="print a new encryption key").set_defaults(func=cmd_keygen)
    commands.add_parser("reencrypt", help="re-encrypt sensitive text with the newest key").set_defaults(
        func=cmd_reencrypt
    )
    demo = commands.add_parser("demo", help="play a scripted programme offline (brief; --full for the whole year)")
    demo.add_argument("--full", action="store_true", help="play the whole programme year, not the brief story")
    demo.set_defaults(func=cmd_demo)
    importer = commands.add_parser("import", help="bulk-load participants from a CSV")
    importer.add_argument("csv", help="columns: slack, role, organisation, department, title, manager, topics")
    importer.add_argument("--programme", required=True, help="the programme's name")
    importer.set_defaults(func=cmd_import)
    reporter = commands.add_parser("report", help="a programme's report; --csv writes the export")
    reporter.add_argument("--programme", required=True, help="the programme's name")
    reporter.add_argument("--csv", metavar="FILE", help="write the CSV export to FILE")
    reporter.add_argument("--png", metavar="FILE", help="write the chart to FILE")
    reporter.set_defaults(func=cmd_report)
    event_importer = commands.add_parser("import-event", help="load a speed mentoring event's participants from a CSV")
    event_importer.add_argument("csv", help="columns: slack (user ID or email), role (mentor or mentee), organisation")
    event_importer.add_argument("--event", required=True, help="the event's name")
    event_importer.set_defaults(func=cmd_import_event)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (SettingsError, SchemaOutOfDate, ContentError, NotFound, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
