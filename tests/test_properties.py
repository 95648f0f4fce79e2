"""Property-based tests (hypothesis): whatever the config and flow files hold, loading ends in a config or in one
clean `ConfigError`; whatever callback data and text a member sends, the round service answers without an
exception and the member's progress stays a valid position in the flow; and random updates sent to the real bot
over the simulator are all answered without an error, leaving a round that still closes with its digest."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botsim import BotApiSimulator
from checkins.config.app import AppConfig, load_config
from checkins.config.yamlsource import ConfigError
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.rounds.answering import Status
from checkins.rounds.service import RoundService
from checkins.storage import Store
from handlers.application import build_application, running
from tests.conftest import FreshStorage, StorageChoice
from tests.crowd import SHORT_FLOW, PatientDriver, seed_members, supervisor_id, write_crowd_config
from tests.test_receiving_e2e import LogWatch
from tests.test_round_e2e import is_html_report

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["fi", "sv", "en", "pre_session", "short", "Europe/Helsinki", "1001", "text", "scale", "multi"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
# The storage fixture only names the backend: each example opens a fresh database of its own (`fresh_storage`).
FRESH_EACH_EXAMPLE = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE_CONFIG: dict[str, Any] = {
    "timezone": "Europe/Helsinki",
    "default_language": "fi",
    "storage": {"path": "k.sqlite3"},
    "telegram": {"flood_limits": True},
    "flows_dir": "flows",
    "supervisors": [{"user_id": 1001, "name": "Sanna", "language": "sv"}],
    "groups": [{"id": "ward5", "name": "Osasto 5", "supervisor": 1001, "flow": "short", "min_responses": 3}],
}
BASE_FLOW: dict[str, Any] = yaml.safe_load(SHORT_FLOW)


def mutate(document: Any, path: list[str | int], value: Any) -> Any:
    """The document with the value at `path` (as far as it exists) replaced by `value`."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(document, dict) and isinstance(key, str) and document:
        chosen = sorted(document)[sum(map(ord, key)) % len(document)] if key not in document else key
        return {**document, chosen: mutate(document[chosen], rest, value)}
    if isinstance(document, list) and document:
        index = int(key) % len(document) if isinstance(key, int) else 0
        return [mutate(item, rest, value) if i == index else item for i, item in enumerate(document)]
    return value


PATHS = st.lists(st.one_of(st.text(max_size=8), st.integers(min_value=0, max_value=5)), max_size=4)


def load(config: dict[str, Any] | str, flow: dict[str, Any] | str) -> AppConfig | ConfigError:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "flows").mkdir()
        flow_text = flow if isinstance(flow, str) else yaml.safe_dump(flow, allow_unicode=True)
        config_text = config if isinstance(config, str) else yaml.safe_dump(config, allow_unicode=True)
        (root / "flows" / "short.yaml").write_text(flow_text, encoding="utf-8")
        (root / "config.yaml").write_text(config_text, encoding="utf-8")
        try:
            return load_config(root / "config.yaml")
        except ConfigError as error:
            assert str(error)
            return error


def test_the_unmutated_documents_load() -> None:
    assert isinstance(load(BASE_CONFIG, BASE_FLOW), AppConfig)


def test_webhook_mode_is_configured_in_the_telegram_section() -> None:
    webhook = {"url": "https://bot.example.org", "port": 8443, "path": "/hook/"}
    config = load({**BASE_CONFIG, "telegram": {"webhook": webhook}}, BASE_FLOW)
    assert isinstance(config, AppConfig) and config.webhook is not None
    assert (config.webhook.url, config.webhook.listen, config.webhook.path) == (
        "https://bot.example.org",
        "127.0.0.1",
        "hook",
    )
    refused = load({**BASE_CONFIG, "telegram": {"webhook": {"url": "http://bot.example.org"}}}, BASE_FLOW)
    assert isinstance(refused, ConfigError) and "only to https://" in str(refused)


@PROPERTY_SETTINGS
@given(path=PATHS, value=VALUES)
def test_any_change_to_the_config_loads_or_fails_cleanly(path: list[str | int], value: Any) -> None:
    load(mutate(BASE_CONFIG, path, value), BASE_FLOW)


@PROPERTY_SETTINGS
@given(path=PATHS, value=VALUES)
def test_any_change_to_a_flow_loads_or_fails_cleanly(path: list[str | int], value: Any) -> None:
    load(BASE_CONFIG, mutate(BASE_FLOW, path, value))


@PROPERTY_SETTINGS
@given(config_text=st.text(max_size=300), flow_text=st.text(max_size=300))
def test_any_text_in_the_files_loads_or_fails_cleanly(config_text: str, flow_text: str) -> None:
    load(config_text, flow_text)


# --- the round service under random input --------------------------------------------------------------------

ACTION_CODES = st.one_of(
    st.sampled_from(["v1", "v3", "v5", "v0", "v9", "k", "b", "d", "S", "E", "R", "i0", "i2", "i9", "t0", "t-1"]),
    st.text(max_size=6),
)
STEPS = st.sampled_from(["q0", "q1", "q2", "q1e", "r", "s", "", "x"])
INPUTS = st.lists(
    st.one_of(
        st.tuples(st.just("press"), STEPS, ACTION_CODES, st.booleans()),
        st.tuples(st.just("data"), st.text(max_size=64)),
        st.tuples(st.just("write"), st.text(max_size=50)),
        st.tuples(st.just("edit"), st.integers(min_value=-3, max_value=40), st.text(max_size=20)),
    ),
    max_size=25,
)


async def play(folder: Path, inputs: list[tuple[Any, ...]], storage: StorageChoice) -> None:
    config = write_crowd_config(folder, 1, flood_limits=False)
    store = await Store.open(storage.url or ":memory:")
    try:
        translator = Translator.load()
        outbox = Outbox(store)
        digests = DigestService(config, store, translator, outbox)
        rounds = RoundService(config, store, translator, outbox, digests, lambda: 1000.0)
        async with store.transaction():
            member = await store.upsert_member(42, language="en", first_name="A", last_name=None, username=None)
            await store.add_membership("g0", member.id)
        opened = await rounds.open_round(config.groups["g0"])
        assert opened.round is not None
        round_id = opened.round.id
        flow = config.flows["short"]
        for message_id, entry in enumerate(inputs):
            if entry[0] == "press":
                _, step, code, own_round = entry
                data = f"{round_id if own_round else 'zz'}:{step}:{code}"
                result = await rounds.press(42, data, message_id)
            elif entry[0] == "data":
                result = await rounds.press(42, entry[1], None)
            elif entry[0] == "write":
                result = await rounds.write(42, entry[1], message_id)
            else:
                result = await rounds.edit_written(42, entry[1], entry[2])
            assert result is None or isinstance(result, str)
            async with store.transaction():
                participant = await store.participant(round_id, member.id)
                drafts, _private = await store.drafts(round_id, member.id)
            assert participant is not None
            assert Status(participant.status) in Status
            assert 0 <= participant.cursor <= len(flow.questions)
            assert set(drafts) <= {question.id for question in flow.questions}
    finally:
        await store.close()


@settings(max_examples=120, deadline=None, suppress_health_check=FRESH_EACH_EXAMPLE)
@given(inputs=INPUTS)
def test_random_presses_and_texts_never_break_a_round(
    fresh_storage: FreshStorage, inputs: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder, fresh_storage() as storage:
        asyncio.run(play(Path(folder), inputs, storage))


# --- random updates to the real bot ----------------------------------------------------------------------------

TEXT = st.text(min_size=1, max_size=80).filter(lambda text: text.strip() != "")
UPDATES = st.lists(
    st.one_of(
        st.tuples(st.just("press"), st.text(max_size=64)),
        st.tuples(st.just("text"), TEXT),
        st.tuples(st.just("command"), st.sampled_from(["start", "help", "open", "close", "invite", "x"]), st.text()),
        st.tuples(st.just("edit"), TEXT),
        st.tuples(st.just("photo"), st.one_of(st.none(), TEXT)),
        st.tuples(
            st.just("sticker"),
        ),
    ),
    min_size=1,
    max_size=12,
)


async def send_random_updates(folder: Path, updates: list[tuple[Any, ...]], storage: StorageChoice) -> None:
    config = storage.apply(write_crowd_config(folder, 1, flood_limits=False))
    watch = LogWatch()
    watch.setLevel(logging.ERROR)
    logging.getLogger().addHandler(watch)
    try:
        async with BotApiSimulator() as sim:
            users = (await seed_members(config, sim, 3))["g0"]
            async with running(build_application(config, sim.token, base_url=sim.base_url)):
                supervisor = sim.users[supervisor_id(0)]
                await supervisor.send_command("open", "g0")
                drivers = [PatientDriver(user) for user in users]
                for driver in drivers:
                    await driver.screen()
                user = users[0]
                presses = 0
                for update in updates:
                    if update[0] == "press":
                        await user.press_data(user.messages[-1].message_id, update[1])
                        presses += 1
                    elif update[0] == "text":
                        await user.send_text(update[1])
                    elif update[0] == "command":
                        await user.send_command(update[1], update[2].replace("\n", " ").strip())
                    elif update[0] == "edit":
                        written = [m for m in user.chat.messages.values() if not m.from_bot and "text" in m.data]
                        if written:
                            await user.edit_text(written[-1].message_id, update[1])
                    elif update[0] == "photo":
                        await user.send_photo(caption=update[1])
                    else:
                        await user.send_sticker()
                await sim.wait_idle(timeout=15)
                assert len(user.callback_answers) == presses
                # The others are unaffected and the round still closes with one digest.
                for driver in drivers[1:]:
                    await driver.answer(["v2", "text:steady", "v1"])
                    await driver.submit()
                await supervisor.send_command("close", "g0")
                await supervisor.wait_for_message(lambda m: "answered" in m.content, timeout=10)
                # The chart and the reports are drawn after the close: stopping before they are sent would cut
                # their upload (and the simulator would log the lost connection).
                await supervisor.wait_for_message(is_html_report, timeout=30)
                await sim.wait_idle()
                assert len([m for m in supervisor.messages if "answered" in m.content]) == 1
    finally:
        logging.getLogger().removeHandler(watch)
    assert watch.lines == []


@settings(max_examples=10, deadline=None, suppress_health_check=FRESH_EACH_EXAMPLE)
@given(updates=UPDATES)
def test_random_updates_to_the_bot_are_answered_without_errors(
    fresh_storage: FreshStorage, updates: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder, fresh_storage() as storage:
        asyncio.run(send_random_updates(Path(folder), updates, storage))
