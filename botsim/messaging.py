"""Bot API methods that read or change messages in chats.

This module owns sendMessage, sendPhoto, sendDocument, editMessageText, editMessageReplyMarkup,
deleteMessage, answerCallbackQuery and sendChatAction: resolving the target chat with Telegram's
403/400 rules (never-started user, blocked user, unknown chat), flood control for counted methods,
content validation via :mod:`botsim.validation`, and storing the resulting Telegram Message JSON in
the chat's history (which also feeds the simulated users' inboxes and ``wait_for_message``).
Handlers take ``(simulator, params)`` and return the JSON ``result``, or raise ``ApiError``.
"""

from __future__ import annotations

import mimetypes
import struct
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botsim.models import ApiError, CallbackAnswer, ChatState, StoredFile, StoredMessage
from botsim.validation import Params, parse_text, validate_reply_markup

if TYPE_CHECKING:
    from botsim.server import BotApiSimulator

__all__ = ["METHODS", "Handler", "resolve_chat"]

Handler = Callable[["BotApiSimulator", Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


def _method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


def resolve_chat(sim: BotApiSimulator, params: Params, *, for_send: bool = True) -> ChatState:
    """Find the chat named by ``chat_id``, enforcing who the bot may write to when ``for_send``."""
    chat_id: int | str = params.chat_id()
    if isinstance(chat_id, str):
        if not chat_id.lstrip("-").isdigit():
            raise ApiError.bad_request("chat not found")
        chat_id = int(chat_id)
    user = sim.users.get(chat_id)
    if user is not None:
        if for_send and user.blocked:
            raise ApiError.forbidden("bot was blocked by the user")
        if for_send and not user.started:
            raise ApiError.forbidden("bot can't initiate conversation with a user")
        return user.chat
    group = sim.groups.get(chat_id)
    if group is not None:
        return group.chat
    raise ApiError.bad_request("chat not found")


def _check_flood(sim: BotApiSimulator, method: str, chat: ChatState) -> None:
    limiter = sim.rate_limiter
    if limiter is not None and limiter.counts(method):
        wait = limiter.check(chat.chat_id, chat.is_group)
        if wait is not None:
            raise ApiError.too_many_requests(wait)


def _record_flood(sim: BotApiSimulator, method: str, chat: ChatState) -> None:
    limiter = sim.rate_limiter
    if limiter is not None and limiter.counts(method):
        limiter.record(chat.chat_id, chat.is_group)


def _reply_fields(params: Params, chat: ChatState) -> dict[str, Any]:
    message_id = params.int("reply_to_message_id")
    allow_missing = params.bool("allow_sending_without_reply")
    reply_parameters = params.json("reply_parameters")
    if isinstance(reply_parameters, dict):
        message_id = reply_parameters.get("message_id")
        allow_missing = bool(reply_parameters.get("allow_sending_without_reply", allow_missing))
    if message_id is None:
        return {}
    target = chat.messages.get(message_id) if isinstance(message_id, int) else None
    if target is None:
        if allow_missing:
            return {}
        raise ApiError.bad_request("message to be replied not found")
    replied = {k: v for k, v in target.data.items() if k != "reply_to_message"}
    return {"reply_to_message": replied}


def _track_keyboard(chat: ChatState, raw_markup: dict[str, Any] | None) -> None:
    if raw_markup is None:
        return
    if "keyboard" in raw_markup:
        chat.keyboard = raw_markup
    elif raw_markup.get("remove_keyboard"):
        chat.keyboard = None


def store_bot_message(
    sim: BotApiSimulator, chat: ChatState, body: dict[str, Any], source: str | None, parse_mode: str | None
) -> StoredMessage:
    """Append a bot message to ``chat`` and publish it to waiting users."""
    message_id = chat.allocate_message_id()
    data = {"message_id": message_id, "from": sim.bot_user, "chat": chat.chat, "date": int(time.time()), **body}
    stored = StoredMessage(data, from_bot=True, source=source, parse_mode=parse_mode)
    chat.messages[message_id] = stored
    chat.events.append(("new", stored.snapshot()))
    chat.event_times.append(sim.clock())
    sim.stats.bot_messages += 1
    chat.changed.notify()
    return stored


def _apply_edit(sim: BotApiSimulator, chat: ChatState, stored: StoredMessage, data: dict[str, Any]) -> None:
    stored.data = data
    stored.edited = True
    chat.events.append(("edit", stored.snapshot()))
    chat.event_times.append(sim.clock())
    sim.stats.bot_edits += 1
    chat.changed.notify()


def _set_optional(data: dict[str, Any], key: str, value: Any) -> None:
    if value:
        data[key] = value
    else:
        data.pop(key, None)


@_method("sendMessage")
async def send_message(sim: BotApiSimulator, params: Params) -> Any:
    chat = resolve_chat(sim, params)
    text, entities, source = parse_text(params, strict_ampersand=sim.strict_html)
    inline, raw_markup = validate_reply_markup(params)
    body: dict[str, Any] = {"text": text, **_reply_fields(params, chat)}
    _set_optional(body, "entities", entities)
    _set_optional(body, "reply_markup", inline)
    _check_flood(sim, "sendMessage", chat)
    stored = store_bot_message(sim, chat, body, source, params.str("parse_mode"))
    _track_keyboard(chat, raw_markup)
    _record_flood(sim, "sendMessage", chat)
    return stored.data


def _image_size(data: bytes | None) -> tuple[int, int]:
    if data and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 800, 600


def _input_file(sim: BotApiSimulator, params: Params, field: str, kind: str) -> StoredFile:
    value = params.values.get(field)
    upload = params.files.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = params.files.get(value[len("attach://") :])
    if upload is not None:
        if not upload.data:
            raise ApiError.bad_request("file must be non-empty")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        width, height = _image_size(upload.data) if kind == "photo" else (None, None)
        return sim.store_file(kind, upload.data, upload.filename, mime, width=width, height=height)
    if not isinstance(value, str) or not value:
        raise ApiError.bad_request(f"there is no {field} in the request")
    known = sim.files.get(value)
    if known is not None:
        if known.kind != kind:
            raise ApiError.bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
        return known
    if value.startswith(("http://", "https://")):
        name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
        width, height = (800, 600) if kind == "photo" else (None, None)
        return sim.store_file(kind, None, name, mimetypes.guess_type(name)[0], width=width, height=height)
    raise ApiError.bad_request("wrong file identifier/HTTP URL specified")


def _file_json(file: StoredFile) -> dict[str, Any]:
    data: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
    if file.kind == "photo":
        data.update(width=file.width or 800, height=file.height or 600)
    else:
        if file.filename:
            data["file_name"] = file.filename
        if file.mime_type:
            data["mime_type"] = file.mime_type
    if file.data is not None:
        data["file_size"] = len(file.data)
    return data


async def _send_media(sim: BotApiSimulator, params: Params, method: str, field: str) -> Any:
    chat = resolve_chat(sim, params)
    caption, entities, source = parse_text(params, field="caption", strict_ampersand=sim.strict_html, required=False)
    inline, raw_markup = validate_reply_markup(params)
    reply = _reply_fields(params, chat)
    _check_flood(sim, method, chat)
    file = _input_file(sim, params, field, field)
    body: dict[str, Any] = {field: [_file_json(file)] if field == "photo" else _file_json(file), **reply}
    _set_optional(body, "caption", caption)
    _set_optional(body, "caption_entities", entities)
    _set_optional(body, "reply_markup", inline)
    stored = store_bot_message(sim, chat, body, source, params.str("parse_mode"))
    _track_keyboard(chat, raw_markup)
    _record_flood(sim, method, chat)
    return stored.data


@_method("sendPhoto")
async def send_photo(sim: BotApiSimulator, params: Params) -> Any:
    return await _send_media(sim, params, "sendPhoto", "photo")


@_method("sendDocument")
async def send_document(sim: BotApiSimulator, params: Params) -> Any:
    return await _send_media(sim, params, "sendDocument", "document")


def _message_to_edit(sim: BotApiSimulator, params: Params) -> tuple[ChatState, StoredMessage]:
    if "inline_message_id" in params:
        raise ApiError.bad_request("botsim does not simulate inline messages")
    chat = resolve_chat(sim, params)
    message_id = params.int("message_id")
    if message_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    stored = chat.messages.get(message_id)
    if stored is None:
        raise ApiError.bad_request("message to edit not found")
    if not stored.from_bot:
        raise ApiError.bad_request("message can't be edited")
    return chat, stored


@_method("editMessageText")
async def edit_message_text(sim: BotApiSimulator, params: Params) -> Any:
    text, entities, source = parse_text(params, strict_ampersand=sim.strict_html)
    inline, _ = validate_reply_markup(params)
    chat, stored = _message_to_edit(sim, params)
    if "text" not in stored.data:
        raise ApiError.bad_request("there is no text in the message to edit")
    current = stored.data
    if text == current["text"] and entities == current.get("entities", []) and inline == current.get("reply_markup"):
        raise ApiError.bad_request(NOT_MODIFIED)
    _check_flood(sim, "editMessageText", chat)
    data = {**current, "text": text, "edit_date": int(time.time())}
    _set_optional(data, "entities", entities)
    _set_optional(data, "reply_markup", inline)
    stored.source, stored.parse_mode = source, params.str("parse_mode")
    _apply_edit(sim, chat, stored, data)
    _record_flood(sim, "editMessageText", chat)
    return data


@_method("editMessageReplyMarkup")
async def edit_message_reply_markup(sim: BotApiSimulator, params: Params) -> Any:
    inline, _ = validate_reply_markup(params)
    chat, stored = _message_to_edit(sim, params)
    if inline == stored.data.get("reply_markup"):
        raise ApiError.bad_request(NOT_MODIFIED)
    _check_flood(sim, "editMessageReplyMarkup", chat)
    data = {**stored.data, "edit_date": int(time.time())}
    _set_optional(data, "reply_markup", inline)
    _apply_edit(sim, chat, stored, data)
    _record_flood(sim, "editMessageReplyMarkup", chat)
    return data


@_method("deleteMessage")
async def delete_message(sim: BotApiSimulator, params: Params) -> Any:
    chat = resolve_chat(sim, params, for_send=False)
    message_id = params.int("message_id")
    if message_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    stored = chat.messages.get(message_id)
    if stored is None:
        raise ApiError.bad_request("message to delete not found")
    if chat.is_group and not stored.from_bot:
        raise ApiError.bad_request("message can't be deleted")
    del chat.messages[message_id]
    chat.changed.notify()
    return True


@_method("answerCallbackQuery")
async def answer_callback_query(sim: BotApiSimulator, params: Params) -> Any:
    query_id = params.str("callback_query_id") or ""
    text = params.str("text")
    if text is not None and len(text) > 200:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    record = sim.callbacks.get(query_id)
    if record is None or record.answered or sim.clock() - record.created > sim.callback_timeout:
        raise ApiError.bad_request(QUERY_INVALID)
    record.answered = True
    user = sim.users.get(record.user_id)
    if user is not None:
        user.callback_answers.append(CallbackAnswer(query_id, text, params.bool("show_alert")))
    return True


@_method("sendChatAction")
async def send_chat_action(sim: BotApiSimulator, params: Params) -> Any:
    chat = resolve_chat(sim, params)
    action = params.str("action") or ""
    if action not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    chat.actions.append(action)
    return True
