"""The digest's chart: a PNG of this round's scale distributions and the means over the rounds, sized for a phone.

`render_chart` draws, from a `Summary` only (so every threshold already applies), a header (group, flow, round,
date), one panel per scale question — every one, the canvas growing taller rather than leaving one out — with its
wrapped title, how many chose each point, the mean, the scale's end labels and n; one panel of the goals' means; and
one panel of the trends (means per round for each scale question and goal with at least two rounds shown). One or two
panels get a compact canvas instead of a stretched one. It returns None when the thresholds hide every figure: then
no chart is sent at all. Text is drawn with mathtext off, so a `$` in a question is just a dollar sign. Matplotlib
draws on its Agg canvas directly (headless, no display) through its object API, never pyplot, so no global state is
shared between digests. `chart_caption` is the alt text sent as the photo's caption: the same figures in words.
"""

from __future__ import annotations

import io
import textwrap
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from checkins.config.flow_digest import Presentation
from checkins.digest.summary import ScaleSection, Summary
from checkins.digest.trends import Trend
from checkins.formatting import format_date_time, format_number
from checkins.i18n import Catalog

WIDTH_PX, DPI = 1080, 150
# Heights in pixels: the header, a distribution panel (plus one line per extra title line), a goal row, the trends.
HEADER_PX, PANEL_PX, TITLE_LINE_PX, GOAL_ROW_PX, GOALS_BASE_PX, TRENDS_PX = 150, 400, 34, 70, 160, 520
# Telegram accepts a photo whose width and height add up to at most 10,000 pixels.
MAX_HEIGHT_PX = 8900
CAPTION_LIMIT = 1024  # telegram.constants.MessageLimit.CAPTION_LENGTH
# Characters per title line: a panel may be narrowed by the goals panel's labels, which all panels align to.
TITLE_WIDTH = 40
END_LABEL_WIDTH = 16
BAR_COLOUR, MEAN_COLOUR = "#3b6ea5", "#c0392b"
# text.parse_math off: a "$" in a question or goal is plain text, never mathtext (which can fail to parse).
STYLE = {"font.size": 15, "axes.titlesize": 16, "axes.titleweight": "bold", "axes.spines.top": False,
         "axes.spines.right": False, "font.family": "DejaVu Sans", "text.parse_math": False}  # fmt: skip


def _title(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH)) or " "


def _end_label(point: int, label: str | None) -> str:
    if label is None:
        return str(point)
    return str(point) + "\n" + "\n".join(textwrap.wrap(label, END_LABEL_WIDTH)[:2])


def _distribution(axes: Axes, section: ScaleSection, catalog: Catalog) -> None:
    question = section.question
    language = catalog.language
    points = list(range(question.scale_min, question.scale_max + 1))
    counts = [section.stats.count(point) for point in points]
    axes.bar(points, counts, color=BAR_COLOUR, width=0.7)
    mean = section.trend.current.mean
    axes.axvline(mean, color=MEAN_COLOUR, linewidth=3)
    label = catalog.gettext("mean {mean}").format(mean=format_number(mean, language))
    axes.text(mean, max(counts) * 1.02 + 0.05, f" {label}", color=MEAN_COLOUR, va="bottom", fontsize=14)
    # n inside the panel's top corner, on the side away from the mean, so that it never meets the title.
    answered = catalog.gettext("n = {count}").format(count=section.stats.responses)
    left = mean > (question.scale_min + question.scale_max) / 2
    axes.text(0.01 if left else 0.99, 0.97, answered, transform=axes.transAxes, ha="left" if left else "right",
              va="top", fontsize=13, color="#4a5566")  # fmt: skip
    low = question.min_label.get(language) if question.min_label else None
    high = question.max_label.get(language) if question.max_label else None
    labels = [_end_label(p, low if p == points[0] else high if p == points[-1] else None) for p in points]
    axes.set_xticks(points, labels, fontsize=12)
    # Whole numbers, at most five: one tick per count drew (and laid out) hundreds of labels for a large group.
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.set_ylim(0, max(counts) * 1.3 + 0.5)
    axes.set_title(_title(question.text.get(language)), loc="left", fontsize=15)


def _goal_means(axes: Axes, summary: Summary, catalog: Catalog) -> None:
    goals = summary.goal_scales
    labels = [_title(goal.text.get(catalog.language)) for goal, _ in goals]
    means = [section.trend.current.mean for _, section in goals]
    positions = list(range(len(goals)))
    axes.barh(positions, means, color=BAR_COLOUR, height=0.6)
    axes.set_yticks(positions, labels, fontsize=13)
    axes.invert_yaxis()
    question = goals[0][1].question
    axes.set_xlim(question.scale_min - 0.5 if question.scale_min > 0 else 0, question.scale_max)
    for position, mean in zip(positions, means, strict=True):
        axes.text(mean, position, f" {format_number(mean, catalog.language)}", va="center", fontsize=14)
    axes.set_title(catalog.gettext("Goals: mean this round"), loc="left")


def _trend_lines(summary: Summary, catalog: Catalog) -> list[tuple[str, ScaleSection]]:
    lines = [(s.question.text.get(catalog.language), s) for s in charted_scales(summary)]
    lines += [(goal.text.get(catalog.language), section) for goal, section in summary.goal_scales]
    return [(label, section) for label, section in lines if len(section.trend.points) >= 2]


def _trends(axes: Axes, sections: list[tuple[str, ScaleSection]], catalog: Catalog) -> None:
    lines = [(label, section.trend) for label, section in sections]
    for label, line in lines:
        numbers = [point.round_number for point in line.points]
        axes.plot(numbers, [point.mean for point in line.points], marker="o", linewidth=3, markersize=9,
                  label=textwrap.shorten(label, 40, placeholder="…"))  # fmt: skip
    rounds = sorted({point.round_number for _, line in lines for point in line.points})
    axes.set_xticks(rounds)
    # The whole scale, so that a small change does not look like a big one.
    low = min(section.question.scale_min for _, section in sections)
    high = max(section.question.scale_max for _, section in sections)
    axes.set_ylim(low - 0.2, high + 0.2)
    axes.set_xlabel(catalog.gettext("round"))
    axes.set_title(catalog.gettext("Means over the rounds"), loc="left")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=12, frameon=False)


def charted_scales(summary: Summary) -> tuple[ScaleSection, ...]:
    """The scale questions the chart draws: every shown one the flow does not keep for the report only."""
    return tuple(s for s in summary.scales if s.question.presentation is not Presentation.REPORT_ONLY)


def _header(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> str:
    title = catalog.gettext("{title} – {group}, round {number}").format(
        title=summary.flow.title.get(catalog.language), group=summary.group_name, number=summary.round.number
    )
    details = catalog.gettext("{answered} of {invited} answered").format(
        answered=summary.round.submitted, invited=summary.round.invited
    )
    if summary.round.closed_at is not None:
        details = format_date_time(summary.round.closed_at, timezone, catalog.language) + " · " + details
    return "\n".join([*textwrap.wrap(title, 60)[:2], details])


def render_chart(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> bytes | None:
    """The chart as PNG bytes, WIDTH_PX wide and as tall as its panels need; None when thresholds hide every figure."""
    with matplotlib.rc_context(STYLE):
        figure = draw_chart(summary, catalog, timezone)
        if figure is None:
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw_chart(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> Figure | None:
    """The chart's figure (call inside `matplotlib.rc_context(STYLE)`); None when thresholds hide every figure."""
    if not summary.has_figures:
        return None
    distributions = charted_scales(summary)
    trend_lines = _trend_lines(summary, catalog)
    heights = [
        PANEL_PX + TITLE_LINE_PX * (_title(s.question.text.get(catalog.language)).count("\n")) for s in distributions
    ]
    if summary.goal_scales:
        heights.append(GOALS_BASE_PX + GOAL_ROW_PX * len(summary.goal_scales))
    if trend_lines:
        heights.append(TRENDS_PX + 30 * len(trend_lines))
    if not heights:
        return None
    height_px = min(HEADER_PX + sum(heights), MAX_HEIGHT_PX)
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(_header(summary, catalog, timezone), x=0.02, ha="left", fontsize=15)
    grid = figure.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    all_axes = list(grid[:, 0])
    for axes, section in zip(all_axes, distributions, strict=False):
        _distribution(axes, section, catalog)
    rest = all_axes[len(distributions) :]
    if summary.goal_scales:
        _goal_means(rest.pop(0), summary, catalog)
    if trend_lines:
        _trends(rest.pop(0), trend_lines, catalog)
    return figure


def _trend_words(line: Trend, catalog: Catalog) -> str:
    """ "round 1: 3.0 → round 3: 4.0" — the rounds shown, so a skipped round is not mistaken for a shown one."""
    return " → ".join(
        catalog.gettext("round {number}: {mean}").format(
            number=point.round_number, mean=format_number(point.mean, catalog.language)
        )
        for point in line.points
    )


def chart_caption(summary: Summary, catalog: Catalog) -> str:
    """The chart's alt text, plain (not escaped): what it shows, in words, within Telegram's caption limit."""
    intro = catalog.gettext("Chart of round {number}: how the scale answers are spread, and the means over the rounds.")
    lines = [intro.format(number=summary.round.number)]
    for section in charted_scales(summary):
        spread = ", ".join(
            f"{point}: {section.stats.count(point)}"
            for point in range(section.question.scale_min, section.question.scale_max + 1)
        )
        words = f"{section.question.text.get(catalog.language)} {spread}; " + _trend_words(section.trend, catalog)
        lines.append(words)
    for goal, section in summary.goal_scales:
        lines.append(f"{goal.text.get(catalog.language)}: " + _trend_words(section.trend, catalog))
    caption = ""
    for line in lines:
        if len(caption) + len(line) + 1 > CAPTION_LIMIT - 1:
            return caption + "\n…"
        caption = f"{caption}\n{line}" if caption else line
    return caption
