"""What the schedule tests share: moments in Helsinki, a config whose one group has the calendar settings a test
gives, and a weekly calendar to start from."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from checkins.config.app import AppConfig, load_config
from tests.test_config import write_setup

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def scheduled_config(tmp_path: Path, group_yaml: str, top_yaml: str = "") -> AppConfig:
    """A config whose one group `g` has the given calendar settings (indented under the group)."""
    text = textwrap.dedent(
        """\
        timezone: Europe/Helsinki
        supervisors:
          - {user_id: 1, name: Sanna, language: en}
        groups:
          - id: g
            name: Group
            supervisor: 1
            flow: pre_session
        """
    )
    text += textwrap.indent(textwrap.dedent(group_yaml), "    ") + textwrap.dedent(top_yaml)
    return load_config(write_setup(tmp_path, text))


WEEKLY = """\
quiet_hours: false
calendar:
  repeat: {rule: "FREQ=WEEKLY;BYDAY=TU", first: 2026-03-17 14:00, until: 2026-11-03}
rounds:
  - {flow: pre_session, opens: 3d before, reminders: [1d, 2h], closes: 3h before}
"""
