"""What the lessons app tells the rest of it, so that its parts stay apart.

`lesson_marks_written` is sent (sender=LessonRegister) after a lesson register's marks are saved
and committed, with `register`, `pupil_ids` (the pupils whose marks were written) and `now`:
the internal-truancy check listens to it (`lessons.receivers`)."""

from django.dispatch import Signal

lesson_marks_written = Signal()
