"""In-process simulated Telegram users and group chats.

This module owns the "phone side" of the simulation: :class:`SimUser` (a private chat with one
user) and :class:`SimGroupChat` create the Updates a real Telegram client would cause — messages
with ``bot_command`` entities, stickers, photos, voice notes, documents, edits, inline-button
presses (callback queries), blocking and unblocking (``my_chat_member``) — and enqueue them for
getUpdates. They also expose the chat as the user sees it: the bot's messages as immutable
:class:`~botsim.models.SimMessage` snapshots reflecting edits and deletions, callback answers,
chat actions, and ``wait_for_message``, which blocks on the simulator's change signal (no sleeping).
"""

from __future__ import annotations

import asyncio
import re
import struct
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botsim.html import utf16_len
from botsim.models import CallbackAnswer, CallbackRecord, ChatState, SimMessage, StoredMessage

if TYPE_CHECKING:
    from botsim.server import BotApiSimulator

__all__ = ["SimGroupChat", "SimUser", "bot_command_entities"]

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram attaches to ``text`` (UTF-16 offsets)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


SAMPLE_PNG = _png()
SAMPLE_OGG = b"OggS" + bytes(60)
SAMPLE_PDF = b"%PDF-1.4\n% botsim sample\n%%EOF\n"


class _ChatView:
    """What a participant sees of one chat, plus helpers to act in it."""

    def __init__(self, sim: BotApiSimulator, chat: ChatState) -> None:
        self._sim = sim
        self.chat = chat
        self._cursor = 0

    @property
    def chat_id(self) -> int:
        return self.chat.chat_id

    @property
    def messages(self) -> list[SimMessage]:
        """The bot's messages currently in the chat (edited content, deleted ones gone), oldest first."""
        return [stored.snapshot() for stored in self.chat.bot_messages()]

    @property
    def last_message(self) -> SimMessage | None:
        bot_messages = self.chat.bot_messages()
        return bot_messages[-1].snapshot() if bot_messages else None

    @property
    def event_count(self) -> int:
        """Number of bot message events (sends and edits) so far; usable as ``after=``."""
        return len(self.chat.events)

    @property
    def chat_actions(self) -> list[str]:
        return list(self.chat.actions)

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard currently shown (raw ReplyKeyboardMarkup JSON) or None."""
        return self.chat.keyboard

    async def wait_for_message(
        self,
        predicate: Callable[[SimMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int | None = None,
    ) -> SimMessage:
        """Wait for a bot message send or edit matching ``predicate`` and return its snapshot.

        Only events from index ``after`` (an :attr:`event_count` value) on count. By default the
        search starts after this participant's most recent action (send/press/...) or after the
        message the previous ``wait_for_message`` returned, whichever is later — so consecutive
        calls yield consecutive replies. Raises TimeoutError.
        """
        position = self._cursor if after is None else after

        def match() -> SimMessage | None:
            nonlocal position
            events = self.chat.events
            while position < len(events):
                _, message = events[position]
                position += 1
                if predicate is None or predicate(message):
                    self._cursor = max(self._cursor, position)
                    return message
            return None

        try:
            async with asyncio.timeout(timeout):
                return await self.chat.changed.wait_until(match)
        except TimeoutError:
            recent = [f"{kind}:{m.message_id}:{m.content[:60]!r}" for kind, m in self.chat.events[-5:]]
            raise TimeoutError(
                f"chat {self.chat_id}: no matching bot message within {timeout}s; last events: {recent}"
            ) from None

    def _mark_action(self) -> None:
        self._cursor = len(self.chat.events)

    def _post(self, sender: SimUser, body: dict[str, Any]) -> dict[str, Any]:
        message_id = self.chat.allocate_message_id()
        data = {
            "message_id": message_id,
            "from": sender.to_dict(),
            "chat": self.chat.chat,
            "date": int(time.time()),
            **body,
        }
        self.chat.messages[message_id] = StoredMessage(data, from_bot=False, source=body.get("text"))
        return self._sim.updates.enqueue("message", data)

    def _text_body(self, text: str) -> dict[str, Any]:
        if not text:
            raise ValueError("Telegram clients cannot send empty messages")
        body: dict[str, Any] = {"text": text}
        entities = bot_command_entities(text)
        if entities:
            body["entities"] = entities
        return body

    def _find_button(self, query: str, message_id: int | None) -> tuple[StoredMessage, dict[str, Any]]:
        candidates = self.chat.bot_messages()
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
            if not candidates:
                raise LookupError(f"chat {self.chat_id} has no bot message {message_id}")
        for stored in reversed(candidates):
            for row in stored.inline_keyboard:
                for button in row:
                    if query in (button.get("text"), button.get("callback_data")):
                        if "callback_data" not in button:
                            raise ValueError(f"button {query!r} is not a callback button: {button}")
                        return stored, button
        available = [[b.text for b in row] for m in candidates[-3:] for row in m.snapshot().buttons]
        raise LookupError(f"no inline button {query!r} in chat {self.chat_id}; recent buttons: {available}")

    def _callback(self, sender: SimUser, message_id: int, data: str) -> dict[str, Any]:
        sim = self._sim
        stored = self.chat.messages.get(message_id)
        message = (
            dict(stored.data)
            if stored is not None
            else {"chat": self.chat.chat, "message_id": message_id, "date": 0}  # InaccessibleMessage
        )
        query_id = sim.new_callback_query_id()
        sim.callbacks[query_id] = CallbackRecord(user_id=sender.user_id, created=sim.clock())
        payload = {
            "id": query_id,
            "from": sender.to_dict(),
            "message": message,
            "chat_instance": str(abs(self.chat_id) * 7919 + 1_000_000_007),
            "data": data,
        }
        return sim.updates.enqueue("callback_query", payload)


class SimUser(_ChatView):
    """A simulated Telegram user and their private chat with the bot."""

    def __init__(
        self,
        sim: BotApiSimulator,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fi",
    ) -> None:
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        super().__init__(sim, ChatState(chat))
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = False
        self.blocked = False
        self.callback_answers: list[CallbackAnswer] = []

    def __repr__(self) -> str:
        return f"SimUser({self.user_id}, {self.first_name!r}, started={self.started}, blocked={self.blocked})"

    def to_dict(self) -> dict[str, Any]:
        """Telegram User JSON."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _activate(self) -> None:
        """Any user activity starts the chat; writing to a blocked bot means unblocking it first."""
        if self.blocked:
            self.unblock()
        self.started = True
        self._mark_action()

    async def send_text(self, text: str) -> dict[str, Any]:
        body = self._text_body(text)
        self._activate()
        return self._post(self, body)

    async def send_command(self, command: str, args: str = "") -> dict[str, Any]:
        text = "/" + command.lstrip("/")
        return await self.send_text(f"{text} {args}" if args else text)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        self._activate()
        file = self._sim.store_file("sticker", SAMPLE_PNG, "sticker.webp", "image/webp", width=512, height=512)
        sticker = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(SAMPLE_PNG),
        }
        return self._post(self, {"sticker": sticker})

    async def send_photo(self, caption: str | None = None, data: bytes | None = None) -> dict[str, Any]:
        self._activate()
        content = data or SAMPLE_PNG
        file = self._sim.store_file("photo", content, "photo.png", "image/png", width=2, height=2)
        photo = [
            {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "width": file.width or 2,
                "height": file.height or 2,
                "file_size": len(content),
            }
        ]
        body: dict[str, Any] = {"photo": photo}
        if caption:
            body["caption"] = caption
        return self._post(self, body)

    async def send_voice(self, duration: int = 3, data: bytes | None = None) -> dict[str, Any]:
        self._activate()
        content = data or SAMPLE_OGG
        file = self._sim.store_file("voice", content, "voice.ogg", "audio/ogg")
        voice = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        return self._post(self, {"voice": voice})

    async def send_document(
        self,
        filename: str = "document.pdf",
        data: bytes | None = None,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        self._activate()
        content = data or SAMPLE_PDF
        file = self._sim.store_file("document", content, filename, mime_type)
        document = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        body: dict[str, Any] = {"document": document}
        if caption:
            body["caption"] = caption
        return self._post(self, body)

    async def edit_text(self, message_id: int, new_text: str) -> dict[str, Any]:
        """Edit one of this user's own text messages (an ``edited_message`` update)."""
        stored = self.chat.messages.get(message_id)
        if stored is None or stored.from_bot or "text" not in stored.data:
            raise LookupError(f"user {self.user_id} has no text message {message_id} to edit")
        body = self._text_body(new_text)
        self._activate()
        data = {k: v for k, v in stored.data.items() if k != "entities"}
        data.update(body, edit_date=int(time.time()))
        stored.data, stored.source, stored.edited = data, new_text, True
        return self._sim.updates.enqueue("edited_message", data)

    async def press(self, button: str, message_id: int | None = None) -> dict[str, Any]:
        """Press the inline button whose text or callback_data is ``button`` (newest message first)."""
        stored, found = self._find_button(button, message_id)
        self._activate()
        return self._callback(self, stored.message_id, str(found["callback_data"]))

    async def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        """Send a callback query with arbitrary (possibly forged) data for ``message_id``."""
        self._activate()
        return self._callback(self, message_id, data)

    def _member_update(self, old: str, new: str) -> dict[str, Any]:
        payload = {
            "chat": self.chat.chat,
            "from": self.to_dict(),
            "date": int(time.time()),
            "old_chat_member": {
                "status": old,
                "user": self._sim.bot_user,
                **({"until_date": 0} if old == "kicked" else {}),
            },
            "new_chat_member": {
                "status": new,
                "user": self._sim.bot_user,
                **({"until_date": 0} if new == "kicked" else {}),
            },
        }
        return self._sim.updates.enqueue("my_chat_member", payload)

    def block(self) -> dict[str, Any] | None:
        """Block the bot (sync). Returns the ``my_chat_member`` update if one was created."""
        if self.blocked:
            return None
        self.blocked = True
        self._mark_action()
        return self._member_update("member", "kicked") if self.started else None

    def unblock(self) -> dict[str, Any] | None:
        """Unblock the bot (sync). Returns the ``my_chat_member`` update if one was created."""
        if not self.blocked:
            return None
        self.blocked = False
        self._mark_action()
        return self._member_update("kicked", "member") if self.started else None


class SimGroupChat(_ChatView):
    """A simulated group or supergroup the bot is a member of."""

    def __init__(self, sim: BotApiSimulator, chat_id: int, title: str, chat_type: str = "group") -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be 'group' or 'supergroup'")
        super().__init__(sim, ChatState({"id": chat_id, "type": chat_type, "title": title}))
        self.title = title

    def __repr__(self) -> str:
        return f"SimGroupChat({self.chat_id}, {self.title!r})"

    async def send_text(self, from_user: SimUser, text: str) -> dict[str, Any]:
        body = self._text_body(text)
        self._mark_action()
        return self._post(from_user, body)

    async def send_command(self, from_user: SimUser, command: str, args: str = "") -> dict[str, Any]:
        text = "/" + command.lstrip("/")
        return await self.send_text(from_user, f"{text} {args}" if args else text)

    async def press(self, from_user: SimUser, button: str, message_id: int | None = None) -> dict[str, Any]:
        stored, found = self._find_button(button, message_id)
        self._mark_action()
        return self._callback(from_user, stored.message_id, str(found["callback_data"]))
