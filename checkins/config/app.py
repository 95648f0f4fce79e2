"""The deployment's configuration: typed, frozen settings loaded once from config.yaml, validated at the edge.

`load_config` reads config.yaml (time zone, storage, Bot API, invites, quiet hours, supervisors, groups with their
session calendars and round timelines, the optional health endpoint), loads the flows from `flows_dir` and
cross-checks references between them. Each section has its own small reader function so new sections can be added
without touching the others. The bot token is deliberately not part of this model: it comes only from the
TELEGRAM_BOT_TOKEN environment variable.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from checkins.config.calendar_config import (
    DEFAULT_QUIET_HOURS,
    DEFAULT_REMINDER_GAP,
    read_calendar,
    read_flow_id,
    read_parsed,
    read_quiet_hours,
    read_reminder_gap,
    read_rounds,
)
from checkins.config.calendars import (
    QuietHours,
    RoundTimeline,
    SessionCalendar,
    parse_date,
    parse_duration,
)
from checkins.config.deployment import (
    HealthConfig,
    WebhookConfig,
    api_base_url,
    health,
    storage_path,
    storage_url,
    webhook,
)
from checkins.config.flows import ID_FORMAT, LANGUAGES, Flow, QuestionType, load_flows, local_text
from checkins.config.goals import Goal, expand_goals
from checkins.config.yamlsource import Node, TextFormat, closest, load_yaml, reject_duplicates

DEFAULT_MIN_RESPONSES = 3
# Below two respondents an "anonymous" summary is simply one person's answers.
MIN_RESPONSES_FLOOR = 2
DEFAULT_INVITE_EXPIRY_DAYS = 30
MAX_GOALS = 8
MAX_GOAL_CHARS = 120
TOKEN_ENV_VAR = "TELEGRAM_BOT_TOKEN"

GROUP_ID_FORMAT = TextFormat(
    re.compile(r"[a-z0-9][a-z0-9_-]{0,31}"),
    "must be 1–32 characters of a-z, 0-9, _ and -, starting with a letter or digit",
)

DEFAULT_REMIND_LATER = timedelta(hours=3)
_TOP_LEVEL_KEYS = (
    "timezone",
    "default_language",
    "storage",
    "telegram",
    "flows_dir",
    "invites",
    "privacy",
    "quiet_hours",
    "reminder_gap",
    "remind_later",
    "health",
    "supervisors",
    "groups",
)


@dataclass(frozen=True)
class Supervisor:
    user_id: int
    name: str
    language: str
    # None: the deployment's time zone.
    timezone: ZoneInfo | None = None


class GroupMode(StrEnum):
    GROUP = "group"
    # One member, who agrees at joining that the supervisor reads their answers as theirs.
    INDIVIDUAL = "individual"


@dataclass(frozen=True)
class GroupConfig:
    id: str
    name: str
    supervisor_id: int
    flow_id: str
    min_responses: int = DEFAULT_MIN_RESPONSES
    # Free text gives people away more easily than numbers, so it may need more respondents.
    text_min_responses: int | None = None
    redact_names: tuple[str, ...] = ()
    mode: GroupMode = GroupMode.GROUP
    # The supervision process ends on this date: no rounds after it, retention runs from it.
    ends_on: date | None = None
    # None: the deployment's time zone and quiet hours apply.
    timezone: ZoneInfo | None = None
    quiet_hours: QuietHours | None = None
    # Sessions on the calendar and the rounds each session gets; no calendar means rounds only by /open.
    calendar: SessionCalendar | None = None
    rounds: tuple[RoundTimeline, ...] = ()
    # The supervision contract's goals, asked about by `goals` questions.
    goals: tuple[Goal, ...] = ()
    # Where `mode` is written (file line, key path): a mode that does not fit the stored members is reported there.
    mode_at: tuple[int | None, str] = field(default=(None, "mode"), compare=False)

    def __post_init__(self) -> None:
        if self.text_min_responses is None:
            object.__setattr__(self, "text_min_responses", self.min_responses)

    def process_ended(self, finished_at: float | None, now: float, timezone: ZoneInfo) -> bool:
        """Finished by /finish (`finished_at`), or past the configured end date."""
        if finished_at is not None:
            return True
        return self.ends_on is not None and datetime.fromtimestamp(now, timezone).date() > self.ends_on


@dataclass(frozen=True)
class PrivacySettings:
    # Answers of closed rounds are deleted this long after the round closed.
    retention_days: int = 60
    # After close, a supervisor may reply anonymously this long; then the last link to authors is destroyed.
    reply_window_hours: int = 24
    # An invite link admits one person only.
    single_use_invites: bool = False


@dataclass(frozen=True)
class AppConfig:
    source: Path
    timezone: ZoneInfo
    default_language: str
    storage_path: Path
    api_base_url: str | None
    invite_expiry_days: int
    supervisors: Mapping[int, Supervisor]
    groups: Mapping[str, GroupConfig]
    flows: Mapping[str, Flow]
    privacy: PrivacySettings = PrivacySettings()
    quiet_hours: QuietHours = DEFAULT_QUIET_HOURS
    # No reminder comes sooner than this after the question it reminds about.
    reminder_gap: timedelta = DEFAULT_REMINDER_GAP
    # Pace sends under Telegram's flood limits; off only for a local Bot API server without limits.
    flood_limits: bool = True
    webhook: WebhookConfig | None = None
    # "Remind me later" under a reminder: one more reminder this long after the press (then out of quiet hours).
    remind_later: timedelta = DEFAULT_REMIND_LATER
    # None: no health or metrics endpoint (the default).
    health: HealthConfig | None = None
    # A PostgreSQL database instead of the SQLite file at `storage_path` (its password comes from the environment).
    storage_url: str | None = None

    @property
    def storage_target(self) -> Path | str:
        """What `Store.open` opens: the PostgreSQL URL if there is one, else the SQLite file."""
        return self.storage_url or self.storage_path

    def supervisor_groups(self, user_id: int) -> tuple[GroupConfig, ...]:
        return tuple(group for group in self.groups.values() if group.supervisor_id == user_id)

    def group_zone(self, group: GroupConfig) -> ZoneInfo:
        return group.timezone or self.timezone

    def group_quiet_hours(self, group: GroupConfig) -> QuietHours:
        return group.quiet_hours if group.quiet_hours is not None else self.quiet_hours

    def supervisor_zone(self, supervisor: Supervisor) -> ZoneInfo:
        return supervisor.timezone or self.timezone

    def member_flow(self, group_id: str, flow_id: str) -> Flow | None:
        """A flow as this group's members answer it: `goals` questions asked once per goal of the group."""
        flow = self.flows.get(flow_id)
        group = self.groups.get(group_id)
        if flow is None or group is None:
            return None
        return expand_goals(flow, group.goals)


def load_config(path: Path) -> AppConfig:
    root = load_yaml(path)
    _reject_token(root)
    root.reject_unknown_keys(_TOP_LEVEL_KEYS)
    default_language = root.get("default_language", str, "fi", choices=LANGUAGES)
    flows = _flows(root)
    timezone = _timezone(root)
    supervisors = _supervisors(root, default_language)
    return AppConfig(
        source=path,
        timezone=timezone,
        default_language=default_language,
        storage_path=storage_path(root),
        storage_url=storage_url(root),
        api_base_url=api_base_url(root),
        invite_expiry_days=root.section("invites").get(
            "expiry_days", int, DEFAULT_INVITE_EXPIRY_DAYS, minimum=1, maximum=365
        ),
        supervisors=MappingProxyType(supervisors),
        groups=MappingProxyType(_groups(root, supervisors, flows, timezone, default_language)),
        flows=MappingProxyType(flows),
        quiet_hours=read_quiet_hours(root, "quiet_hours", DEFAULT_QUIET_HOURS) or DEFAULT_QUIET_HOURS,
        reminder_gap=read_reminder_gap(root),
        privacy=_privacy(root),
        flood_limits=root.section("telegram").get("flood_limits", bool, True),
        webhook=webhook(root),
        remind_later=_remind_later(root),
        health=health(root),
    )


def _remind_later(root: Node) -> timedelta:
    node = root.optional("remind_later")
    return DEFAULT_REMIND_LATER if node is None else read_parsed(node, parse_duration)


def _privacy(root: Node) -> PrivacySettings:
    privacy = root.section("privacy")
    privacy.reject_unknown_keys(("retention_days", "reply_window_hours"))
    invites = root.section("invites")
    invites.reject_unknown_keys(("expiry_days", "single_use"))
    defaults = PrivacySettings()
    return PrivacySettings(
        retention_days=privacy.get("retention_days", int, defaults.retention_days, minimum=1, maximum=3650),
        reply_window_hours=privacy.get(
            "reply_window_hours", int, defaults.reply_window_hours, minimum=0, maximum=24 * 90
        ),
        single_use_invites=invites.get("single_use", bool, defaults.single_use_invites),
    )


def _reject_token(root: Node) -> None:
    for section in (root, root.section("telegram")):
        for key in section.key_names():
            if "token" in key.lower():
                raise section.error(
                    f"never put the bot token in this file: set the {TOKEN_ENV_VAR} environment variable", key
                )


def _timezone(root: Node) -> ZoneInfo:
    zone = _zone(root, required=True)
    assert zone is not None
    return zone


def _zone(node: Node, *, required: bool = False) -> ZoneInfo | None:
    """The IANA time zone at `node.timezone`."""
    name = node.require("timezone", str) if required else node.get("timezone", str, None)
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        guess = closest(name, zoneinfo.available_timezones())
        hint = f"did you mean '{guess}'?" if guess else "use an IANA name such as 'Europe/Helsinki'"
        raise node.error(f"unknown time zone '{name}' ({hint})", "timezone") from None


def _flows(root: Node) -> dict[str, Flow]:
    directory_name = root.get("flows_dir", str, "flows")
    # Flow files are shown next to the config file's path as given, e.g. "flows/pre_session.yaml".
    directory = root.file.parent / directory_name
    if not directory.is_dir():
        raise root.error(f"flows folder not found: {directory}", "flows_dir")
    flows = load_flows(directory)
    if not flows:
        raise root.error(f"no flow files (*.yaml) in {directory}", "flows_dir")
    return flows


def _supervisors(root: Node, default_language: str) -> dict[int, Supervisor]:
    nodes = root.items("supervisors", min_items=1)
    supervisors = {}
    for node in nodes:
        node.reject_unknown_keys(("user_id", "name", "language", "timezone"))
        supervisor = Supervisor(
            user_id=node.require("user_id", int, minimum=1),
            name=node.require("name", str),
            language=node.get("language", str, default_language, choices=LANGUAGES),
            timezone=_zone(node),
        )
        supervisors[supervisor.user_id] = supervisor
    reject_duplicates(nodes, "user_id", "supervisor user_id")
    return supervisors


def _groups(
    root: Node,
    supervisors: Mapping[int, Supervisor],
    flows: Mapping[str, Flow],
    default_zone: ZoneInfo,
    default_language: str,
) -> dict[str, GroupConfig]:
    nodes = root.items("groups", min_items=1)
    groups = {}
    for node in nodes:
        group = _group(node, supervisors, flows, default_zone, default_language)
        groups[group.id] = group
    reject_duplicates(nodes, "id", "group id")
    return groups


def _group(
    node: Node,
    supervisors: Mapping[int, Supervisor],
    flows: Mapping[str, Flow],
    default_zone: ZoneInfo,
    language: str,
) -> GroupConfig:
    node.reject_unknown_keys(
        (
            "id",
            "name",
            "supervisor",
            "flow",
            "min_responses",
            "text_min_responses",
            "redact_names",
            "goals",
            "mode",
            "ends_on",
            "timezone",
            "quiet_hours",
            "calendar",
            "rounds",
        )
    )
    supervisor_id = node.require("supervisor", int)
    if supervisor_id not in supervisors:
        listed = ", ".join(str(user_id) for user_id in supervisors)
        raise node.error(f"no supervisor with user_id {supervisor_id} (listed: {listed})", "supervisor")
    flow_id = read_flow_id(node, flows)
    zone = _zone(node)
    calendar = read_calendar(node, zone or default_zone)
    min_responses = node.get("min_responses", int, DEFAULT_MIN_RESPONSES, minimum=MIN_RESPONSES_FLOOR)
    text_min_responses = node.get("text_min_responses", int, min_responses)
    if text_min_responses < min_responses:
        problem = f"must be at least min_responses ({min_responses}) (got {text_min_responses})"
        raise node.error(problem, "text_min_responses")
    goals = _goals(node, language)
    asks_goals = [q.id for q in flows[flow_id].questions if q.type is QuestionType.GOALS]
    if asks_goals and not goals:
        problem = f"flow '{flow_id}' asks about the group's goals (question '{asks_goals[0]}'): list them under goals"
        raise node.error(problem, "flow")
    return GroupConfig(
        id=node.require("id", str, text_format=GROUP_ID_FORMAT),
        name=node.require("name", str),
        supervisor_id=supervisor_id,
        flow_id=flow_id,
        min_responses=min_responses,
        text_min_responses=text_min_responses,
        redact_names=tuple(name.expect(str) for name in node.items("redact_names", required=False)),
        mode=GroupMode(node.get("mode", str, GroupMode.GROUP.value, choices=tuple(GroupMode))),
        ends_on=read_parsed(ends_on, parse_date) if (ends_on := node.optional("ends_on")) else None,
        timezone=zone,
        quiet_hours=read_quiet_hours(node, "quiet_hours", None),
        calendar=calendar,
        rounds=read_rounds(node, calendar, flow_id, flows),
        goals=goals,
        mode_at=(node.child("mode").line, node.child("mode").path_str),
    )


def _goals(group_node: Node, language: str) -> tuple[Goal, ...]:
    """`goals: [{id: roles, text: {fi: …, sv: …}}, …]`; the id keeps a goal's answers together across rounds."""
    nodes = group_node.items("goals", required=False, max_items=MAX_GOALS)
    goals = []
    for node in nodes:
        node.reject_unknown_keys(("id", "text"))
        goal_id = node.require("id", str, text_format=ID_FORMAT)
        goals.append(Goal(goal_id, local_text(node.required("text"), language, MAX_GOAL_CHARS)))
    reject_duplicates(nodes, "id", "goal id")
    return tuple(goals)
