from registers.models import ImportRun

from ._base import FileImportCommand


class Command(FileImportCommand):
    help = "Import marks (upn,date,session,code,minutes_late) through the register service."
    kind = ImportRun.Kind.MARKS
    main_words = {"created": "new", "changed": "amended", "unchanged": "unchanged"}
