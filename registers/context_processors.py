from .rules import AGGREGATE_ONLY, OFFICE_TEAM, TEACHERS


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
        elif match.namespace == "reports" and match.url_name != "governors":
            section = "analysis" if match.url_name == "analysis" else "reports-other"
    return {"current_staff": member, "nav_role": role, "nav_section": section}
