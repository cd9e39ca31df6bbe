"""One part of a batch, produced by one task (`letters.tasks.render_batch_part`): the data for its
pupils at once, each letter's article, the part laid out once by WeasyPrint as one PDF, and what
each letter's record will hold (its pages counted within the part). The batch's parts run in
parallel on the workers; `batches.join_batch` joins them in order. A part is produced once: a
second delivery of its task, or a retry after the part was saved, changes nothing."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .. import pdf
from ..errors import LetterError
from ..fields.data import OptionError, build_letters
from ..fields.formatting import to_plain
from ..models import Batch, BatchPart, LetterTemplate
from ..rendering import anchor_for, compile_text, delivery_fields, document_font, options_error, render_article

log = logging.getLogger(__name__)


def letter_error(pupil, field, message) -> dict:
    """A letter that could not be made, as the batch page lists it."""
    return {"pupil_id": pupil.pk, "pupil": pupil.name, "field": field or "", "message": message}


def run_part(*, part: BatchPart) -> BatchPart:
    """Produce the part's letters (a letter that fails is listed; the others go on) and save
    them with the part. Exceptions propagate: the task retries the part on its own."""
    with transaction.atomic():
        part = BatchPart.objects.select_for_update(of=("self",)).select_related("batch").get(pk=part.pk)
        batch = part.batch
        if part.status != BatchPart.Status.QUEUED or batch.finished or batch.phase != Batch.Phase.PREPARING:
            return part
        part.attempts += 1
        part.save(update_fields=["attempts"])
    batch = Batch.objects.select_related("template", "school").get(pk=batch.pk)
    version = batch.template.version_row(batch.template_version)
    compiled = compile_text(version.subject, version.body)
    try:
        prepared = build_letters(
            school=batch.school,
            pupils=part.pupil_ids,
            on=batch.letter_date,
            fields=set(compiled.fields),
            options=batch.options,
            delivery=batch.delivery if version.kind == LetterTemplate.Kind.LETTER else "certificate",
            all_households=batch.options.get("households", "all") != "main",
        )
    except OptionError as error:
        raise options_error(error)

    errors, ready = [], []
    for item in prepared:
        if item.error:
            errors.append(letter_error(item.pupil, item.error_field, item.error))
            continue
        data = to_plain(item.data)
        anchor = anchor_for(item.pupil.pk, item.household)
        try:
            subject, article = render_article(
                compiled,
                version.kind,
                data,
                anchor,
                browser=False,
                pupil=item.pupil,
                fields=delivery_fields(version.kind, batch.delivery),
            )
        except LetterError as error:
            errors.append(letter_error(item.pupil, error.field, error.message))
        else:
            ready.append((item, data, anchor, subject, article))

    content, pages, entries = b"", 0, []
    if ready:
        html = pdf.document_html([r[4] for r in ready], title=version.title, font=document_font(ready[0][1]))
        laid = pdf.lay_out(html, [r[2] for r in ready])
        content, pages = laid.write(), len(laid.document.pages)
        entries = [
            {
                "pupil_id": item.pupil.pk,
                "household": item.household,
                "addressee_id": item.addressee.pk if item.addressee is not None else None,
                "addressee_name": item.data.get("parent", {}).get("names", ""),
                "subject": subject,
                "data": data,
                "html": article,
                "first_page": laid.pages[anchor][0],
                "pages": len(laid.pages[anchor]),
            }
            for item, data, anchor, subject, article in ready
        ]
    with transaction.atomic():
        part = BatchPart.objects.select_for_update(of=("self",)).get(pk=part.pk)
        if part.status != BatchPart.Status.QUEUED:
            return part  # another delivery of the task saved it first
        if content:
            part.pdf.save("part.pdf", ContentFile(content), save=False)
        part.pages, part.letters, part.errors = pages, entries, errors
        part.status, part.finished_at = BatchPart.Status.DONE, timezone.now()
        part.save()
    return part


def fail_part(*, part: BatchPart, error: Exception) -> BatchPart:
    """The part cannot be produced (a problem with the batch itself, or retries used up): the
    batch will say why when its parts are joined."""
    message = error.message if isinstance(error, LetterError) else f"The batch stopped: {error}"
    field = getattr(error, "field", "") or ""
    with transaction.atomic():
        part = BatchPart.objects.select_for_update(of=("self",)).get(pk=part.pk)
        if part.status != BatchPart.Status.QUEUED:
            return part
        part.status, part.finished_at = BatchPart.Status.FAILED, timezone.now()
        part.errors = [{"pupil_id": None, "pupil": "", "field": field, "message": message}]
        part.save()
    return part
