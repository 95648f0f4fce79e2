"""The bot's HTTP client for the Bot API (handlers/telegram_http.py) against the simulator over real HTTP: a bot shut
down and initialised again still reaches Telegram, and a Bot API that cannot be reached is PTB's `NetworkError`."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError

from botsim.server import BotApiSimulator
from handlers.telegram_http import bot_request


async def test_a_bot_initialised_again_after_a_shutdown_still_reaches_telegram(sim: BotApiSimulator) -> None:
    bot = Bot(sim.token, base_url=sim.base_url, request=bot_request())
    for _ in range(2):
        await bot.initialize()
        assert (await bot.get_me()).is_bot
        await bot.shutdown()


async def test_a_bot_api_that_cannot_be_reached_is_a_network_error() -> None:
    bot = Bot("1:nobody-listens", base_url="http://127.0.0.1:1/bot", request=bot_request())
    with pytest.raises(NetworkError):
        await bot.initialize()
    await bot.shutdown()
