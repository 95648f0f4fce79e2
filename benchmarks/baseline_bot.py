"""The yardstick for answers per second: the smallest sensible PTB bot that takes a scale answer.

It asks "How is your energy?" with five buttons. A press is acknowledged at once, its value stored in SQLite
(aiosqlite, WAL, one commit per answer — durable, like Kierros), and the next question sent (HTML, five buttons, as a
survey bot's next screen would be). With `--postgresql URL` it stores the value in PostgreSQL instead (psycopg, one
connection, one commit per answer): the like-for-like yardstick when Kierros runs on PostgreSQL. No flows, no
outbox, no state machine: what any survey bot built on python-telegram-bot must at least do per answer.
`pacing=True` gives it PTB's `AIORateLimiter`, the pacing a bot needs against Telegram's real limits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes

QUESTION = "How is your energy?"
NEXT_QUESTION = "Thank you: <b>{value}</b>. Next: how is your workload?"
DATABASE_KEY = "database"
STORE_ANSWER = (
    "INSERT INTO answers (user_id, value) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET value = excluded.value"
)
CREATE_TABLE = "CREATE TABLE IF NOT EXISTS answers (user_id BIGINT PRIMARY KEY, value INTEGER)"


def question_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(value), callback_data=f"v{value}") for value in range(1, 6)]]
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press, store the pressed value, reply."""
    query = update.callback_query
    if query is None or not query.data or not query.data.startswith("v"):
        return
    # Telegram refuses an answer after about 15 s; the value is still stored and the reply still sent.
    with contextlib.suppress(BadRequest):
        await query.answer()
    value = int(query.data[1:])
    database: aiosqlite.Connection | psycopg.AsyncConnection[Any] = context.bot_data[DATABASE_KEY]
    if isinstance(database, aiosqlite.Connection):
        await database.execute(STORE_ANSWER, (query.from_user.id, value))
        await database.commit()
    else:  # autocommit: the statement is its own transaction
        await database.execute(STORE_ANSWER.replace("?", "%s"), (query.from_user.id, value))
    await context.bot.send_message(
        query.from_user.id, NEXT_QUESTION.format(value=value), parse_mode=ParseMode.HTML, reply_markup=question_markup()
    )


def build_baseline(  # type: ignore[type-arg]
    token: str, base_url: str, database_path: Path, *, pacing: bool, postgresql: str | None = None
) -> Application:
    async def open_database(application: Application) -> None:  # type: ignore[type-arg]
        if postgresql is not None:
            connection = await psycopg.AsyncConnection.connect(postgresql, autocommit=True)
            await connection.execute(CREATE_TABLE)
            application.bot_data[DATABASE_KEY] = connection
            return
        database = await aiosqlite.connect(database_path)
        await database.execute("PRAGMA journal_mode=WAL")
        await database.execute(CREATE_TABLE)
        application.bot_data[DATABASE_KEY] = database

    async def close_database(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot_data[DATABASE_KEY].close()

    builder = ApplicationBuilder().token(token).base_url(base_url).post_init(open_database)
    builder = builder.post_shutdown(close_database)
    if pacing:
        builder = builder.rate_limiter(AIORateLimiter())
    application = builder.build()
    application.add_handler(CallbackQueryHandler(answer))
    return application


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.baseline_bot`: the baseline as its own process, polling until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline_bot", description=__doc__)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--pacing", action="store_true")
    parser.add_argument("--postgresql", metavar="URL", help="store answers in this PostgreSQL database instead")
    arguments = parser.parse_args(argv)
    token, base_url = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_BASE_URL"]
    application = build_baseline(
        token, base_url, arguments.database, pacing=arguments.pacing, postgresql=arguments.postgresql
    )
    application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
