"""A digest's files — the chart, the HTML report and the PDF report — drawn each on its own, none able to stop another.

`render_files` runs after the closing transaction (see `DigestService.send_pending_files`), in a worker thread. Each
renderer is tried alone: one that fails is left out, and the log gets its error category (the exception's class and
which file), never the text it was drawing; the rest are still sent. The report embeds the chart only if it was drawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from checkins.digest.chart import chart_caption, render_chart
from checkins.digest.report import render_report
from checkins.digest.summary import Summary
from checkins.i18n import Catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestFiles:
    chart: bytes | None
    caption: str  # the chart's alt text, plain
    html: bytes | None
    pdf: bytes | None


def _failed(what: str, error: Exception) -> None:
    log.error("digest %s could not be drawn (%s); sending the digest without it", what, type(error).__name__)


def render_files(summary: Summary, catalog: Catalog, timezone: ZoneInfo) -> DigestFiles:
    """Every file of the digest that could be drawn; None for one that could not (or that thresholds leave out)."""
    chart = html = pdf = None
    caption = ""
    try:
        caption = chart_caption(summary, catalog)
        chart = render_chart(summary, catalog, timezone)
    except Exception as error:  # a renderer's failure must never stop the digest
        _failed("chart", error)
    try:
        html = render_report(summary, catalog, timezone, chart, caption).encode("utf-8")
    except Exception as error:
        _failed("HTML report", error)
    try:
        # Imported here: fpdf2 takes more than half a second to import, which start-up need not wait for.
        from checkins.digest.pdf import render_pdf

        pdf = render_pdf(summary, catalog, timezone)
    except Exception as error:
        _failed("PDF report", error)
    return DigestFiles(chart, caption, html, pdf)
