"""Letters to families: the school's letterhead, its editable templates, batches, and the record
of every letter produced.

- `Letterhead`: one per school (logo stored privately, font installed on disk, signatory).
- `LetterTemplate`: staff-edited text (sandboxed Django template source, see `letters.sandbox`);
  each saved change bumps `version` and writes an immutable `LetterTemplateVersion`, so a letter
  can always be shown again with exactly the text it used. Edits are audited (simple-history).
- `Batch`: many letters produced together on the workers, with progress and per-pupil errors;
  `BatchPart`: a slice of its pupils produced by one task (in parallel), the parts joined in order.
- `Letter`: the record. Its text, data and PDF never change; only how it was delivered may be
  added to later (`DELIVERY_FIELDS`)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from common.storage import private_storage
from registers.models import Contact, Pupil, School


def _private_name(prefix: str, school_id: int, extension: str) -> str:
    # Stored names never carry a pupil's name or anything a user typed.
    return f"letters/{school_id}/{prefix}/{dt.date.today():%Y/%m}/{uuid.uuid4().hex}{extension}"


def logo_path(instance, filename):
    extension = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}.get(
        instance.logo_content_type, ".bin"
    )
    return _private_name("logo", instance.school_id, extension)


def letter_pdf_path(instance, filename):
    return _private_name("letters", instance.school_id, ".pdf")


def batch_pdf_path(instance, filename):
    return _private_name("batches", instance.school_id, ".pdf")


def batch_part_pdf_path(instance, filename):
    return _private_name("batches", instance.batch.school_id, ".part.pdf")


FONT_CHOICES = [
    ("DejaVu Sans", "DejaVu Sans"),
    ("DejaVu Serif", "DejaVu Serif"),
    ("Liberation Sans", "Liberation Sans (like Arial)"),
    ("Liberation Serif", "Liberation Serif (like Times)"),
]

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give the colour as # and six hexadecimal digits, e.g. #1d4f91.")


# The plausible length of a school day in minutes, for "hours of learning lost" in letters.
SCHOOL_DAY_MINUTES = (180, 600)


class Letterhead(models.Model):
    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="letterhead")
    logo = models.FileField(storage=private_storage, upload_to=logo_path, max_length=300, blank=True)
    logo_content_type = models.CharField(max_length=40, blank=True, help_text="Found by reading the file")
    font = models.CharField(max_length=40, choices=FONT_CHOICES, default="DejaVu Sans")
    address = models.TextField(blank=True)
    telephone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.CharField(max_length=200, blank=True)
    footer = models.TextField(blank=True, help_text="Printed at the foot of every page")
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_position = models.CharField(max_length=200, blank=True)
    accent_colour = models.CharField(max_length=7, default="#1d4f91", validators=[hex_colour])
    school_day_minutes = models.PositiveSmallIntegerField(
        default=390,
        help_text="Length of the school day used to show learning lost in hours (390 = 6 h 30 min, "
        "the 32.5-hour week the DfE expects)",
        validators=[
            MinValueValidator(
                SCHOOL_DAY_MINUTES[0],
                f"A school day is at least {SCHOOL_DAY_MINUTES[0]} minutes (3 hours); 390 is 6½ hours.",
            ),
            MaxValueValidator(
                SCHOOL_DAY_MINUTES[1],
                f"A school day is at most {SCHOOL_DAY_MINUTES[1]} minutes (10 hours); 390 is 6½ hours.",
            ),
        ],
    )
    history = HistoricalRecords()

    def __str__(self):
        return f"Letterhead of {self.school}"

    @classmethod
    def for_school(cls, school: School) -> Letterhead:
        """The school's letterhead, created from the school's own details the first time."""
        letterhead = cls.objects.filter(school=school).first()
        if letterhead is None:
            from registers.models import Staff

            head = (
                Staff.objects.filter(school=school, position=Staff.Position.HEADTEACHER)
                .select_related("user")
                .order_by("pk")
                .first()
            )
            letterhead, _ = cls.objects.get_or_create(
                school=school,
                defaults={
                    "address": _without_name(school.address, school.name),
                    "telephone": school.telephone,
                    "email": school.email,
                    "signatory_name": head.display_name if head else "",
                    "signatory_position": "Headteacher" if head else "",
                },
            )
        return letterhead


def _without_name(address: str, name: str) -> str:
    """A school's address often starts with its name, which the letterhead prints anyway."""
    lines = [line for line in (address or "").splitlines() if line.strip()]
    if lines and lines[0].strip().lower() == name.strip().lower():
        lines = lines[1:]
    return "\n".join(lines)


class LetterTemplate(models.Model):
    class Kind(models.TextChoices):
        LETTER = "letter", "Letter"
        CERTIFICATE = "certificate", "Certificate"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="letter_templates")
    key = models.SlugField(max_length=80, help_text="The name policy rules use, e.g. persistent_absence")
    title = models.CharField(max_length=200)
    purpose = models.CharField(max_length=300, blank=True, help_text="When staff would use it")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.LETTER)
    subject = models.CharField(max_length=300, help_text="One line: the heading and e-mail subject")
    body = models.TextField()
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["school", "key"], name="one_letter_template_per_key")]

    def __str__(self):
        return self.title

    def version_row(self, number: int) -> LetterTemplateVersion:
        return self.versions.get(version=number)

    def body_at_version(self, number: int) -> str:
        return self.version_row(number).body

    def subject_at_version(self, number: int) -> str:
        return self.version_row(number).subject


class LetterTemplateVersion(models.Model):
    """The exact text of one version of a template (written once, never changed)."""

    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=LetterTemplate.Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [models.UniqueConstraint(fields=["template", "version"], name="one_row_per_template_version")]

    def __str__(self):
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A template version is kept exactly as it was used; save a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Template versions are kept: letters on record refer to them.")


class Delivery(models.TextChoices):
    PRINT = "print", "Printed"
    EMAIL = "email", "E-mailed"


class Batch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Producing letters"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="letter_batches")
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="batches")
    template_version = models.PositiveIntegerField()
    letter_date = models.DateField(help_text="The date the letters carry and their figures run to")
    pupil_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Phase(models.TextChoices):
        WAITING = "", "Waiting"
        PREPARING = "preparing", "Preparing the letters in parts"
        SAVING = "saving", "Joining and saving the letters"
        SENDING = "sending", "Sending the e-mails"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.WAITING, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to=batch_pdf_path, max_length=300, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PRINT)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"

    def __str__(self):
        return f"{self.template.title}: {self.total} letters ({self.created_at:%d %b %Y})"

    @property
    def progress_percent(self) -> int:
        """The parts (each a slice of the letters, prepared and laid out by one task) are most of
        the work: 90 % as their letters are done; joining and saving them, then the e-mails, the
        rest."""
        if self.finished:
            return 100
        if self.phase == self.Phase.PREPARING and self.total:
            return min(90, round(90 * (self.done + self.failed) / self.total))
        return {self.Phase.SAVING: 92, self.Phase.SENDING: 95}.get(self.phase, 0)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def get_absolute_url(self):
        return reverse("letters:batch", args=[self.pk])


class BatchPart(models.Model):
    """A slice of a batch's pupils (in the batch's order) produced by one task: their letters
    prepared and laid out as one PDF, and what each letter's record will hold. The batch's print
    is its parts' PDFs joined in order (`letters.services.batches.join_batch`), after which the
    part's PDF and articles (copies by then) are cleared; a part that fails is produced again on
    its own."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        DONE = "done", "Produced"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    pupil_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(storage=private_storage, upload_to=batch_part_pdf_path, max_length=300, blank=True)
    pages = models.PositiveIntegerField(default=0)
    letters = models.JSONField(default=list, blank=True, help_text="Each letter's record, pages counted in this part")
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="one_part_per_batch_index")]

    def __str__(self):
        return f"Part {self.index + 1} of batch {self.batch_id}"


class LetterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("A letter on record is never changed in bulk.")

    def delete(self):
        raise ValidationError("Letters on record are kept.")


class Letter(models.Model):
    """One letter produced (printed or e-mailed). Never overwritten."""

    DELIVERY_FIELDS = frozenset({"delivery", "emailed_to", "sent_at"})

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="letters")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="letters")
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="letters")
    template_version = models.PositiveIntegerField()
    subject = models.CharField(max_length=300)
    data = models.JSONField(help_text="The merge data the letter showed")
    html = models.TextField(help_text="The rendered letter (body and its letterhead)")
    pdf = models.FileField(storage=private_storage, upload_to=letter_pdf_path, max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveSmallIntegerField(default=1)
    addressee = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="letters")
    addressee_name = models.CharField(max_length=300, blank=True)
    household = models.CharField(
        max_length=64, blank=True, help_text="Letters to the same household in one batch share a PDF for e-mail"
    )
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    produced_by_name = models.CharField(max_length=200)
    produced_by_position = models.CharField(max_length=100, blank=True)
    produced_at = models.DateTimeField()
    letter_date = models.DateField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PRINT)
    emailed_to = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="letters")
    batch_first_page = models.PositiveIntegerField(null=True, blank=True)
    action = models.ForeignKey(
        "interventions.Action", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    case_step = models.ForeignKey(
        "interventions.CaseStep", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    alert = models.ForeignKey(
        "interventions.Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    leave_request = models.ForeignKey(
        "absences.LeaveRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    history = HistoricalRecords(excluded_fields=["html", "data"])
    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-produced_at", "-id"]
        indexes = [models.Index(fields=["school", "produced_at"]), models.Index(fields=["pupil", "produced_at"])]
        constraints = [
            # Re-running a batch never duplicates a letter.
            models.UniqueConstraint(
                fields=["batch", "pupil", "household"],
                condition=models.Q(batch__isnull=False),
                name="one_letter_per_batch_pupil_household",
            )
        ]

    def __str__(self):
        return f"{self.subject} — {self.pupil.name} ({self.produced_at:%d %b %Y})"

    def get_absolute_url(self):
        return reverse("letters:letter", args=[self.pk])

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.DELIVERY_FIELDS:
                raise ValidationError("A letter on record is never changed; only its delivery can be recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Letters on record are kept.")
