"""The whole app running against the local Slack emulator: used by the tests and the offline demo.

``LocalSlack`` starts the emulator, builds the real Bolt app with ``SLACK_API_URL`` pointing at it,
serves it over HTTP with the production server stack (waitress + Bolt's WSGI adapter), and hands
out simulated people whose clicks and commands arrive as signed HTTP requests. After each request
it waits until the app's background work (what a listener does after ``ack()``) has finished, so
a story can assert on what each person sees next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.app import create_app
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
        self._own_emulator = emulator is None
        if self._own_emulator:
            # Journeys run without Slack's rate limits (a known gap: with them on, rows held back for
            # them wait on a frozen clock); the emulator's own tests and the dispatcher's pacing tests
            # run them at Slack's speed.
            self.emulator.enforce_rate_limits(False)
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
        self.dispatcher = Dispatcher(self.runtime, worker_id="local", per_conversation_interval=0)
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
        """Send every outbox message that is due now (as the worker would), then let the app settle."""
        if self.dispatcher is None:
            raise RuntimeError("LocalSlack is not started")
        sent = self.dispatcher.run_until_idle()
        self.settle()
        return sent

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
