"""The compact digest message: what a supervisor reads on a phone in one screen, before the session.

`render_compact` turns a `Summary` into one Telegram HTML message: the round and its participation, the headline
figures (each scale question's mean with the direction since the last round shown, and each goal's), the agenda
(topic areas by Proctor function, urgency counts, what people want to bring), what went well and what is difficult.
Everything else — every answer in full, distributions, the group's history — is in the printable report. Quoted
answers are shortened to fit the screen, never silently: a shortened answer ends "… (continues in the report)", and
left-out answers are counted. Every answer and every configured text is HTML-escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from checkins.config.flows import ProctorFunction, QuestionType
from checkins.digest.summary import (
    DIFFICULT_ID,
    WENT_WELL_ID,
    Agenda,
    CountSection,
    Hidden,
    ScaleSection,
    Section,
    Summary,
    TextSection,
    TopicGroup,
)
from checkins.digest.trends import Trend
from checkins.formatting import format_date_time, format_number
from checkins.i18n import N_, Catalog

MESSAGE_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH; the domain does not import telegram
# About what a phone shows without scrolling; the message shortens its quotes until it fits.
SCREEN_BUDGET = 1500


@dataclass(frozen=True)
class QuoteLimits:
    items: int
    characters: int


# Tried in order until the message fits the screen budget.
QUOTE_LIMITS = (QuoteLimits(4, 160), QuoteLimits(3, 110), QuoteLimits(2, 70), QuoteLimits(1, 45), QuoteLimits(0, 0))

FUNCTION_LABELS = {
    ProctorFunction.RESTORATIVE: N_("Restorative (coping, load)"),
    ProctorFunction.FORMATIVE: N_("Formative (skills, learning)"),
    ProctorFunction.NORMATIVE: N_("Normative (roles, standards, ethics)"),
}


def clip(text: str, limit: int, catalog: Catalog) -> str:
    """`text` shortened at a word boundary to about `limit` characters, saying so; plain text, not escaped."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return flat[:cut].rstrip(" ,.;:") + catalog.gettext("… (continues in the report)")


def round_heading(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> list[str]:
    """Title, flow and date, and participation — the lines every digest starts with (escaped HTML)."""
    title = catalog.gettext("Check-in digest: {group}, round {number}").format(
        group=summary.group_name, number=summary.round.number
    )
    flow_line = summary.flow.title.get(catalog.language)
    if summary.round.closed_at is not None:
        flow_line += " · " + format_date_time(summary.round.closed_at, timezone, catalog.language)
    participation = catalog.gettext("{answered} of {invited} answered").format(
        answered=summary.round.submitted, invited=summary.round.invited
    )
    lines = [f"<b>{escape(title)}</b>", escape(flow_line), escape(participation)]
    if summary.round.paused:
        paused = catalog.ngettext(
            "{count} member was on a pause and was not asked.",
            "{count} members were on a pause and were not asked.",
            summary.round.paused,
        )
        lines.append(escape(paused.format(count=summary.round.paused)))
    if summary.round.declined:
        declined = catalog.ngettext(
            "{count} member declined this round.", "{count} members declined this round.", summary.round.declined
        )
        lines.append(escape(declined.format(count=summary.round.declined)))
    return lines


def trend_parts(scale_trend: Trend, catalog: Catalog) -> tuple[str, str]:
    """This round's mean, and its direction with the round it is compared with: ("3,5", "↑ (round 2: 3,0)")."""
    mean = format_number(scale_trend.current.mean, catalog.language)
    direction = scale_trend.direction
    if direction is None:
        return mean, ""
    previous = scale_trend.points[-2]
    compared = catalog.gettext("(round {number}: {mean})").format(
        number=previous.round_number, mean=format_number(previous.mean, catalog.language)
    )
    return mean, f"{direction.value} {compared}"


def trend_text(scale_trend: Trend, catalog: Catalog) -> str:
    """The trend in words, e.g. "3,5 ↑ (round 2: 3,0)"."""
    return " ".join(part for part in trend_parts(scale_trend, catalog) if part)


def _bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def _italic(text: str) -> str:
    return f"<i>{escape(text)}</i>"


def _too_few(catalog: Catalog) -> str:
    return _italic(catalog.gettext("too few answers"))


def _figure_line(label: str, section: ScaleSection | Hidden, catalog: Catalog) -> str:
    # "How is your energy? 4.0" reads better than "How is your energy?: 4.0".
    lead = f"• {escape(label)}" + ("" if label.rstrip()[-1:] in "?:.!" else ":")
    if isinstance(section, Hidden):
        return f"{lead} {_too_few(catalog)}"
    mean, change = trend_parts(section.trend, catalog)
    return f"{lead} <b>{escape(mean)}</b> {escape(change)}".rstrip()


def _headline(summary: Summary, catalog: Catalog) -> list[str]:
    language = catalog.language
    lines = [
        _figure_line(s.question.text.get(language), s, catalog)
        for s in summary.sections
        if isinstance(s, ScaleSection) or (isinstance(s, Hidden) and s.question.type is QuestionType.SCALE)
    ]
    if summary.goals:
        lines.append(_bold(catalog.gettext("Goals")))
        lines += [_figure_line(g.goal.text.get(language), g.section, catalog) for g in summary.goals]
    return lines


def _quotes(section: Section | None, limits: QuoteLimits, catalog: Catalog) -> list[str]:
    if section is None:
        return []
    if isinstance(section, Hidden):
        return [_too_few(catalog)]
    if not isinstance(section, TextSection):
        return []
    if section.deleted:
        return [_italic(catalog.gettext("The answers were deleted after the retention period."))]
    shown = section.answers[: limits.items]
    lines = [f"• <i>{escape(clip(answer, limits.characters, catalog))}</i>" for answer in shown]
    left_out = len(section.answers) - len(shown)
    if left_out:
        more = catalog.ngettext(
            "… and {count} more answer in the report", "… and {count} more answers in the report", left_out
        ).format(count=left_out)
        lines.append(f"<i>{escape(more)}</i>")
    return lines


def _count_summary(section: CountSection, catalog: Catalog) -> str:
    return " · ".join(f"{escape(label)} {count}" for label, count in section.rows(catalog) if count)


def topic_headings(agenda: Agenda, catalog: Catalog) -> list[tuple[str, TopicGroup]]:
    """Each topic group with its heading: the Proctor function, or "Other topics" / "Topics" for untagged options."""
    tagged = any(group.function is not None for group in agenda.topic_groups)
    headed = []
    for group in agenda.topic_groups:
        if group.function is not None:
            heading = catalog.gettext(FUNCTION_LABELS[group.function])
        else:
            heading = catalog.gettext("Other topics") if tagged else catalog.gettext("Topics")
        headed.append((heading, group))
    return headed


def agenda_lines(agenda: Agenda, limits: QuoteLimits, catalog: Catalog) -> list[str]:
    """The agenda block: topics by Proctor function, urgency counts, then what people want to bring."""
    lines = [_bold(catalog.gettext("Agenda: what the group wants to work on"))]
    language = catalog.language
    if isinstance(agenda.topics, Hidden):
        lines.append(escape(catalog.gettext("Topics")) + ": " + _too_few(catalog))
    for heading, group in topic_headings(agenda, catalog):
        topics = " · ".join(f"{escape(option.label.get(language))} {count}" for option, count in group.topics)
        lines.append(f"{escape(heading)}: {topics}")
    if isinstance(agenda.urgency, CountSection):
        total = agenda.urgency.stats.responses
        for option in reversed(agenda.urgency.question.options):
            count = agenda.urgency.stats.count(option.id)
            if count:
                text = catalog.gettext("{count} of {total}: {option}").format(
                    count=count, total=total, option=option.label.get(language)
                )
                lines.append(escape(text))
    elif isinstance(agenda.urgency, Hidden):
        lines.append(escape(catalog.gettext("Urgency")) + ": " + _too_few(catalog))
    return lines + _quotes(agenda.bring, limits, catalog)


def _blocks(summary: Summary, limits: QuoteLimits, catalog: Catalog, timezone: ZoneInfo) -> list[list[str]]:
    blocks = [round_heading(summary, catalog, timezone)]
    if summary.withheld:
        withheld = catalog.gettext("Fewer than {k} responses – no summary shown.").format(
            k=summary.thresholds.min_responses
        )
        return [*blocks, [f"<i>{escape(withheld)}</i>"]]
    headline = _headline(summary, catalog)
    if headline:
        blocks.append(headline)
    if summary.agenda is not None:
        blocks.append(agenda_lines(summary.agenda, limits, catalog))
    for question_id, heading in ((WENT_WELL_ID, N_("What went well")), (DIFFICULT_ID, N_("What is difficult"))):
        quotes = _quotes(summary.section(question_id), limits, catalog)
        if quotes:
            blocks.append([_bold(catalog.gettext(heading)), *quotes])
    blocks.append([_italic(catalog.gettext("Every answer in full is in the attached report."))])
    return blocks


def _join(blocks: Sequence[Sequence[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks)


def render_compact(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> str:
    """The digest as one Telegram HTML message that fits a phone screen."""
    for limits in QUOTE_LIMITS:
        message = _join(_blocks(summary, limits, catalog, timezone))
        if len(message) <= SCREEN_BUDGET:
            return message
    # Even without quotes the figures and agenda exceed a screen: still one message, or just the pointer to the report.
    if len(message) <= MESSAGE_LIMIT:
        return message
    return _join(_blocks_minimal(summary, catalog, timezone))


def _blocks_minimal(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> list[list[str]]:
    note = catalog.gettext("Every answer in full is in the attached report.")
    return [round_heading(summary, catalog, timezone), [f"<i>{escape(note)}</i>"]]
