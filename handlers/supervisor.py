"""Supervisor commands: `/invite`, `/revoke`, `/open`, `/close`, `/rounds` and `/digest` for the supervisor's own
groups.

Only people listed as supervisors in `config.yaml` may use these, and only for their own groups. A refusal never
names or confirms another supervisor's group: an unknown group and someone else's group get the same answer, which
lists only the caller's own groups.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, filters
from telegram.helpers import create_deep_linked_url

from checkins.config.app import GroupConfig
from checkins.digest.service import DigestOutcome
from checkins.i18n import Catalog
from checkins.rounds.closing import CloseOutcome
from checkins.rounds.opening import OpenOutcome
from handlers.common import catalog_for_sender
from handlers.context import KierrosContext


async def _reply(update: Update, text: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(escape(text), parse_mode=ParseMode.HTML)


async def target_group(
    update: Update, context: KierrosContext, command: str, group_id: str | None = None
) -> tuple[GroupConfig, Catalog] | None:
    """The group a supervisor command (or button) names, after the access check; replies and returns None otherwise."""
    user = update.effective_user
    if user is None:
        return None
    services = context.services
    if not services.membership.is_supervisor(user.id):
        catalog = await catalog_for_sender(update, services)
        await _reply(update, catalog.gettext("This command is only for supervisors."))
        return None
    catalog = services.translator.for_language(services.config.supervisors[user.id].language)
    own = services.config.supervisor_groups(user.id)
    own_list = ", ".join(group.id for group in own)
    requested = group_id or (context.args[0] if context.args else (own[0].id if len(own) == 1 else ""))
    if not requested:
        await _reply(
            update,
            catalog.gettext("Usage: /{command} <group>. Your groups: {groups}").format(
                command=command, groups=own_list
            ),
        )
        return None
    group = services.membership.supervised_group(user.id, requested)
    if group is None:
        await _reply(
            update,
            catalog.gettext("You have no group called “{group}”. Your groups: {groups}").format(
                group=requested[:32], groups=own_list
            ),
        )
        return None
    return group, catalog


async def invite(update: Update, context: KierrosContext) -> None:
    """Create an invite link for a group."""
    target = await target_group(update, context, "invite")
    if target is not None:
        await invite_link(update, context, *target)


async def invite_link(update: Update, context: KierrosContext, group: GroupConfig, catalog: Catalog) -> None:
    services = context.services
    token = await services.membership.create_invite(group)
    link = create_deep_linked_url(context.bot.username, token)
    text = catalog.gettext(
        "Invite link for {group}, valid for {days} days. Share it with the group's members only:"
    ).format(group=group.name, days=services.config.invite_expiry_days)
    await _reply(update, f"{text}\n{link}")


async def revoke(update: Update, context: KierrosContext) -> None:
    """Withdraw every invite link of a group."""
    target = await target_group(update, context, "revoke")
    if target is None:
        return
    group, catalog = target
    count = await context.services.membership.revoke_invites(group)
    await _reply(
        update,
        catalog.ngettext(
            "{count} invite link of {group} withdrawn.", "{count} invite links of {group} withdrawn.", count
        ).format(count=count, group=group.name),
    )


async def open_round(update: Update, context: KierrosContext) -> None:
    """Open a check-in round now."""
    target = await target_group(update, context, "open")
    if target is not None:
        await open_group(update, context, *target)


async def open_group(
    update: Update, context: KierrosContext, group: GroupConfig, catalog: Catalog, flow_id: str | None = None
) -> None:
    result = await context.services.rounds.open_round(group, flow_id)
    if result.outcome is OpenOutcome.ALREADY_OPEN:
        text = catalog.gettext("{group} already has an open round. Close it first with /close {id}.")
    elif result.outcome is OpenOutcome.PROCESS_ENDED:
        text = catalog.gettext("The process {group} has ended; no more check-ins can open.")
    elif result.outcome is OpenOutcome.NO_MEMBERS:
        text = catalog.gettext("{group} has no members yet. Share an invite link from /invite {id} first.")
    else:
        text = catalog.ngettext(
            "Round opened for {group}: {count} member was asked. Close it with /close {id}.",
            "Round opened for {group}: {count} members were asked. Close it with /close {id}.",
            result.invited,
        )
    await _reply(update, text.format(group=group.name, id=group.id, count=result.invited))


async def close_round(update: Update, context: KierrosContext) -> None:
    """Close the open round and send the digest."""
    target = await target_group(update, context, "close")
    if target is not None:
        await close_group(update, context, *target)


async def close_group(update: Update, context: KierrosContext, group: GroupConfig, catalog: Catalog) -> None:
    result = await context.services.rounds.close_round(group)
    if result.outcome is CloseOutcome.NOT_OPEN:
        text = catalog.gettext("{group} has no open round.")
    else:
        text = catalog.gettext("Round closed for {group}. The digest follows.")
    await _reply(update, text.format(group=group.name))


async def list_rounds(update: Update, context: KierrosContext) -> None:
    """List a group's rounds with their participation."""
    target = await target_group(update, context, "rounds")
    if target is None or update.effective_message is None:
        return
    group, catalog = target
    text = await context.services.digests.rounds_overview(group, catalog)
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def resend_digest(update: Update, context: KierrosContext) -> None:
    """Send a closed round's digest again: `/digest <group> [round]`, the latest round by default."""
    target = await target_group(update, context, "digest")
    if target is None:
        return
    group, catalog = target
    argument = context.args[1] if context.args and len(context.args) > 1 else ""
    if argument and not (argument.isdigit() and len(argument) <= 6):
        usage = catalog.gettext("Usage: /digest {id} [round number], e.g. /digest {id} 3").format(id=group.id)
        await _reply(update, usage)
        return
    await send_digest(update, context, group, catalog, int(argument) if argument else None)


async def send_digest(
    update: Update, context: KierrosContext, group: GroupConfig, catalog: Catalog, round_number: int | None = None
) -> None:
    """Queue a closed round's digest again (the latest by default) and say what happens."""
    # Keyed by the update, so Telegram delivering the same command twice sends the digest once.
    result = await context.services.digests.resend_digest(group, round_number, dedupe=f"resend:{update.update_id}")
    texts = {
        DigestOutcome.QUEUED: catalog.gettext("The digest of round {number} follows."),
        DigestOutcome.NO_ROUNDS: catalog.gettext("{group} has no closed rounds yet."),
        DigestOutcome.NOT_FOUND: catalog.gettext("{group} has no round {number}. /rounds {id} lists them."),
        DigestOutcome.STILL_OPEN: catalog.gettext("Round {number} is still open; its digest comes when it closes."),
    }
    await _reply(update, texts[result.outcome].format(group=group.name, id=group.id, number=result.round_number))


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("invite", invite, filters=private))
    application.add_handler(CommandHandler("revoke", revoke, filters=private))
    application.add_handler(CommandHandler("open", open_round, filters=private))
    application.add_handler(CommandHandler("close", close_round, filters=private))
    application.add_handler(CommandHandler("rounds", list_rounds, filters=private))
    application.add_handler(CommandHandler("digest", resend_digest, filters=private))
