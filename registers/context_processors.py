from .permissions import AGGREGATE_ONLY, OFFICE_TEAM, TEACHERS
from .selectors import family_school_name


def staff(request):
    """The signed-in member of staff (or None) and which menu they get: one place decides
    the navigation for every app's pages."""
    user = getattr(request, "user", None)
    member = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
    role = None
    if member is not None:
        if member.position in OFFICE_TEAM:
            role = "office"
        elif member.position in TEACHERS:
            role = "teacher"
        elif member.position in AGGREGATE_ONLY:
            role = "aggregate"
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = match.namespace or match.url_name or ""
        if match.namespace == "registers" and (match.url_name or "").startswith("office"):
            section = "office-registers"
        elif match.url_name in ("pupil-list", "pupil-detail"):
            section = "pupils"
        elif match.namespace == "reports" and match.url_name == "at-a-glance":
            section = "home"  # the governors' and trust leaders' home page
        elif match.namespace == "reports" and match.url_name != "governors":
            section = "analysis" if match.url_name == "analysis" else "reports-other"
    brand = ""
    if member is not None:
        brand = member.school.name if member.school_id else member.trust.name if member.trust_id else ""
    if member is None and user is not None and user.is_authenticated:
        brand = family_school_name(user)
    return {"current_staff": member, "nav_role": role, "nav_section": section, "brand_name": brand or "Attendance"}
