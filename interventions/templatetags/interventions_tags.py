from django import template

from registers.years import year_label

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def pounds(pence):
    return "" if pence is None else f"£{pence / 100:,.0f}" if pence % 100 == 0 else f"£{pence / 100:,.2f}"


register.filter("year_label", year_label)


LABELS = {
    "possible": "Possible sessions",
    "attended": "Sessions attended",
    "authorised": "Authorised absence",
    "unauthorised": "Unauthorised absence",
    "absent": "Sessions missed",
    "late_before_close": "Late (L)",
    "late_after_close": "Late after close (U)",
    "attendance_percent": "Attendance %",
    "absence_percent": "Absence %",
    "persistent": "Persistent absence",
    "severe": "Severe absence",
    "unauthorised_sessions": "Unauthorised sessions",
    "unresolved_n": "Sessions still coded N",
    "late_marks": "Late marks",
    "school_days": "School days in a row",
    "periods_of_illness": "Separate periods of illness",
    "sessions_of_illness": "Sessions of illness",
    "days": "Days",
    "baseline_attendance_percent": "Attendance % when monitoring began",
}


@register.filter
def label(key):
    return LABELS.get(key, str(key).replace("_", " ").capitalize())


@register.filter
def isodate(value):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


@register.filter
def yesno_value(value):
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "–" if value is None else value
