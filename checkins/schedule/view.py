"""What people read about the calendar: reminders, the calendar-end notice and the supervisor's `/schedule` view.

Times are shown in the reader's time zone and language with Babel (`ti 10.3.2026 14.00`, `tis 10 mars 2026 14:00`,
`Tue, Mar 10, 2026 2:00 PM`). Every function returns Telegram HTML with everything escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from checkins.config.app import GroupConfig
from checkins.formatting import format_moment
from checkins.i18n import Catalog
from checkins.messages import Button, Screen
from checkins.schedule.planning import RoundPlan


def reminder_text(group: GroupConfig, flow_title: str, closes_at: datetime, zone: ZoneInfo, catalog: Catalog) -> str:
    text = catalog.gettext(
        "Reminder: the check-in “{flow}” for {group} is open until {time}. Your answers so far are kept."
    ).format(flow=flow_title, group=group.name, time=format_moment(closes_at, zone, catalog.language))
    return _with_hint(text, catalog)


def open_reminder_text(group: GroupConfig, flow_title: str, catalog: Catalog) -> str:
    """The reminder a member asked for in a round without a set close (one opened by hand)."""
    text = catalog.gettext("Reminder: the check-in “{flow}” for {group} is open. Your answers so far are kept.")
    return _with_hint(text.format(flow=flow_title, group=group.name), catalog)


def _with_hint(text: str, catalog: Catalog) -> str:
    hint = catalog.gettext("You can switch reminders off or pause check-ins in /settings.")
    return f"{escape(text)}\n\n<i>{escape(hint)}</i>"


def calendar_ending_text(group: GroupConfig, last_session: datetime, zone: ZoneInfo, catalog: Catalog) -> str:
    return escape(
        catalog.gettext(
            "The calendar of {group} runs out: its last session is on {date}. To keep the check-ins going, add "
            "new session dates to the group's calendar in config.yaml."
        ).format(group=group.name, date=format_moment(last_session, zone, catalog.language))
    )


# Callback data of the "open it now" button under a missed-round notice: `miss:<group id>:<flow id>`.
MISSED_PREFIX = "miss:"


def missed_round_screen(
    group: GroupConfig, flow_title: str, plan: RoundPlan, zone: ZoneInfo, catalog: Catalog
) -> Screen:
    """A round whose whole time passed while the bot was not running: what was missed, and one button to open it."""
    text = catalog.gettext(
        "The check-in “{flow}” of {group} for the session on {date} did not open: its time passed while the bot "
        "was not running, so nobody was asked."
    ).format(flow=flow_title, group=group.name, date=format_moment(plan.session_at, zone, catalog.language))
    hint = catalog.gettext("You can open it now; close it with /close {id} when you want the summary.").format(
        id=group.id
    )
    button = Button(catalog.gettext("Open the check-in now"), f"{MISSED_PREFIX}{group.id}:{plan.flow_id}")
    return Screen(f"{escape(text)}\n\n{escape(hint)}", ((button,),))


@dataclass(frozen=True)
class PlannedRound:
    plan: RoundPlan
    flow_title: str
    # "open", "closed", or None while it has not opened.
    state: str | None


@dataclass(frozen=True)
class PlannedSession:
    session_at: datetime
    skipped: bool
    rounds: Sequence[PlannedRound]


def schedule_text(group: GroupConfig, sessions: Sequence[PlannedSession], zone: ZoneInfo, catalog: Catalog) -> str:
    """The supervisor's overview of the next sessions, with each round's opening, reminders and close."""
    language = catalog.language
    title = catalog.gettext("Upcoming sessions of {group}").format(group=group.name)
    lines = [f"<b>{escape(title)}</b>"]
    if not sessions:
        lines.append(escape(catalog.gettext("No upcoming sessions on the calendar.")))
    for session in sessions:
        lines.append("")
        heading = escape(format_moment(session.session_at, zone, language))
        if session.skipped:
            skipped = catalog.gettext("skipped")
            lines.append(f"<s>{heading}</s> — <i>{escape(skipped)}</i>")
            continue
        lines.append(f"<b>{heading}</b>")
        for planned in session.rounds:
            lines.append(_round_line(planned, zone, catalog))
    zone_note = catalog.gettext("Times are in the time zone {zone}.").format(zone=zone.key)
    lines += ["", f"<i>{escape(zone_note)}</i>"]
    return "\n".join(lines)


def _round_line(planned: PlannedRound, zone: ZoneInfo, catalog: Catalog) -> str:
    language = catalog.language
    plan = planned.plan
    parts = [
        catalog.gettext("opens {time}").format(time=format_moment(plan.opens_at, zone, language)),
        *(
            catalog.gettext("reminder {time}").format(time=format_moment(moment, zone, language))
            for moment in plan.reminders_at
        ),
        catalog.gettext("closes {time}").format(time=format_moment(plan.closes_at, zone, language)),
    ]
    if plan.reminders_dropped:
        parts.append(
            catalog.ngettext(
                "{count} reminder left out: no room for it between the opening and the close (quiet hours, gap)",
                "{count} reminders left out: no room for them between the opening and the close (quiet hours, gap)",
                plan.reminders_dropped,
            ).format(count=plan.reminders_dropped)
        )
    state = {"open": catalog.gettext("open now"), "closed": catalog.gettext("closed")}.get(planned.state or "")
    suffix = f" <i>({escape(state)})</i>" if state else ""
    details = "\n".join(f"   · {escape(part)}" for part in parts)
    return f"• {escape(planned.flow_title)}{suffix}\n{details}"
