def staff(request):
    """The signed-in member of staff (or None), for the page header and navigation."""
    user = getattr(request, "user", None)
    member = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
    return {"current_staff": member}
