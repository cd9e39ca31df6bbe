"""Legal interventions recorded on a case (prosecution, a parenting order, an education
supervision order …): decided by the headteacher or senior attendance champion."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from ..models import Case, LegalStep


def record_legal_step(*, case: Case, kind: str, on: dt.date, notes: str = "", reference: str = "", user=None):
    if kind not in LegalStep.Kind.values:
        raise ValidationError("Unknown legal intervention.")
    return LegalStep.objects.create(case=case, kind=kind, date=on, notes=notes, reference=reference, created_by=user)
