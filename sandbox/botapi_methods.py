"""The Bot API methods the bot calls (`_api_<method>`), with the checks Telegram makes on them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import re
import time
from typing import Any
from urllib.parse import quote

from sandbox.botapi_core import ServerCore
from sandbox.botapi_model import (
    ADMIN_RIGHTS,
    BOT_COMMAND_NAME,
    CHAT_ACTIONS,
    DEFAULT_UPDATE_TYPES,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_TEXT,
    MAX_UPLOAD,
    ApiError,
    ChatState,
    Message,
    StoredFile,
    Upload,
    bad_request,
)
from sandbox.telegram_html import EntityParseError, parse_html, trim, utf16_len

log = logging.getLogger(__name__)


class BotApiMethods(ServerCore):
    """Each `_api_<name>` answers the Bot API method <name> (case-insensitive)."""

    # ---------------------------------------------------------------- validation helpers

    def _target_chat(self, params: dict[str, Any]) -> ChatState:
        """The chat a send goes to; refuses unknown chats and users who cannot be written to."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None and chat.is_group:
            return chat
        if not isinstance(chat_id, int) or chat_id not in self.users:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return self._private_chat(chat_id)

    def _existing_message(self, chat: ChatState, message_id: Any, missing: str) -> Message:
        if not isinstance(message_id, int) or message_id not in chat.messages:
            raise bad_request(missing)
        if message_id in chat.deleted:
            raise bad_request(missing)
        return chat.messages[message_id]

    def _chat_for_edit(self, params: dict[str, Any], missing: str) -> ChatState:
        if params.get("inline_message_id"):
            raise bad_request(missing)
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _reply_target(self, chat: ChatState, params: dict[str, Any]) -> Message | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                raise bad_request("message to be replied not found")
        else:
            message_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        found = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if found is None or message_id in chat.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return found

    @staticmethod
    def _reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return markup  # reply keyboards and force_reply are stored as given
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
                actions = {
                    "callback_data",
                    "url",
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "callback_game",
                    "pay",
                    "web_app",
                    "copy_text",
                }
                if not actions & button.keys():
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
        # Empty keyboards behave as "no keyboard" in Telegram's answers.
        return markup if any(keyboard) else None

    @staticmethod
    def _formatted(
        text: str, params: dict[str, Any], entities_key: str, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """Apply parse_mode (HTML checked strictly), trim, and enforce the length limit."""
        mode = str(params.get("parse_mode") or "").lower()
        entities = params.get(entities_key) or []
        if mode == "html":
            try:
                text, entities = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif mode not in ("", "markdown", "markdownv2"):
            raise bad_request("unsupported parse_mode")
        text, entities = trim(text, entities)
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, entities

    def _flood_check(self, chat: ChatState) -> None:
        retry_after = self.flood.check(chat.id, chat.is_group, time.monotonic())
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _media_input(self, params: dict[str, Any], key: str, folder: str) -> StoredFile:
        """The file a send refers to: a fresh upload, an attach:// part or a known file_id."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            if len(value.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type
            if mime in (None, "application/octet-stream") and value.filename:
                mime = mimetypes.guess_type(value.filename)[0] or mime
            name = value.filename if folder == "documents" else None
            return self._store_file(value.data, folder, name, mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        if not value:
            raise bad_request(f"there is no {key} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not caption:
            return {}
        text, entities = self._formatted(
            str(caption), params, "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        out: dict[str, Any] = {"caption": text} if text else {}
        if entities:
            out["caption_entities"] = entities
        return out

    async def _send(
        self, chat: ChatState, params: dict[str, Any], content: dict[str, Any]
    ) -> Message:
        markup = self._reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._flood_check(chat)
        if markup is not None:
            content["reply_markup"] = markup
        return self._add_message(chat, self.bot_user, content, reply_to)

    # ---------------------------------------------------------------- Bot API methods

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._cond is not None
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if isinstance(timeout, str):
            with contextlib.suppress(ValueError):
                timeout = float(timeout)
        if not isinstance(limit, int) or not isinstance(timeout, int | float):
            raise bad_request("wrong parameter type")
        limit = min(max(limit, 1), 100)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self.long_polls += 1

        def ready() -> bool:
            return self._closing or generation != self._poll_generation or bool(self._deliverable())

        try:
            await self._notify()  # an older long poll still waiting is now superseded
            async with self._cond:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._cond.wait_for(ready)
        finally:
            self.long_polls -= 1
            self._notify_soon()
        if generation != self._poll_generation and not self._closing:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable()[:limit]

    def _deliverable(self) -> list[dict[str, Any]]:
        """Pending updates of allowed types; the others are dropped as Telegram does."""
        self._updates = [
            u
            for u in self._updates
            if next(k for k in u if k != "update_id") in self._allowed_updates
        ]
        return self._updates

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not re.match(r"https?://", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        self._poll_generation += 1
        await self._notify()
        self._kick_webhook()
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("last_error_date", "last_error_message"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        if info["url"]:
            info["max_connections"] = 40
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key = kind
        elif kind in ("chat", "chat_administrators"):
            key = f"{kind}:{scope.get('chat_id')}"
        elif kind == "chat_member":
            key = f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
        else:
            raise bad_request("wrong bot command scope type specified")
        language = params.get("language_code") or ""
        return f"{key}|{language}" if language else key

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not BOT_COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        key = self._scope_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        self._emit("commands", None, {"scope": key, "commands": commands})
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        key = self._scope_key(params)
        self.commands.pop(key, None)
        self._emit("commands", None, {"scope": key, "commands": []})
        return True

    async def _api_setMyDescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyName(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setChatMenuButton(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        chat_id = params.get("chat_id")
        chats = [self.chats[chat_id]] if chat_id in self.chats else []
        if chat_id is None:
            self.default_menu_button = button
        for chat in chats:
            chat.menu_button = button
        return True

    async def _api_getChatMenuButton(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is not None:
            return chat.menu_button
        return self.default_menu_button

    async def _api_sendMessage(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise bad_request("message text is empty")
        text, entities = self._formatted(
            str(raw), params, "entities", MAX_TEXT, "message is too long"
        )
        if not text:
            raise bad_request("message text is empty")
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send(chat, params, content)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        caption = self._caption(params)
        stored = self._media_input(params, "document", "documents")
        return await self._send(chat, params, {"document": stored.describe(), **caption})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        caption = self._caption(params)
        stored = self._media_input(params, "photo", "photos")
        photo = self._photo_sizes(stored)
        return await self._send(chat, params, {"photo": photo, **caption})

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._target_chat(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._emit("chat_action", chat.id, {"chat_id": chat.id, "action": action})
        return True

    async def _api_editMessageText(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise bad_request("message text is empty")
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(
            str(raw), params, "entities", MAX_TEXT, "message is too long"
        )
        if not text:
            raise bad_request("message text is empty")
        changes: dict[str, Any] = {"text": text, "entities": entities or None}
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        changes["reply_markup"] = self._reply_markup(params)
        return self._edit(chat, msg, changes)

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        if "text" in msg:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(params)
        changes: dict[str, Any] = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
            "reply_markup": self._reply_markup(params),
        }
        return self._edit(chat, msg, changes)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        return self._edit(chat, msg, {"reply_markup": self._reply_markup(params)})

    def _edit(self, chat: ChatState, msg: Message, changes: dict[str, Any]) -> Message:
        if msg["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        if all(msg.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = dict(msg)
        for key, value in changes.items():
            if value is None:
                edited.pop(key, None)
            else:
                edited[key] = value
        edited["edit_date"] = self._now()
        chat.messages[msg["message_id"]] = edited
        self._emit("edit", chat.id, edited)
        return edited

    async def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        missing = "message to delete not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        chat.deleted.add(msg["message_id"])
        self._emit("delete", chat.id, {"chat_id": chat.id, "message_id": msg["message_id"]})
        return True

    async def _api_setMessageReaction(self, params: dict[str, Any]) -> bool:
        """The bot's reaction to a message (kept on it as `bot_reaction`; not a message sent)."""
        missing = "message to react not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        reaction = params.get("reaction") or []
        kinds = ("emoji", "custom_emoji", "paid")
        if not isinstance(reaction, list) or any(
            not isinstance(r, dict) or r.get("type") not in kinds for r in reaction
        ):
            raise bad_request("REACTION_INVALID")
        msg["bot_reaction"] = reaction
        return True

    async def _api_deleteMessages(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to delete not found")
        for message_id in params.get("message_ids") or []:
            if message_id in chat.messages and message_id not in chat.deleted:
                chat.deleted.add(message_id)
                self._emit("delete", chat.id, {"chat_id": chat.id, "message_id": message_id})
        return True

    async def _api_pinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to pin not found")
        msg = self._existing_message(chat, params.get("message_id"), "message to pin not found")
        self._emit("pin", chat.id, {"chat_id": chat.id, "message_id": msg["message_id"]})
        return True

    async def _api_unpinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to unpin not found")
        self._emit("unpin", chat.id, {"chat_id": chat.id, "message_id": params.get("message_id")})
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = {
            "callback_query_id": query_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
        }
        self.callback_answers[query_id] = answer
        chat_id = self.callback_queries[query_id]["message"]["chat"]["id"]
        self._emit("callback_answer", chat_id, answer)
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": quote(stored.file_path),
        }

    async def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    async def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        user_id = params.get("user_id")
        if user_id == self.bot_user["id"]:
            return {"status": "member", "user": self.bot_user}
        user = self.users.get(user_id)  # type: ignore[arg-type]
        if user is None:
            raise bad_request("user not found")
        if chat.admins and user_id == chat.admins[0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            return {"status": "administrator", "user": user, **ADMIN_RIGHTS}
        if user_id in chat.members:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    async def _api_getChatMemberCount(self, params: dict[str, Any]) -> int:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return len(chat.members) + 1
