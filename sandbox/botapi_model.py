"""The local Bot API's vocabulary: limits, parameter types, errors, and the records it keeps
(calls, events, files, chats)."""

from __future__ import annotations

import contextlib
import json
import re
import struct
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

Message = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD = 50 * 1024 * 1024  # bots may upload up to 50 MB
GROUP_TYPES = ("group", "supergroup")
# Update types delivered when allowed_updates is empty or was never set.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_RE = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "user_id",
        "cache_time",
        "message_thread_id",
        "max_connections",
        "from_chat_id",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reaction",
        "reply_parameters",
        "scope",
        "commands",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "menu_button",
        "message_ids",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_message",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
    }
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, plus the description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class ApiCall:
    """One request the bot made: what it asked and what it got."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    at: float = 0.0  # time.time() when answered


@dataclass
class Event:
    """Something a watcher (the web chat) may want to show; `data` is Bot API JSON."""

    seq: int
    kind: str  # message, edit, delete, callback_query, callback_answer, chat_action, commands, ...
    chat_id: int | None
    data: dict[str, Any]
    at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StoredFile:
    """An uploaded file as the server keeps it."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            out["file_name"] = self.file_name
        if self.mime_type is not None:
            out["mime_type"] = self.mime_type
        return out


@dataclass
class Injection:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class ChatState:
    info: dict[str, Any]  # the Bot API Chat object
    members: set[int] = field(default_factory=set)
    admins: list[int] = field(default_factory=list)
    messages: dict[int, Message] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1
    menu_button: dict[str, Any] = field(default_factory=lambda: {"type": "commands"})

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_group(self) -> bool:
        return self.info["type"] in GROUP_TYPES


ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


@dataclass
class Upload:
    """A multipart file part."""

    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"file_name": self.filename, "mime_type": self.content_type, "size": len(self.data)}


def coerce_param(key: str, value: str) -> Any:
    """Form values are strings; give the well-known parameters their JSON types."""
    if key in _INT_PARAMS:
        with contextlib.suppress(ValueError):
            return int(value)
        return value
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; a plausible default otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 800, 600
