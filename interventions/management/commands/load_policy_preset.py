from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from interventions.policy.presets import PRESETS
from interventions.policy.services import load_policy_preset
from registers.models import School


class Command(BaseCommand):
    help = "Load one of the five published attendance policies (A–E) as a school's active policy."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's URN")
        parser.add_argument("--preset", required=True, choices=sorted(PRESETS) + sorted(k.lower() for k in PRESETS))

    def handle(self, *args, school, preset, **options):
        found = School.objects.filter(urn=school).first()
        if found is None:
            raise CommandError(f"No school with URN {school}.")
        try:
            policy = load_policy_preset(school=found, preset=preset)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(
            f"{found.name}: loaded preset {policy.preset} ({policy.name}) with "
            f"{policy.rules.count()} rules, {policy.stages.count()} stages and {policy.bands.count()} bands."
        )
