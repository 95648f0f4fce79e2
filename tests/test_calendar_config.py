"""Calendars and timelines in config.yaml: one exact `file:line: key: problem` message per mistake, the README's
example valid as written, and `bot.py check` summing up a group's calendar."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest

from checkins.config.app import load_config
from checkins.config.calendars import QuietHours
from checkins.config.yamlsource import ConfigError
from tests.calendars import WEEKLY, helsinki, scheduled_config
from tests.test_cli import run_cli

# --- config validation of calendars and timelines ---

CALENDAR_ERRORS = [
    pytest.param(
        "calendar: {sessions: [2026-03-10]}\n",
        "config.yaml:9: groups[0].calendar.sessions[0]: '2026-03-10' has no time of day: write it as "
        "YYYY-MM-DD HH:MM, e.g. 2026-03-10 14:00",
        id="session-without-time",
    ),
    pytest.param(
        "calendar: {}\n",
        "config.yaml:9: groups[0].calendar: needs sessions (a list of dates and times), repeat (a recurrence), or both",
        id="empty-calendar",
    ),
    pytest.param(
        "calendar:\n  repeat: {rule: 'FREQ=WEEKLY;BYDAY=TU', first: 2026-03-11 14:00}\n",
        "config.yaml:10: groups[0].calendar.repeat.first: the first session 2026-03-11 14:00 (Wednesday) is not a "
        "time the rule repeats on",
        id="first-not-on-rule",
    ),
    pytest.param(
        "calendar:\n  repeat: {rule: 'FREQ=SOMETIMES', first: 2026-03-11 14:00}\n",
        "config.yaml:10: groups[0].calendar.repeat.rule: not a valid iCalendar RRULE (invalid 'FREQ': SOMETIMES)",
        id="bad-rule",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00], cancelled: [2026-03-11]}\n",
        "config.yaml:9: groups[0].calendar.cancelled[0]: there is no session on 2026-03-11 to cancel",
        id="cancel-a-day-without-session",
    ),
    pytest.param(
        "rounds: [{flow: pre_session}]\n",
        "config.yaml:9: groups[0].rounds: rounds need a calendar: add calendar with the group's sessions",
        id="rounds-without-calendar",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00]}\nrounds:\n  - {flow: pre_session, opens: 3 days}\n",
        "config.yaml:11: groups[0].rounds[0].opens: '3 days' needs 'before' or 'after' the session, "
        "e.g. '3d before' or '1d after'",
        id="offset-without-direction",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00]}\nrounds:\n"
        "  - {flow: pre_session, opens: 1h before, closes: 3h before}\n",
        "config.yaml:11: groups[0].rounds[0].closes: the round must open before it closes",
        id="closes-before-opening",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00]}\nrounds:\n  - {flow: pre_session, reminders: [4d]}\n",
        "config.yaml:11: groups[0].rounds[0].reminders[0]: this reminder would come before the round opens",
        id="reminder-before-opening",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00, 2026-03-12 14:00]}\nrounds:\n  - {flow: pre_session}\n",
        "config.yaml:11: groups[0].rounds[0]: the rounds for the sessions on 2026-03-10 and 2026-03-12 would "
        "overlap: close each round earlier or open it later",
        id="overlapping-rounds",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00, 2026-03-11 14:00]}\n",
        "config.yaml:9: groups[0].calendar: the rounds for the sessions on 2026-03-10 and 2026-03-11 would "
        "overlap: close each round earlier or open it later",
        id="default-rounds-overlap",
    ),
    pytest.param(
        "calendar: {sessions: [2026-03-10 14:00]}\nrounds:\n  - {flow: pre_session, only_on: [2026-03-17]}\n",
        "config.yaml:11: groups[0].rounds[0].only_on[0]: there is no session on 2026-03-17",
        id="only-on-without-session",
    ),
    pytest.param(
        "calendar:\n  repeat: {rule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=5;UNTIL=20260630', first: 2026-03-10 14:00}\n",
        "config.yaml:10: groups[0].calendar.repeat.rule: give COUNT or UNTIL, not both (RFC 5545 forbids it)",
        id="count-and-until-in-rule",
    ),
    pytest.param(
        "calendar:\n  repeat: {rule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=5', first: 2026-03-10 14:00, until: 2026-06-30}\n",
        "config.yaml:10: groups[0].calendar.repeat.until: give COUNT or until, not both (RFC 5545 forbids it)",
        id="count-and-until-key",
    ),
    pytest.param(
        # The last Sunday of March: 03:00-04:00 does not exist in Helsinki; both offsets land at 04:00.
        "calendar: {sessions: [2026-03-29 04:15]}\nrounds:\n"
        "  - {flow: pre_session, opens: 40m before, closes: 20m before, reminders: []}\n",
        "config.yaml:11: groups[0].rounds[0].closes: the round for the session on 2026-03-29 04:15 would never "
        "open: daylight saving moves its opening (2026-03-29 04:00) to its close (2026-03-29 04:00)",
        id="dst-gap-never-opens",
    ),
    pytest.param(
        "quiet_hours: {start: '21:00'}\n",
        "config.yaml:9: groups[0].quiet_hours.end: give both start and end (or neither, for weekends only)",
        id="quiet-hours-half",
    ),
    pytest.param(
        "quiet_hours: {start: '25:00', end: '08:00'}\n",
        "config.yaml:9: groups[0].quiet_hours.start: '25:00' is not a time of day: write it as HH:MM in quotes, "
        'e.g. "21:00"',
        id="quiet-hours-bad-time",
    ),
]


@pytest.mark.parametrize(("group_yaml", "expected"), CALENDAR_ERRORS)
def test_calendar_validation_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group_yaml: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        scheduled_config(Path("."), group_yaml)
    assert str(caught.value) == expected


def test_the_readme_calendar_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Calendar and round timelines", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shutil.copytree(Path(__file__).resolve().parent.parent / "flows", tmp_path / "flows")
    (tmp_path / "config.yaml").write_text(example, encoding="utf-8")

    config = load_config(tmp_path / "config.yaml")

    group = config.groups["tiimi"]
    assert group.calendar is not None
    sessions = group.calendar.between(helsinki(2026, 8, 1), helsinki(2027, 1, 1))
    assert [s.strftime("%m-%d") for s in sessions] == [
        "08-18", "09-01", "09-15", "09-29", "10-13", "11-10", "11-24", "12-08",
    ]  # fmt: skip
    assert [t.flow_id for t in group.rounds] == ["pre_session", "post_session", "interim_evaluation"]
    assert config.quiet_hours == QuietHours(time(21, 0), time(8, 0), weekends=True)
    assert config.group_quiet_hours(group) == QuietHours(time(20, 0), time(7, 30))


def test_check_summarises_a_groups_calendar(tmp_path: Path) -> None:
    scheduled_config(tmp_path, WEEKLY)
    result = run_cli("check", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 0, result.stderr
    assert "calendar in Europe/Helsinki: rounds pre_session; last session 2026-11-03 14:00" in result.stdout
