"""Kierros: the composition root and command line.

    python bot.py [run] [--config config.yaml]   run the bot (token from TELEGRAM_BOT_TOKEN)
    python bot.py check [--config config.yaml]   validate the config and flows, print a summary and warnings
    python bot.py backup PATH [--config ...]     copy the database to PATH while the bot keeps running
    python bot.py migrate-storage --from sqlite:PATH --to postgresql://…   move a stopped deployment's database
    python bot.py demo [--lang fi|sv|en] [--out DIR]   the real bot against a local Telegram simulator, no token
                                                 needed; --out keeps the digest's message, chart and report
    python bot.py try FLOW [--lang fi|sv|en] [--round N]   answer a flow in the terminal, see the digest

Each subcommand has its own `--help` and refuses options it does not take.

Wiring, in order: load config (one clear error and exit code 2 when it is wrong) → build the PTB `Application`
(handlers/application.py: base URL configurable, so a self-hosted Bot API server or the simulator work; sends paced
under Telegram's flood limits; at start-up it takes the database lock, opens storage, builds the domain services,
publishes the command menus, starts the outbox sender and arms the schedule timer and the retention purge) → poll
(or receive webhooks) until SIGTERM or Ctrl-C, then stop in order: finish the updates and the messages in flight,
close the database, release the lock. Telegram refusing the bot at start-up (a wrong token or Bot API address) is
one line and exit code 2, like a config error; whatever else escapes is printed with the token masked.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

import operations
from checkins.config.app import AppConfig, load_config
from checkins.config.warnings import config_warnings
from checkins.config.yamlsource import ConfigError
from checkins.i18n import LANGUAGES, Translator
from checkins.schedule.planning import plans_between
from checkins.storage import StorageRefused, StorageUnavailable
from checkins.storage.leadership import Leadership
from checkins.storage.lock import DatabaseInUse
from checkins.terminal import find_flow, read_stdin_line
from checkins.terminal import run as run_in_terminal
from handlers import inbound, receiving
from handlers.application import LEADERSHIP_KEY, MODE_KEY, build_application, running, standby_health
from handlers.health import ListenError

log = logging.getLogger("kierros")

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "config.yaml"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
# `check` notes reminders that quiet hours leave no room for, this far ahead.
CHECK_AHEAD = timedelta(days=366)
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
POLL_TIMEOUT = 10
# systemd and compose start a process that exits with this again (Restart=always / restart: unless-stopped).
EXIT_LOST_LEADERSHIP = 3


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


class NoTracebackForInvalidToken(logging.Filter):
    """PTB logs a refused token with its traceback before raising it; bot.py explains it in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            record.exc_info = None
            record.exc_text = None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the token in the whole formatted record, tracebacks included (the filter sees only the message)."""

    def __init__(self, token: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record), self._token)


def mask(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


def configure_logging(token: str) -> None:
    logging.basicConfig(level=logging.INFO)
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        handler.addFilter(TokenMask(token))
        handler.addFilter(NoTracebackForInvalidToken())
        handler.setFormatter(MaskingFormatter(token))


def install_exception_hooks(token: str) -> None:
    """The last resort: an exception nothing caught is printed as usual, but with the token masked."""

    def print_masked(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        sys.stderr.write(mask("".join(traceback.format_exception(kind, error, trace)), token))

    def print_masked_thread(arguments: threading.ExceptHookArgs) -> None:
        if arguments.exc_value is not None:
            print_masked(arguments.exc_type, arguments.exc_value, arguments.exc_traceback)

    sys.excepthook = print_masked
    threading.excepthook = print_masked_thread


def refused_at_start(error: InvalidToken, base_url: str | None) -> str:
    """One line for Telegram's 401 or 404 to the bot's first request; PTB's own message carries the token."""
    answer = str(error.__cause__ or "refused")
    address = base_url or "Telegram's own servers (https://api.telegram.org/bot)"
    return (
        f"Not started: the Bot API answered “{answer}” to the bot's first request: check {TOKEN_ENV} (the token "
        f"BotFather gave you) and {BASE_URL_ENV} (now {address}; it ends in /bot, the token is added after it)"
    )


async def serve(application: Application, config: AppConfig) -> int:  # type: ignore[type-arg]
    """Poll until SIGTERM or SIGINT, then shut down gracefully. With PostgreSQL, first stand by until this process is
    the active one of those sharing the database."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    if config.storage_url is not None and not await become_active(application, config.storage_url, stop):
        log.info("Kierros stopped while standing by")
        return 0
    async with running(application, poll_timeout=POLL_TIMEOUT) as polling:
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if polling.done() and polling.exception() is not None:
            log.error("polling stopped: %s", type(polling.exception()).__name__)
            return 1
    log.info("Kierros stopped")
    return 0


async def become_active(
    application: Application,  # type: ignore[type-arg]
    url: str,
    stop: asyncio.Event,
    webhook_secret: str | None = None,
) -> bool:
    """Wait until this process holds the database's leadership (False: told to stop first), and arm the fence.
    Meanwhile, in webhook mode, updates sent here are stored for the active instance (handlers/inbound.py)."""
    leadership = Leadership(url)
    waiting = asyncio.create_task(leadership.wait_until_active(reach_at_once=True))
    stopped = asyncio.create_task(stop.wait())
    async with (
        standby_health(application.bot_data["config"]),
        inbound.standing_by(application, webhook_secret, until=waiting),
    ):
        await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        await leadership.release()
        return False
    stopped.cancel()
    waiting.result()  # a database not reached at start-up: StorageUnavailable, one line from `run`
    application.bot_data[LEADERSHIP_KEY] = leadership
    asyncio.get_running_loop().create_task(fence(leadership), name="leadership-fence")
    return True


async def fence(leadership: Leadership) -> None:
    """A process that lost the leadership stops at once, as if it had crashed: a graceful stop would finish the
    sends in flight, which is just what must not happen while a standby takes over. Crashing loses nothing (every
    answer is committed before it is acknowledged); the service manager starts it again, as a standby."""
    await leadership.lost.wait()
    log.error("lost the database's leadership: stopping at once so that a standby takes over")
    logging.shutdown()
    os._exit(EXIT_LOST_LEADERSHIP)


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
    print(f"  storage {config.storage_target}")
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
            for plan in plans_between(config, group, datetime.now(UTC), datetime.now(UTC) + CHECK_AHEAD):
                if plan.reminders_dropped:
                    print(
                        f"    note: {plan.reminders_dropped} reminder(s) of {plan.flow_id} for the session on "
                        f"{plan.session_key.replace('T', ' ')} left out: no room between the opening and the close "
                        "outside quiet hours and at least reminder_gap after the opening"
                    )
    for warning in config_warnings(config):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def command_try(config_path: Path, flow_reference: str, language: str | None, round_number: int) -> int:
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
    install_exception_hooks(token)
    configure_logging(token)
    base_url = os.environ.get(BASE_URL_ENV) or config.api_base_url
    application = build_application(config, token, base_url=os.environ.get(BASE_URL_ENV) or None)
    try:
        if config.webhook is None:
            return asyncio.run(serve(application, config))
        return run_webhook(application, config)
    except (DatabaseInUse, ListenError, StorageRefused) as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 1
    except StorageUnavailable as error:
        print(f"Not started: cannot use the database now ({error}); is it running?", file=sys.stderr)
        return 1
    except InvalidToken as error:
        print(mask(refused_at_start(error, base_url), token), file=sys.stderr)
        return 2
    except NetworkError as error:
        print(mask(f"Not started: cannot reach the Bot API ({error}); is the network up?", token), file=sys.stderr)
        return 1
    except ConfigError as error:
        # A config that does not fit what is stored (e.g. `mode: individual` for a group of several members).
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


def run_webhook(application: Application, config: AppConfig) -> int:  # type: ignore[type-arg]
    webhook = config.webhook
    assert webhook is not None
    secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if not secret:
        print(f"Webhook mode needs a secret: set {WEBHOOK_SECRET_ENV} (1–256 characters A-Z, a-z, 0-9, _ and -).")
        return 1
    if config.storage_url is not None:
        # PTB runs the webhook on the current event loop: stand by on that same loop, so the leadership's watchdog
        # and the fence keep running beside the bot once it is active.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        if not loop.run_until_complete(become_active(application, config.storage_url, stop, secret)):
            return 0
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)
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
    return operations.backup(_load_or_exit(config_path), target)


def storage_argument(text: str) -> Path | str:
    try:
        return operations.storage_target(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def parser() -> argparse.ArgumentParser:
    """The command line: one subparser per command, each with only its own options (and its own --help)."""
    top = argparse.ArgumentParser(
        prog="bot.py",
        description="Kierros check-in bot for work supervision. Without a command: run.",
    )
    commands = top.add_subparsers(dest="command", metavar="{run,check,backup,migrate-storage,demo,try}")

    def command(name: str, summary: str, *, config: bool = True) -> argparse.ArgumentParser:
        subparser = commands.add_parser(name, help=summary, description=summary)
        subparser.set_defaults(command_parser=subparser)
        if config:
            subparser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="path to config.yaml")
        return subparser

    command("run", "run the bot (token from TELEGRAM_BOT_TOKEN)")
    command("check", "validate the config and flows, print a summary and warnings")
    backup = command("backup", "copy the database while the bot keeps running")
    backup.add_argument("target", type=Path, help="the file to write (must not exist yet)")
    migrate = command(
        "migrate-storage", "copy a stopped bot's database to a new, empty one and compare every table", config=False
    )
    migrate.add_argument("--from", dest="source", required=True, type=storage_argument, help="sqlite:PATH or URL")
    migrate.add_argument("--to", dest="target", required=True, type=storage_argument, help="postgresql://… or sqlite:")
    demo = command("demo", "the real bot against a local Telegram simulator, no token needed", config=False)
    demo.add_argument("--lang", choices=LANGUAGES, default="fi", help="the people's language (default fi)")
    demo.add_argument(
        "--out", type=Path, help="a folder to keep the digest in (the message as text, the chart and the report)"
    )
    try_flow = command("try", "answer a flow in the terminal and see the digest")
    try_flow.add_argument("flow", help="a flow id from the config's flows, or a flow file")
    try_flow.add_argument("--lang", choices=LANGUAGES, help="the language (default: the flow's)")
    try_flow.add_argument("--round", type=positive, default=1, help="the round number, for rotated questions")
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `python bot.py --config x.yaml` runs the bot, as it always has.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run", *argv]
    top = parser()
    arguments, extra = top.parse_known_args(argv)
    if extra:
        # Say which command does not take them (argparse would name only bot.py).
        hint = f"see python bot.py {arguments.command} --help"
        arguments.command_parser.error(f"unrecognized arguments: {' '.join(extra)} ({hint})")
    if arguments.command == "check":
        return command_check(arguments.config)
    if arguments.command == "backup":
        return command_backup(arguments.config, arguments.target)
    if arguments.command == "migrate-storage":
        return operations.migrate_storage(arguments.source, arguments.target)
    if arguments.command == "demo":
        return command_demo(arguments.lang, arguments.out)
    if arguments.command == "try":
        return command_try(arguments.config, arguments.flow, arguments.lang, arguments.round)
    return command_run(arguments.config)


def command_demo(language: str, out: Path | None = None) -> int:
    try:
        from demo import run_demo
    except ModuleNotFoundError as error:
        # The simulator's web server is in the dev set only; the running bot does not need it.
        print(
            f"The demo needs the simulator's packages ({error.name} is missing):\n"
            "    pip install --require-hashes -r requirements-dev.txt",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(run_demo(language, out))


if __name__ == "__main__":
    sys.exit(main())
