from django.core.management.base import BaseCommand

from demo.school import DEMO_URN, seed_demo
from demo.secondary import SECONDARY_URN, seed_secondary
from registers.models import School


class Command(BaseCommand):
    help = (
        "Load the demo trust: a primary school (last summer term and this year to date, marked) and a "
        "secondary school (this half-term's registers, this week's lessons)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pupils", type=int, default=210)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any school exists")

    def handle(self, *args, pupils, seed, if_empty, **options):
        if if_empty and School.objects.exists():
            self.stdout.write("A school is already loaded; leaving the database as it is.")
            return
        if School.objects.filter(urn=DEMO_URN).exists():
            self.stdout.write(f"The demo school (URN {DEMO_URN}) is already loaded.")
            return
        seed_demo(pupils=pupils, seed=seed, log=self.stdout.write)
        if not School.objects.filter(urn=SECONDARY_URN).exists():
            seed_secondary(log=self.stdout.write)
