"""Letters as the parent portal sees them (absences.family_letters): the PDFs on record about the
family's children — only theirs, only those with a PDF."""

from __future__ import annotations

from absences.family_letters import FamilyLetter

from .models import Letter


def family_letters(pupil_ids) -> list[FamilyLetter]:
    letters = (
        Letter.objects.filter(pupil_id__in=list(pupil_ids))
        .exclude(pdf="")
        .order_by("-letter_date", "-pk")
        .values_list("pk", "pupil_id", "subject", "letter_date")
    )
    return [FamilyLetter(*row) for row in letters]


def open_family_letter(letter_id: int, pupil_ids):
    letter = Letter.objects.filter(pk=letter_id, pupil_id__in=list(pupil_ids)).exclude(pdf="").first()
    if letter is None:
        return None
    try:
        handle = letter.pdf.open("rb")
    except FileNotFoundError:
        return None
    return handle, f"letter-{letter.letter_date:%Y-%m-%d}-{letter.pk}.pdf"
