"""Handlers for whole supervision processes: consent to individual supervision, the supervisor's `/groups`
overview with its action buttons, and `/finish <group>`.

Consent buttons carry the invite token (`cs:y:<token>`), so accepting re-checks the invite as if the link were
opened again; refusing stores nothing. Overview buttons (`gr:<action>:<group>`) run the same code as the commands,
behind the same access check.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from checkins.config.app import GroupConfig, GroupMode
from checkins.i18n import Catalog
from checkins.rounds.membership import JoinOutcome
from checkins.rounds.processes import consent_text
from handlers.common import catalog_for_sender, sender
from handlers.context import KierrosContext
from handlers.schedule import show_schedule
from handlers.supervisor import close_group, invite_link, open_group, send_digest, target_group

CONSENT_PREFIX = "cs:"


async def ask_consent(message: Message, catalog: Catalog, group: GroupConfig, token: str) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(catalog.gettext("I agree"), callback_data=f"{CONSENT_PREFIX}y:{token}"),
                InlineKeyboardButton(catalog.gettext("I do not agree"), callback_data=f"{CONSENT_PREFIX}n"),
            ]
        ]
    )
    await message.reply_text(consent_text(catalog, group), parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def consent_answer(update: Update, context: KierrosContext) -> None:
    """The person agreed to individual supervision (join now) or did not (nothing stored)."""
    query = update.callback_query
    person = sender(update)
    if query is None or query.data is None or person is None:
        return
    services = context.services
    await query.answer()
    if query.data.startswith(f"{CONSENT_PREFIX}y:"):
        result = await services.membership.join(person, query.data.split(":", 2)[2], consented=True)
        catalog = services.translator.for_language(result.language)
        if result.outcome is JoinOutcome.JOINED:
            text = catalog.gettext("You agreed and joined.")
        else:
            text = catalog.gettext(
                "This invite link is not valid: it may have expired or been withdrawn. "
                "Ask your supervisor for a new link."
            )
    else:
        catalog = services.catalog_for(person)
        text = catalog.gettext("You did not join, and nothing about you was stored.")
    await query.edit_message_text(escape(text), parse_mode=ParseMode.HTML)


async def groups_overview(update: Update, context: KierrosContext) -> None:
    """The supervisor's groups, each with its state and buttons for its actions."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    services = context.services
    if not services.membership.is_supervisor(user.id):
        catalog = await catalog_for_sender(update, services)
        await message.reply_text(escape(catalog.gettext("This command is only for supervisors.")))
        return
    catalog = services.translator.for_language(services.config.supervisors[user.id].language)
    title = catalog.gettext("Your groups")
    lines = [f"<b>{escape(title)}</b>"]
    invite = catalog.gettext("Invite")
    schedule = catalog.gettext("Schedule")
    last_digest = catalog.gettext("Last digest")
    rows = []
    for row in await services.processes.overview(user.id):
        mode = catalog.gettext("individual") if row.group.mode is GroupMode.INDIVIDUAL else catalog.gettext("group")
        if row.finished:
            state = catalog.gettext("process ended")
        elif row.round_open:
            state = catalog.gettext("check-in open")
        else:
            state = catalog.gettext("no open check-in")
        joined = catalog.ngettext("{count} member", "{count} members", row.members).format(count=row.members)
        lines.append(
            f"• <b>{escape(row.group.name)}</b> ({escape(row.group.id)}, {escape(mode)}): "
            f"{escape(joined)}, {escape(state)}"
        )
        if row.finished:
            continue
        toggle = ("close", catalog.gettext("Close")) if row.round_open else ("open", catalog.gettext("Open"))
        rows.append(
            [
                InlineKeyboardButton(f"{row.group.id}: {invite}", callback_data=f"gr:invite:{row.group.id}"),
                InlineKeyboardButton(f"{row.group.id}: {toggle[1]}", callback_data=f"gr:{toggle[0]}:{row.group.id}"),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(f"{row.group.id}: {schedule}", callback_data=f"gr:schedule:{row.group.id}"),
                InlineKeyboardButton(f"{row.group.id}: {last_digest}", callback_data=f"gr:digest:{row.group.id}"),
            ]
        )
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def overview_action(update: Update, context: KierrosContext) -> None:
    """A button of the /groups overview: the same as the command it stands for."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, action, group_id = query.data.split(":", 2)
    await query.answer()
    target = await target_group(update, context, action, group_id)
    if target is None:
        return
    group, catalog = target
    handler = {
        "invite": invite_link,
        "open": open_group,
        "close": close_group,
        "schedule": show_schedule,
        "digest": send_digest,
    }[action]
    await handler(update, context, group, catalog)


async def finish(update: Update, context: KierrosContext) -> None:
    """Ask for confirmation before ending a supervision process."""
    message = update.effective_message
    target = await target_group(update, context, "finish")
    if target is None or message is None:
        return
    group, catalog = target
    text = catalog.gettext(
        "End the supervision process {group}? No more check-ins will open, an open check-in is closed now, and "
        "members are told the process ended."
    ).format(group=group.name)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(catalog.gettext("End the process"), callback_data=f"fin:{group.id}"),
                InlineKeyboardButton(catalog.gettext("Cancel"), callback_data="fin:"),
            ]
        ]
    )
    await message.reply_text(escape(text), parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def finish_answer(update: Update, context: KierrosContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    group_id = query.data.removeprefix("fin:")
    if not group_id:
        services = context.services
        person = sender(update)
        catalog = services.catalog_for(person) if person else services.translator.for_language("en")
        await query.edit_message_text(escape(catalog.gettext("Nothing was changed.")), parse_mode=ParseMode.HTML)
        return
    target = await target_group(update, context, "finish", group_id)
    if target is None:
        return
    group, catalog = target
    finished, _ = await context.services.processes.finish(group)
    text = (
        catalog.gettext("The process {group} has ended. Its members were told.")
        if finished
        else catalog.gettext("The process {group} had already ended.")
    ).format(group=group.name)
    await query.edit_message_text(escape(text), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CallbackQueryHandler(consent_answer, pattern=rf"^{CONSENT_PREFIX}(y:[\w-]{{8,64}}|n)$"))
    application.add_handler(CommandHandler("groups", groups_overview, filters=private))
    application.add_handler(CommandHandler("finish", finish, filters=private))
    application.add_handler(
        CallbackQueryHandler(overview_action, pattern=r"^gr:(invite|open|close|schedule|digest):[a-z0-9_-]{1,32}$")
    )
    application.add_handler(CallbackQueryHandler(finish_answer, pattern=r"^fin:[a-z0-9_-]{0,32}$"))
