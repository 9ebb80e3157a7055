"""Web API method families, one mixin each; :class:`~bot.emulator.server.SlackEmulator` combines them."""

from bot.emulator.methods.auth import AuthMethods
from bot.emulator.methods.chat import ChatMethods
from bot.emulator.methods.conversations import ConversationMethods
from bot.emulator.methods.files import FileMethods
from bot.emulator.methods.pins import PinMethods
from bot.emulator.methods.users import UserMethods
from bot.emulator.methods.views import ViewMethods

__all__ = ["AuthMethods", "ChatMethods", "ConversationMethods", "FileMethods", "PinMethods", "UserMethods",
           "ViewMethods"]
