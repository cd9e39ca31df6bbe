"""Retention for what families send the school: evidence files and parents' absence reports
(registered with registers.retention from AbsencesConfig.ready; periods in settings.RETENTION_YEARS)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from registers.retention import Swept, delete_rows

from .models import AbsenceReport, EvidenceFile


def _start(cutoff: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))


def sweep_evidence_files(cutoff: dt.date) -> Swept:
    """Files uploaded before the cutoff: the stored file and its record."""
    swept = Swept()
    for evidence in EvidenceFile.objects.filter(uploaded_at__lt=_start(cutoff)).order_by("uploaded_at"):
        swept.remove_file(evidence.file)
        swept.add(evidence.pk, timezone.localdate(evidence.uploaded_at))
    delete_rows(EvidenceFile, swept.ids)
    return swept


def sweep_parents_reports(cutoff: dt.date) -> Swept:
    """Reports sent and about absences before the cutoff, once no evidence file still hangs on them."""
    swept = Swept()
    reports = (
        AbsenceReport.objects.filter(created_at__lt=_start(cutoff), end_date__lt=cutoff)
        .exclude(Exists(EvidenceFile.objects.filter(report=OuterRef("pk"))))
        .order_by("created_at")
    )
    for pk, created in reports.values_list("pk", "created_at"):
        swept.add(pk, timezone.localdate(created))
    delete_rows(AbsenceReport, swept.ids)
    waiting = AbsenceReport.objects.filter(created_at__lt=_start(cutoff), end_date__lt=cutoff).count()
    if waiting:
        swept.note = f"{waiting} kept while an evidence file attached to them is still inside its own period"
    return swept
