"""HTTP to the Bot API: PTB's HTTPX request, with aiohttp's connection pool underneath (the httpx-aiohttp transport).

httpx's own pool (httpcore 1.0) walks every pooled connection twice for every request, polls each idle socket, and
counts the idle ones once per idle connection; a burst of presses keeps a few dozen connections open, and that
bookkeeping was two fifths of the bot's CPU in benchmark 8 with 1,000 members pressing at once (the fix upstream,
encode/httpcore#1035, is unreleased). aiohttp's connector hands out a pooled connection without a scan and parses
responses in C. PTB still builds every request and turns every failure into its own errors as before: the transport
raises httpx's exceptions. Long polling keeps PTB's default request, one connection for one request at a time.
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport
from telegram.request import HTTPXRequest

# As many connections as PTB's default pool.
CONNECTIONS = 256
# aiohttp counts waiting for a pooled connection and opening a new one as one timeout (httpx-aiohttp gives it PTB's
# pool timeout): give it the time PTB gives a connection to open, not the 1 s it waits for a free one.
CONNECT_TIMEOUT = 5.0


class _Transport(AiohttpTransport):
    """Opens a new aiohttp session after a close: PTB builds its httpx client again (with this same transport) when
    a bot is initialised after a shutdown, and a closed session would refuse every request."""

    async def aclose(self) -> None:
        await super().aclose()
        self.client = None


def bot_request() -> HTTPXRequest:
    """The request PTB sends the bot's calls with (all but getUpdates)."""
    limits = httpx.Limits(max_connections=CONNECTIONS)
    return HTTPXRequest(
        connection_pool_size=CONNECTIONS,
        connect_timeout=CONNECT_TIMEOUT,
        pool_timeout=CONNECT_TIMEOUT,
        httpx_kwargs={"transport": _Transport(limits=limits)},
    )
