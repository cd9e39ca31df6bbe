import json

from django.core.management.base import BaseCommand

from registers.selectors import penalty_threshold

from ._base import get_school, parse_day


class Command(BaseCommand):
    help = "Pupils meeting the national penalty-notice threshold (10 unauthorised sessions in 10 school weeks)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="URN")
        parser.add_argument("--on", required=True, help="date, YYYY-MM-DD")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, school, on, format, **options):
        school = get_school(school)
        rows = [
            {
                "upn": r.upn,
                "unauthorised_sessions": r.unauthorised_sessions,
                "unresolved_n": r.unresolved_n,
                "window_start": r.window_start.isoformat(),
                "window_end": r.window_end.isoformat(),
            }
            for r in penalty_threshold(school=school, on=parse_day(on, "--on"))
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No pupil meets the threshold.")
        for r in rows:
            flag = f"  ({r['unresolved_n']} N unresolved)" if r["unresolved_n"] else ""
            self.stdout.write(
                f"{r['upn']}  {r['unauthorised_sessions']} sessions  {r['window_start']} to {r['window_end']}{flag}"
            )
