"""`LetterError`: why a letter cannot be produced or a template cannot be saved, in words fit to
show staff. Raised by the rendering and the services, shown by the pages, caught by the tasks."""


class LetterError(Exception):
    """A letter that cannot be produced or a template that cannot be saved, with a message fit to
    show staff; `field` names the merge field (or form field), `line` and `part` ("subject" or
    "body") place a template mistake, `pupil` names whose letter failed."""

    def __init__(self, message: str, field: str | None = None, pupil=None, *, line=None, part=None):
        self.message, self.field, self.pupil, self.line, self.part = message, field, pupil, line, part
        super().__init__(message)
