"""Scenarios 1 and 2: opening rounds for many groups at once, with Telegram's flood limits and without them.

Every group's round is opened through `RoundService.open_round`, as `/open` or the schedule timer would, one group
after another; the clock runs from the first opening until the simulator has stored the last message. Each member
receives two messages: the flow's intro and its first question. With the simulator enforcing Telegram-like limits
(about 30 messages a second overall, about one a second per chat) the floor is messages / 30 s, and every 429 the
bot provokes is counted. Without limits, and with the bot's own pacing removed, the same run measures how many
messages a second the bot delivers — durable outbox, SQLite and HTTP included — next to what PTB alone pushes
through the same simulator (the baseline: no bot, no database). The simulator runs in the bot's process, so on this
machine that figure is bounded by HTTP on both ends, not by the bot. What the bot itself can produce is measured
apart: the same rounds opened by the domain alone (`RoundService`, no Telegram), every prompt rendered and
committed to the durable outbox, from the first opening to the last commit.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from benchmarks.harness import MEMBER_IDS, Deployment, drain, new_simulator, run_bot, wait_until
from benchmarks.report import Result, Target, growth_exponent
from botsim.limits import RateLimits
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.rounds.opening import OpenOutcome
from checkins.rounds.service import RoundService
from checkins.storage import Store

# The flow's intro and its first question.
MESSAGES_PER_MEMBER = 2
TELEGRAM_MESSAGES_PER_SECOND = 30


@dataclass(frozen=True)
class FanOut:
    groups: int
    members: int
    messages: int
    seconds: float  # first opening → last message stored by the simulator
    queued_seconds: float  # first opening → every round opened and its messages committed to the outbox
    rejected: int  # 429 answers from the simulator

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds


async def fan_out(groups: int, members_per_group: int, *, limits: RateLimits | None, unpaced: bool) -> FanOut:
    """Open a round in every group of a fresh deployment and wait until every member has their first question."""
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        async with new_simulator(rate_limits=limits) as sim:
            deployment = await Deployment.create(Path(folder), groups, members_per_group, sim)
            messages = deployment.member_count * MESSAGES_PER_MEMBER
            async with run_bot(sim, deployment.config, unpaced=unpaced) as services:
                await sim.wait_idle()
                expected = sim.stats.bot_messages + messages
                rejected_before = sim.stats.too_many_requests
                rate = limits.global_per_second if limits else 100
                start = sim.clock()
                for group in deployment.config.groups.values():
                    result = await services.rounds.open_round(group)
                    if result.outcome is not OpenOutcome.OPENED:
                        raise RuntimeError(f"group {group.id}: round not opened ({result.outcome})")
                queued = sim.clock()
                finished = await wait_until(
                    sim, lambda: sim.stats.bot_messages >= expected, timeout=60 + 3 * messages / rate
                )
                rejected = sim.stats.too_many_requests - rejected_before
                await drain(services)
            for telegram_id in (tid for ids in deployment.members.values() for tid in ids):
                received = sim.users[telegram_id].chat.bot_messages()
                if len(received) != MESSAGES_PER_MEMBER or not received[-1].inline_keyboard:
                    raise RuntimeError(f"member {telegram_id} received {len(received)} messages, not intro + question")
    return FanOut(groups, deployment.member_count, messages, finished - start, queued - start, rejected)


async def produce(groups: int, members_per_group: int) -> float:
    """Prompts per second the domain commits to the durable outbox when it opens rounds, with nothing sending."""
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        deployment = await Deployment.create(Path(folder), groups, members_per_group)
        config = deployment.config
        store = await Store.open(config.storage_target)
        try:
            translator = Translator.load()
            outbox = Outbox(store)
            digests = DigestService(config, store, translator, outbox)
            rounds = RoundService(config, store, translator, outbox, digests, time.time)
            start = time.perf_counter()
            for group in config.groups.values():
                if (await rounds.open_round(group)).outcome is not OpenOutcome.OPENED:
                    raise RuntimeError(f"group {group.id}: round not opened")
            seconds = time.perf_counter() - start
            async with store.transaction() as queries:
                pending = (await queries.outbox_counts()).get("pending", 0)
        finally:
            await store.close()
    if pending != deployment.member_count * MESSAGES_PER_MEMBER:
        raise RuntimeError(f"{pending} prompts queued for {deployment.member_count} members")
    return pending / seconds


async def limited(groups: int, members_per_group: int) -> list[Result]:
    """Scenario 1: the fan-out against Telegram-like limits, with the bot pacing itself as it is configured."""
    run = await fan_out(groups, members_per_group, limits=RateLimits(), unpaced=False)
    floor = run.messages / TELEGRAM_MESSAGES_PER_SECOND
    name = "1 fan-out, Telegram limits"
    details = {
        "groups": run.groups,
        "members": run.members,
        "messages": run.messages,
        "elapsed_s": run.seconds,
        "floor_s": floor,
        "queued_s": run.queued_seconds,
    }
    return [
        Result(
            name,
            f"elapsed / floor ({run.messages:,} msgs, floor {floor:.0f} s)",
            run.seconds / floor,
            target=Target("<=", 1.10),
            details=details,
        ),
        Result(name, "elapsed", run.seconds, " s", details=details),
        Result(name, "429 answers", run.rejected, target=Target("<=", 0), details=details),
    ]


async def bare_sends(count: int) -> float:
    """Messages per second PTB alone pushes through the simulator: `send_message` one at a time (locally the
    fastest way: httpx spends more per request the more connections it keeps open), no database, no bot."""
    async with new_simulator() as sim:
        chats = [MEMBER_IDS + index for index in range(count)]
        for chat in chats:
            sim.user(chat).started = True
        buttons = [InlineKeyboardButton(str(value), callback_data=f"round:q0:v{value}") for value in range(1, 6)]
        markup = InlineKeyboardMarkup([buttons])
        async with Bot(sim.token, base_url=sim.base_url) as bot:
            start = sim.clock()
            for chat in chats:
                await bot.send_message(chat, "<b>Energy</b>\nHow is your energy?", ParseMode.HTML, reply_markup=markup)
            return count / (sim.clock() - start)


async def capacity(groups: int, members_per_group: int) -> list[Result]:
    """Scenario 2: the same fan-out with no limits anywhere — what the bot can produce — against bare PTB sends."""
    produced = await produce(groups, members_per_group)
    run = await fan_out(groups, members_per_group, limits=None, unpaced=True)
    bare = await bare_sends(run.messages)
    name = "2 fan-out capacity"
    details = {
        "groups": run.groups,
        "members": run.members,
        "messages": run.messages,
        "elapsed_s": run.seconds,
        "queued_s": run.queued_seconds,
    }
    return [
        Result(
            name,
            f"prompts produced into the durable outbox/s ({run.messages:,} msgs)",
            produced,
            "/s",
            target=Target(">=", 500),
            details=details,
        ),
        Result(
            name,
            "messages delivered/s through the in-process simulator",
            run.messages_per_second,
            "/s",
            baseline=bare,
            details=details,
        ),
        Result(name, "members prompted/s", run.members / run.seconds, "/s", details=details),
    ]


async def scaling(sizes: list[tuple[int, int]]) -> list[Result]:
    """Scenario 6 (fan-out half): capacity at growing sizes, as (groups, members per group)."""
    base = sizes[0][0] * sizes[0][1]
    name = "6 scaling: fan-out"
    points: list[tuple[float, float]] = []
    results = []
    for groups, members_per_group in sizes:
        run = await fan_out(groups, members_per_group, limits=None, unpaced=True)
        points.append((run.messages, run.seconds))
        factor = run.members / base
        results.append(
            Result(
                name,
                f"{factor:g}×: {run.members:,} members, {run.messages:,} msgs",
                run.seconds,
                " s",
                details={
                    "groups": groups,
                    "members": run.members,
                    "messages": run.messages,
                    "messages_per_second": run.messages_per_second,
                },
            )
        )
    results.append(
        Result(
            name,
            "growth exponent (1 = linear)",
            growth_exponent(points),
            target=Target("<=", 1.10),
            details={"points": points},
        )
    )
    return results
