"""What a parent sends with an absence report or a leave request: the children (only their own,
at one school) and the evidence files (checked by their content, stored once for every child)."""

from __future__ import annotations

import filetype

from registers.models import Contact, Pupil

from ..models import EvidenceFile
from ..permissions import parent_contacts
from .errors import AbsenceError

MAX_FILES = 5


def own_children(user, pupils) -> list[tuple[Pupil, Contact]]:
    """Each chosen pupil with the user's contact record for them; refuses a child who is not
    theirs, no child at all, or children at different schools."""
    contacts = {c.pupil_id: c for c in parent_contacts(user)}
    chosen = []
    for pupil in pupils:
        pid = getattr(pupil, "pk", pupil)
        if pid not in contacts:
            raise AbsenceError("You can only report absences for your own children.", "children")
        chosen.append((contacts[pid].pupil, contacts[pid]))
    if not chosen:
        raise AbsenceError("Please choose which child is absent.", "children")
    if len({p.school_id for p, _ in chosen}) > 1:
        raise AbsenceError("Please report children at different schools separately.", "children")
    return chosen


def check_evidence(upload, *, max_mb: int) -> str:
    """The file's real type, read from its content (never its name); refuses anything else."""
    if upload.size > max_mb * 1024 * 1024:
        raise AbsenceError(
            f"'{upload.name}' is {upload.size / 1024 / 1024:.1f} MB. Files can be up to {max_mb} MB: "
            "please send a smaller photo or scan.",
            "evidence",
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime not in EvidenceFile.ALLOWED_TYPES:
        raise AbsenceError(
            f"'{upload.name}' is not a PDF, JPEG, PNG or HEIC file. Please attach a photo or a PDF.", "evidence"
        )
    return mime


def save_evidence(*, school, uploads, user, max_mb, targets: list[dict]) -> None:
    """Store each upload once and link it to every target (a report per child)."""
    for upload in uploads:
        mime = check_evidence(upload, max_mb=max_mb)
        first = None
        for target in targets:
            evidence = EvidenceFile(
                school=school,
                original_name=upload.name[:200],
                content_type=mime,
                size=upload.size,
                uploaded_by=user,
                **target,
            )
            if first is None:
                evidence.file.save("upload", upload, save=False)
                first = evidence.file.name
            else:
                evidence.file.name = first
            evidence.save()
