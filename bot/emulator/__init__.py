"""A local Slack: a stateful Web API emulator and simulated users that send signed requests.

Nothing here ever calls slack.com. See DESIGN.md §7. Typical use in a test::

    with SlackEmulator() as emu:
        amara = emu.add_user(name="amara", real_name="Amara Okafor", tz="Europe/London")
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)   # give this to the Bolt app
        ...serve the Bolt app on http://127.0.0.1:PORT/slack/events...
        alice = SimulatedUser(emu, app_url, signing_secret, amara)
        alice.command("/mentoring", "join")
        alice.fill({"Organisation": "Acme"}); alice.choose("Role", "Mentor")
        assert alice.submit().errors == {}
        alice.click("Schedule first session")
        assert "booked" in alice.last_message().text

With Bolt's default ``process_before_response=False`` listeners finish after the ack; wait with
``emu.wait_for(lambda: alice.modal)`` (works under freezegun) or build the test app with
``process_before_response=True``.
"""

from bot.emulator.blockkit import flatten_text, validate_blocks, validate_view, view_text
from bot.emulator.clock import Clock, ManualClock
from bot.emulator.server import EmulatorError, SlackEmulator, message_text
from bot.emulator.simulated import AppResponse, SimulatedUser, find_button, find_input
from bot.emulator.state import Conversation, Message, RecordedCall, Seen, StoredFile, User

__all__ = [
    "AppResponse",
    "Clock",
    "Conversation",
    "EmulatorError",
    "ManualClock",
    "Message",
    "RecordedCall",
    "Seen",
    "SimulatedUser",
    "SlackEmulator",
    "StoredFile",
    "User",
    "find_button",
    "find_input",
    "flatten_text",
    "message_text",
    "validate_blocks",
    "validate_view",
    "view_text",
]
