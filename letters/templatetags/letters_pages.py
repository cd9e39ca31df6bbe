"""Tags for the letters panels other apps' pages include (the case page, the pupil page): each
panel reads its own data, so the including view needs no change."""

from django import template

from .. import selectors

register = template.Library()


def _allowed(user, school) -> dict:
    return {
        "can_produce": user.has_perm("letters.produce", school),
        "can_view": user.has_perm("letters.view_letter", school) or user.has_perm("letters.produce", school),
    }


@register.simple_tag(takes_context=True)
def case_letters(context, case):
    """The case's letters on record and the letters its actions still ask for."""
    user = context["request"].user
    allowed = _allowed(user, case.school)
    if not allowed["can_view"]:
        return {"visible": False}
    letters = list(selectors.letters_for_pupil(case.pupil_id)[:20])
    pending = selectors.pending_letters(case.school, case=case) if allowed["can_produce"] else []
    return {"visible": True, "letters": letters, "pending": pending, **allowed}


@register.simple_tag(takes_context=True)
def pupil_letters(context, pupil):
    """A pupil's letters on record, and any a case or alert still asks for."""
    user = context["request"].user
    allowed = _allowed(user, pupil.school)
    if not allowed["can_view"]:
        return {"visible": False}
    letters = list(selectors.letters_for_pupil(pupil)[:20])
    pending = selectors.pending_letters(pupil.school, pupil=pupil) if allowed["can_produce"] else []
    return {"visible": True, "letters": letters, "pending": pending, **allowed}
