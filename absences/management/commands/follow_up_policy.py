"""Give a school one of the five reference follow-up and leave policies (A–E) as its starting rows."""

from django.core.management.base import BaseCommand, CommandError

from absences.follow_up_presets import PRESETS, apply_preset
from registers.models import School


class Command(BaseCommand):
    help = "Apply a follow-up/leave policy preset (A–E from school-policies.md) to a school"

    def add_arguments(self, parser):
        parser.add_argument("urn")
        parser.add_argument("preset", choices=sorted(PRESETS))

    def handle(self, urn, preset, **options):
        school = School.objects.filter(urn=urn).first()
        if school is None:
            raise CommandError(f"No school with URN {urn}.")
        policy = apply_preset(school, preset)
        steps = "; ".join(str(s) for s in policy.steps.all())
        self.stdout.write(f"{school}: preset {preset}, leave notice {policy.leave_notice_days} days. Steps: {steps}")
