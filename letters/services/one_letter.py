"""One letter, produced now and kept on record: the version, the data it showed, the rendered
HTML and the PDF (stored privately), who produced it and when, and what it answers (a case action,
which it completes; an alert; a case step; a leave request). Also the decision letter a decided
leave request makes, once."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from absences.models import LeaveRequest
from interventions.models import CaseStep
from interventions.services import complete_action
from registers.models import Pupil
from registers.services import Actor

from .. import pdf
from ..errors import LetterError
from ..models import Delivery, Letter, LetterTemplate
from ..rendering import document_font, prepare_one
from ..selectors import LEAVE_DECISION_TEMPLATES, active_template


def _link_checks(pupil, action, alert, case_step, leave_request):
    if action is not None and action.case.pupil_id != pupil.pk:
        raise LetterError("That action is on another pupil's case.", field="action", pupil=pupil)
    if alert is not None and alert.pupil_id != pupil.pk:
        raise LetterError("That alert is about another pupil.", field="alert", pupil=pupil)
    if case_step is not None and case_step.case.pupil_id != pupil.pk:
        raise LetterError("That case step is on another pupil's case.", field="case_step", pupil=pupil)
    if leave_request is not None and leave_request.pupil_id != pupil.pk:
        raise LetterError("That leave request is for another pupil.", field="leave_request", pupil=pupil)


def _alert_step(alert):
    if alert is None:
        return None
    return CaseStep.objects.filter(alert=alert, kind=CaseStep.Kind.ALERT).first()


def producer(user) -> tuple[str, str]:
    """The name and position a letter records as who produced it (the system for the workers)."""
    if user is None:
        return "Attendance system", "Automatic"
    actor = Actor.for_user(user)
    return actor.name, actor.position


def produce_letter(
    *,
    template: LetterTemplate,
    pupil: Pupil,
    user,
    on: dt.date,
    delivery: str = "print",
    contact=None,
    action=None,
    alert=None,
    case_step=None,
    leave_request=None,
    options: dict | None = None,
) -> Letter:
    """Produce one letter about `pupil` and keep it on record (HTML, data, PDF). The addressee is
    `contact`, or every contact the pupil lives with at the main address. Linked to a case
    action (which it completes), alert, case step or leave request when given."""
    if delivery not in Delivery.values:
        raise LetterError("Deliver a letter by print or e-mail.", field="delivery")
    if template.school_id != pupil.school_id:
        raise LetterError("That template belongs to another school.", field="template", pupil=pupil)
    if contact is not None and contact.pupil_id != pupil.pk:
        raise LetterError("That contact is not one of the pupil's.", field="contact", pupil=pupil)
    if action is not None and alert is None:
        alert = action.alert
    _link_checks(pupil, action, alert, case_step, leave_request)
    case_step = case_step or _alert_step(alert)
    one = prepare_one(
        template=template,
        pupil=pupil,
        on=on,
        delivery=delivery,
        contact=contact,
        leave_request=leave_request,
        options=options,
    )
    content = pdf.lay_out(
        pdf.document_html([one.article], title=one.subject, font=document_font(one.data)), [one.anchor]
    )
    pdf_bytes = content.write()
    name, position = producer(user)
    uses_leave = "leave" in one.data
    with transaction.atomic():
        letter = Letter(
            school=pupil.school,
            pupil=pupil,
            template=template,
            template_version=one.version.version,
            subject=one.subject,
            data=one.data,
            html=one.article,
            pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
            pages=len(content.document.pages),
            addressee=one.prepared.addressee,
            addressee_name=one.prepared.data.get("parent", {}).get("names", ""),
            household=one.prepared.household,
            produced_by=user,
            produced_by_name=name,
            produced_by_position=position,
            produced_at=timezone.now(),
            letter_date=on,
            delivery=delivery,
            action=action,
            alert=alert,
            case_step=case_step,
            leave_request=leave_request or (one.prepared.leave_request if uses_leave else None),
        )
        letter.pdf.save("letter.pdf", ContentFile(pdf_bytes), save=False)
        letter._history_user = user
        letter.save()
        if action is not None and action.letter_template and action.done_on is None:
            complete_letter_action(action, on, letter)
    return letter


def complete_letter_action(action, on, letter) -> None:
    """The case action that asked for this letter is done (the interventions service keeps
    the figures on it)."""
    how = "e-mailed" if letter.delivery == Delivery.EMAIL else "printed"
    complete_action(action=action, done_on=on, outcome=f"Letter produced ({how}): {letter.subject}")


def produce_leave_decision_letter(*, leave_request, user=None) -> Letter | None:
    """The decision letter for a decided leave request (granted or refused), once: a second call
    returns the letter already produced. None if the school has no template for it."""
    with transaction.atomic():
        request = LeaveRequest.objects.select_for_update().select_related("pupil__school").get(pk=leave_request.pk)
        existing = Letter.objects.filter(leave_request=request).order_by("pk").first()
        if existing is not None:
            return existing
        key = LEAVE_DECISION_TEMPLATES.get(request.status)
        if key is None:
            return None
        template = active_template(request.school, key)
        if template is None:
            return None
        return produce_letter(
            template=template,
            pupil=request.pupil,
            user=user or request.decided_by,
            on=timezone.localdate(),
            contact=request.contact if request.contact_id and request.contact.pupil_id == request.pupil_id else None,
            leave_request=request,
        )
