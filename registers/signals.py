import datetime as dt
from dataclasses import dataclass

from django.db.models.signals import post_migrate, post_save
from django.dispatch import Signal, receiver

from .audit_triggers import install_audit_triggers
from .codes import load_codes
from .mark_reads import reread_codes


@receiver(post_migrate, dispatch_uid="registers.after_migrate")
def _after_migrate(sender, app_config, using, **kwargs):
    """Keep the national codes and the audit triggers in place after every migrate or
    test flush (a flush empties tables; post_migrate follows it)."""
    if app_config.label == "registers":
        from .models import AttendanceCode

        load_codes(AttendanceCode.objects.db_manager(using).model)
        reread_codes(using)  # the process's copy of the table (mark_reads.code_table)
        install_audit_triggers(using)


@receiver(post_save, sender="registers.Staff", dispatch_uid="registers.staff_position_group")
def _staff_position_group(sender, instance, **kwargs):
    """Keep each member of staff in the Django group named after their position, so the
    admin's user list and any group-based tooling agree with the position on record."""
    from django.contrib.auth.models import Group

    from .models import Staff

    names = {label for _, label in Staff.Position.choices}
    wanted = instance.get_position_display()
    group, _ = Group.objects.get_or_create(name=wanted)
    instance.user.groups.remove(*instance.user.groups.filter(name__in=names - {wanted}))
    instance.user.groups.add(group)


@dataclass(frozen=True)
class PupilPanel:
    """A section another app adds to the staff pupil page: the template it is drawn with, what
    that template is given (as `panel`), and where it goes among the other panels."""

    template: str
    context: dict
    order: int = 50


# Sent by the staff pupil page (sender=Pupil) with `pupil` and `request`: apps above registers
# (lessons: the week's lessons beside the sessions) answer with a `PupilPanel`, or None when they
# have nothing for this pupil, so the page shows their part without importing them.
pupil_page_panels = Signal()


@dataclass(frozen=True)
class Waiting:
    """One kind of work waiting for the office, as its home page counts it: what, how many, where."""

    label: str
    count: int
    url: str
    order: int = 50


# Sent by the office's home page with `school` and `staff` (the reader); apps above registers
# (absences: reports, first-day calls, leave; lessons: truancy alerts) answer with a list of
# `Waiting`, so the home page counts their work without importing them.
office_waiting = Signal()


@dataclass(frozen=True)
class Suggestion:
    """A mark the register page suggests for an unmarked pupil (the teacher still submits it):
    the code, when a late pupil arrived, and where it comes from, as the page says it."""

    code: str
    arrived: dt.time | None
    source: str


# Sent by the register page with `register` (a statutory register) and `pupil_ids` (its unmarked
# pupils); an app above registers answers with {pupil id: Suggestion} — the lessons app with the
# marks of the lesson that holds the session, where the school pre-fills from it. Nothing is
# written: the suggestions are shown as the page's pre-filled choices.
register_suggestions = Signal()


def suggestions_for(register, pupil_ids) -> dict[int, Suggestion]:
    """The suggested marks for `pupil_ids` on `register` (none asked for when every pupil has a mark)."""
    found: dict[int, Suggestion] = {}
    if not pupil_ids:
        return found
    for _receiver, answer in register_suggestions.send(sender=type(register), register=register, pupil_ids=pupil_ids):
        for pupil_id, suggestion in (answer or {}).items():
            found.setdefault(pupil_id, suggestion)
    return found


# Sent by lessons' internal-truancy check with `school`, `date`, `session` and `pupil_ids` (pupils
# seen earlier today and now missing from a lesson). Apps that know why a pupil may be out of a
# lesson (absences: a parent's report, granted leave, a medical appointment) answer with
# {pupil_id: reason as a sentence}; a pupil named in any answer raises no alert. Registers cannot
# import those apps, and lessons may not import absences: the question goes through here.
known_reasons = Signal()

# Sent after a batch of marks is committed by `record_marks` with `school`, `marks` (the marks
# created or amended, codes attached), `source` and `now`: lessons clears an internal-truancy alert
# when a pupil is signed in late at the office.
marks_recorded = Signal()
