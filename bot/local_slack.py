"""The whole app running against the local Slack emulator: used by the tests and the offline demo.

``LocalSlack`` starts the emulator, builds the real Bolt app with ``SLACK_API_URL`` pointing at it,
serves it over HTTP with the production server stack (waitress + Bolt's WSGI adapter), and hands
out simulated people whose clicks and commands arrive as signed HTTP requests. After each request
it waits until the app's background work (what a listener does after ``ack()``) has finished, so
a story can assert on what each person sees next.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import freezegun.api

from bot.app import create_app
from bot.clock import now
from bot.content import load_content
from bot.db import Database
from bot.emulator import SimulatedUser, SlackEmulator
from bot.emulator.simulated import AppResponse
from bot.outbox.dispatcher import Dispatcher
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from bot.web import EVENTS_PATH, BackgroundServer, create_wsgi_app, make_http_server

SIGNING_SECRET = "local-signing-secret"
HELD_TURN_HORIZON = timedelta(seconds=61)  # the longest wait Slack's limits impose (a tier's minute)
MAX_WAIT_FOR_SLACK = timedelta(minutes=5)  # per deliver(): past this a story is stuck, not slow


def frozen_clock() -> freezegun.api.FrozenDateTimeFactory | None:
    """The app's clock if a test or the demo froze it (freezegun keeps its active clocks in a list)."""
    frozen = [f for f in freezegun.api.freeze_factories if isinstance(f, freezegun.api.FrozenDateTimeFactory)]
    return frozen[-1] if frozen else None


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that can tell when all the work handed to it is done."""

    def __init__(self, max_workers: int = 8) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._one_done)
        return future

    def _one_done(self, _future: Future[Any]) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise TimeoutError("the app's background work did not finish in time")


class Person(SimulatedUser):
    """A simulated user whose every request waits for the app to settle before returning."""

    def __init__(self, world: LocalSlack, user_id: str, **kwargs: Any) -> None:
        super().__init__(world.emulator, world.app_url, SIGNING_SECRET, user_id, **kwargs)
        self.world = world

    def _variant(self, signing: Any) -> SimulatedUser:
        return Person(self.world, self.user_id, timeout=self.timeout, signing=signing)

    def post_raw(self, body: bytes, content_type: str, extra_headers: Mapping[str, str] | None = None) -> AppResponse:
        response = super().post_raw(body, content_type, extra_headers)
        self.world.settle()
        return response


class LocalSlack:
    def __init__(
        self, db: Database, *, settings: Settings | None = None, emulator: SlackEmulator | None = None
    ) -> None:
        self.emulator = emulator or SlackEmulator()
        self._own_emulator = emulator is None  # Slack's rate limits stay on, as in a workspace
        self.db = db
        self.executor = TrackingExecutor()
        self._server: BackgroundServer | None = None
        self.runtime: Runtime | None = None
        self.dispatcher: Dispatcher | None = None

    def start(self, **settings: Any) -> LocalSlack:
        if self._own_emulator:
            self.emulator.start()
        values: dict[str, Any] = {
            "slack_bot_token": self.emulator.bot_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.emulator.api_url,
            "database_url": self.db.url,
        }
        values.update(settings)
        config = Settings(**values)
        gateway = SlackGateway.connect(config.bot_token, config.slack_api_url)
        self.runtime = Runtime(
            settings=config, db=self.db, gateway=gateway, content=load_content().with_settings(config)
        )
        self.dispatcher = Dispatcher(self.runtime, worker_id="local")  # paced at Slack's speed
        app = create_app(self.runtime, listener_executor=self.executor)
        server = make_http_server(create_wsgi_app(app, self.db), "127.0.0.1", 0, threads=8)
        self._server = BackgroundServer(server).start()
        return self

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalSlack is not started")
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def app_url(self) -> str:
        return self.base_url + EVENTS_PATH

    def settle(self) -> None:
        self.executor.wait_idle()

    def deliver(self) -> int:
        """Send every outbox message that is due now (as the worker would), then let the app settle.

        Rows the dispatcher put back to keep to Slack's limits (its pacing, or a 429's Retry-After)
        go too: this waits for their turn. On a frozen clock the wait is simulated: the emulator's
        limits count it (their clock never goes back, so nothing is posted faster than Slack
        allows) and the app's clock moves on while it waits, then returns to the story's time, so a
        story's schedule does not drift by the seconds its posts were paced.
        """
        if self.dispatcher is None:
            raise RuntimeError("LocalSlack is not started")
        sent, waited = 0, 0.0
        clock = frozen_clock()
        try:
            while True:
                sent += self.dispatcher.run_until_idle()
                self.settle()
                turn = self.dispatcher.next_held_turn(within=HELD_TURN_HORIZON)
                if turn is None:
                    return sent
                seconds = max(0.0, (turn - now()).total_seconds())
                waited += seconds
                if waited > MAX_WAIT_FOR_SLACK.total_seconds():
                    raise TimeoutError(f"outbox rows still held back for Slack's limits after {waited:.0f} s")
                self.pass_time(seconds, clock)
        finally:
            if clock is not None and waited:
                clock.tick(-timedelta(seconds=waited))

    def pass_time(self, seconds: float, clock: freezegun.api.FrozenDateTimeFactory | None = None) -> None:
        """Let ``seconds`` pass for Slack's limits and for the app: simulated on a frozen clock (the
        clock given, or the one a test or the demo froze), real time otherwise."""
        clock = clock or frozen_clock()
        if clock is None:
            time.sleep(seconds)
            return
        clock.tick(timedelta(seconds=seconds))
        self.emulator.let_time_pass_for_limits(seconds)

    def person(self, name: str, *, real_name: str | None = None, **attributes: Any) -> Person:
        """Add someone to the Slack workspace and return them as a simulated user."""
        user_id = self.emulator.add_user(name=name, real_name=real_name or name.title(), **attributes)
        return Person(self, user_id)

    def stop(self) -> None:
        self.settle()
        if self._server is not None:
            self._server.stop()
        self.executor.shutdown(wait=True)
        if self.dispatcher is not None:
            self.dispatcher.close()
        if self._own_emulator:
            self.emulator.stop()

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
