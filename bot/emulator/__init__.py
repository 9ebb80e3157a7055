"""A local Slack: a stateful Web API emulator and simulated users that send signed requests.

Nothing here ever calls slack.com. See DESIGN.md §7.
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
