"""Handlers for everyone: `/start` with or without an invite token, `/help` and `/privacy`.

`/start <token>` joins a group through an invite link; the welcome (what the bot is, who sees what, that it is not
a crisis service) is queued by the domain so it cannot overtake a round's first question. Without a token, or with
an unknown, expired or revoked one, the person gets a helpful explanation instead. A member who had blocked the bot
is reachable again after `/start` and gets their open questions anew; blocking the bot (`my_chat_member`) marks
them unreachable at once.
"""

from __future__ import annotations

from html import escape

from telegram import ChatMember, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ChatMemberHandler, CommandHandler, filters

from checkins.i18n import Catalog
from checkins.membership import JoinOutcome
from handlers.common import sender
from handlers.context import KierrosContext, Services
from handlers.menus import MEMBER_COMMANDS, SUPERVISOR_COMMANDS, publish_supervisor_menu


async def catalog_for_sender(update: Update, services: Services) -> Catalog:
    """The language a person reads: their stored choice, else Telegram's language, else the configured default."""
    person = sender(update)
    if person is None:
        return services.translator.for_language(services.config.default_language)
    member = await services.membership.member(person.telegram_user_id)
    if member is not None:
        return services.translator.for_language(member.language)
    return services.catalog_for(person)


async def start(update: Update, context: KierrosContext) -> None:
    """Join through an invite link, or explain how to join."""
    person = sender(update)
    message = update.effective_message
    if person is None or message is None:
        return
    services = context.services
    token = context.args[0] if context.args else ""
    if token:
        result = await services.membership.join(person, token)
        catalog = services.translator.for_language(result.member.language)
        if result.outcome is JoinOutcome.JOINED:
            return
        if result.outcome is JoinOutcome.ALREADY_MEMBER and result.group is not None:
            text = catalog.gettext("You are already a member of {group}.").format(group=result.group.name)
        else:
            text = catalog.gettext(
                "This invite link is not valid: it may have expired or been withdrawn. "
                "Ask your supervisor for a new link."
            )
        await message.reply_text(escape(text), parse_mode=ParseMode.HTML)
        return
    catalog = await catalog_for_sender(update, services)
    resent = await services.membership.reconnect(person)
    if resent is not None:
        if resent:
            text = catalog.gettext("Welcome back! Your open check-in questions follow.")
        else:
            text = catalog.gettext("Welcome back! I will message you when the next check-in opens.")
        await message.reply_text(escape(text), parse_mode=ParseMode.HTML)
        return
    if services.membership.is_supervisor(person.telegram_user_id):
        await services.membership.register(person)
        await publish_supervisor_menu(
            context.bot, services.config.supervisors[person.telegram_user_id], services.translator
        )
        text = catalog.gettext(
            "Hello! You are registered as a supervisor. Use /invite <group> to get an invite link for your group, "
            "/open <group> to open a check-in round and /close <group> to close it and receive the digest. "
            "/help lists all commands."
        )
    else:
        text = catalog.gettext(
            "Hello! I run the check-in round before work supervision sessions. "
            "To join a group, open the invite link your supervisor gave you."
        )
    await message.reply_text(escape(text), parse_mode=ParseMode.HTML)


async def help_command(update: Update, context: KierrosContext) -> None:
    """List the commands this person can use."""
    message = update.effective_message
    person = sender(update)
    if message is None or person is None:
        return
    services = context.services
    catalog = await catalog_for_sender(update, services)
    lines = [
        catalog.gettext("I ask a few short questions before each supervision session, in this private chat."),
        "",
        *(f"/{name} – {catalog.gettext(description)}" for name, description in MEMBER_COMMANDS),
    ]
    if services.membership.is_supervisor(person.telegram_user_id):
        lines += ["", catalog.gettext("For supervisors:")]
        argument = catalog.gettext("<group>")
        lines += [f"/{name} {argument} – {catalog.gettext(description)}" for name, description in SUPERVISOR_COMMANDS]
    await message.reply_text(escape("\n".join(lines)), parse_mode=ParseMode.HTML)


async def privacy(update: Update, context: KierrosContext) -> None:
    """The short version of PRIVACY.md, in the person's language."""
    message = update.effective_message
    if message is None:
        return
    catalog = await catalog_for_sender(update, context.services)
    paragraphs = [
        catalog.gettext(
            "Your supervisor sees only a summary of the answers that were submitted: how many answered (never who), "
            "the spread of scale answers and the free-text answers shuffled, with names, phone numbers and similar "
            "details replaced. If fewer people answer than the group's threshold, no answers are shown at all."
        ),
        catalog.gettext(
            "Your employer and the group chat see nothing. Once a round closes, nothing in the database links an "
            "answer to you."
        ),
        catalog.gettext(
            "Honest limits: in a small group a supervisor may recognise a writing style, and Telegram chats with "
            "bots are not end-to-end encrypted."
        ),
        catalog.gettext(
            "This is not a crisis service. If you are in acute distress, contact occupational health or call 112."
        ),
    ]
    await message.reply_text("\n\n".join(escape(p) for p in paragraphs), parse_mode=ParseMode.HTML)


async def bot_blocked(update: Update, context: KierrosContext) -> None:
    """A person blocked the bot in their private chat: nothing can reach them until they /start again."""
    change = update.my_chat_member
    if change is None or change.chat.type != change.chat.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
        await context.services.membership.mark_unreachable(change.chat.id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("help", help_command, filters=private))
    application.add_handler(CommandHandler("privacy", privacy, filters=private))
    application.add_handler(ChatMemberHandler(bot_blocked, ChatMemberHandler.MY_CHAT_MEMBER))
