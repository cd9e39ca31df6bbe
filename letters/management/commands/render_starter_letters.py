"""Render every letter template of a school for one of its pupils, as PDFs in a directory,
without producing (recording) anything: to look at the letters before a school uses them.

    python manage.py render_starter_letters --school URN --out DIR [--pupil UPN] [--on YYYY-MM-DD]

The pupil is the one given, or a pupil on roll with some absence this year (and an open case,
if any pupil has one). Options a template needs (meeting, improvement period, "since") get
sample values; leave letters use the pupil's latest decided leave request, or an example request
that is not saved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registers.models import Pupil, School

CERTIFICATES = {"certificate_100": 100, "certificate_97": 97}


class Command(BaseCommand):
    help = "Render each of a school's letter templates for a pupil to PDF files (nothing is recorded)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's URN")
        parser.add_argument("--out", required=True, help="directory for the PDFs")
        parser.add_argument("--pupil", help="UPN of the pupil (default: one with some absence)")
        parser.add_argument("--on", help="the letters' date (default today)")

    def handle(self, *args, **options):
        from letters.errors import LetterError
        from letters.models import LetterTemplate
        from letters.rendering import draft_pdf
        from letters.services.templates import install_starter_templates

        school = School.objects.filter(urn=options["school"]).first()
        if school is None:
            raise CommandError(f"There is no school with URN {options['school']}.")
        on = dt.date.fromisoformat(options["on"]) if options["on"] else timezone.localdate()
        added = install_starter_templates(school=school)
        if added:
            self.stdout.write(f"Installed {added} starter templates.")
        pupil = self._pupil(school, options.get("pupil"), on)
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Letters for {pupil.name} ({pupil.upn}), dated {on:%d %B %Y}:")
        failures = 0
        for template in LetterTemplate.objects.filter(school=school).order_by("key"):
            leave = self._leave_request(pupil, template.key)
            who = pupil
            if template.key in CERTIFICATES and not options.get("pupil"):
                who = self._deserving(school, on, CERTIFICATES[template.key]) or pupil
            try:
                content = draft_pdf(
                    template=template, pupil=who, on=on, leave_request=leave, options=sample_options(on)
                )
            except LetterError as error:
                failures += 1
                self.stderr.write(f"  {template.key}: {error.message}")
                continue
            path = out / f"{template.key}.pdf"
            path.write_bytes(content)
            self.stdout.write(f"  {path}" + (f" ({who.name})" if who != pupil else ""))
        if failures:
            raise CommandError(f"{failures} template(s) could not be rendered.")

    def _pupil(self, school, upn, on):
        from interventions.models import Case
        from registers.selectors import pupil_figures, pupils_on_roll

        if upn:
            pupil = Pupil.objects.filter(school=school, upn=upn).first()
            if pupil is None:
                raise CommandError(f"There is no pupil with UPN {upn} at {school}.")
            return pupil
        roll = pupils_on_roll(school=school, date_from=on, date_to=on).filter(contacts__lives_with_pupil=True)
        with_case = roll.filter(Exists(Case.objects.filter(pupil=OuterRef("pk"), status=Case.Status.OPEN)))
        candidates = list((with_case if with_case.exists() else roll).distinct().order_by("pk")[:200])
        if not candidates:
            raise CommandError(f"{school} has no pupil on roll with a parent or carer to write to.")
        start = dt.date(on.year if on.month >= 9 else on.year - 1, 9, 1)
        figures = pupil_figures(school=school, date_from=start, date_to=on, pupils=[p.pk for p in candidates])
        # a pupil with some absence, but not the most extreme
        ranked = sorted(candidates, key=lambda p: -(figures[p.pk].absent if p.pk in figures else 0))
        return ranked[min(len(ranked) - 1, len(ranked) // 10)]

    def _deserving(self, school, on, minimum):
        """A pupil whose attendance this term is at least `minimum` %, for a certificate."""
        from registers.calendar import term_for
        from registers.selectors import pupil_figures

        term = term_for(school, on)
        if term is None:
            return None
        figures = pupil_figures(school=school, date_from=term.start_date, date_to=on)
        ids = sorted(pid for pid, f in figures.items() if f.possible and f.attendance_percent >= minimum)
        return Pupil.objects.filter(pk__in=ids, contacts__lives_with_pupil=True).order_by("pk").first()

    def _leave_request(self, pupil, key):
        from absences.models import LeaveRequest

        if key not in ("leave_granted", "leave_refused"):
            return None
        status = LeaveRequest.Status.GRANTED if key == "leave_granted" else LeaveRequest.Status.REFUSED
        decided = LeaveRequest.objects.filter(pupil=pupil, status=status).order_by("-decided_at").first()
        return decided or example_leave_request(pupil, status)


def sample_options(on: dt.date) -> dict:
    meeting = on + dt.timedelta(days=(3 - on.weekday()) % 7 + 7)  # Thursday next week
    return {
        "meeting_date": meeting.isoformat(),
        "meeting_time": "15:30",
        "meeting_place": "the school office",
        "improvement_weeks": 4,
        "since": (on - dt.timedelta(weeks=4)).isoformat(),
    }


def example_leave_request(pupil, status):
    """An unsaved request, decided by the headteacher, to show a leave letter."""
    from absences.models import LeaveRequest
    from registers.models import Staff

    head = Staff.objects.filter(school=pupil.school, position=Staff.Position.HEADTEACHER).first()
    start = timezone.localdate() + dt.timedelta(days=45)
    while start.weekday():
        start += dt.timedelta(days=1)
    granted = status == LeaveRequest.Status.GRANTED
    return LeaveRequest(
        school=pupil.school,
        pupil=pupil,
        contact=pupil.contacts.order_by("priority").first(),
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="A family funeral abroad.",
        start_date=start,
        end_date=start + dt.timedelta(days=4),
        status=status,
        granted_start_date=start if granted else None,
        granted_start_session="AM" if granted else "",
        granted_end_date=start + dt.timedelta(days=2) if granted else None,
        granted_end_session="PM" if granted else "",
        decision_reason=(
            "I have granted three days, which allows time to travel and attend the funeral."
            if granted
            else "A holiday during term time is not an exceptional circumstance under the regulations."
        ),
        decided_by_name=head.display_name if head else "The headteacher",
        decided_by_position="Headteacher",
        decided_at=timezone.now(),
        created_at=timezone.now() - dt.timedelta(days=3),
    )
