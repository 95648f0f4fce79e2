"""What the crash test (one process killed again and again) and the failover test (the active one of several killed)
share: members answering while the bot is being killed, and what must hold once the round has closed.

Twenty members answer a three-question round (one step back on the way, a text answer with markup of its own) and
submit. Afterwards: exactly one digest, every submitted answer in the report once, escaped exactly once; nobody
without their intro or first question; every answering member shown every later screen; and no message repeated
beyond those the bot's log owns up to as in flight at a kill.
"""

from __future__ import annotations

import asyncio
import re
from html import escape

from botsim import BotApiSimulator
from botsim.users import SimUser
from tests.crowd import PatientDriver
from tests.test_round_e2e import file_text, is_html_report

RESENT = re.compile(r"outbox: (\d+) item\(s\) were in flight")


def count(user: SimUser, text: str) -> int:
    return len([m for m in user.messages if text in m.content])


def shown(user: SimUser, text: str) -> bool:
    """Whether the chat ever showed `text`: an answered question's message turns into the next screen."""
    return any(text in message.content for _, message in user.chat.events)


def resent_in(log: str) -> int:
    """How many messages the bot's log says were in flight at a kill (and so may have arrived twice)."""
    return sum(int(number) for number in RESENT.findall(log))


class AnsweringUnderKills:
    """The first `answering` of `members` answer and submit; `check` then asserts the invariants."""

    def __init__(self, members: list[SimUser], answering: int, label: str) -> None:
        self.members = members
        self.drivers = [PatientDriver(user) for user in members[:answering]]
        self.scores = {driver.user.user_id: 1 + index % 5 for index, driver in enumerate(self.drivers)}
        self._label = label

    def tag(self, driver: PatientDriver) -> str:
        return f"{self._label} m{self.drivers.index(driver):02d} <b>&amp; </b>"

    async def _answer(self, driver: PatientDriver) -> None:
        await driver.answer(["v3", "b", f"v{self.scores[driver.user.user_id]}", f"text:{self.tag(driver)}", "v1"])
        await driver.submit()

    def start(self) -> asyncio.Future[list[None]]:
        return asyncio.gather(*(self._answer(driver) for driver in self.drivers))

    def check(self, sim: BotApiSimulator, supervisor: SimUser, log: str) -> None:
        # Exactly one digest, with every submitted answer once, escaped on the way and intact on screen.
        digests = [m.content for m in supervisor.messages if "answered" in m.content]
        assert len(digests) == 1
        assert f"{len(self.drivers)} of {len(self.members)} answered" in digests[0]
        reports = [file_text(sim, m) for m in supervisor.messages if is_html_report(m)]
        assert len(reports) == 1
        for driver in self.drivers:
            # The report is HTML: the answer's own markup arrives as text, escaped exactly once.
            assert reports[0].count(f"<li>{escape(self.tag(driver))}</li>") == 1
        assert f"Mean {sum(self.scores.values()) / len(self.scores):.1f}" in reports[0]
        # Nothing skipped; repeats only where the log owns up to a message that was in flight at a kill.
        answered = {driver.user.user_id for driver in self.drivers}
        repeats = 0
        for user in self.members:
            # Members who answered saw question 1 again after Back: count their intro only.
            texts = ("Three quick questions",)
            texts += () if user.user_id in answered else ("Question 1 ·",)
            for text in texts:
                assert count(user, text) >= 1, f"{user.user_id} never got {text!r}"
                repeats += count(user, text) - 1
        for driver in self.drivers:
            for text in ("Question 2 ·", "Question 3 ·", "Your answers"):
                assert shown(driver.user, text)
        assert repeats <= resent_in(log), (repeats, resent_in(log))
        assert "Traceback" not in log
