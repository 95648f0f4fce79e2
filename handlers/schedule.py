"""The calendar at the Telegram edge: the timer, `/schedule`, `/skip` and `/unskip`, and `/link` / `/unlink` of a
group chat.

The timer is PTB's JobQueue (APScheduler) and nothing more: a job with a stable id runs `ScheduleService.run_due`
and re-arms itself for the next due moment, a periodic sweep (another stable id) catches anything missed, and both
have a real `misfire_grace_time` — a late job still runs (APScheduler's default of one second would silently drop
it). Nothing is kept in the scheduler: at start-up the first run is armed at once, and it works out from the database
what is due, which is also the catch-up after downtime.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters
from telegram.helpers import create_deep_linked_url

from checkins.config.app import GroupConfig
from checkins.config.calendars import parse_date
from checkins.formatting import format_moment
from checkins.i18n import Catalog
from checkins.schedule.scheduler import SkipOutcome, SkipResult
from checkins.schedule.view import MISSED_PREFIX
from handlers.context import SERVICES_KEY, KierrosContext, Services
from handlers.supervisor import open_group, target_group

log = logging.getLogger(__name__)

NEXT_JOB_ID = "kierros-schedule-next"
SWEEP_JOB_ID = "kierros-schedule-sweep"
SWEEP_SECONDS = 300.0
MISFIRE_GRACE_SECONDS = 6 * 3600
_JOB_OPTIONS = {"replace_existing": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "coalesce": True}


# --- the timer ---------------------------------------------------------------------------------------------------


def start_timer(application: Application) -> None:  # type: ignore[type-arg]
    """Arm the first run now (the catch-up after downtime) and the periodic sweep."""
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    job_queue.run_once(run_schedule, 0, name=NEXT_JOB_ID, job_kwargs={"id": NEXT_JOB_ID, **_JOB_OPTIONS})
    job_queue.run_repeating(
        run_schedule,
        SWEEP_SECONDS,
        first=SWEEP_SECONDS,
        name=SWEEP_JOB_ID,
        job_kwargs={"id": SWEEP_JOB_ID, **_JOB_OPTIONS},
    )


async def run_schedule(context: KierrosContext) -> None:
    """The timer's only job: do what is due, then set the alarm for the next due moment. Pauses that ran out end
    here too (within a sweep of their date), so those members get the rounds open now."""
    done = await context.services.schedule.run_due()
    if done:
        log.info("schedule: %d action(s) carried out", len(done))
    if ended := await context.services.settings.end_expired_pauses():
        log.info("schedule: %d pause(s) ended", ended)
    if later := await context.services.reminders.send_due():
        log.info("schedule: %d reminder(s) asked for were sent", later)
    await arm_next(context.application)


async def arm_next(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data[SERVICES_KEY]
    delay = await services.schedule.seconds_until_next()
    if delay is not None and application.job_queue is not None:
        application.job_queue.run_once(
            run_schedule, delay, name=NEXT_JOB_ID, job_kwargs={"id": NEXT_JOB_ID, **_JOB_OPTIONS}
        )


# --- supervisor commands -------------------------------------------------------------------------------------------


async def _reply(update: Update, text_html: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(text_html, parse_mode=ParseMode.HTML)


async def schedule_command(update: Update, context: KierrosContext) -> None:
    """List the group's next sessions with each round's times."""
    target = await target_group(update, context, "schedule")
    if target is None:
        return
    await show_schedule(update, context, *target)


async def show_schedule(update: Update, context: KierrosContext, group: GroupConfig, catalog: Catalog) -> None:
    """The group's next sessions with each round's times (also the overview's Schedule button)."""
    if group.calendar is None:
        text = catalog.gettext("{group} has no calendar: its rounds open only with /open {id}.")
        await _reply(update, escape(text.format(group=group.name, id=group.id)))
        return
    await _reply(update, await context.services.schedule.overview(group, catalog.language))


async def skip_command(update: Update, context: KierrosContext) -> None:
    """Cancel the rounds of one session: /skip <group> <date>."""
    await _skip_or_unskip(update, context, undo=False)


async def unskip_command(update: Update, context: KierrosContext) -> None:
    """Put a skipped session back: /unskip <group> <date>."""
    await _skip_or_unskip(update, context, undo=True)


async def _skip_or_unskip(update: Update, context: KierrosContext, *, undo: bool) -> None:
    command = "unskip" if undo else "skip"
    arguments = list(context.args or [])
    date_text = arguments.pop() if arguments else ""
    context.args = arguments
    target = await target_group(update, context, command)
    if target is None:
        return
    group, catalog = target
    try:
        day = parse_date(date_text)
    except ValueError:
        if undo:
            usage = catalog.gettext("Usage: /unskip <group> <date>, for example /unskip {id} 2026-03-10")
        else:
            usage = catalog.gettext("Usage: /skip <group> <date>, for example /skip {id} 2026-03-10")
        await _reply(update, escape(usage.format(id=group.id)))
        return
    result = await context.services.schedule.skip(group, day, undo=undo)
    await _reply(update, escape(_skip_text(context.services, group, result, date_text, catalog)))
    await arm_next(context.application)


def _skip_text(services: Services, group: GroupConfig, result: SkipResult, day_text: str, catalog: Catalog) -> str:
    supervisor = services.config.supervisors[group.supervisor_id]
    zone = services.config.supervisor_zone(supervisor)
    when = format_moment(result.session_at, zone, catalog.language) if result.session_at else day_text
    match result.outcome:
        case SkipOutcome.NO_SESSION:
            return catalog.gettext("{group} has no session on {date}. /schedule {id} lists the sessions.").format(
                group=group.name, date=day_text, id=group.id
            )
        case SkipOutcome.PAST:
            return catalog.gettext("The session on {date} has already started.").format(date=when)
        case SkipOutcome.ALREADY_SKIPPED:
            return catalog.gettext("The session on {date} was already skipped.").format(date=when)
        case SkipOutcome.NOT_SKIPPED:
            return catalog.gettext("The session on {date} was not skipped.").format(date=when)
        case SkipOutcome.UNSKIPPED:
            return catalog.gettext("The session of {group} on {date} is back on: its rounds open as planned.").format(
                group=group.name, date=when
            )
    text = catalog.gettext("The session of {group} on {date} is skipped: its rounds will not open.").format(
        group=group.name, date=when
    )
    if result.rounds_open:
        text += " " + catalog.gettext("A round of it is already open; /close {id} closes it now.").format(id=group.id)
    return text


async def missed_pressed(update: Update, context: KierrosContext) -> None:
    """ "Open the check-in now" under a missed-round notice: an ad-hoc round of that flow, closed with /close."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    group_id, _, flow_id = (query.data or "").removeprefix(MISSED_PREFIX).partition(":")
    target = await target_group(update, context, "open", group_id)
    if target is None:
        return
    group, catalog = target
    if flow_id not in context.services.config.flows:
        await _reply(update, escape(catalog.gettext("This button is not valid.")))
        return
    await open_group(update, context, group, catalog, flow_id)
    await arm_next(context.application)


async def link_command(update: Update, context: KierrosContext) -> None:
    """In a group chat: the supervisor links it to one of their groups for round announcements."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    services = context.services
    group = services.membership.supervised_group(user.id, context.args[0]) if context.args else None
    if group is None:
        # Said in a shared chat: no group names, and the same answer for a stranger and a typo.
        catalog = services.translator.for_language(services.config.default_language)
        await _reply(update, escape(catalog.gettext("Only the group's supervisor can link this chat: /link <group>")))
        return
    catalog = services.translator.for_language(services.config.supervisors[user.id].language)
    await services.schedule.link_chat(group, chat.id, create_deep_linked_url(context.bot.username))
    text = catalog.gettext(
        "This chat is now linked to {group}. When a check-in opens I will post a short note here with a button to "
        "answer privately. Answers, counts and names never appear here."
    )
    await _reply(update, escape(text.format(group=group.name)))


async def unlink_command(update: Update, context: KierrosContext) -> None:
    """Stop announcements in the group chat linked to a group."""
    target = await target_group(update, context, "unlink")
    if target is None:
        return
    group, catalog = target
    if await context.services.schedule.unlink_chat(group):
        text = catalog.gettext("{group} is no longer linked to a group chat.")
    else:
        text = catalog.gettext("{group} has no linked group chat.")
    await _reply(update, escape(text.format(group=group.name)))


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("schedule", schedule_command, filters=private))
    application.add_handler(CommandHandler("skip", skip_command, filters=private))
    application.add_handler(CommandHandler("unskip", unskip_command, filters=private))
    application.add_handler(CommandHandler("unlink", unlink_command, filters=private))
    application.add_handler(CommandHandler("link", link_command, filters=filters.ChatType.GROUPS))
    application.add_handler(
        CallbackQueryHandler(missed_pressed, pattern=rf"^{MISSED_PREFIX}[a-z0-9_-]{{1,32}}:[\w-]{{1,64}}$")
    )
