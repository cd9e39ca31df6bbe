"""The one exception the absences services raise: a refusal, with a message fit to show the
person who asked (and the form field it concerns, if any)."""


class AbsenceError(Exception):
    """A request the service refuses, with a message fit to show the person who made it."""

    def __init__(self, message: str, field: str | None = None):
        self.message, self.field = message, field
        super().__init__(message)
