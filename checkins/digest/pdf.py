"""The printable report as PDF: A4 pages with a running header, page numbers and a confidentiality mark, via fpdf2.

`render_pdf` lays out, from a `Summary` only (so every threshold applies), what the HTML report holds, tightened for
paper: the title and participation, the agenda, each scale question with its distribution drawn as bars and its
trend, each goal, every other question the round asked with its counts or every free-text answer in full, and the
process over time. A question the flow did not ask this round has no section, and the view over time has a
wellbeing column only when the flow follows a wellbeing scale. Every page carries the group, the round and
"confidential" in the reader's language at the top and "page n / N" at the bottom. Text is set in DejaVu Sans, which
matplotlib ships, so nothing needs a system font; fpdf2 writes text as text, so no answer is ever read as markup.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from checkins.digest.message import digest_title, topic_headings, trend_text
from checkins.digest.summary import CountSection, Hidden, ScaleSection, Section, Summary
from checkins.formatting import format_date, format_date_time, format_number
from checkins.i18n import Catalog

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MARGIN_MM, BODY_PT, LINE_MM = 16, 9.5, 4.4
BAR_MAX_MM = 45
BAR_RGB, RULE_RGB, MUTED_RGB = (59, 110, 165), (201, 209, 220), (90, 100, 115)


class _Pages(FPDF):
    """A4 pages with the running header and the page numbers."""

    def __init__(self, running_header: str, page_label: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.running_header = running_header
        self.page_label = page_label  # "page {page} / {pages}", with fpdf's alias for the total
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_margins(MARGIN_MM, MARGIN_MM + 4, MARGIN_MM)
        self.set_auto_page_break(True, MARGIN_MM)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED_RGB)
        self.set_xy(MARGIN_MM, 8)
        self.cell(0, 4, self.running_header, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE_RGB)
        self.line(MARGIN_MM, 13, self.w - MARGIN_MM, 13)
        self.set_text_color(0, 0, 0)
        self.set_y(MARGIN_MM + 4)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED_RGB)
        self.cell(0, 4, self.page_label.format(page=self.page_no(), pages=self.str_alias_nb_pages), align="R")
        self.set_text_color(0, 0, 0)


class _Writer:
    """The report's blocks on `_Pages`, in the reader's language."""

    def __init__(self, pages: _Pages, catalog: Catalog) -> None:
        self.pages = pages
        self.catalog = catalog
        self.language = catalog.language

    def text(self, text: str, style: str = "", size: float = BODY_PT, muted: bool = False, indent: float = 0) -> None:
        pdf = self.pages
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*(MUTED_RGB if muted else (0, 0, 0)))
        pdf.set_x(MARGIN_MM + indent)
        pdf.multi_cell(0, LINE_MM * size / BODY_PT, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        pdf = self.pages
        # Keep a heading with at least a few lines of what follows it.
        if pdf.get_y() > pdf.h - MARGIN_MM - 25:
            pdf.add_page()
        pdf.ln(2.5)
        self.text(text, "B", 12)
        pdf.set_draw_color(*RULE_RGB)
        pdf.line(MARGIN_MM, pdf.get_y() + 0.5, pdf.w - MARGIN_MM, pdf.get_y() + 0.5)
        pdf.ln(1.5)

    def question_title(self, section: Section, answered: int) -> None:
        pdf = self.pages
        if pdf.get_y() > pdf.h - MARGIN_MM - 18:
            pdf.add_page()
        pdf.ln(1.5)
        title = section.question.text.get(self.language)
        if answered:
            count = self.catalog.ngettext("{count} answer", "{count} answers", answered).format(count=answered)
            title += f" ({count})"
        self.text(title, "B", 10)

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.pages.set_x(MARGIN_MM)
            self.pages.set_font(FONT, "", BODY_PT)
            self.pages.cell(4, LINE_MM, "•")
            self.text(item, indent=4)
            self.pages.ln(0.8)

    def too_few(self, section: Hidden) -> None:
        self.text(self.catalog.gettext("Too few answers to show (fewer than {k}).").format(k=section.threshold),
                  "I", muted=True)  # fmt: skip

    def bars(self, rows: list[tuple[str, int]]) -> None:
        """A small table of label, count and a bar, for a distribution or a choice."""
        pdf = self.pages
        widest = max((count for _, count in rows), default=0) or 1
        label_width = min(70.0, max(8.0, *(pdf.get_string_width(label) + 3 for label, _ in rows)))
        pdf.set_font(FONT, "", BODY_PT)
        for label, count in rows:
            pdf.set_x(MARGIN_MM + 2)
            pdf.cell(label_width, LINE_MM, label[:60])
            pdf.cell(8, LINE_MM, str(count), align="R")
            if count:
                pdf.set_fill_color(*BAR_RGB)
                pdf.rect(pdf.get_x() + 2, pdf.get_y() + 1, BAR_MAX_MM * count / widest, LINE_MM - 2, style="F")
            pdf.ln(LINE_MM)

    def scale(self, section: ScaleSection) -> None:
        question, stats = section.question, section.stats
        rows = []
        for point in range(question.scale_min, question.scale_max + 1):
            label = str(point)
            if point == question.scale_min and question.min_label is not None:
                label += " " + question.min_label.get(self.language)
            if point == question.scale_max and question.max_label is not None:
                label += " " + question.max_label.get(self.language)
            rows.append((label, stats.count(point)))
        self.bars(rows)
        mean = self.catalog.gettext("Mean {mean} (scale {low}–{high})").format(
            mean=format_number(stats.mean or 0.0, self.language), low=question.scale_min, high=question.scale_max
        )
        median = self.catalog.gettext("median {median}").format(
            median=format_number(stats.median or 0.0, self.language)
        )
        over = self.catalog.gettext("Over the rounds")
        self.text(f"{mean} · {median} · {over}: {trend_text(section.trend, self.catalog)}", size=9, muted=True)

    def section(self, section: Section) -> None:
        if isinstance(section, Hidden):
            self.question_title(section, 0)
            self.too_few(section)
        elif isinstance(section, ScaleSection):
            self.question_title(section, section.stats.responses)
            self.scale(section)
        elif isinstance(section, CountSection):
            self.question_title(section, section.stats.responses)
            self.bars(section.rows(self.catalog))
        else:
            self.question_title(section, len(section.answers))
            if section.deleted:
                self.text(self.catalog.gettext("The answers were deleted after the retention period."), "I", muted=True)
            self.bullets(list(section.answers))


def _agenda(writer: _Writer, summary: Summary) -> None:
    agenda = summary.agenda
    if agenda is None:
        return
    catalog = writer.catalog
    writer.heading(catalog.gettext("Agenda: what the group wants to work on"))
    for heading, group in topic_headings(agenda, catalog):
        topics = ", ".join(f"{option.label.get(writer.language)} ({count})" for option, count in group.topics)
        writer.text(f"{heading}: {topics}")
    for section in (agenda.topics if isinstance(agenda.topics, Hidden) else None, agenda.urgency, agenda.bring):
        if section is not None:
            writer.section(section)


def _goals(writer: _Writer, summary: Summary) -> None:
    if not summary.goals:
        return
    writer.heading(writer.catalog.gettext("Goals"))
    for progress in summary.goals:
        writer.text(progress.goal.text.get(writer.language), "B", 10)
        if isinstance(progress.section, Hidden):
            writer.too_few(progress.section)
        else:
            writer.scale(progress.section)


def _process(writer: _Writer, summary: Summary, timezone: ZoneInfo) -> None:
    catalog = writer.catalog
    writer.heading(catalog.gettext("The supervision process over time"))
    for row in summary.history:
        parts = [catalog.gettext("round {number}").format(number=row.number)]
        if row.closed_at is not None:
            parts.append(format_date(row.closed_at, timezone, writer.language))
        answered = catalog.gettext("{answered} of {invited} answered")
        parts.append(answered.format(answered=row.submitted, invited=row.invited))
        if summary.wellbeing_asked:
            wellbeing = format_number(row.energy, writer.language) if row.energy is not None else "—"
            parts.append(catalog.gettext("Energy") + " " + wellbeing)
        writer.text(" · ".join(parts), size=9)


def render_pdf(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> bytes:
    """The report as PDF bytes."""
    running = " · ".join(
        [
            summary.group_name,
            catalog.gettext("round {number}").format(number=summary.round.number),
            catalog.gettext("confidential"),
        ]
    )
    pages = _Pages(running, catalog.gettext("page {page} / {pages}"))
    title = digest_title(summary, catalog)
    pages.set_title(title)
    pages.set_creator("Kierros")
    pages.add_page()
    writer = _Writer(pages, catalog)
    writer.text(title, "B", 15)
    meta = catalog.gettext("{answered} of {invited} answered").format(
        answered=summary.round.submitted, invited=summary.round.invited
    )
    if summary.round.closed_at is not None:
        meta = format_date_time(summary.round.closed_at, timezone, catalog.language) + " · " + meta
    writer.text(meta, muted=True)
    writer.text(
        catalog.gettext(
            "Anonymised: answers are shown without names, shuffled per question and with names and contact details "
            "replaced. Please keep this document confidential."
        ),
        size=8.5,
        muted=True,
    )
    if summary.withheld:
        withheld = catalog.gettext("Fewer than {k} responses – no summary shown.")
        writer.text(withheld.format(k=summary.thresholds.min_responses), "I", muted=True)
    else:
        _agenda(writer, summary)
        _goals(writer, summary)
        asked = [s for s in summary.sections if s.question.id not in summary.agenda_ids]
        if asked:
            writer.heading(catalog.gettext("Every question"))
            for section in asked:
                writer.section(section)
    if len(summary.history) >= 2:
        _process(writer, summary, timezone)
    return bytes(pages.output())
