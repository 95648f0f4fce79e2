"""Request parameter decoding and Telegram's content rules.

This module owns turning raw request values into typed parameters (:class:`Params`: form values
arrive as strings and nested objects as JSON strings, the way python-telegram-bot sends them) and
the content checks Telegram applies before anything is stored: message text / caption parsing
(HTML parse mode via :mod:`botsim.html`, trimming, emptiness and UTF-16 length limits) and inline
keyboard validation (one action per button, callback_data of 1..64 UTF-8 bytes, sane URLs). Every
violation raises :class:`~botsim.models.ApiError` with Telegram's error text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botsim.html import HtmlParseError, parse_html, trim_text, utf16_len
from botsim.models import ApiError, UploadedFile

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "Params",
    "normalize_params",
    "parse_text",
    "validate_reply_markup",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id",
        "reply_to_message_id", "message_thread_id", "from_chat_id", "max_connections",
    }
)  # fmt: skip
_BOOL_FIELDS = frozenset(
    {
        "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
        "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
        "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast",
    }
)  # fmt: skip
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "scope", "commands", "allowed_updates",
        "menu_button", "link_preview_options", "reply_parameters", "media",
    }
)  # fmt: skip
_JSON_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse caption entities JSON object",
    "scope": "can't parse BotCommandScope JSON object",
    "commands": "can't parse commands JSON object",
}
_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_URL_SCHEMES = ("http://", "https://", "tg://", "ton://")


def _normalize_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as str; Params.json() reports it
    if name in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if name in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


def normalize_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode form-style string values (ints, bools, JSON-encoded objects) into Python values."""
    return {name: _normalize_value(name, value) for name, value in raw.items()}


def _always_true() -> bool:
    return True


class Params:
    """Typed access to one request's parameters; missing/invalid values raise ApiError(400)."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile] | None = None) -> None:
        self.values = values
        self.files = files or {}
        self.client_alive: Callable[[], bool] = _always_true

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError.bad_request(f"invalid {name} specified")
        return value

    def required_int(self, name: str) -> int:
        value = self.int(name)
        if value is None:
            raise ApiError.bad_request(f"{name} is empty" if name == "chat_id" else f"{name} is required")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        raise ApiError.bad_request(f"invalid {name} specified")

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            raise ApiError.bad_request(_JSON_ERRORS.get(name, f"can't parse {name} JSON object"))
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise ApiError.bad_request("chat_id is empty")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ApiError.bad_request("chat not found")
        return value


def parse_text(
    params: Params,
    *,
    field: str = "text",
    strict_ampersand: bool = True,
    required: bool = True,
) -> tuple[str | None, list[dict[str, Any]], str | None]:
    """Apply parse mode, trimming and limits to ``text`` or ``caption``; returns (plain, entities, source)."""
    is_caption = field == "caption"
    source = params.str(field)
    if source is None or source == "":
        if required:
            raise ApiError.bad_request("message text is empty")
        return None, [], None
    parse_mode = (params.str("parse_mode") or "").strip()
    entities_field = "caption_entities" if is_caption else "entities"
    if parse_mode:
        if parse_mode.lower() != "html":
            if parse_mode.lower() in ("markdown", "markdownv2"):
                raise ApiError.bad_request(f"botsim only implements parse_mode HTML, not {parse_mode}")
            raise ApiError.bad_request(f"unsupported parse_mode {parse_mode}")
        try:
            plain, entities = parse_html(source, strict_ampersand=strict_ampersand)
        except HtmlParseError as exc:
            raise ApiError.bad_request(f"can't parse entities: {exc}") from None
    else:
        plain = source
        given = params.json(entities_field)
        if given is not None and not isinstance(given, list):
            raise ApiError.bad_request(f"can't parse {entities_field.replace('_', ' ')} JSON object")
        entities = list(given or [])
    plain, entities = trim_text(plain, entities)
    if not plain:
        if required:
            raise ApiError.bad_request("message text is empty")
        return None, [], source
    limit = MAX_CAPTION_LENGTH if is_caption else MAX_TEXT_LENGTH
    if utf16_len(plain) > limit:
        raise ApiError.bad_request("message caption is too long" if is_caption else "message is too long")
    return plain, entities, source


def _validate_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise ApiError.bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if "text" not in button or not isinstance(button["text"], str):
        raise ApiError.bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise ApiError.bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise ApiError.bad_request("BUTTON_TYPE_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.lower().startswith(_URL_SCHEMES) or any(c.isspace() for c in url):
            raise ApiError.bad_request("BUTTON_URL_INVALID")
    return {key: value for key, value in button.items() if key == "text" or key in _BUTTON_ACTIONS}


def validate_reply_markup(params: Params) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Validate ``reply_markup``; returns (normalized inline markup or None, raw markup or None)."""
    markup = params.json("reply_markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request(
                'Field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        clean = [[_validate_inline_button(button) for button in row] for row in rows]
        if sum(len(row) for row in clean) > 100:
            raise ApiError.bad_request("reply markup is too long")
        clean = [row for row in clean if row]
        return ({"inline_keyboard": clean} if clean else None), markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request('Field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
        return None, markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None, markup
    raise ApiError.bad_request('can\'t find field "inline_keyboard"')
