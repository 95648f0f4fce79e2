"""Bot API methods about the bot itself rather than about messages.

This module owns getMe, getUpdates (delegating to :class:`~botsim.updates.UpdateQueue`), the
webhook trio (setWebhook/deleteWebhook/getWebhookInfo — stored only, never called), logOut/close,
the command menu (set/get/deleteMyCommands keyed by canonical scope JSON and language code), bot
descriptions, chat menu buttons, getChat and getFile. Handlers take ``(simulator, params)`` and
return the JSON ``result``, or raise ``ApiError`` with Telegram's error text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botsim.messaging import Handler, resolve_chat
from botsim.models import ApiError
from botsim.validation import Params

if TYPE_CHECKING:
    from botsim.server import BotApiSimulator

__all__ = ["METHODS", "scope_key"]

METHODS: dict[str, Handler] = {}

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})
_SCOPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}) | _SCOPES_WITH_CHAT
_MENU_BUTTONS = frozenset({"commands", "web_app", "default"})
_ACCEPTED_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def _method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


def scope_key(scope: dict[str, Any] | None) -> str:
    """Canonical JSON of a BotCommandScope, the key used in ``sim.commands``."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


@_method("getMe")
async def get_me(sim: BotApiSimulator, params: Params) -> Any:
    return {
        **sim.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@_method("getUpdates")
async def get_updates(sim: BotApiSimulator, params: Params) -> Any:
    timeout = params.values.get("timeout", 0)
    try:
        timeout_seconds = max(0.0, float(timeout or 0))
    except (TypeError, ValueError):
        raise ApiError.bad_request("invalid timeout specified") from None
    return await sim.updates.get_updates(
        offset=params.int("offset", 0) or 0,
        limit=params.int("limit", 100) or 100,
        wait_seconds=timeout_seconds,
        allowed_updates=params.json("allowed_updates"),
        client_alive=params.client_alive,
    )


@_method("setWebhook")
async def set_webhook(sim: BotApiSimulator, params: Params) -> Any:
    url = params.str("url") or ""
    if url and not url.lower().startswith("https://"):
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if params.bool("drop_pending_updates"):
        sim.updates.drop_all()
    sim.updates.set_allowed(params.json("allowed_updates"))
    sim.webhook_url = url
    sim.updates.webhook_active = bool(url)
    await sim.push_webhook(params.str("secret_token") or None)
    return True


@_method("deleteWebhook")
async def delete_webhook(sim: BotApiSimulator, params: Params) -> Any:
    if params.bool("drop_pending_updates"):
        sim.updates.drop_all()
    sim.webhook_url = ""
    sim.updates.webhook_active = False
    await sim.push_webhook(None)
    return True


@_method("getWebhookInfo")
async def get_webhook_info(sim: BotApiSimulator, params: Params) -> Any:
    info: dict[str, Any] = {
        "url": sim.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": sim.updates.unconfirmed(),
    }
    if sim.webhook_url:
        info["max_connections"] = 40
        info["allowed_updates"] = sorted(sim.updates.allowed)
    return info


@_method("logOut")
async def log_out(sim: BotApiSimulator, params: Params) -> Any:
    return True


@_method("close")
async def close(sim: BotApiSimulator, params: Params) -> Any:
    return True


def _scope_and_language(params: Params) -> tuple[str, str]:
    scope = params.json("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise ApiError.bad_request("can't parse BotCommandScope JSON object")
        if scope["type"] in _SCOPES_WITH_CHAT and "chat_id" not in scope:
            raise ApiError.bad_request("chat_id is empty")
    language = params.str("language_code") or ""
    if language and not _LANGUAGE_RE.fullmatch(language):
        raise ApiError.bad_request("invalid language code specified")
    return scope_key(scope), language


@_method("setMyCommands")
async def set_my_commands(sim: BotApiSimulator, params: Params) -> Any:
    commands = params.json("commands")
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    clean: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise ApiError.bad_request("can't parse BotCommand JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    key = _scope_and_language(params)
    if clean:
        sim.commands[key] = clean
    else:
        sim.commands.pop(key, None)
    return True


@_method("getMyCommands")
async def get_my_commands(sim: BotApiSimulator, params: Params) -> Any:
    return list(sim.commands.get(_scope_and_language(params), []))


@_method("deleteMyCommands")
async def delete_my_commands(sim: BotApiSimulator, params: Params) -> Any:
    sim.commands.pop(_scope_and_language(params), None)
    return True


def _set_text(store: dict[str, str], params: Params, field: str, limit: int) -> bool:
    value = params.str(field) or ""
    language = params.str("language_code") or ""
    if language and not _LANGUAGE_RE.fullmatch(language):
        raise ApiError.bad_request("invalid language code specified")
    if len(value) > limit:
        raise ApiError.bad_request(f"{field.replace('_', ' ')} is too long")
    if value:
        store[language] = value
    else:
        store.pop(language, None)
    return True


@_method("setMyDescription")
async def set_my_description(sim: BotApiSimulator, params: Params) -> Any:
    return _set_text(sim.descriptions, params, "description", 512)


@_method("setMyShortDescription")
async def set_my_short_description(sim: BotApiSimulator, params: Params) -> Any:
    return _set_text(sim.short_descriptions, params, "short_description", 120)


@_method("getMyDescription")
async def get_my_description(sim: BotApiSimulator, params: Params) -> Any:
    return {"description": sim.descriptions.get(params.str("language_code") or "", "")}


@_method("getMyShortDescription")
async def get_my_short_description(sim: BotApiSimulator, params: Params) -> Any:
    return {"short_description": sim.short_descriptions.get(params.str("language_code") or "", "")}


@_method("setChatMenuButton")
async def set_chat_menu_button(sim: BotApiSimulator, params: Params) -> Any:
    chat_id = resolve_chat(sim, params, for_send=False).chat_id if "chat_id" in params else None
    button = params.json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTONS:
        raise ApiError.bad_request("can't parse menu button JSON object")
    sim.menu_buttons[chat_id] = button
    return True


@_method("getChatMenuButton")
async def get_chat_menu_button(sim: BotApiSimulator, params: Params) -> Any:
    chat_id = resolve_chat(sim, params, for_send=False).chat_id if "chat_id" in params else None
    button = sim.menu_buttons.get(chat_id) or sim.menu_buttons.get(None) or {"type": "commands"}
    return {"type": "commands"} if button.get("type") == "default" else button


@_method("getChat")
async def get_chat(sim: BotApiSimulator, params: Params) -> Any:
    chat = resolve_chat(sim, params, for_send=False)
    return {
        **chat.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict(_ACCEPTED_GIFTS),
    }


@_method("getFile")
async def get_file(sim: BotApiSimulator, params: Params) -> Any:
    file = sim.files.get(params.str("file_id") or "")
    if file is None:
        raise ApiError.bad_request("invalid file_id")
    result: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
    if file.data is not None:
        result["file_size"] = len(file.data)
        result["file_path"] = file.file_path
    return result
