from registers.models import ImportRun

from ._base import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Create or update pupils' contacts from the MIS's contacts CSV (one row per pupil's contact: UPN, forename, "
        "surname, relationship, parental responsibility; priority, telephones, e-mail, address if given)."
    )
    kind = ImportRun.Kind.CONTACTS
