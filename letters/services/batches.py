"""Batches: letters for many pupils produced on the workers (`letters.tasks.render_batch`). Data
for all the pupils at once, one HTML document laid out once by WeasyPrint, the print PDF (or one
PDF per household for e-mail, sent once per household), a record per letter, and progress the
page reads as it goes. A letter that fails is listed with the pupil and field; the others go on."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from interventions.models import Action
from registers.models import Pupil
from registers.selectors import pupils_on_roll

from .. import pdf
from ..errors import LetterError
from ..fields.data import OptionError, build_letters
from ..fields.formatting import to_plain
from ..models import Batch, Delivery, Letter, LetterTemplate
from ..rendering import anchor_for, compile_text, delivery_fields, document_font, options_error, render_article
from ..tasks import render_batch
from .delivery import email_letter
from .one_letter import complete_letter_action, producer

log = logging.getLogger(__name__)

# A batch marked running more recently than this is being produced by another worker.
RUN_CLAIM = dt.timedelta(minutes=15)


def _check_options(options: dict) -> dict:
    options = dict(options or {})
    for name in ("since", "period_from", "period_to", "meeting_date"):
        value = options.get(name)
        if isinstance(value, dt.date):
            options[name] = value.isoformat()
        elif value not in (None, ""):
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise LetterError(f"“{value}” is not a date.", field=name)
    if isinstance(options.get("meeting_time"), dt.time):
        options["meeting_time"] = options["meeting_time"].strftime("%H:%M")
    return options


def start_batch(*, template: LetterTemplate, pupils, user, on: dt.date, delivery: str = "print", options=None) -> Batch:
    """Queue a batch of letters (one per pupil and household) for `letters.tasks.render_batch`.

    `options` may carry `links`: {pupil id: {"action": id, "alert": id}} to tie each letter to
    the case action or alert it answers."""
    if delivery not in Delivery.values:
        raise LetterError("Deliver letters by print or e-mail.", field="delivery")
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in pupils))
    if not ids:
        raise LetterError("Choose at least one pupil.", field="pupils")
    valid = set(Pupil.objects.filter(school=template.school, pk__in=ids).values_list("pk", flat=True))
    if len(valid) != len(ids):
        raise LetterError("Some of those pupils are not at this school.", field="pupils")
    # issue 17: only pupils on roll on the letter date (a family that has left gets no letter)
    on_roll = set(
        pupils_on_roll(school=template.school, date_from=on, date_to=on, include_subsidiary=True)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    ids = [pk for pk in ids if pk in on_roll]
    if not ids:
        raise LetterError(f"None of those pupils is on roll on {on:%d %B %Y}.", field="pupils")
    compile_text(template.subject, template.body)
    options = _check_options(options)
    with transaction.atomic():
        batch = Batch.objects.create(
            school=template.school,
            template=template,
            template_version=template.version,
            letter_date=on,
            pupil_ids=ids,
            created_by=user,
            total=len(ids),
            delivery=delivery,
            options=options,
        )
        render_batch.delay_on_commit(batch.pk)
    return batch


def _error(pupil, field, message) -> dict:
    return {"pupil_id": pupil.pk, "pupil": pupil.name, "field": field or "", "message": message}


def _progress(batch: Batch, **values) -> None:
    """Progress is written outside the batch's own work so the page sees it at once."""
    Batch.objects.filter(pk=batch.pk).update(**values)
    for name, value in values.items():
        setattr(batch, name, value)


def run_batch(*, batch: Batch, redelivered: bool = False) -> Batch:
    """Produce a batch's letters: data for all pupils at once, one HTML document, laid out once
    by WeasyPrint; the print PDF (or one PDF per household for e-mail); a record per letter.
    A letter that fails (no address, a field with no data) is listed with the pupil and field
    and the others go on. Running it again for a finished batch does nothing.

    `redelivered`: the broker gave this task back because the worker running it was lost
    (killed mid-batch), so the batch's running claim is that dead worker's and is taken over;
    letters already recorded are kept and households already e-mailed are not e-mailed again."""
    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update(of=("self",))
            .select_related("template", "school", "created_by")
            .get(pk=batch.pk)
        )
        if batch.status == Batch.Status.DONE:
            return batch
        if batch.status == Batch.Status.RUNNING and batch.started_at > timezone.now() - RUN_CLAIM and not redelivered:
            return batch  # another worker has it (a task may be delivered twice)
        batch.status, batch.phase, batch.started_at = Batch.Status.RUNNING, Batch.Phase.PREPARING, timezone.now()
        batch.errors, batch.done, batch.failed = [], 0, 0
        batch.save()
    try:
        return _run_batch(batch)
    except Exception as error:  # the batch says what went wrong; the task may be retried
        log.exception("letter batch %s failed", batch.pk)
        message = error.message if isinstance(error, LetterError) else f"The batch stopped: {error}"
        _progress(
            batch,
            status=Batch.Status.FAILED,
            finished_at=timezone.now(),
            errors=[
                *batch.errors,
                {"pupil_id": None, "pupil": "", "field": getattr(error, "field", "") or "", "message": message},
            ],
        )
        return batch


def _run_batch(batch: Batch) -> Batch:
    template = batch.template
    version = template.version_row(batch.template_version)
    compiled = compile_text(version.subject, version.body)
    links = {int(k): v for k, v in (batch.options.get("links") or {}).items()}
    kind_delivery = batch.delivery if version.kind == LetterTemplate.Kind.LETTER else "certificate"
    try:
        prepared = build_letters(
            school=batch.school,
            pupils=batch.pupil_ids,
            on=batch.letter_date,
            fields=set(compiled.fields),
            options=batch.options,
            delivery=kind_delivery,
            all_households=batch.options.get("households", "all") != "main",
        )
    except OptionError as error:
        raise options_error(error)
    _progress(batch, total=len(prepared))

    # 1. each letter's HTML (failures listed, the rest go on)
    errors, ready = [], []
    step = max(1, len(prepared) // 20)
    for n, item in enumerate(prepared, start=1):
        if item.error:
            errors.append(_error(item.pupil, item.error_field, item.error))
        else:
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
                errors.append(_error(item.pupil, error.field, error.message))
            else:
                ready.append((item, data, anchor, subject, article))
        if n % step == 0 or n == len(prepared):
            _progress(batch, done=len(ready), failed=len(errors), errors=errors)

    if not ready:
        _progress(batch, status=Batch.Status.FAILED, finished_at=timezone.now(), errors=errors)
        return batch

    # 2. one document, laid out once
    _progress(batch, phase=Batch.Phase.LAYING_OUT)
    anchors = [r[2] for r in ready]
    html = pdf.document_html([r[4] for r in ready], title=version.title, font=document_font(ready[0][1]))
    laid = pdf.lay_out(html, anchors)

    # 3. the PDFs: the print PDF of the whole batch, or one per household for e-mail
    _progress(batch, phase=Batch.Phase.SAVING)
    name, position = producer(batch.created_by)
    now = timezone.now()
    letters, files = [], {}
    if batch.delivery == Delivery.PRINT:
        batch_pdf = laid.write()
        batch.pdf.save("batch.pdf", ContentFile(batch_pdf), save=False)
    else:
        households: dict[str, list] = {}
        for r in ready:
            households.setdefault(r[0].household, []).append(r[2])
        for household, household_anchors in households.items():
            content = laid.write(household_anchors)
            stored = Letter.pdf.field.storage.save(
                Letter.pdf.field.generate_filename(Letter(school=batch.school), "letter.pdf"), ContentFile(content)
            )
            files[household] = (stored, hashlib.sha256(content).hexdigest())
    existing = set(Letter.objects.filter(batch=batch).values_list("pupil_id", "household"))
    for item, data, anchor, subject, article in ready:
        if (item.pupil.pk, item.household) in existing:
            continue
        link = links.get(item.pupil.pk, {})
        letter = Letter(
            school=batch.school,
            pupil=item.pupil,
            template=template,
            template_version=version.version,
            subject=subject,
            data=data,
            html=article,
            pages=len(laid.pages[anchor]),
            addressee=item.addressee,
            addressee_name=item.data.get("parent", {}).get("names", ""),
            household=item.household,
            produced_by=batch.created_by,
            produced_by_name=name,
            produced_by_position=position,
            produced_at=now,
            letter_date=batch.letter_date,
            delivery=batch.delivery,
            batch=batch,
            batch_first_page=laid.pages[anchor][0] + 1,
            action_id=link.get("action"),
            alert_id=link.get("alert"),
        )
        if item.household in files:
            letter.pdf.name, letter.pdf_sha256 = files[item.household]
        letters.append(letter)

    emailing = batch.delivery == Delivery.EMAIL
    with transaction.atomic():
        created = bulk_create_with_history(letters, Letter, batch_size=500, default_user=batch.created_by)
        batch.done, batch.failed, batch.errors = len(ready), len(errors), list(errors)
        if emailing:
            batch.phase = Batch.Phase.SENDING
        else:
            batch.status, batch.finished_at, batch.phase = Batch.Status.DONE, timezone.now(), Batch.Phase.WAITING
        batch.save()
        _complete_linked_actions(batch, created)

    if emailing:
        errors += _send_batch(batch)
        _progress(
            batch,
            status=Batch.Status.DONE,
            finished_at=timezone.now(),
            phase=Batch.Phase.WAITING,
            errors=errors,
            failed=len({(e["pupil_id"], e["field"]) for e in errors}),
        )
    return batch


def _complete_linked_actions(batch, letters) -> None:
    ids = [letter.action_id for letter in letters if letter.action_id]
    for action in Action.objects.filter(pk__in=ids, done_on__isnull=True).exclude(letter_template=""):
        letter = next(letter for letter in letters if letter.action_id == action.pk)
        complete_letter_action(action, batch.letter_date, letter)


def _send_batch(batch) -> list[dict]:
    """E-mail each household's PDF once (siblings' letters travel together); the failures."""
    sent, errors = set(), []
    for letter in Letter.objects.filter(batch=batch).select_related("pupil", "template", "school").order_by("pk"):
        if letter.pdf.name in sent or letter.sent_at:
            continue
        try:
            email_letter(letter=letter, user=batch.created_by)
        except LetterError as error:
            errors.append(_error(letter.pupil, error.field or "parent.email", error.message))
        sent.add(letter.pdf.name)
    return errors
