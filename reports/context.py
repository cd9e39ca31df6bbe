"""What the governors' report templates are given, for the web page and the PDF alike: the
report's figures, its three charts (server-side SVG) and the suppression notes."""

from __future__ import annotations

from django.utils import timezone

from . import charts
from .suppression import PRIMARY, SECONDARY, THRESHOLD


def report_context(report, *, pdf=False) -> dict:
    national = next((b for b in report.benchmarks if b.__class__.__name__ == "NationalBenchmark"), None)
    local = next((b for b in report.benchmarks if b.__class__.__name__ == "LocalBenchmark"), None)
    headline = report.headline
    return {
        "report": report,
        "school": report.school,
        "period": report.period,
        "headline": headline,
        "national": national,
        "local": local,
        "pdf": pdf,
        "threshold": THRESHOLD,
        "primary_note": PRIMARY,
        "secondary_note": SECONDARY,
        "trend_svg": charts.trend_chart(
            report.weeks, report.last_year_weeks, national.attendance if national and national.attendance else None
        ),
        "band_svg": charts.band_chart(report.bands),
        "gap_svg": charts.gap_chart(report.dimensions, headline.attendance),
        "generated": timezone.localtime(report.generated),
    }


def trust_charts(report) -> list[dict]:
    """The school report's three charts for each school of the trust and for all of them
    combined, from the same (suppressed) figures as the tables: hidden bands and groups are
    marked or left out exactly as on each school's own report."""
    out = []
    for i, column in enumerate(report.columns):
        name = column.school.name if column.school else "All schools"
        out.append(
            {
                "name": name,
                "combined": column.school is None,
                "trend_svg": charts.trend_chart(column.weeks, [], None, prefix=f"trend{i}"),
                "band_svg": charts.band_chart(column.bands, prefix=f"bands{i}"),
                "gap_svg": charts.gap_chart(column.dimensions, column.headline.attendance, prefix=f"gaps{i}"),
            }
        )
    return out
