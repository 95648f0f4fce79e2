"""The printable digest: one self-contained HTML document with everything the compact message leaves out.

`render_report` turns a `Summary` into an HTML5 page that needs nothing else — CSS inline, the chart embedded as a
data URI — and prints well on A4, with a running header (group, round, "confidential") and page numbers: the agenda,
the headline figures, each goal's progress, every question the round asked in full (scale distributions, counts,
every free-text answer), and the group's participation (and wellbeing, when the flow follows it) across the whole
supervision process, for interim and final evaluations. `pdf.py` lays out the same for a PDF. Like the message, it
renders only what the summary holds, so every anonymity threshold applies; every answer and configured text is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from html import escape
from zoneinfo import ZoneInfo

from checkins.digest.message import digest_title, topic_headings, trend_text
from checkins.digest.summary import (
    CountSection,
    GoalProgress,
    Hidden,
    ScaleSection,
    Section,
    Summary,
    TextSection,
)
from checkins.digest.trends import Trend
from checkins.formatting import format_date, format_date_time, format_number
from checkins.i18n import N_, Catalog

STYLE = """
@page { size: A4; margin: 16mm 15mm;
        @top-left { content: var(--running); font: 8pt sans-serif; color: #6b7685; }
        @bottom-right { content: counter(page) " / " counter(pages); font: 8pt sans-serif; color: #6b7685; } }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2430;
       max-width: 180mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 8mm 0 2mm; border-bottom: 1px solid #c9d1dc; padding-bottom: 1mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 1mm; }
p { margin: 1mm 0; }
.meta { color: #4a5566; }
.note { font-size: 9.5pt; color: #4a5566; border-left: 3px solid #c9d1dc; padding-left: 3mm; }
.muted { color: #6b7685; font-style: italic; }
table { border-collapse: collapse; margin: 1mm 0 2mm; }
th, td { text-align: left; padding: 0.6mm 3mm 0.6mm 0; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #c9d1dc; }
td.number, th.number { text-align: right; }
.vbar { display: inline-block; width: 6mm; min-height: 0.4mm; background: #3b6ea5; vertical-align: bottom; }
table.spread td, table.spread th { text-align: center; padding: 0 2mm; vertical-align: bottom; }
table.spread th { text-align: left; border: 0; font-weight: normal; color: #4a5566; }
ul.answers { padding-left: 5mm; }
ul.answers li { margin: 0 0 1.5mm; white-space: pre-wrap; }
figure { margin: 3mm 0; text-align: center; }
figure img { max-width: 100%; max-height: 200mm; }
figcaption { font-size: 9pt; color: #4a5566; white-space: pre-line; text-align: left; }
footer { margin-top: 10mm; font-size: 9pt; color: #6b7685; }
@media print {
  body { padding: 0; max-width: none; font-size: 9.5pt; line-height: 1.35; }
  h1 { font-size: 15pt; }
  h2 { font-size: 12pt; margin: 5mm 0 1.5mm; }
  h3 { font-size: 10pt; margin: 3mm 0 0.5mm; }
  h2, h3 { break-after: avoid; }
  table, figure, li { break-inside: avoid; }
  /* The chart is for the phone: on paper the tables show every figure, and an image that cannot break would leave
     half a page empty (or, for many questions, shrink to unreadable). */
  figure, footer { display: none; }
  .vbar { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
BAR_MM = 10


def _e(text: str) -> str:
    return escape(text, quote=True)


def _tag(name: str, text: str, css_class: str = "") -> str:
    """An element around plain text, escaped here."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<{name}{attribute}>{_e(text)}</{name}>"


def _too_few(section: Hidden, catalog: Catalog) -> str:
    text = catalog.gettext("Too few answers to show (fewer than {k}).").format(k=section.threshold)
    return f'<p class="muted">{_e(text)}</p>'


def _distribution(section: ScaleSection, catalog: Catalog) -> str:
    """The scale's answers as a row of columns (one per point), then its mean, median, end labels and trend: a few
    lines of paper where a table of one row per point took a third of a page per question."""
    question, stats = section.question, section.stats
    points = range(question.scale_min, question.scale_max + 1)
    widest = max(stats.counts.values(), default=0) or 1
    bars = "".join(
        f'<td><span class="vbar" style="height: {round(BAR_MM * stats.count(p) / widest, 1)}mm"></span></td>'
        for p in points
    )
    answer, how_many = catalog.gettext("Answer"), catalog.gettext("How many")
    labels = "".join(f"<td>{point}</td>" for point in points)
    counts = "".join(f"<td>{stats.count(point)}</td>" for point in points)
    table = (
        f'<table class="spread"><tr><th></th>{bars}</tr><tr>{_tag("th", answer)}{labels}</tr>'
        f"<tr>{_tag('th', how_many)}{counts}</tr></table>"
    )
    mean = catalog.gettext("Mean {mean} (scale {low}–{high})").format(
        mean=format_number(stats.mean or 0.0, catalog.language), low=question.scale_min, high=question.scale_max
    )
    median = catalog.gettext("median {median}").format(median=format_number(stats.median or 0.0, catalog.language))
    figures = [f"{mean} · {median}"]
    if question.min_label is not None:
        figures.append(f"{question.scale_min} = {question.min_label.get(catalog.language)}")
    if question.max_label is not None:
        figures.append(f"{question.scale_max} = {question.max_label.get(catalog.language)}")
    return "\n".join([table, _tag("p", " · ".join(figures)), _trend_paragraph(section.trend, catalog)])


def _trend_paragraph(trend: Trend, catalog: Catalog) -> str:
    if len(trend.points) < 2:
        return _tag("p", catalog.gettext("No earlier round to compare with."), "muted")
    series = " → ".join(
        catalog.gettext("round {number}: {mean}").format(
            number=point.round_number, mean=format_number(point.mean, catalog.language)
        )
        for point in trend.points
    )
    direction = trend.direction.value if trend.direction is not None else ""
    label = catalog.gettext("Over the rounds")
    return _tag("p", f"{label}: {series} {direction}".rstrip())


def _counts(section: CountSection, catalog: Catalog) -> str:
    rows = "".join(
        f'<tr><td>{_e(label)}</td><td class="number">{count}</td></tr>' for label, count in section.rows(catalog)
    )
    return f"<table>{rows}</table>"


def _answers(section: TextSection, catalog: Catalog) -> str:
    if section.deleted:
        return _tag("p", catalog.gettext("The answers were deleted after the retention period."), "muted")
    items = "".join(f"<li>{_e(answer)}</li>" for answer in section.answers)
    return f'<ul class="answers">{items}</ul>'


def _section_body(section: Section, catalog: Catalog) -> str:
    if isinstance(section, Hidden):
        return _too_few(section, catalog)
    if isinstance(section, ScaleSection):
        return _distribution(section, catalog)
    if isinstance(section, TextSection):
        return _answers(section, catalog)
    return _counts(section, catalog)


def _answer_count(section: Section) -> int:
    """How many answers the heading may mention: none for a hidden question or for deleted free text."""
    if isinstance(section, Hidden):
        return 0
    if isinstance(section, TextSection):
        return len(section.answers)
    return section.stats.responses


def _question(section: Section, catalog: Catalog) -> str:
    title = _e(section.question.text.get(catalog.language))
    responses = _answer_count(section)
    if responses:
        answered = catalog.ngettext("{count} answer", "{count} answers", responses).format(count=responses)
        title += f' <span class="meta">({_e(answered)})</span>'
    return f"<h3>{title}</h3>\n{_section_body(section, catalog)}"


def _agenda(summary: Summary, catalog: Catalog) -> list[str]:
    agenda = summary.agenda
    if agenda is None:
        return []
    parts = [_tag("h2", catalog.gettext("Agenda: what the group wants to work on"))]
    rows = []
    for heading, group in topic_headings(agenda, catalog):
        topics = ", ".join(f"{option.label.get(catalog.language)} ({count})" for option, count in group.topics)
        rows.append(f"<tr><th>{_e(heading)}</th><td>{_e(topics)}</td></tr>")
    if rows:
        parts.append(f"<table>{''.join(rows)}</table>")
    if isinstance(agenda.topics, Hidden):
        parts.append(_question(agenda.topics, catalog))
    parts += [_question(section, catalog) for section in (agenda.urgency, agenda.bring) if section is not None]
    return parts


def _figures(summary: Summary, catalog: Catalog) -> list[str]:
    labelled = [(s.question.text.get(catalog.language), s) for s in summary.scales]
    labelled += [(goal.text.get(catalog.language), s) for goal, s in summary.goal_scales]
    if not labelled:
        return []
    items = "".join(f"<li>{_e(label)} <b>{_e(trend_text(s.trend, catalog))}</b></li>" for label, s in labelled)
    return [_tag("h2", catalog.gettext("Headline figures")), f"<ul>{items}</ul>"]


def _goals(goals: Iterable[GoalProgress], catalog: Catalog) -> list[str]:
    parts = []
    for progress in goals:
        parts.append(f"<h3>{_e(progress.goal.text.get(catalog.language))}</h3>")
        parts.append(_section_body(progress.section, catalog))
    return [_tag("h2", catalog.gettext("Goals")), *parts] if parts else []


def _process(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> list[str]:
    columns = [(N_("Round"), ""), (N_("Date"), ""), (N_("Answered"), "number")]
    # The wellbeing column only for a flow that follows a wellbeing scale: an empty column is a question not asked.
    if summary.wellbeing_asked:
        columns.append((N_("Energy"), "number"))
    header = "".join(_tag("th", catalog.gettext(name), css) for name, css in columns)
    rows = []
    for row in summary.history:
        date = format_date(row.closed_at, timezone, catalog.language) if row.closed_at is not None else ""
        answered = catalog.gettext("{answered} of {invited}").format(answered=row.submitted, invited=row.invited)
        cells = f'<td>{row.number}</td><td>{_e(date)}</td><td class="number">{_e(answered)}</td>'
        if summary.wellbeing_asked:
            energy = format_number(row.energy, catalog.language) if row.energy is not None else "—"
            cells += f'<td class="number">{_e(energy)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    parts = [
        _tag("h2", catalog.gettext("The supervision process over time")),
        f"<table><tr>{header}</tr>{''.join(rows)}</table>",
    ]
    if summary.wellbeing_asked:
        note = catalog.gettext("Energy is the round's mean; — means the round did not ask it or too few answered.")
        parts.append(f'<p class="note">{_e(note)}</p>')
    return parts


def _css_string(text: str) -> str:
    """`text` as a CSS string literal that cannot end the string, the rule or the <style> element."""
    escaped = "".join(f"\\{ord(char):x} " if char in "\\\"<>&'" or ord(char) < 32 else char for char in text)
    return f'"{escaped}"'


def running_header(summary: Summary, catalog: Catalog) -> str:
    """What every printed page carries at the top: the group, the round and "confidential"."""
    return " · ".join(
        [
            summary.group_name,
            catalog.gettext("round {number}").format(number=summary.round.number),
            catalog.gettext("confidential"),
        ]
    )


def render_report(
    summary: Summary, catalog: Catalog, timezone: ZoneInfo, chart_png: bytes | None, chart_alt: str
) -> str:
    """The digest as a self-contained, printable HTML5 document."""
    style = STYLE.replace("var(--running)", _css_string(running_header(summary, catalog)))
    title = digest_title(summary, catalog)
    meta = []
    if summary.round.closed_at is not None:
        meta.append(format_date_time(summary.round.closed_at, timezone, catalog.language))
    meta.append(
        catalog.gettext("{answered} of {invited} answered").format(
            answered=summary.round.submitted, invited=summary.round.invited
        )
    )
    confidentiality = catalog.gettext(
        "Anonymised: answers are shown without names, shuffled per question and with names and contact details "
        "replaced. Please keep this document confidential."
    )
    body = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(" · ".join(meta))}</p>',
        f'<p class="note">{_e(confidentiality)}</p></header>',
    ]
    if summary.withheld:
        withheld = catalog.gettext("Fewer than {k} responses – no summary shown.").format(
            k=summary.thresholds.min_responses
        )
        body.append(f'<p class="muted">{_e(withheld)}</p>')
    else:
        body += _agenda(summary, catalog)
        body += _figures(summary, catalog)
        body += _goals(summary.goals, catalog)
        rest = [_question(s, catalog) for s in summary.sections if s.question.id not in summary.agenda_ids]
        if rest:
            body += [_tag("h2", catalog.gettext("Every question")), *rest]
        # The chart after the text: on paper an image cannot break, and earlier it would leave half a page empty.
        if chart_png is not None:
            data = base64.b64encode(chart_png).decode("ascii")
            body.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{_e(chart_alt)}">'
                f"<figcaption>{_e(chart_alt)}</figcaption></figure>"
            )
    # The process over time only once there is a process: with one round it would repeat the heading's figures.
    if len(summary.history) >= 2:
        body += _process(summary, catalog, timezone)
    body.append(_tag("footer", catalog.gettext("Made by Kierros, the check-in bot for work supervision.")))
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(catalog.language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
        f"<style>{style}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
