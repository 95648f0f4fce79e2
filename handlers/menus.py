"""What Telegram shows about the bot before and around a chat, in Finnish, Swedish and English: the description on
the empty chat screen and the short one on the profile (`setMyDescription` / `setMyShortDescription` per
`language_code`), member commands in every private chat and supervisor commands in each supervisor's own chat
(`setMyCommands` per scope and `language_code`). The untagged defaults are in the configured default language."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from checkins.config.app import AppConfig, Supervisor
from checkins.i18n import LANGUAGES, N_, Catalog, Translator

log = logging.getLogger(__name__)

MEMBER_COMMANDS = (
    ("help", N_("this help")),
    ("privacy", N_("who sees what, and what is stored")),
    ("mydata", N_("what the bot stores about you")),
    ("leave", N_("leave a group")),
    ("forgetme", N_("erase everything about you")),
    ("settings", N_("language, reminders and pausing")),
    ("language", N_("choose your language")),
    ("pause", N_("pause check-ins, e.g. while on leave")),
    ("resume", N_("get check-ins again after a pause")),
    ("quiet", N_("your own quiet hours, e.g. /quiet 22:00 07:00")),
    ("timezone", N_("your own time zone, e.g. /timezone Europe/Stockholm")),
)
DESCRIPTION = N_(
    "I run the check-in round before your work supervision sessions: a few short questions in this private chat. "
    "Your supervisor sees only an anonymised summary – never who answered what – and your employer sees nothing. "
    "To join a group, open the invite link your supervisor gave you."
)
SHORT_DESCRIPTION = N_("Private check-ins before work supervision. Your supervisor sees only an anonymised summary.")
SUPERVISOR_COMMANDS = (
    ("groups", N_("your groups and their state")),
    ("invite", N_("an invite link for a group")),
    ("revoke", N_("withdraw a group's invite links")),
    ("open", N_("open a check-in round now")),
    ("close", N_("close the round and send the digest")),
    ("finish", N_("end a supervision process")),
    ("schedule", N_("the next sessions and their rounds")),
    ("skip", N_("skip one session: give its date after the group")),
    ("unskip", N_("undo /skip: give the group and the date")),
    ("unlink", N_("stop notes in the linked group chat")),
    ("rounds", N_("a group's rounds and how many answered")),
    ("digest", N_("send a round's digest again (add a round number)")),
)


def _commands(catalog: Catalog, table: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, catalog.gettext(description)) for name, description in table]


async def publish_descriptions(bot: Bot, config: AppConfig, translator: Translator) -> None:
    """The description and short description, untagged in the default language and once per language."""
    targets = [(translator.for_language(config.default_language), None)]
    targets += [(translator.for_language(language), language) for language in LANGUAGES]
    try:
        for catalog, language in targets:
            await bot.set_my_description(catalog.gettext(DESCRIPTION), language_code=language)
            await bot.set_my_short_description(catalog.gettext(SHORT_DESCRIPTION), language_code=language)
    except TelegramError as error:
        # Telegram rate-limits these calls; the previous descriptions stay, which is no reason to stop the bot.
        log.warning("bot descriptions not updated (%s)", type(error).__name__)


async def publish_menus(bot: Bot, config: AppConfig, translator: Translator) -> None:
    await publish_descriptions(bot, config, translator)
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(
        _commands(translator.for_language(config.default_language), MEMBER_COMMANDS), scope=private
    )
    for language in LANGUAGES:
        await bot.set_my_commands(
            _commands(translator.for_language(language), MEMBER_COMMANDS),
            scope=private,
            language_code=language,
        )
    for supervisor in config.supervisors.values():
        await publish_supervisor_menu(bot, supervisor, translator)


async def publish_supervisor_menu(bot: Bot, supervisor: Supervisor, translator: Translator) -> None:
    """The supervisor commands in the supervisor's own chat (also sent when they first /start the bot)."""
    catalog = translator.for_language(supervisor.language)
    try:
        await bot.set_my_commands(
            _commands(catalog, MEMBER_COMMANDS + SUPERVISOR_COMMANDS), scope=BotCommandScopeChat(supervisor.user_id)
        )
    except TelegramError as error:
        # A supervisor who has not opened a chat with the bot yet has no chat to scope a menu to.
        log.info("supervisor menu not set yet (%s); it is set when they /start the bot", type(error).__name__)
