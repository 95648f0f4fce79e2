"""The compact digest message: what a supervisor reads on a phone in one screen, before the session.

`render_compact` turns a `Summary` into one Telegram HTML message, shaped by the flow (its title, its questions'
`digest` and `role` keys): the round and its participation; each scale question's mean with the direction since the
last round shown and its spread ("1▁ 2· 3█ 4▃ 5▁"), and each goal's; the agenda (topic areas by Proctor function,
urgency counts, what people want to bring); the quoted free-text questions; and the summed-up ones on a line each.
Quoted answers are shortened to fit the screen, never silently: a shortened answer ends "… (continues below)" and
left-out answers are counted — every answer follows in full in the follow-up messages (`followups.py`). Every answer
and every configured text is HTML-escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from checkins.config.flow_digest import Presentation
from checkins.config.flows import ProctorFunction, QuestionType
from checkins.digest.followups import MESSAGE_LIMIT, has_followups
from checkins.digest.summary import (
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
    return flat[:cut].rstrip(" ,.;:") + catalog.gettext("… (continues below)")


def digest_title(summary: Summary, catalog: Catalog) -> str:
    """The flow's own title with the group and round, e.g. "After the session – Home care team, round 3"."""
    return catalog.gettext("{title} – {group}, round {number}").format(
        title=summary.flow.title.get(catalog.language), group=summary.group_name, number=summary.round.number
    )


def round_heading(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> list[str]:
    """Title, date and participation — the lines every digest starts with (escaped HTML)."""
    participation = catalog.gettext("{answered} of {invited} answered").format(
        answered=summary.round.submitted, invited=summary.round.invited
    )
    if summary.round.closed_at is not None:
        participation = format_date_time(summary.round.closed_at, timezone, catalog.language) + " · " + participation
    lines = [f"<b>{escape(digest_title(summary, catalog))}</b>", escape(participation)]
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


def _lead(label: str) -> str:
    # "How is your energy? 4.0" reads better than "How is your energy?: 4.0".
    return f"• {escape(label)}" + ("" if label.rstrip()[-1:] in "?:.!" else ":")


def _figure_line(label: str, section: ScaleSection | Hidden, catalog: Catalog) -> str:
    lead = _lead(label)
    if isinstance(section, Hidden):
        return f"{lead} {_too_few(catalog)}"
    mean, change = trend_parts(section.trend, catalog)
    return f"{lead} <b>{escape(mean)}</b> {escape(change)}".rstrip()


SPARKS = "▁▂▃▄▅▆▇█"
NO_ANSWERS = "·"


def spread(section: ScaleSection) -> str:
    """How a scale's answers are spread, as one compact line: "1▁ 2· 3█ 4▃ 5▁" (· = nobody chose that point)."""
    question = section.question
    points = range(question.scale_min, question.scale_max + 1)
    widest = max((section.stats.count(point) for point in points), default=0) or 1
    parts = []
    for point in points:
        count = section.stats.count(point)
        # Any answer shows at least the lowest bar, so a lone member at one end is never lost in the rounding.
        bar = SPARKS[max(0, round(count / widest * len(SPARKS)) - 1)] if count else NO_ANSWERS
        parts.append(f"{point}{bar}")
    return " ".join(parts)


def _spread_line(section: ScaleSection, catalog: Catalog) -> str:
    answered = catalog.gettext("n = {count}").format(count=section.stats.responses)
    return f"   {escape(spread(section))}  <i>{escape(answered)}</i>"


def _headline(summary: Summary, catalog: Catalog) -> list[str]:
    language = catalog.language
    lines = []
    for section in summary.sections:
        question = section.question
        shown = question.type is QuestionType.SCALE and question.presentation is not Presentation.REPORT_ONLY
        if not shown or not isinstance(section, ScaleSection | Hidden):
            continue
        lines.append(_figure_line(question.text.get(language), section, catalog))
        if isinstance(section, ScaleSection):
            lines.append(_spread_line(section, catalog))
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
            "… and {count} more answer, in full below", "… and {count} more answers, in full below", left_out
        ).format(count=left_out)
        lines.append(f"<i>{escape(more)}</i>")
    return lines


def _summed_up(section: Section, catalog: Catalog) -> str | None:
    """A choice, yes/no or summed-up free-text question on one line of the message."""
    lead = _lead(section.question.text.get(catalog.language))
    if isinstance(section, Hidden):
        return f"{lead} {_too_few(catalog)}"
    if isinstance(section, CountSection):
        return f"{lead} {_count_summary(section, catalog)}"
    if isinstance(section, TextSection) and section.answers:
        count = len(section.answers)
        answers = catalog.ngettext("{count} answer, in full below", "{count} answers, in full below", count)
        return f"{lead} <i>{escape(answers.format(count=count))}</i>"
    return None


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
    summed_up = []
    for section in summary.sections:
        question = section.question
        if question.id in summary.agenda_ids or question.type is QuestionType.SCALE:
            continue
        if question.presentation is Presentation.QUOTE:
            quotes = _quotes(section, limits, catalog)
            if quotes:
                blocks.append([_bold(question.text.get(catalog.language)), *quotes])
        elif question.presentation is Presentation.SUMMARY:
            line = _summed_up(section, catalog)
            if line is not None:
                summed_up.append(line)
    if summed_up:
        blocks.append(summed_up)
    blocks.append([_italic(_pointer(summary, limits, catalog))])
    return blocks


def _quoted(summary: Summary) -> list[Section]:
    """The free-text questions the message quotes: the agenda's, and every other one the flow has quoted."""
    quoted = [summary.agenda.bring] if summary.agenda is not None and summary.agenda.bring is not None else []
    return quoted + [
        s
        for s in summary.sections
        if s.question.presentation is Presentation.QUOTE and s.question.id not in summary.agenda_ids
    ]


def shown_whole(summary: Summary, limits: QuoteLimits) -> frozenset[str]:
    """The questions whose every answer the message shows unshortened at `limits`: they need no follow-up."""
    return frozenset(
        s.question.id
        for s in _quoted(summary)
        if isinstance(s, TextSection)
        and len(s.answers) <= limits.items
        and all(len(" ".join(answer.split())) <= limits.characters for answer in s.answers)
    )


def _pointer(summary: Summary, limits: QuoteLimits | None, catalog: Catalog) -> str:
    if has_followups(summary, shown_whole(summary, limits) if limits is not None else frozenset()):
        return catalog.gettext("Every answer follows in full below; the attached report is for printing.")
    return catalog.gettext("The attached report is for printing.")


def _join(blocks: Sequence[Sequence[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks)


def render_compact(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> str:
    """The digest as one Telegram HTML message that fits a phone screen."""
    return compact_message(summary, catalog, timezone)[0]


def compact_message(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> tuple[str, frozenset[str]]:
    """The one-screen message, and the questions it showed whole (the follow-ups leave those out)."""
    for limits in QUOTE_LIMITS:
        message = _join(_blocks(summary, limits, catalog, timezone))
        if len(message) <= SCREEN_BUDGET:
            return message, shown_whole(summary, limits)
    # Even without quotes the figures and agenda exceed a screen: still one message, or just the pointer to the report.
    if len(message) <= MESSAGE_LIMIT:
        return message, shown_whole(summary, limits)
    return _join(_blocks_minimal(summary, catalog, timezone)), frozenset()


def _blocks_minimal(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> list[list[str]]:
    return [round_heading(summary, catalog, timezone), [_italic(_pointer(summary, None, catalog))]]
