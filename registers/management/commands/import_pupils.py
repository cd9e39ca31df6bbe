from registers.models import ImportRun

from ._base import FileImportCommand, parse_option_date


class Command(FileImportCommand):
    help = (
        "Create or update pupils and their enrolments from the MIS's pupil CSV (MIS headings, DD/MM/YYYY dates, "
        "years N1–X). With --full-roll, pupils on roll who are not in the file leave on --leaving-date."
    )
    kind = ImportRun.Kind.PUPILS

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--full-roll", action="store_true", help="the file lists every pupil on roll")
        parser.add_argument("--leaving-date", help="YYYY-MM-DD: the leaving date for pupils not in a --full-roll file")

    def options(self, options):
        return {
            "full_roll": options.get("full_roll"),
            "leaving_date": parse_option_date(options.get("leaving_date"), "--leaving-date"),
        }
