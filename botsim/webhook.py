"""Webhook delivery: while a webhook is set, the simulator posts each update to the bot as Telegram does.

Telegram posts updates one at a time, in order, as JSON with the `X-Telegram-Bot-Api-Secret-Token` header given to
setWebhook, and keeps an update (trying again with a growing pause) until the bot answers 2xx. Telegram only posts to
HTTPS addresses, so a bot sits behind a TLS-terminating reverse proxy; `forward_to` plays that proxy: the plain-HTTP
address the registered URL's posts are sent to instead. Without it a webhook is stored only and nothing is posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from botsim.updates import UpdateQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_RETRY = 0.2
MAX_RETRY = 5.0


class WebhookPusher:
    def __init__(self, updates: UpdateQueue, forward_to: str, secret: str | None) -> None:
        self._updates = updates
        self._forward_to = forward_to
        self._secret = secret
        self._task: asyncio.Task[None] | None = None
        self.posted = 0
        self.refused = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="botsim-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        headers = {SECRET_HEADER: self._secret} if self._secret else {}
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            retry = FIRST_RETRY
            while True:
                update = await self._updates.next_for_webhook()
                try:
                    async with session.post(self._forward_to, json=update) as response:
                        delivered = 200 <= response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    delivered = False
                if delivered:
                    self.posted += 1
                    self._updates.confirm_webhook(update)
                    retry = FIRST_RETRY
                else:
                    self.refused += 1
                    await asyncio.sleep(retry)
                    retry = min(MAX_RETRY, retry * 2)
