"""Fault injection, latency, dropped connections and rate limits, seen through slack_sdk."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.emulator import ManualClock, SlackEmulator


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record (and skip) the sleeps slack_sdk's retry handlers make."""
    recorded: list[float] = []
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time.sleep", recorded.append)
    monkeypatch.setattr("slack_sdk.http_retry.handler.time.sleep", recorded.append)
    return recorded


def test_fail_next_with_a_slack_error(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("auth.test", error="account_inactive")
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response["error"] == "account_inactive"
    assert client.auth_test()["ok"] is True


def test_429_retry_after_is_honoured(emu: SlackEmulator, client: WebClient, sleeps: list[float]) -> None:
    uid = emu.add_user(name="amara")
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=2)]
    emu.fail_next("chat.postMessage", status=429, retry_after=7)
    res = client.chat_postMessage(channel=uid, text="hello")
    assert res["ok"] is True
    assert len(sleeps) == 1 and 7 <= sleeps[0] < 8
    first, second = emu.calls_to("chat.postMessage")
    assert (first.http_status, first.error) == (429, "ratelimited") and second.ok
    assert len(emu.messages_in(res["channel"])) == 1


def test_429_without_retry_handler_surfaces_headers(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("users.info", status=429, retry_after=3)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user=emu.bot_user_id)
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] in ("3", ["3"])


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_retried_by_server_error_handler(emu: SlackEmulator, client: WebClient, sleeps: list[float],
                                             status: int) -> None:
    client.retry_handlers = [ServerErrorRetryHandler(
        max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.0))]
    emu.fail_next("auth.test", status=status, count=2)
    assert client.auth_test()["ok"] is True
    assert [c.http_status for c in emu.calls_to("auth.test")] == [status, status, 200]


def test_dropped_connection(emu: SlackEmulator, client: WebClient) -> None:
    emu.drop_next_connection("auth.test")
    with pytest.raises(Exception):  # noqa: B017 - urllib raises RemoteDisconnected/URLError
        client.auth_test()
    emu.drop_next_connection("auth.test")
    client.retry_handlers = [ConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0))]
    assert client.auth_test()["ok"] is True
    assert [c.http_status for c in emu.calls_to("auth.test")] == [0, 0, 200]


def test_dropped_after_processing_duplicates_on_retry(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    client.retry_handlers = [ConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0))]
    emu.drop_next_connection("chat.postMessage", after_processing=True)
    client.chat_postMessage(channel=uid, text="once?")
    assert len(emu.messages_in(emu.im_channel(uid) or "")) == 2  # the answer was lost, the post was not


def test_latency(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_latency(0.2, method="auth.test")
    started = time.perf_counter()
    client.auth_test()
    assert time.perf_counter() - started >= 0.2
    emu.set_latency(0, method="auth.test")
    started = time.perf_counter()
    client.users_info(user=emu.bot_user_id)
    assert time.perf_counter() - started < 0.2


def test_latency_beyond_client_timeout(emu: SlackEmulator) -> None:
    emu.set_latency(0.5)
    client = WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=0.1)  # type: ignore[arg-type]
    client.retry_handlers = []
    with pytest.raises(Exception):  # noqa: B017 - socket timeout
        client.auth_test()


def test_fail_randomly_is_seeded(emu: SlackEmulator, client: WebClient) -> None:
    def run() -> list[int]:
        emu.reset_calls()
        emu.fail_randomly(rate=0.5, statuses=(500,), seed=42)
        for _ in range(20):
            with contextlib.suppress(SlackApiError):
                client.auth_test()
        emu.fail_randomly(rate=0)
        return [c.http_status for c in emu.calls]

    first = run()
    assert 0 < first.count(500) < 20 and first == run()


def test_rate_limits_on_by_default_at_slacks_speed_and_can_be_switched_off() -> None:
    with SlackEmulator() as emu:  # real time, Slack's rates
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        client.retry_handlers = []
        uid = emu.add_user(name="amara")
        statuses = [_limited(client.chat_postMessage, channel=uid, text=str(i))[0] for i in range(5)]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]  # a small burst, then ~1 per second
        emu.enforce_rate_limits(False)
        for i in range(10):
            client.chat_postMessage(channel=uid, text=str(i))
    with SlackEmulator(rate_limits=False) as quiet:
        client = WebClient(token=quiet.bot_token, base_url=quiet.api_url)
        uid = quiet.add_user(name="amara")
        for i in range(10):
            client.chat_postMessage(channel=uid, text=str(i))


def test_rate_limits_use_real_time_not_the_frozen_clock() -> None:
    from freezegun import freeze_time

    with SlackEmulator() as emu, freeze_time("2030-01-01 09:00:00"):
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        client.retry_handlers = []
        uid = emu.add_user(name="amara")
        emu.enforce_rate_limits(True, speedup=20, post_message_burst=1)  # 20 per second per channel
        assert _limited(client.chat_postMessage, channel=uid, text="1")[0] == 200
        assert _limited(client.chat_postMessage, channel=uid, text="2")[0] == 429
        threading.Event().wait(0.1)  # real time passes: the bucket refills although the clock is frozen
        assert _limited(client.chat_postMessage, channel=uid, text="3")[0] == 200


def _limited(call: Any, **kwargs: Any) -> tuple[int, str | None]:
    try:
        call(**kwargs)
        return 200, None
    except SlackApiError as exc:
        headers = exc.response.headers
        retry = headers.get("Retry-After") or headers.get("retry-after")
        return exc.response.status_code, retry[0] if isinstance(retry, list) else retry


def test_post_message_rate_limit_is_per_channel() -> None:
    clock = ManualClock()
    with SlackEmulator(clock=clock) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        client.retry_handlers = []
        a, b = emu.add_user(name="a"), emu.add_user(name="b")
        emu.enforce_rate_limits(True, post_message_burst=3)
        for _ in range(3):
            assert _limited(client.chat_postMessage, channel=emu.open_im(a), text="x") == (200, None)
        assert _limited(client.chat_postMessage, channel=emu.open_im(a), text="x") == (429, "1")
        assert _limited(client.chat_postMessage, channel=emu.open_im(b), text="x") == (200, None)
        clock.advance(1.0)
        assert _limited(client.chat_postMessage, channel=emu.open_im(a), text="x") == (200, None)
        assert emu.calls_to("chat.postMessage")[3].error == "ratelimited"


def test_tier_limits_with_speedup() -> None:
    clock = ManualClock()
    with SlackEmulator(clock=clock) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        client.retry_handlers = []
        uid = emu.add_user(name="a")
        channel = client.chat_postMessage(channel=uid, text="pin")["channel"]
        emu.enforce_rate_limits(True, speedup=60)  # Tier 2 = 20 per second
        for _ in range(20):
            assert _limited(client.pins_remove, channel=channel, timestamp="1.1")[0] == 200  # no_pin, not 429
        status, retry = _limited(client.pins_remove, channel=channel, timestamp="1.1")
        assert status == 429 and retry == "1"
        clock.advance(1.0)
        assert _limited(client.pins_remove, channel=channel, timestamp="1.1")[0] != 429
        emu.enforce_rate_limits(False)
        assert _limited(client.auth_test)[0] == 200


def test_simulated_waits_count_for_the_limits_only() -> None:
    """A story on a frozen clock waits for its turn by adding simulated time to the limits' clock:
    the refused post is accepted after the wait Slack asked for, and not a moment earlier, while
    trigger ids keep real time (a simulated wait does not expire them)."""
    clock = ManualClock()
    with SlackEmulator(clock=clock) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        client.retry_handlers = []
        uid = emu.add_user(name="a")
        emu.enforce_rate_limits(True, post_message_burst=1)
        trigger = emu.issue_trigger_id(uid)
        assert _limited(client.chat_postMessage, channel=uid, text="1") == (200, None)
        assert _limited(client.chat_postMessage, channel=uid, text="2") == (429, "1")
        emu.let_time_pass_for_limits(0.5)
        assert _limited(client.chat_postMessage, channel=uid, text="2") == (429, "1")
        emu.let_time_pass_for_limits(0.5)
        assert _limited(client.chat_postMessage, channel=uid, text="2") == (200, None)
        emu.let_time_pass_for_limits(-60)  # never back: no tokens minted, none taken away
        assert _limited(client.chat_postMessage, channel=uid, text="3")[0] == 429
        emu.let_time_pass_for_limits(3600)
        view = {"type": "modal", "title": {"type": "plain_text", "text": "Still valid"}, "blocks": []}
        assert client.views_open(trigger_id=trigger, view=view)["ok"]
