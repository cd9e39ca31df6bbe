"""The governors' report as a PDF (WeasyPrint, A4), from the same templates and charts as
the web page. Static files are read from disk by a URL fetcher; nothing is fetched over the
network (any other URL is refused)."""

from __future__ import annotations

from django.template.loader import render_to_string

from common.pdf import html_to_pdf, static_paths

from .context import report_context
from .selectors.governors import governors_report
from .selectors.periods import Period, resolve_period

__all__ = ["html_to_pdf", "pdf_stylesheets", "render_governors_report_pdf"]


def pdf_stylesheets() -> list[str]:
    return static_paths("css/app.css", "css/reports.css")


def render_governors_report_pdf(school, period=None) -> bytes:
    """The governors' report for `school` and `period` (a Period, a period key such as
    `term:2026/27:Autumn`, or None for the current term) as PDF bytes. Used by the web view
    and by `make bench`."""
    if not isinstance(period, Period):
        period = resolve_period(school, period)
    if period is None:
        raise ValueError(f"{school} has no school days in that period")
    report = governors_report(school, period)
    html = render_to_string(
        "reports/governors_report_pdf.html", {**report_context(report, pdf=True), "pdf_stylesheets": pdf_stylesheets()}
    )
    return html_to_pdf(html)
