"""The school's letterhead: its details, signatory and school day, and its logo (checked by its
content and stored privately under a new name, so letters already produced keep theirs)."""

from __future__ import annotations

import filetype
from django.core.files.base import ContentFile
from django.db import transaction

from ..errors import LetterError
from ..models import Letterhead
from ..svg_logo import SvgRefused, check_svg

LOGO_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


def save_letterhead(*, school, user, logo=None, remove_logo: bool = False, **values) -> Letterhead:
    """Change the school's letterhead. A new logo is checked by its content (PNG, JPEG or SVG)
    and stored privately under a new name, so letters already produced keep showing theirs."""
    allowed = {
        "font",
        "address",
        "telephone",
        "email",
        "website",
        "footer",
        "signatory_name",
        "signatory_position",
        "accent_colour",
        "school_day_minutes",
    }
    unknown = set(values) - allowed
    if unknown:
        raise LetterError(f"Unknown letterhead field: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    content = content_type = None
    if logo is not None:
        content = logo.read()
        if len(content) > MAX_LOGO_BYTES:
            raise LetterError("The logo must be smaller than 2 MB.", field="logo")
        content_type = logo_type(content)
    with transaction.atomic():
        letterhead = Letterhead.for_school(school)
        letterhead = Letterhead.objects.select_for_update().get(pk=letterhead.pk)
        for name, value in values.items():
            setattr(letterhead, name, value.strip() if isinstance(value, str) else value)
        if remove_logo:
            letterhead.logo, letterhead.logo_content_type = "", ""
        if content is not None:
            letterhead.logo_content_type = content_type
            letterhead.logo.save("logo" + LOGO_TYPES[content_type], ContentFile(content), save=False)
        try:
            letterhead.full_clean(exclude=["school"])
        except Exception as error:
            messages = getattr(error, "message_dict", {})
            name = next(iter(messages), None)
            text = "; ".join(m for ms in messages.values() for m in ms) if messages else str(error)
            raise LetterError(text, field=name)
        letterhead._history_user = user
        letterhead.save()
    return letterhead


def logo_type(content: bytes) -> str:
    """PNG, JPEG or SVG by content, or LetterError saying why not; an SVG must pass the
    allow-list of `letters.svg_logo` (drawing only: no script, no links out, no handlers)."""
    kind = filetype.guess(content)
    if kind is not None and kind.mime in ("image/png", "image/jpeg"):
        return kind.mime
    head = content[:2048].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        try:
            check_svg(content)
        except SvgRefused as error:
            raise LetterError(f"This SVG logo cannot be used: {error} Export it again as plain SVG.", field="logo")
        return "image/svg+xml"
    raise LetterError(
        "This file is not a PNG, JPEG or SVG image (its content was checked, not its name).", field="logo"
    )
