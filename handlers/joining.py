"""Handlers for everyone: `/start` with or without an invite token, `/help`, `/privacy` and its button, `/whoami`.

`/start <token>` joins a group through an invite link; the welcome (what the bot is, who sees what, that it is not
a crisis service, and a "How is my data handled?" button) is queued by the domain so it cannot overtake a round's
first question. `/start` without a token shows a supervisor their groups and how to invite, a member their groups,
and anyone else how to join; an unknown, expired or revoked token gets a helpful explanation. A member who had
blocked the bot is reachable again after `/start` and gets their open questions anew; blocking the bot
(`my_chat_member`) marks them unreachable at once. `/whoami` (and a stranger's `/start`) tells a person their
numeric Telegram id, so a new supervisor can put themself into config.yaml.
"""

from __future__ import annotations

from html import escape

from telegram import ChatMember, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, filters

from checkins.i18n import Catalog
from checkins.rounds.membership import JoinOutcome
from checkins.rounds.onboarding import PRIVACY_CALLBACK, privacy_button, privacy_text, supervisor_overview
from handlers.common import catalog_for_sender, keyboard_markup, sender
from handlers.context import KierrosContext
from handlers.menus import MEMBER_COMMANDS, SUPERVISOR_COMMANDS, publish_supervisor_menu
from handlers.processes import ask_consent


async def start(update: Update, context: KierrosContext) -> None:
    """Join through an invite link; otherwise show a supervisor their groups, a member theirs, others how to join."""
    person = sender(update)
    message = update.effective_message
    if person is None or message is None:
        return
    services = context.services
    # Telegram lets the bot write to a person only after their first /start: what waited for it goes out now.
    await services.outbox.release_held(person.telegram_user_id, services.membership.clock())
    token = context.args[0] if context.args else ""
    if token:
        result = await services.membership.join(person, token)
        catalog = services.translator.for_language(result.language)
        if result.outcome is JoinOutcome.JOINED:
            return
        if result.outcome is JoinOutcome.NEEDS_CONSENT and result.group is not None:
            await ask_consent(message, catalog, result.group, token)
            return
        if result.outcome is JoinOutcome.ALREADY_MEMBER and result.group is not None:
            text = catalog.gettext("You are already a member of {group}.").format(group=result.group.name)
        elif result.outcome is JoinOutcome.OWN_GROUP and result.group is not None:
            text = catalog.gettext(
                "You supervise {group}, so you cannot join it as a member: your answers would count as a member's."
            ).format(group=result.group.name)
        elif result.outcome is JoinOutcome.PROCESS_FULL:
            text = catalog.gettext("This individual supervision already has its member, so the link cannot be used.")
        elif result.outcome is JoinOutcome.PROCESS_ENDED:
            text = catalog.gettext("This supervision process has ended, so it cannot be joined any more.")
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
        overviews = await services.membership.group_overviews(person.telegram_user_id)
        await message.reply_text(supervisor_overview(catalog, overviews), parse_mode=ParseMode.HTML)
        return
    member = await services.membership.member(person.telegram_user_id)
    groups = await services.membership.member_groups(member) if member is not None else []
    if groups:
        text = catalog.gettext("You are a member of {groups}. I will message you here when a check-in opens.").format(
            groups=", ".join(group.name for group in groups)
        )
    else:
        text = catalog.gettext(
            "Hello! I run the check-in round before work supervision sessions. "
            "To join a group, open the invite link your supervisor gave you."
        )
        text += "\n\n" + whoami_text(catalog, person.telegram_user_id)
    await message.reply_text(
        escape(text), parse_mode=ParseMode.HTML, reply_markup=keyboard_markup(((privacy_button(catalog),),))
    )


def whoami_text(catalog: Catalog, user_id: int) -> str:
    return "\n".join(
        (
            catalog.gettext("Your Telegram user id is {id}.").format(id=user_id),
            catalog.gettext("A supervisor sets up the bot by writing this number under supervisors in config.yaml."),
        )
    )


async def whoami(update: Update, context: KierrosContext) -> None:
    """Tell a person their numeric Telegram id (a supervisor needs it for config.yaml)."""
    message = update.effective_message
    person = sender(update)
    if message is None or person is None:
        return
    catalog = await catalog_for_sender(update, context.services)
    await message.reply_text(escape(whoami_text(catalog, person.telegram_user_id)), parse_mode=ParseMode.HTML)


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
    await message.reply_text(privacy_text(catalog), parse_mode=ParseMode.HTML)


async def privacy_pressed(update: Update, context: KierrosContext) -> None:
    """The welcome's "How is my data handled?" button: the /privacy text as a new message."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    catalog = await catalog_for_sender(update, context.services)
    await context.bot.send_message(query.from_user.id, privacy_text(catalog), parse_mode=ParseMode.HTML)


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
    application.add_handler(CommandHandler("whoami", whoami, filters=private))
    # Before the answering handlers' catch-all for buttons.
    application.add_handler(CallbackQueryHandler(privacy_pressed, pattern=f"^{PRIVACY_CALLBACK}$"))
    application.add_handler(ChatMemberHandler(bot_blocked, ChatMemberHandler.MY_CHAT_MEMBER))
