"""Showing figures that may be suppressed: a dash with a note instead of a small number."""

from django import template
from django.utils.html import format_html

from reports.suppression import NOTE, Cell

register = template.Library()

DASH = '<span class="suppressed" title="{}">–<span class="visually-hidden"> ({})</span></span>'


def _dash(reason):
    """A hidden figure: every dash says the same (reports.suppression.NOTE), whatever the reason."""
    return format_html(DASH, NOTE, NOTE)


@register.filter
def cell(value):
    """A Cell: its value, or a dash with the reason it is hidden."""
    if isinstance(value, Cell):
        if value.suppressed:
            return _dash(value.reason)
        return format_html("{}", f"{value.value:,}" if isinstance(value.value, int) else value.value)
    return "–" if value is None else value


@register.filter
def pct(value, reason=""):
    """A percentage with one decimal place, or a dash (with `reason`) when hidden/unknown."""
    if value is None or value == "":
        return _dash(reason) if reason else "–"
    return f"{float(value):.1f}%"


@register.filter
def rate_reason(group):
    """Why a group's figures are hidden."""
    return group.row.reason if group.row and group.row.suppressed else ""


@register.filter
def pa_reason(group):
    return group.pa.reason if group.pa.suppressed else ""


@register.filter
def sa_reason(group):
    return group.sa.reason if group.sa.suppressed else ""


@register.filter
def number(value):
    return "–" if value is None else f"{value:,}"


@register.filter
def diff(a, b):
    """Percentage points between two rates, signed."""
    if a is None or b is None:
        return "–"
    d = float(a) - float(b)
    return f"{d:+.1f} pts"


@register.filter
def gpct(group, attr):
    """A group's rate (`attendance`, `authorised`, `pa_rate` …) or a dash with the reason."""
    if group is None:
        return "–"
    value = getattr(group, attr)
    if attr == "pa_rate":
        reason = pa_reason(group)
    elif attr == "sa_rate":
        reason = sa_reason(group)
    else:
        reason = rate_reason(group)
    return pct(value, reason or rate_reason(group))
