"""Tests for botsim, the local Telegram Bot API simulator, driven through real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from botsim import BotApiSimulator, Button, FaultPlan, RateLimits
from botsim.users import SAMPLE_PNG

# PTB 22 warns inside RetryAfter.__init__ that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2.*retry_after:DeprecationWarning")


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    async with BotApiSimulator() as simulator:
        yield simulator


def make_bot(sim: BotApiSimulator, token: str | None = None) -> Bot:
    return Bot(token or sim.token, base_url=sim.base_url, base_file_url=sim.base_file_url)


@pytest.fixture
async def bot(sim: BotApiSimulator) -> AsyncIterator[Bot]:
    async with make_bot(sim) as client:
        yield client


def retry_seconds(error: RetryAfter) -> int:
    value = error.retry_after  # int in PTB 22, timedelta in a future major version
    return int(value.total_seconds()) if isinstance(value, dt.timedelta) else int(value)


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


# --------------------------------------------------------------------------- basics over HTTP


async def test_get_me_token_and_unknown_method(sim: BotApiSimulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.username, me.id, me.is_bot) == ("kierros_bot", 123456, True)
    with pytest.raises(InvalidToken):
        async with make_bot(sim, "999:WRONG"):
            pass
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{sim.base_url}{sim.token}/noSuchMethod", json={})
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        response = await client.get(f"{sim.base_url}{sim.token}/GETME")
        assert response.json()["result"]["username"] == "kierros_bot"
        response = await client.post(f"{sim.base_url}{sim.token}/sendMessage", json={"chat_id": 1})
        assert response.status_code == 400
        assert response.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


async def test_send_message_stores_plain_text_and_html_source(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1001, "Aino", username="aino")
    await user.send_command("start")
    source = "  <b>Hei</b> Aino &amp; <i>tervetuloa</i>!\n"
    message = await bot.send_message(user.user_id, source, parse_mode="HTML", reply_markup=keyboard([("OK", "ok")]))
    assert message.text == "Hei Aino & tervetuloa!"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 3), ("italic", 11, 10)]
    assert message.from_user.username == "kierros_bot"
    assert message.chat.first_name == "Aino"
    assert message.message_id == 2  # the user's /start was message 1 in this chat
    seen = user.last_message
    assert seen is not None
    assert (seen.text, seen.html, seen.buttons) == ("Hei Aino & tervetuloa!", source, [[("OK", "ok")]])
    plain = await bot.send_message(user.user_id, "<b>not parsed</b>")
    assert plain.text == "<b>not parsed</b>"
    assert sim.calls_of("sendMessage")[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]
    }


async def test_text_limits(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1002, "Eero")
    await user.send_text("hei")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.user_id, "x" * 4097)
    await bot.send_message(user.user_id, "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.user_id, "😀" * 2049)
    await bot.send_message(user.user_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # counted after parsing
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user.user_id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(user.user_id, b"\x89PNG fake", caption="c" * 1025)


@pytest.mark.parametrize("text", ["<b>x", "a < b", "<foo>x</foo>", "Tom & Jerry"])
async def test_bad_html_is_rejected(sim: BotApiSimulator, bot: Bot, text: str) -> None:
    user = sim.user(1003, "Iida")
    await user.send_text("/start")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(user.user_id, text, parse_mode="HTML")
    assert user.messages == []


async def test_inline_keyboard_rules(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1004, "Otto")
    await user.send_text("/start")
    await bot.send_message(user.user_id, "ok", reply_markup=keyboard([("a", "x" * 64)]))
    for data in ("x" * 65, "ä" * 33):
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(user.user_id, "no", reply_markup=keyboard([("a", data)]))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(user.user_id, "no", reply_markup={"inline_keyboard": [[{"text": "t"}]]})
    both = {"inline_keyboard": [[{"text": "t", "callback_data": "d", "url": "https://x.fi"}]]}
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await bot.send_message(user.user_id, "no", reply_markup=both)
    async with httpx.AsyncClient() as client:
        url = f"{sim.base_url}{sim.token}/sendMessage"
        response = await client.post(url, data={"chat_id": "1004", "text": "x", "reply_markup": "{not json"})
    assert response.json()["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert len(user.messages) == 1


async def test_who_the_bot_may_write_to(sim: BotApiSimulator, bot: Bot) -> None:
    stranger = sim.user(2001, "Vieras")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.user_id, "hei")
    await stranger.send_text("/start")
    await bot.send_message(stranger.user_id, "hei")
    update = stranger.block()
    assert update is not None
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(stranger.user_id, "hei")
    stranger.unblock()
    await bot.send_chat_action(stranger.user_id, "typing")
    assert stranger.chat_actions == ["typing"]
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hei")


async def test_edit_and_delete(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1005, "Saara")
    await user.send_text("/start")
    sent = await bot.send_message(user.user_id, "<b>1</b>", parse_mode="HTML", reply_markup=keyboard([("a", "a")]))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>1</b>", user.user_id, sent.message_id, parse_mode="HTML", reply_markup=keyboard([("a", "a")])
        )
    edited = await bot.edit_message_text("1", user.user_id, sent.message_id, reply_markup=keyboard([("a", "a")]))
    assert edited.entities == ()  # formatting dropped → modified
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(user.user_id, sent.message_id, reply_markup=keyboard([("a", "a")]))
    edited = await bot.edit_message_text("2", user.user_id, sent.message_id)  # no markup → keyboard removed
    assert edited.text == "2"
    assert edited.edit_date is not None
    assert user.last_message is not None
    assert (user.last_message.text, user.last_message.edited, user.last_message.buttons) == ("2", True, [])
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", user.user_id, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", user.user_id, 1)  # the user's own /start
    assert await bot.delete_message(user.user_id, sent.message_id)
    assert user.messages == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(user.user_id, sent.message_id)


async def test_delivered_messages_are_counted_and_timed_on_the_simulator_clock() -> None:
    ticks = iter(range(100, 200))
    async with BotApiSimulator(clock=lambda: float(next(ticks))) as sim, make_bot(sim) as client:
        user = sim.user(1006, "Veera")
        user.started = True
        sent = await client.send_message(user.user_id, "one")
        await client.edit_message_text("one, edited", user.user_id, sent.message_id)
        with pytest.raises(BadRequest):
            await client.edit_message_text("one, edited", user.user_id, sent.message_id)  # not modified: no event
        await client.send_message(user.user_id, "two")
        assert (sim.stats.bot_messages, sim.stats.bot_edits) == (2, 1)
        assert [kind for kind, _ in user.chat.events] == ["new", "edit", "new"]
        times = user.chat.event_times
        assert len(times) == 3 and times == sorted(times) and times[0] >= 100


async def test_get_updates_offset_semantics(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1006, "Leo", language_code="sv")
    first = await user.send_text("/start abc")
    second = await user.send_text("toinen")
    assert second["update_id"] == first["update_id"] + 1
    assert sim.pending_updates() == 2
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert sim.pending_updates() == 0
    message = updates[0].message
    assert message is not None
    assert message.text == "/start abc"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]
    assert message.from_user.language_code == "sv"
    assert len(await bot.get_updates()) == 2  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"])] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    third = await user.send_sticker()
    fourth = await user.send_voice()
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [fourth["update_id"]]
    assert third["update_id"] < fourth["update_id"]
    assert [u.update_id for u in await bot.get_updates(limit=5)] == [fourth["update_id"]]
    assert (await bot.get_updates())[0].message.voice is not None


async def test_long_polling_waits_and_conflicts(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1007, "Pihla")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    update = await user.send_text("hei")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.update_id for u in updates] == [update["update_id"]]
    empty = await bot.get_updates(offset=update["update_id"] + 1, timeout=0.2)
    assert empty == ()
    async with make_bot(sim) as other:
        older = asyncio.create_task(bot.get_updates(offset=update["update_id"] + 1, timeout=5))
        await asyncio.sleep(0.05)
        newer = asyncio.create_task(other.get_updates(offset=update["update_id"] + 1, timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(older, 2)
        assert await newer == ()


async def test_callback_queries(sim: BotApiSimulator, bot: Bot) -> None:
    now = [500.0]
    sim.clock = lambda: now[0]
    user = sim.user(1008, "Veikko")
    await user.send_text("/start")
    await bot.get_updates()
    old = await bot.send_message(user.user_id, "vanha", reply_markup=keyboard([("Kyllä", "yes:old")]))
    new = await bot.send_message(user.user_id, "uusi", reply_markup=keyboard([("Kyllä", "yes:new"), ("Ei", "no")]))
    pressed = await user.press("Kyllä")
    query = Update.de_json(pressed, bot).callback_query
    assert query is not None
    assert (query.data, query.message.message_id, query.from_user.id) == ("yes:new", new.message_id, user.user_id)
    assert (await user.press("yes:old"))["callback_query"]["message"]["message_id"] == old.message_id
    with pytest.raises(LookupError):
        await user.press("Nope")
    assert await bot.answer_callback_query(query.id, text="Kiitos!", show_alert=True)
    assert user.callback_answers == [(query.id, "Kiitos!", True)]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    forged = await user.press_data(new.message_id, "admin:delete_everything")
    now[0] += 15.5  # Telegram drops unanswered queries after ~15 s
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(forged["callback_query"]["id"])
    await bot.delete_message(user.user_id, new.message_id)
    gone = Update.de_json(await user.press_data(new.message_id, "x"), bot).callback_query
    assert gone is not None
    assert not gone.message.is_accessible


async def test_rate_limits() -> None:
    now = [1000.0]
    limits = RateLimits(global_per_second=30, per_chat_per_second=1, per_chat_burst=3, per_group_per_minute=20)
    async with BotApiSimulator(rate_limits=limits, clock=lambda: now[0]) as sim, make_bot(sim) as client:
        user = sim.user(1009, "Rasmus")
        await user.send_text("/start")
        for _ in range(3):
            await client.send_message(user.user_id, "burst")
        with pytest.raises(RetryAfter) as excinfo:
            await client.send_message(user.user_id, "one too many")
        assert retry_seconds(excinfo.value) == 3
        assert sim.stats.too_many_requests == 1
        now[0] += 1.0  # the oldest send leaves the 3 s window after 3 s, not yet
        with pytest.raises(RetryAfter):
            await client.send_message(user.user_id, "still")
        now[0] += 2.0
        await client.send_message(user.user_id, "ok again")
        group = sim.group_chat(-100123, "Tiimi", "supergroup")
        for i in range(20):
            now[0] += 1.0  # 1/s passes the per-chat window; the per-group minute window fills up
            await client.send_message(group.chat_id, f"g{i}")
        now[0] += 1.0
        with pytest.raises(RetryAfter) as excinfo:
            await client.send_message(group.chat_id, "g20")
        assert retry_seconds(excinfo.value) == 40
        assert len(group.messages) == 20
        assert sim.stats.too_many_requests == 3


async def test_faults(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1010, "Kaisa")
    await user.send_text("/start")
    sim.faults.error_500_rate = 1.0
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(user.user_id, "x")
    assert await bot.get_updates()  # getUpdates is exempt by default
    sim.faults.error_500_rate, sim.faults.error_502_rate = 0.0, 1.0
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(user.user_id, "x")
    sim.faults.error_502_rate, sim.faults.drop_rate = 0.0, 1.0
    with pytest.raises(NetworkError):
        await bot.send_message(user.user_id, "x")
    sim.faults.drop_rate, sim.faults.drop_after_rate = 0.0, 1.0
    with pytest.raises(NetworkError):
        await bot.send_message(user.user_id, "delivered but unacknowledged")
    assert [m.text for m in user.messages] == ["delivered but unacknowledged"]
    sim.faults.drop_after_rate = 0.0
    sim.faults.trigger_429_burst(2, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(user.user_id, "x")
        assert retry_seconds(excinfo.value) == 7
    await bot.send_message(user.user_id, "through")
    sim.faults.network_down = True
    with pytest.raises(NetworkError):
        await bot.get_me()
    sim.faults.network_down = False
    assert sim.stats.faults == {"500": 1, "502": 1, "drop": 1, "drop_after": 1, "burst_429": 2, "network_down": 1}
    assert sim.stats.too_many_requests == 2


def test_fault_plan_is_deterministic() -> None:
    plans = [FaultPlan(seed=7, error_500_rate=0.3, drop_rate=0.3) for _ in range(2)]
    rolls = [[plan.roll() for _ in range(50)] for plan in plans]
    assert rolls[0] == rolls[1]
    assert {"500", "drop", None} == set(rolls[0])
    assert not FaultPlan().applies_to("getUpdates")
    assert FaultPlan(methods={"getUpdates"}).applies_to("getupdates")


async def test_files_commands_and_settings(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1011, "Ville", last_name="V")
    await user.send_text("/start")
    document = await bot.send_document(
        user.user_id, b"a,b\n1,2\n", filename="data.csv", caption="<i>raportti</i>", parse_mode="HTML"
    )
    assert document.document.file_name == "data.csv"
    assert document.caption == "raportti"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"
    again = await bot.send_document(user.user_id, document.document.file_id)
    assert again.document.file_id == document.document.file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(user.user_id, "no-such-file-id")
    photo = await bot.send_photo(user.user_id, SAMPLE_PNG, caption="kuva")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (2, 2)
    assert user.last_message is not None
    assert user.last_message.photo is not None
    assert user.last_message.caption == "kuva"
    await user.send_photo(caption="kuva")
    incoming = (await bot.get_updates())[-1].message
    assert incoming.photo and incoming.caption == "kuva"
    downloaded = await (await incoming.photo[-1].get_file()).download_as_bytearray()
    assert bytes(downloaded).startswith(b"\x89PNG")

    await bot.set_my_commands([BotCommand("start", "Aloita"), BotCommand("help", "Apua")], language_code="fi")
    await bot.set_my_commands([BotCommand("start", "Begin")], scope=BotCommandScopeAllPrivateChats())
    assert sim.get_commands(language_code="fi") == [("start", "Aloita"), ("help", "Apua")]
    assert sim.get_commands({"type": "all_private_chats"}) == [("start", "Begin")]
    assert [c.command for c in await bot.get_my_commands(language_code="fi")] == ["start", "help"]
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="fi")
    assert sim.get_commands(language_code="fi") == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Command", "x")])
    await bot.set_my_description("Kuvaus", language_code="fi")
    await bot.set_my_short_description("Lyhyt")
    assert (await bot.get_my_description("fi")).description == "Kuvaus"
    assert (await bot.get_my_short_description()).short_description == "Lyhyt"
    assert sim.descriptions == {"fi": "Kuvaus"}
    assert await bot.set_chat_menu_button()
    chat = await bot.get_chat(user.user_id)
    assert (chat.type, chat.first_name, chat.last_name) == ("private", "Ville", "V")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_group_chat_and_wait_helpers(sim: BotApiSimulator, bot: Bot) -> None:
    group = sim.group_chat(-5001, "Työnohjaus")
    member = sim.user(1012, "Mikko")
    sent = await group.send_text(member, "/checkin@kierros_bot nyt")
    assert sent["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert not member.started  # writing in a group does not open a private chat

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(group.chat_id, "eka")
        await bot.send_message(group.chat_id, "toka", reply_markup=keyboard([("Valmis", "done")]))

    task = asyncio.create_task(reply_later())
    first = await group.wait_for_message(timeout=2)
    second = await group.wait_for_message(lambda m: m.has_button("done"), timeout=2)
    await task
    assert (first.text, second.text) == ("eka", "toka")
    assert second.buttons == [[Button("Valmis", "done")]]
    assert second.buttons[0][0].data == "done"
    update = await group.press(member, "Valmis")
    assert update["callback_query"]["message"]["chat"]["type"] == "group"
    with pytest.raises(TimeoutError):
        await group.wait_for_message(timeout=0.05)
    assert sim.pending_updates() == 2  # the group message and the button press
    idle = asyncio.create_task(sim.wait_idle(timeout=2, quiet=0.05))
    await asyncio.sleep(0.05)
    assert not idle.done()
    assert len(await bot.get_updates()) == 2
    await idle


async def test_application_polling_end_to_end(sim: BotApiSimulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        name = update.effective_user.first_name if update.effective_user else "?"
        await update.effective_message.reply_html(
            f"Hei <b>{name}</b>! Args: {context.args}", reply_markup=keyboard([("Aloitetaan", "go")])
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Selvä")
        await query.edit_message_text(f"Valittu: {query.data}")

    app = ApplicationBuilder().token(sim.token).base_url(sim.base_url).base_file_url(sim.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    user = sim.user(3001, "Helmi")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await user.send_command("start", "koodi123")
            reply = await user.wait_for_message(timeout=5)
            assert reply.text == "Hei Helmi! Args: ['koodi123']"
            assert reply.html == "Hei <b>Helmi</b>! Args: ['koodi123']"
            await user.press("Aloitetaan")
            edited = await user.wait_for_message(lambda m: m.edited, timeout=5)
            assert edited.text == "Valittu: go"
            await sim.wait_idle(timeout=5, quiet=0.1)
            assert user.callback_answers[0][1:] == ("Selvä", False)
        finally:
            await app.updater.stop()
            await app.stop()
    methods = [name for name, _ in sim.calls]
    assert {"getMe", "deleteWebhook", "sendMessage", "answerCallbackQuery", "editMessageText"} <= set(methods)
    assert json.loads(json.dumps(sim.stats.per_method))["sendMessage"] == 1
