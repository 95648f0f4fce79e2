"""The digest's chart: a PNG of this round's scale distributions and the means over the rounds, sized for a phone.

`render_chart` draws, from a `Summary` only (so every threshold already applies), one panel per scale question
(how many chose each point, with the mean), one panel of the goals' means, and one panel of the trends (means per
round for each scale question and goal with at least two rounds shown). It returns None when the thresholds hide
every figure: then no chart is sent at all. Matplotlib draws on its Agg canvas directly (headless, no display)
through its object API, never pyplot, so no global state is shared between digests. `chart_caption` is the alt
text sent as the photo's caption: the same figures in words.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from checkins.digest.summary import ScaleSection, Summary
from checkins.digest.trends import Trend
from checkins.formatting import format_number
from checkins.i18n import Catalog

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 150
MAX_DISTRIBUTIONS = 3
CAPTION_LIMIT = 1024  # telegram.constants.MessageLimit.CAPTION_LENGTH
TITLE_WIDTH = 44
BAR_COLOUR, MEAN_COLOUR = "#3b6ea5", "#c0392b"
STYLE = {"font.size": 15, "axes.titlesize": 16, "axes.titleweight": "bold", "axes.spines.top": False,
         "axes.spines.right": False, "font.family": "DejaVu Sans"}  # fmt: skip


def _title(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH)[:2])


def _distribution(axes: Axes, section: ScaleSection, catalog: Catalog) -> None:
    question = section.question
    points = list(range(question.scale_min, question.scale_max + 1))
    counts = [section.stats.count(point) for point in points]
    axes.bar(points, counts, color=BAR_COLOUR, width=0.7)
    mean = section.trend.current.mean
    axes.axvline(mean, color=MEAN_COLOUR, linewidth=3)
    label = catalog.gettext("mean {mean}").format(mean=format_number(mean, catalog.language))
    axes.text(mean, max(counts) * 1.02 + 0.05, f" {label}", color=MEAN_COLOUR, va="bottom", fontsize=14)
    axes.set_xticks(points)
    # Whole numbers, at most five: one tick per count drew (and laid out) hundreds of labels for a large group.
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.set_ylim(0, max(counts) * 1.3 + 0.5)
    axes.set_title(_title(question.text.get(catalog.language)), loc="left")


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
    lines = [(s.question.text.get(catalog.language), s) for s in summary.scales]
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


def render_chart(summary: Summary, catalog: Catalog) -> bytes | None:
    """The chart as PNG bytes (WIDTH_PX × HEIGHT_PX), or None when thresholds hide every figure."""
    if not summary.has_figures:
        return None
    distributions = summary.scales[:MAX_DISTRIBUTIONS]
    trend_lines = _trend_lines(summary, catalog)
    panels = len(distributions) + bool(summary.goal_scales) + bool(trend_lines)
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        all_axes = list(figure.subplots(panels, 1, squeeze=False)[:, 0])
        for axes, section in zip(all_axes, distributions, strict=False):
            _distribution(axes, section, catalog)
        rest = all_axes[len(distributions) :]
        if summary.goal_scales:
            _goal_means(rest.pop(0), summary, catalog)
        if trend_lines:
            _trends(rest.pop(0), trend_lines, catalog)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


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
    for section in summary.scales:
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
