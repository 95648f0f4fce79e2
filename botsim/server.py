"""The simulated Telegram Bot API server.

This module owns :class:`BotApiSimulator`: the aiohttp application serving
``/bot<token>/<method>`` (GET or POST; JSON, urlencoded, multipart or query-string parameters;
method names case-insensitive) and ``/file/bot<token>/<path>`` downloads, token checking (401),
Telegram-shaped JSON envelopes, fault injection around each request, request bookkeeping
(``calls``, ``stats``, in-flight tracking for ``wait_idle``), and the registry of simulated
participants, files and bot settings that the method handlers in :mod:`botsim.messaging` and
:mod:`botsim.account` operate on. It never imports python-telegram-bot: it speaks plain JSON.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from botsim import account, messaging
from botsim.limits import FaultPlan, RateLimiter, RateLimits
from botsim.models import ApiError, Broadcast, CallbackRecord, SimStats, StoredFile, UploadedFile
from botsim.updates import UpdateQueue
from botsim.users import SimGroupChat, SimUser
from botsim.validation import Params, normalize_params
from botsim.webhook import WebhookPusher

__all__ = ["DEFAULT_TOKEN", "BotApiSimulator"]

DEFAULT_TOKEN = "123456:SIMULATED-TOKEN-abcdefghijklmnopqrstuvwxyz"
_HANDLERS: dict[str, tuple[str, messaging.Handler]] = {
    name.lower(): (name, handler) for name, handler in {**messaging.METHODS, **account.METHODS}.items()
}
_BOT_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]*)")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)


def _envelope(error: ApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.code)


class BotApiSimulator:
    """A local, faithful-enough Telegram Bot API server with in-process simulated users."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "kierros_bot",
        bot_id: int | None = None,
        bot_first_name: str = "Kierros",
        rate_limits: RateLimits | None = None,
        faults: FaultPlan | None = None,
        callback_timeout: float = 15.0,
        strict_html: bool = True,
        first_update_id: int = 1,
        record_calls: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.clock = clock
        self.rate_limiter = RateLimiter(rate_limits, clock) if rate_limits is not None else None
        self.faults = faults if faults is not None else FaultPlan()
        self.callback_timeout = callback_timeout
        self.strict_html = strict_html
        self.stats = SimStats()
        self.changes = Broadcast()
        self.updates = UpdateQueue(self.changes, self.stats, first_update_id)
        self.record_calls = record_calls
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.users: dict[int, SimUser] = {}
        self.groups: dict[int, SimGroupChat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook_url = ""
        # Where posts to the registered webhook URL go (the TLS proxy's upstream); None: a webhook is only stored.
        self.webhook_forward_to: str | None = None
        self.webhook: WebhookPusher | None = None
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._in_flight = 0
        self._activity = 0
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve (``port=0`` picks a free ephemeral port; see :attr:`url`)."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.updates.closing = False
        self._host = host
        self._port = int(runner.addresses[0][1])

    async def push_webhook(self, secret: str | None) -> None:
        """(Re)start posting updates to the webhook, or stop when none is set (see `botsim.webhook`)."""
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if self.webhook_url and self.webhook_forward_to:
            self.webhook = WebhookPusher(self.updates, self.webhook_forward_to, secret)
            self.webhook.start()

    async def stop(self) -> None:
        """Release waiting long polls and shut the server down."""
        if self.webhook is not None:
            await self.webhook.stop()
        self.updates.closing = True
        self.changes.notify()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> BotApiSimulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("simulator not started")
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``Bot(base_file_url=...)`` / ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    # ----------------------------------------------------------------- participants & state

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fi",
    ) -> SimUser:
        """Get or create a simulated user (a new user has not started the bot yet)."""
        if user_id not in self.users:
            if user_id <= 0:
                raise ValueError("user ids are positive")
            self.users[user_id] = SimUser(self, user_id, first_name, last_name, username, language_code)
        return self.users[user_id]

    def group_chat(self, chat_id: int, title: str = "Group", chat_type: str = "group") -> SimGroupChat:
        """Get or create a simulated group (negative id) the bot is a member of."""
        if chat_id not in self.groups:
            self.groups[chat_id] = SimGroupChat(self, chat_id, title, chat_type)
        return self.groups[chat_id]

    def store_file(
        self,
        kind: str,
        data: bytes | None,
        filename: str | None = None,
        mime_type: str | None = None,
        *,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        number = next(self._file_counter)
        file = StoredFile(
            file_id=f"BQACAgSIM{kind[:3].upper()}{number:08d}",
            file_unique_id=f"AgADsim{number:06d}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[file.file_id] = file
        return file

    def new_callback_query_id(self) -> str:
        return str(4_611_686_018_427_387_904 + next(self._callback_counter))

    def pending_updates(self) -> int:
        """Updates created by simulated users that no getUpdates call has returned yet."""
        return self.updates.pending()

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every recorded call to ``method`` (case-insensitive), in order."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def get_commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[tuple[str, str]]:
        """Registered commands for a scope/language as ``(command, description)`` pairs."""
        stored = self.commands.get((account.scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.2) -> None:  # noqa: ASYNC109
        """Wait until every update was fetched, no request is in flight, and nothing happened for ``quiet`` s."""

        def idle() -> bool | None:
            return True if self.updates.pending() == 0 and self._in_flight == 0 else None

        async with asyncio.timeout(timeout):
            while True:
                await self.changes.wait_until(idle)
                seen = self._activity
                try:
                    async with asyncio.timeout(quiet):
                        await self.changes.wait_until(lambda seen=seen: True if self._activity != seen else None)
                except TimeoutError:
                    if idle():
                        return

    def _bump(self) -> None:
        self._activity += 1
        self.changes.notify()

    # ----------------------------------------------------------------- HTTP

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError.bad_request("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise ApiError.bad_request("JSON request body must be an object")
                raw.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for name, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        files[name] = UploadedFile(name, value.filename, value.content_type, data)
                    else:
                        raw[name] = value
        return normalize_params(raw), files

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        file_match = _FILE_PATH.fullmatch(request.path)
        if file_match is not None:
            return self._serve_file(file_match["token"], file_match["path"])
        match = _BOT_PATH.fullmatch(request.path)
        if match is None:
            return _envelope(ApiError(404, "Not Found"))
        if match["token"] != self.token:
            return _envelope(ApiError(401, "Unauthorized"))
        name, handler = _HANDLERS.get(match["method"].lower(), (match["method"], None))
        tracked = name != "getUpdates"
        self.stats.requests += 1
        self.stats.per_method[name] += 1
        if tracked:
            self._in_flight += 1
            self._bump()
        try:
            return await self._serve(request, name, handler)
        finally:
            if tracked:
                self._in_flight -= 1
                self._bump()

    async def _serve(self, request: web.Request, name: str, handler: messaging.Handler | None) -> web.StreamResponse:
        try:
            values, files = await self._read_params(request)
        except ApiError as error:
            self._record(name, {})
            return self._error(error)
        self._record(name, {**values, **files})
        if handler is None:
            return self._error(ApiError(404, "Not Found"))
        plan = self.faults
        eligible = plan.applies_to(name, values.get("chat_id"))
        if eligible and (plan.latency or plan.latency_jitter):
            await asyncio.sleep(plan.next_latency())
        if plan.network_down:
            return self._drop(request, "network_down")
        fault = None
        if eligible:
            if plan.burst_429 > 0:
                plan.burst_429 -= 1
                self._count_fault("burst_429")
                return self._error(ApiError.too_many_requests(plan.burst_429_retry_after))
            fault = plan.roll()
            if fault == "500":
                self._count_fault("500")
                return self._error(ApiError(500, "Internal Server Error"))
            if fault == "502":
                self._count_fault("502")
                self.stats.errors += 1
                return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
            if fault == "drop":
                return self._drop(request, "drop")
        params = Params(values, files)
        params.client_alive = lambda: request.transport is not None and not request.transport.is_closing()
        try:
            result = await handler(self, params)
        except ApiError as error:
            return self._error(error)
        if fault == "drop_after":
            return self._drop(request, "drop_after")
        return web.json_response({"ok": True, "result": result})

    def _record(self, name: str, params: dict[str, Any]) -> None:
        if self.record_calls:
            self.calls.append((name, params))

    def _error(self, error: ApiError) -> web.Response:
        self.stats.errors += 1
        if error.code == 429:
            self.stats.too_many_requests += 1
        return _envelope(error)

    def _count_fault(self, kind: str) -> None:
        self.stats.faults_injected += 1
        self.stats.faults[kind] += 1

    def _drop(self, request: web.Request, kind: str) -> web.Response:
        self._count_fault(kind)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _serve_file(self, token: str, path: str) -> web.Response:
        if token != self.token:
            return _envelope(ApiError(401, "Unauthorized"))
        for file in self.files.values():
            if file.file_path == path and file.data is not None:
                return web.Response(body=file.data, content_type=file.mime_type or "application/octet-stream")
        return _envelope(ApiError(404, "Not Found"))
