"""The governors' report as a PDF (WeasyPrint, A4), from the same templates and charts as
the web page. Static files are read from disk by a URL fetcher; nothing is fetched over the
network (any other URL is refused)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "https://reports.invalid/"


class StaticFileFetcher(URLFetcher):
    """Serves `/static/...` from the static directories; refuses everything else."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if not parts.path.startswith(static_prefix) or parts.netloc not in ("reports.invalid", ""):
            raise ValueError(f"refusing to fetch {url}: the report reads local static files only")
        relative = unquote(parts.path[len(static_prefix) :])
        if ".." in relative.split("/"):
            raise ValueError(f"refusing to fetch {url}")
        path = finders.find(relative)
        if not path and settings.STATIC_ROOT and (Path(settings.STATIC_ROOT) / relative).is_file():
            path = str(Path(settings.STATIC_ROOT) / relative)
        if not path:
            raise ValueError(f"static file not found: {relative}")
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as f:
            return URLFetcherResponse(url, body=f.read(), headers={"Content-Type": mime})


def pdf_stylesheets() -> list[str]:
    """Unhashed static paths: the fetcher reads the source files, whatever the storage."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    return [prefix + "css/app.css", prefix + "css/reports.css"]


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFileFetcher()).write_pdf()


def render_governors_report_pdf(school, period=None) -> bytes:
    """The governors' report for `school` and `period` (a Period, a period key such as
    `term:2026/27:Autumn`, or None for the current term) as PDF bytes. Used by the web view
    and by `make bench`."""
    from .selectors import Period, governors_report, resolve_period
    from .views import report_context

    if not isinstance(period, Period):
        period = resolve_period(school, period)
    if period is None:
        raise ValueError(f"{school} has no school days in that period")
    report = governors_report(school, period)
    html = render_to_string(
        "reports/governors_report_pdf.html", {**report_context(report, pdf=True), "pdf_stylesheets": pdf_stylesheets()}
    )
    return html_to_pdf(html)
