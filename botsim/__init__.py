"""botsim — a local Telegram Bot API simulator for Kierros.

The package owns everything needed to run the real python-telegram-bot ``Application`` without a
token or network: :class:`BotApiSimulator` (an aiohttp server speaking the Bot API's JSON over real
HTTP on 127.0.0.1, enforcing Telegram's content, permission and flood rules), in-process simulated
participants (:class:`SimUser`, :class:`SimGroupChat`) that generate Updates and observe the bot's
replies, and the knobs for misbehaviour (:class:`RateLimits`, :class:`FaultPlan`). Point PTB at it
with ``ApplicationBuilder().base_url(sim.base_url).base_file_url(sim.base_file_url)``.
"""

from botsim.limits import FaultPlan, RateLimits
from botsim.models import ApiError, Button, CallbackAnswer, SimMessage, SimStats
from botsim.server import DEFAULT_TOKEN, BotApiSimulator
from botsim.users import SimGroupChat, SimUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiSimulator",
    "Button",
    "CallbackAnswer",
    "FaultPlan",
    "RateLimits",
    "SimGroupChat",
    "SimMessage",
    "SimStats",
    "SimUser",
]
