"""The offline sandbox: a local Bot API server the real bot runs against."""

from sandbox.botapi import ApiCall, ApiError, BotApiServer, Event, Message, StoredFile
from sandbox.flood import FloodLimits

__all__ = ["ApiCall", "ApiError", "BotApiServer", "Event", "FloodLimits", "Message", "StoredFile"]
