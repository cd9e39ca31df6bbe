"""Server-side SVG charts (matplotlib, SVG backend): the same markup in the web page and the PDF.

The page's Content Security Policy (style-src 'self') blocks `style` attributes and `<style>`
elements inside inline SVG, so matplotlib's output is rewritten to presentation attributes
(fill, stroke, font-size …), its `<style>` element is dropped (its two defaults become
attributes on the root), and its ids are prefixed so several charts can share a page.

A chart is drawn from the values it plots and nothing else, so each is kept once drawn
(`functools.lru_cache` on those values): the report page and its PDF, a second reader of the same
term's report and the trust view's column for a school draw the same three charts, and drawing one
costs matplotlib a tenth of a second or more (two passes for the tight bounding box)."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import NamedTuple

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

INK, MUTED, LINE = "#1d2433", "#5b6578", "#dfe3ea"
BRAND, LAST_YEAR, BENCH = "#1f4e8c", "#9aa6b8", "#b35c00"
BAND_COLOURS = ["#2e7d4f", "#6aa84f", "#e0a100", "#c8553d", "#8e1b1b"]

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # real <text>, in the page's font
        "svg.hashsalt": "attendance-reports",  # deterministic ids
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
        "font.size": 9,
        "axes.edgecolor": LINE,
        "axes.labelcolor": INK,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.image_inline": True,
    }
)

_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_FONT = re.compile(r"^(?:(italic|oblique|normal)\s+)?(?:(\d{3}|bold|normal)\s+)?([\d.]+px)\s+(.+)$")


def _declarations(style: str) -> list[tuple[str, str]]:
    out = []
    for decl in style.split(";"):
        if ":" not in decl:
            continue
        name, value = (part.strip() for part in decl.split(":", 1))
        if name == "font":
            m = _FONT.match(value)
            if m:
                if m.group(1) and m.group(1) != "normal":
                    out.append(("font-style", m.group(1)))
                if m.group(2) and m.group(2) not in ("normal", "400"):
                    out.append(("font-weight", m.group(2)))
                out.append(("font-size", m.group(3)))
                out.append(("font-family", m.group(4).replace('"', "'")))
            continue
        out.append((name, value.replace('"', "'")))
    return out


def csp_safe(svg: str, prefix: str) -> str:
    """matplotlib SVG → inline SVG with no style attributes or elements and unique ids."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)

    def attrs(match):
        return "".join(f' {name}="{value}"' for name, value in _declarations(match.group(1)))

    svg = _STYLE_ATTR.sub(attrs, svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    # Scale with the container: keep the viewBox, drop the fixed size.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", '<svg stroke-linejoin="round" stroke-linecap="butt" class="chart-svg"', 1)
    return svg


def _render(fig: Figure, prefix: str, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", transparent=True)
    plt.close(fig)
    svg = csp_safe(buffer.getvalue(), prefix)
    # An accessible name for the chart; the numbers are in the table beside it.
    return svg.replace("<svg", f'<svg role="img" aria-label="{title}"', 1)


def _figure(width=6.4, height=2.6):
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_subplot(111)
    ax.grid(axis="y", color=LINE, linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


CHARTS_KEPT = 32  # of each kind, per process: 10-20 kB of SVG each


def trend_chart(weeks, last_year_weeks, benchmark_attendance=None, prefix="trend") -> str:
    """Attendance week by week this period, last year's same weeks, and the national line."""
    return _trend_chart(
        tuple(_Week(w.index, w.attendance) for w in weeks),
        tuple(_Week(w.index, w.attendance) for w in last_year_weeks),
        benchmark_attendance,
        prefix,
    )


def band_chart(bands, prefix="bands") -> str:
    """How many pupils are in each attendance band; hidden bands are marked, not drawn."""
    return _band_chart(tuple(_Band.of(c) for c in bands), prefix)


def gap_chart(dimensions, school_attendance, prefix="gaps") -> str:
    """Attendance of each cohort shown (hidden cohorts are left out), against the whole school."""
    rows = tuple((f"{g.label}", g.attendance) for d in dimensions[1:] for g in d.groups if g.attendance is not None)
    return _gap_chart(rows, school_attendance, prefix)


class _Week(NamedTuple):
    """A week as the trend chart plots it."""

    index: int
    attendance: float | None


class _Band(NamedTuple):
    """A band as the band chart draws it, with the text written beside its bar (so 5 and 5.0, equal
    as keys of the cache, cannot share a chart that writes them differently)."""

    label: str
    value: object
    suppressed: bool
    text: str

    @classmethod
    def of(cls, cell):
        text = "–  (fewer than 5, or hidden)" if cell.suppressed else str(cell.value)
        return cls(cell.label, cell.value, cell.suppressed, text)


@lru_cache(maxsize=CHARTS_KEPT)
def _trend_chart(weeks, last_year_weeks, benchmark_attendance, prefix) -> str:
    fig, ax = _figure()
    if weeks:
        ax.plot(
            [w.index for w in weeks],
            [w.attendance for w in weeks],
            color=BRAND,
            linewidth=2,
            marker="o",
            markersize=3.5,
            label="This year",
        )
    if last_year_weeks:
        ax.plot(
            [w.index for w in last_year_weeks],
            [w.attendance for w in last_year_weeks],
            color=LAST_YEAR,
            linewidth=1.6,
            linestyle="--",
            marker="o",
            markersize=3,
            label="Same weeks last year",
        )
    if benchmark_attendance is not None:
        ax.axhline(float(benchmark_attendance), color=BENCH, linewidth=1.2, linestyle=":", label="National")
    values = [w.attendance for w in [*weeks, *last_year_weeks] if w.attendance is not None]
    if benchmark_attendance is not None:
        values.append(float(benchmark_attendance))
    low = min(values, default=90)
    ax.set_ylim(max(0, min(90, low - 2)), 100)
    count = max([w.index for w in [*weeks, *last_year_weeks]], default=1)
    ax.set_xlim(0.5, count + 0.5)
    ax.set_xticks(range(1, count + 1))
    ax.set_xlabel("School week of the period")
    ax.set_ylabel("Attendance %")
    ax.legend(frameon=False, loc="lower left", ncols=3, fontsize=8)
    return _render(fig, prefix, "Attendance week by week")


@lru_cache(maxsize=CHARTS_KEPT)
def _band_chart(bands, prefix) -> str:
    fig, ax = _figure(height=2.4)
    labels = [c.label for c in bands]
    values = [0 if c.suppressed else c.value for c in bands]
    y = list(range(len(bands)))[::-1]
    ax.barh(y, values, color=BAND_COLOURS[: len(bands)], height=0.6)
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    top = max(values, default=0) or 1
    for yy, cell in zip(y, bands, strict=True):
        ax.text((0 if cell.suppressed else cell.value) + top * 0.01, yy, cell.text, va="center", fontsize=8, color=INK)
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel("Pupils")
    return _render(fig, prefix, "Pupils by attendance band")


@lru_cache(maxsize=CHARTS_KEPT)
def _gap_chart(rows, school_attendance, prefix) -> str:
    height = max(2.2, 0.22 * len(rows) + 0.8)
    fig, ax = _figure(height=height)
    y = list(range(len(rows)))[::-1]
    values = [v for _, v in rows]
    colours = [BRAND if school_attendance is None or v >= school_attendance else "#c8553d" for v in values]
    ax.barh(y, values, color=colours, height=0.6)
    ax.set_yticks(y, [label for label, _ in rows], fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    if school_attendance is not None:
        ax.axvline(
            school_attendance, color=INK, linewidth=1, linestyle="--", label=f"Whole school {school_attendance:.1f}%"
        )
        ax.legend(frameon=False, loc="lower right", fontsize=8, bbox_to_anchor=(1, 1), ncols=1)
    low = min(values, default=90)
    ax.set_xlim(max(0, min(85, low - 3)), 100)
    ax.set_xlabel("Attendance %")
    return _render(fig, prefix, "Attendance by group of pupils")
