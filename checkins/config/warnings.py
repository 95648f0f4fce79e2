"""What `bot.py check` warns about in a config that loads: things that work but are likely mistakes.

The example Telegram user id (123456789, from the shipped config) still standing for a supervisor, and a group whose
flows or goals lack texts in one of the languages a member may use — such a member would read those texts in the
flow's default language. Warnings never stop the bot; errors are `ConfigError`s raised while loading.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.flows import LANGUAGES, LocalText

EXAMPLE_USER_ID = 123456789


def config_warnings(config: AppConfig) -> list[str]:
    """One line per likely mistake, each naming the file and what to change."""
    warnings = [
        f"{config.source}: supervisors: {supervisor.name} has the example user id {EXAMPLE_USER_ID}; put their own "
        "numeric Telegram id here (send /whoami to the bot to learn it)"
        for supervisor in config.supervisors.values()
        if supervisor.user_id == EXAMPLE_USER_ID
    ]
    for group in config.groups.values():
        missing = _missing_languages(config, group)
        if missing:
            flows = ", ".join(sorted(_flow_ids(group)))
            languages = ", ".join(missing)
            warnings.append(
                f"{config.source}: groups: {group.id}: its flows ({flows}) or goals have no {languages} texts for "
                "every question; members who use Telegram in those languages read them in the flow's default language"
            )
    return warnings


def _flow_ids(group: GroupConfig) -> set[str]:
    return {group.flow_id, *(timeline.flow_id for timeline in group.rounds)}


def _missing_languages(config: AppConfig, group: GroupConfig) -> list[str]:
    texts = [text for flow_id in _flow_ids(group) for text in _local_texts(config.flows[flow_id])]
    texts += [goal.text for goal in group.goals]
    return [language for language in LANGUAGES if any(language not in text.values for text in texts)]


def _local_texts(value: object) -> Iterator[LocalText]:
    """Every `LocalText` inside a flow's dataclasses and tuples."""
    if isinstance(value, LocalText):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _local_texts(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _local_texts(item)
