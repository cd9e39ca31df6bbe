from registers.models import ImportRun

from ._base import FileImportCommand, parse_option_date


class Command(FileImportCommand):
    help = (
        "Import pupils and contacts (and a previous school's attendance) from a Common Transfer File. A CTF from "
        "another school needs --admission-date (the pupils' first day on roll here)."
    )
    kind = ImportRun.Kind.CTF

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--admission-date", help="YYYY-MM-DD: first day on roll for pupils joining from elsewhere")
        parser.add_argument("--full-roll", action="store_true", help="the file lists every pupil on roll")
        parser.add_argument("--leaving-date", help="YYYY-MM-DD: the leaving date for pupils not in a --full-roll file")

    def options(self, options):
        return {
            "admission_date": parse_option_date(options.get("admission_date"), "--admission-date"),
            "full_roll": options.get("full_roll"),
            "leaving_date": parse_option_date(options.get("leaving_date"), "--leaving-date"),
        }
