"""The PTB `Application` with Kierros inside: domain services built at start-up, handlers registered, stopped in order.

`build_application` is what `bot.py run`, the demo, the tests and the benchmarks all start: at initialisation it
takes the database lock, opens storage, builds the domain services, publishes the command menus, starts the outbox
sender and the health endpoint (if configured) and arms the schedule timer and the retention purge; at shut-down
it stops them in reverse. `running` runs an
application with polling inside an existing event loop (the demo, the tests and `bot.py run`'s polling mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import tomllib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from telegram.error import InvalidToken
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from checkins.config.app import AppConfig
from checkins.config.yamlsource import ConfigError
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.privacy import morphology
from checkins.privacy.personal_data import PersonalDataService
from checkins.privacy.replies import ReplyService
from checkins.privacy.retention import purge_expired
from checkins.rounds.membership import MembershipService
from checkins.rounds.processes import ProcessService
from checkins.rounds.service import RoundService
from checkins.rounds.settings import SettingsService
from checkins.schedule.reminding import ReminderService
from checkins.schedule.scheduler import ScheduleService
from checkins.storage import Store, is_postgresql
from checkins.storage.leadership import Leadership
from checkins.storage.lock import DatabaseLock
from handlers import (
    answering,
    errors,
    inbound,
    joining,
    personal_data,
    processes,
    receiving,
    reminders,
    replies,
    schedule,
    settings,
    supervisor,
)
from handlers.context import SERVICES_KEY, KierrosContext, Services
from handlers.delivery import OutboxSender
from handlers.health import HealthServer, Probes
from handlers.menus import publish_menus
from handlers.metrics import Metrics
from handlers.pacing import FloodPacer
from handlers.receiving import Poller
from handlers.telegram_http import bot_request

log = logging.getLogger("kierros")

ROOT = Path(__file__).resolve().parent.parent
SENDER_KEY = "outbox_sender"
SENDER_TASK_KEY = "outbox_sender_task"
LOCK_KEY = "database_lock"
# The `Leadership` of a process that shares a PostgreSQL database with standbys (set by bot.py before start-up).
LEADERSHIP_KEY = "leadership"
PURGE_INTERVAL_SECONDS = 3600
MODE_KEY = "mode"
METRICS_KEY = "metrics"
HEALTH_KEY = "health_server"
ACTIVE_KEY = "is_active"


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    config: AppConfig = application.bot_data["config"]
    target = application.bot_data.get("storage_path", config.storage_target)
    lock = None if is_postgresql(target) else DatabaseLock(target)
    if lock is not None:
        lock.acquire()
    application.bot_data[LOCK_KEY] = lock
    store = await Store.open(target)
    await store.forget_old_updates(time.time())
    translator = Translator.load()
    outbox = Outbox(store)
    clock: Callable[[], float] = application.bot_data["clock"]
    digests = DigestService(config, store, translator, outbox)
    rounds = RoundService(config, store, translator, outbox, digests, clock)
    membership = MembershipService(config, store, rounds, clock)
    try:
        await membership.check_modes()
    except ConfigError:
        await store.close()
        if lock is not None:
            lock.release()
        raise
    application.bot_data[SERVICES_KEY] = Services(
        config,
        store,
        translator,
        outbox,
        rounds,
        membership,
        PersonalDataService(config, store, translator, clock),
        ReplyService(config, store, translator, outbox),
        ProcessService(config, store, translator, outbox, rounds, clock),
        SettingsService(config, store, rounds, translator, clock),
        ScheduleService(config, store, rounds, translator, outbox, clock),
        digests,
        ReminderService(config, store, rounds, translator, outbox, clock),
    )
    await publish_menus(application.bot, config, translator)
    metrics = application.bot_data[METRICS_KEY] = Metrics()
    leadership: Leadership | None = application.bot_data.get(LEADERSHIP_KEY)
    if leadership is not None:
        application.bot_data[ACTIVE_KEY] = lambda: leadership.is_active
        if application.bot_data.get(receiving.WEBHOOK_KEY):
            # Updates the standbys received (and, in order with them, this instance's own webhook's).
            inbound.start_dispatcher(application, store)
    sender = OutboxSender(
        application.bot,
        store,
        outbox,
        time.time,
        membership.mark_unreachable,
        metrics=metrics,
        may_send=application.bot_data[ACTIVE_KEY],
    )
    application.bot_data[SENDER_KEY] = sender
    application.bot_data[SENDER_TASK_KEY] = asyncio.create_task(sender.run(), name="outbox-sender")
    if config.health is not None:
        health = HealthServer(config.health, _probes(application, store), metrics)
        await health.start()
        application.bot_data[HEALTH_KEY] = health
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _purge,
        interval=PURGE_INTERVAL_SECONDS,
        first=0,
        name="retention-purge",
        job_kwargs={"misfire_grace_time": None},
    )
    schedule.start_timer(application)
    morphology.start()  # redaction's analyser loads in its own process, beside start-up (returns at once)
    # Digest files a crash left undrawn after a close are drawn now, in the background.
    digests.draw_soon()
    log.info("%s", await startup_summary(application))
    # Last: the webhook server PTB starts next listens where this instance's standby receiver did.
    await inbound.hand_over(application)


def _probes(application: Application, store: Store) -> Probes:  # type: ignore[type-arg]
    """What /healthz reads from this application; the sender's task is looked up each time (a standby has none)."""
    bot_data = application.bot_data

    def sender_running() -> bool:
        task: asyncio.Task[None] | None = bot_data.get(SENDER_TASK_KEY)
        return task is None or not task.done()

    def telegram_failing_for() -> float:
        sender: OutboxSender | None = bot_data.get(SENDER_KEY)
        return 0.0 if sender is None else sender.failing_for()

    return Probes(store, bot_data[ACTIVE_KEY], lambda: application.running, sender_running, telegram_failing_for)


@contextlib.asynccontextmanager
async def standby_health(config: AppConfig) -> AsyncIterator[None]:
    """/healthz and /metrics while this instance stands by (200, `active: false`): an orchestrator must not take a
    healthy standby for a dead one. The active instance's own endpoint replaces it once this one takes over."""
    if config.health is None:
        yield
        return
    store = await Store.open(config.storage_target)
    server = HealthServer(
        config.health, Probes(store, lambda: False, lambda: True, lambda: True, lambda: 0.0), Metrics()
    )
    try:
        await server.start()
        yield
    finally:
        await server.stop()
        await store.close()


async def startup_summary(application: Application) -> str:  # type: ignore[type-arg]
    """One line: version, mode, groups, open rounds and when the outbox next has something to do."""
    services: Services = application.bot_data[SERVICES_KEY]
    config = services.config
    async with services.store.transaction() as store:
        open_groups = [group_id for group_id in config.groups if await store.open_round(group_id) is not None]
        pending, next_due = await store.outbox_summary()
    if next_due is None:
        due = "nothing due"
    elif next_due <= time.time():
        due = f"{pending} message(s) due now"
    else:
        due = f"{pending} message(s), next at {datetime.fromtimestamp(next_due, config.timezone):%Y-%m-%d %H:%M:%S}"
    return (
        f"Kierros {version()} started as @{application.bot.username} "
        f"({application.bot_data.get(MODE_KEY, 'polling')}): {len(config.groups)} group(s) "
        f"({', '.join(config.groups)}), open rounds: {', '.join(open_groups) or 'none'}; next due: {due}"
    )


async def _purge(context: KierrosContext) -> None:
    """Destroy expired links between answers and people, and delete answers past retention."""
    services = context.services
    report = await purge_expired(services.store, services.config, services.rounds.clock())
    if report.rounds_unlinked or report.answers_deleted:
        log.info("retention: %d rounds unlinked, %d answers deleted", report.rounds_unlinked, report.answers_deleted)


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg]
    """Finish the updates taken from other instances while the bot can still answer them."""
    await inbound.stop_dispatcher(application)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    await inbound.hand_over(application)  # if the start-up failed before it
    health: HealthServer | None = application.bot_data.pop(HEALTH_KEY, None)
    if health is not None:
        await health.stop()
    sender: OutboxSender | None = application.bot_data.pop(SENDER_KEY, None)
    task: asyncio.Task[None] | None = application.bot_data.pop(SENDER_TASK_KEY, None)
    if sender is not None and task is not None:
        await sender.stop()
        await task
    services: Services | None = application.bot_data.pop(SERVICES_KEY, None)
    if services is not None:
        # Digest files still being drawn are queued for the next start (the bot can no longer send them now).
        await services.digests.finish_drawing()
        await services.store.close()
    lock: DatabaseLock | None = application.bot_data.pop(LOCK_KEY, None)
    if lock is not None:
        lock.release()


def build_application(
    config: AppConfig,
    token: str,
    *,
    base_url: str | None = None,
    storage_path: Path | None = None,
    clock: Callable[[], float] = time.time,
    is_active: Callable[[], bool] = lambda: True,
) -> Application:  # type: ignore[type-arg]
    """The PTB application with every handler registered; storage opens when it initialises.

    `clock` is what the domain and the schedule take as "now" (tests pass a controllable one). `is_active` says
    whether this instance is the one that sends (/healthz and /metrics report it); one instance is always active.
    """
    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(ContextTypes(context=KierrosContext))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .request(bot_request())
    )
    if config.flood_limits:
        # Paces every send and edit under Telegram's limits; the outbox itself retries what still fails.
        builder = builder.rate_limiter(FloodPacer())
    api_base = base_url or config.api_base_url
    if api_base:
        builder = builder.base_url(api_base).base_file_url(api_base.replace("/bot", "/file/bot", 1))
    application = builder.build()
    application.bot_data["config"] = config
    application.bot_data["clock"] = clock
    application.bot_data[ACTIVE_KEY] = is_active
    if storage_path is not None:
        application.bot_data["storage_path"] = storage_path

    receiving.register(application)
    joining.register(application)
    supervisor.register(application)
    personal_data.register(application)
    replies.register(application)
    processes.register(application)
    # Before answering: it ends with catch-alls for unknown commands and button presses.
    schedule.register(application)
    reminders.register(application)
    settings.register(application)
    answering.register(application)
    errors.register(application)
    return application


@contextlib.asynccontextmanager
async def running(
    application: Application,  # type: ignore[type-arg]
    poll_timeout: int = 1,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run an application with polling inside an existing event loop; yields the polling task."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
    except BaseException:
        await _shut_down(application)
        raise
    # A webhook left over from webhook mode would make every getUpdates fail.
    await application.bot.delete_webhook()
    poller = Poller(application, timeout=poll_timeout)
    polling = asyncio.create_task(poller.run(), name="polling")
    try:
        yield polling
    finally:
        await poller.stop()
        with contextlib.suppress(InvalidToken):
            await polling
        if application.running:
            await application.stop()
        await _shut_down(application)


async def _shut_down(application: Application) -> None:  # type: ignore[type-arg]
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
