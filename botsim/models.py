"""Plain data model of the simulator's world.

This module owns the passive state objects shared by the server, the Bot API methods and the
simulated users: the Telegram-shaped error (:class:`ApiError`), stored files and uploads, per-chat
message history (:class:`ChatState` holding raw Telegram Message JSON plus the bot's HTML source),
the immutable inbox snapshot handed to tests (:class:`SimMessage`, :class:`Button`), callback-query
bookkeeping, request counters (:class:`SimStats`) and :class:`Broadcast`, the single "something
changed" signal that every waiter (long polls, ``wait_for_message``, ``wait_idle``) blocks on.
Nothing here performs I/O.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "ApiError",
    "Broadcast",
    "Button",
    "CallbackAnswer",
    "CallbackRecord",
    "ChatState",
    "SimMessage",
    "SimStats",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
]

T = TypeVar("T")


class ApiError(Exception):
    """A Bot API failure answered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    @classmethod
    def bad_request(cls, reason: str) -> ApiError:
        return cls(400, f"Bad Request: {reason}")

    @classmethod
    def forbidden(cls, reason: str) -> ApiError:
        return cls(403, f"Forbidden: {reason}")

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class StoredFile:
    """A file known to the simulated server (uploaded by the bot or sent by a simulated user)."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None
    filename: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_path(self) -> str:
        suffix = f"_{self.filename}" if self.filename else ""
        return f"{self.kind}s/{self.file_unique_id}{suffix}"


class Button(NamedTuple):
    """One inline button as seen by a user: ``(text, callback_data or url)``."""

    text: str
    data: str


class CallbackAnswer(NamedTuple):
    """An answerCallbackQuery call as seen by the pressing user."""

    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass
class CallbackRecord:
    """A callback query waiting for answerCallbackQuery."""

    user_id: int
    created: float
    answered: bool = False


@dataclass(frozen=True)
class SimMessage:
    """Snapshot of one bot message in a chat, as the user sees it at one moment.

    ``buttons`` are rows of :class:`Button` — ``(text, callback_data or url)`` tuples.
    """

    message_id: int
    chat_id: int
    text: str | None
    html: str | None
    parse_mode: str | None
    caption: str | None
    buttons: list[list[Button]]
    photo: dict[str, Any] | None
    document: dict[str, Any] | None
    edited: bool
    raw: dict[str, Any]

    @property
    def content(self) -> str:
        """Text of a text message or caption of a media message ("" when none)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button.text for button in self.flat_buttons]

    def has_button(self, text_or_data: str) -> bool:
        return any(text_or_data in (b.text, b.data) for b in self.flat_buttons)


@dataclass
class StoredMessage:
    """A message in a simulated chat: raw Telegram JSON plus simulator-only metadata."""

    data: dict[str, Any]
    from_bot: bool
    source: str | None = None
    parse_mode: str | None = None
    edited: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.data.get("reply_markup") or {}
        return list(markup.get("inline_keyboard") or [])

    def snapshot(self) -> SimMessage:
        rows = [
            [Button(str(b.get("text", "")), str(b.get("callback_data", b.get("url", "")))) for b in row]
            for row in self.inline_keyboard
        ]
        data = self.data
        return SimMessage(
            message_id=self.message_id,
            chat_id=int(data["chat"]["id"]),
            text=data.get("text"),
            html=self.source,
            parse_mode=self.parse_mode,
            caption=data.get("caption"),
            buttons=rows,
            photo=data["photo"][-1] if data.get("photo") else None,
            document=data.get("document"),
            edited=self.edited,
            raw=dict(data),
        )


@dataclass
class ChatState:
    """History of one chat: messages by id, bot-message events, chat actions, reply keyboard."""

    chat: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[tuple[str, SimMessage]] = field(default_factory=list)
    # When each entry of `events` happened, on the simulator's clock (for latency measurements).
    event_times: list[float] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    keyboard: dict[str, Any] | None = None
    changed: Broadcast = field(default_factory=lambda: Broadcast(), repr=False, compare=False)

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_group(self) -> bool:
        return self.chat["type"] in ("group", "supergroup")

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def bot_messages(self) -> list[StoredMessage]:
        return [m for _, m in sorted(self.messages.items()) if m.from_bot]


@dataclass
class SimStats:
    """Counters for tests and benchmarks."""

    requests: int = 0
    per_method: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    too_many_requests: int = 0
    faults_injected: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    updates_enqueued: int = 0
    updates_delivered: int = 0
    # Bot messages stored in chats (sends of any kind) and edits applied: what actually reached users.
    bot_messages: int = 0
    bot_edits: int = 0


class Broadcast:
    """A level-triggered "state changed" signal that sync code can fire and async code can await."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.version = 0

    def notify(self) -> None:
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_until(self, check: Callable[[], T | None]) -> T:
        """Return the first non-None ``check()`` result, re-evaluated after every notification."""
        while True:
            result = check()
            if result is not None:
                return result
            if self._event is None:
                self._event = asyncio.Event()
            await self._event.wait()
