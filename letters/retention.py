"""Retention for letters: the record of each letter and its PDF, once the period for letters is over
(registered with registers.retention from LettersConfig.ready; settings.RETENTION_YEARS["letters"]).
A batch's combined PDF goes with the last of its letters."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registers.retention import Swept, delete_rows

from .models import Batch, Letter


def sweep_letters(cutoff: dt.date) -> Swept:
    swept = Swept()
    letters = Letter.objects.filter(letter_date__lt=cutoff, produced_at__lt=timezone.make_aware(
        dt.datetime.combine(cutoff, dt.time.min)))  # fmt: skip
    batches = set()
    for letter in letters.order_by("letter_date", "pk"):
        swept.remove_file(letter.pdf)
        if letter.batch_id:
            batches.add(letter.batch_id)
        swept.add(letter.pk, letter.letter_date)
    delete_rows(Letter, swept.ids)
    emptied = Batch.objects.filter(pk__in=batches).exclude(Exists(Letter.objects.filter(batch=OuterRef("pk"))))
    for batch in emptied.exclude(pdf=""):
        swept.remove_file(batch.pdf)
    # Batch.pdf is a plain field: clearing it records no letter content.
    models.QuerySet.update(emptied, pdf="")
    return swept
