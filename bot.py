"""Kierros: the composition root and command line.

    python bot.py [run] [--config config.yaml]   run the bot (token from TELEGRAM_BOT_TOKEN)
    python bot.py check [--config config.yaml]   validate the config and flows, print a summary
    python bot.py backup PATH [--config ...]     copy the database to PATH while the bot keeps running
    python bot.py demo [--lang fi|sv|en] [--out DIR]   the real bot against a local Telegram simulator, no token
                                                 needed; --out keeps the digest's message, chart and report
    python bot.py try FLOW [--lang fi|sv|en]     answer a flow (an id or a .yaml path) in the terminal, see the digest

Wiring, in order: load config (one clear error and exit code 2 when it is wrong) → build the PTB `Application`
(handlers/application.py: base URL configurable, so a self-hosted Bot API server or the simulator work; sends paced
under Telegram's flood limits; at start-up it takes the database lock, opens storage, builds the domain services,
publishes the command menus, starts the outbox sender and arms the schedule timer and the retention purge) → poll
(or receive webhooks) until SIGTERM or Ctrl-C, then stop in order: finish the updates and the messages in flight,
close the database, release the lock.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from checkins.config.app import AppConfig, load_config
from checkins.config.yamlsource import ConfigError
from checkins.i18n import LANGUAGES, Translator
from checkins.storage.lock import DatabaseInUse
from checkins.terminal import find_flow, read_stdin_line
from checkins.terminal import run as run_in_terminal
from handlers import receiving
from handlers.application import MODE_KEY, build_application, running

log = logging.getLogger("kierros")

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "config.yaml"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
POLL_TIMEOUT = 10


class TokenMask(logging.Filter):
    """Replaces the bot token wherever a log record would carry it (URLs logged by HTTP clients)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self._token and self._token in record.getMessage():
            record.msg = record.getMessage().replace(self._token, "<token>")
            record.args = None
        return True


# Libraries that log what passes through them at low levels: request URLs (which hold the token), SQL parameters
# and update contents (which hold answers and names). They never log below these levels, whatever the root level.
LIBRARY_LOG_LEVELS = {"httpx": logging.WARNING, "aiosqlite": logging.WARNING, "telegram": logging.INFO}


def quiet_libraries() -> None:
    for name, level in LIBRARY_LOG_LEVELS.items():
        logging.getLogger(name).setLevel(level)


def configure_logging(token: str) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        handler.addFilter(TokenMask(token))


async def serve(application: Application) -> int:  # type: ignore[type-arg]
    """Poll until SIGTERM or SIGINT, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    async with running(application, poll_timeout=POLL_TIMEOUT) as polling:
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if polling.done() and polling.exception() is not None:
            log.error("polling stopped: %s", type(polling.exception()).__name__)
            return 1
    log.info("Kierros stopped")
    return 0


def _load_or_exit(path: Path) -> AppConfig:
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def command_check(config_path: Path) -> int:
    config = _load_or_exit(config_path)
    print(f"{config.source}: OK")
    print(f"  time zone {config.timezone.key}, default language {config.default_language}")
    print(f"  storage {config.storage_path}")
    for flow in config.flows.values():
        print(f"  flow {flow.id}: {len(flow.questions)} questions ({flow.source.name})")
    for group in config.groups.values():
        supervisor_name = config.supervisors[group.supervisor_id].name
        print(
            f"  group {group.id} “{group.name}”: flow {group.flow_id}, supervisor {supervisor_name}, "
            f"min_responses {group.min_responses}"
        )
        if group.calendar is not None:
            last = group.calendar.last_session()
            rounds = ", ".join(timeline.flow_id for timeline in group.rounds)
            ending = f"last session {last:%Y-%m-%d %H:%M}" if last else "repeating without end"
            print(f"    calendar in {config.group_zone(group).key}: rounds {rounds}; {ending}")
    return 0


def command_try(config_path: Path, flow_reference: str | None, language: str | None, round_number: int) -> int:
    if not flow_reference:
        print("Which flow? For example:  python bot.py try pre_session --lang fi", file=sys.stderr)
        return 2
    try:
        tried = find_flow(flow_reference, config_path)
    except ConfigError as error:
        print(f"Flow error: {error}", file=sys.stderr)
        return 2
    catalog = Translator.load().for_language(language or tried.flow.default_language)
    return run_in_terminal(tried, catalog, read_stdin_line, print, round_number)


def command_run(config_path: Path) -> int:
    config = _load_or_exit(config_path)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(
            f"No bot token: set {TOKEN_ENV} to the token BotFather gave you.\n"
            "To try Kierros without a token or network, run:  python bot.py demo",
            file=sys.stderr,
        )
        return 1
    configure_logging(token)
    application = build_application(config, token, base_url=os.environ.get(BASE_URL_ENV) or None)
    try:
        if config.webhook is None:
            return asyncio.run(serve(application))
        return run_webhook(application, config)
    except DatabaseInUse as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 1


def run_webhook(application: Application, config: AppConfig) -> int:  # type: ignore[type-arg]
    webhook = config.webhook
    assert webhook is not None
    secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if not secret:
        print(f"Webhook mode needs a secret: set {WEBHOOK_SECRET_ENV} (1–256 characters A-Z, a-z, 0-9, _ and -).")
        return 1
    application.bot_data[MODE_KEY] = f"webhook on {webhook.listen}:{webhook.port}"
    application.bot_data[receiving.WEBHOOK_KEY] = True
    application.run_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=f"{webhook.url.rstrip('/')}/{webhook.path}",
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0


def command_backup(config_path: Path, target: Path) -> int:
    """Copy the database with SQLite's online backup API: consistent, even while the bot is writing."""
    config = _load_or_exit(config_path)
    if not config.storage_path.exists():
        print(f"No database at {config.storage_path}", file=sys.stderr)
        return 1
    if target.exists():
        print(f"{target} exists already; choose a new file name", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(config.storage_path)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    print(f"Backed up {config.storage_path} to {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description="Kierros check-in bot for work supervision")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "check", "backup", "demo", "try"))
    parser.add_argument(
        "target", nargs="?", help="backup: the file to write; try: a flow id from the config's flows, or a flow file"
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="path to config.yaml")
    parser.add_argument(
        "--lang", choices=LANGUAGES, help="demo: the people's language (default fi); try: default the flow's"
    )
    parser.add_argument("--round", type=int, default=1, help="try: the round number, for rotated questions")
    parser.add_argument(
        "--out", type=Path, help="demo: a folder to keep the digest in (the message as text, the chart and the report)"
    )
    arguments = parser.parse_args(argv)
    if arguments.round < 1:
        parser.error("--round must be 1 or more")
    if arguments.command == "check":
        return command_check(arguments.config)
    if arguments.command == "backup":
        if arguments.target is None:
            parser.error("backup needs a target file: python bot.py backup PATH")
        return command_backup(arguments.config, Path(arguments.target))
    if arguments.command == "demo":
        from demo import run_demo

        return asyncio.run(run_demo(arguments.lang or "fi", arguments.out))
    if arguments.command == "try":
        return command_try(arguments.config, arguments.target, arguments.lang, arguments.round)
    return command_run(arguments.config)


if __name__ == "__main__":
    sys.exit(main())
