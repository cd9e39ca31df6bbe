"""The letters app's services (writes: keyword-only arguments, one transaction each), by
sub-domain:

- `templates`: saving a letter template (checked by the sandbox; each change a new version) and
  installing the starter templates;
- `letterhead`: the school's letterhead and logo;
- `one_letter`: producing one letter on record, and a leave decision's letter;
- `batches`: letters for many pupils, produced on the workers in parts that run in parallel
  (`batch_parts`: one part) and are joined in order;
- `producing`: the produce page's choice between one letter now and a batch;
- `delivery`: e-mailing a letter and recording it.

A letter is never changed after it is produced except to record its delivery. Rendering without
writing (previews, test prints, the record shown again) is `letters.rendering`.

Other apps (and the demo) call the names below; inside letters, import from the modules."""

from ..errors import LetterError
from .batches import run_batch, start_batch
from .delivery import email_letter
from .letterhead import save_letterhead
from .one_letter import produce_leave_decision_letter, produce_letter
from .producing import produce_letters
from .templates import install_starter_templates, save_template

__all__ = [
    "LetterError",
    "email_letter",
    "install_starter_templates",
    "produce_leave_decision_letter",
    "produce_letter",
    "produce_letters",
    "run_batch",
    "save_letterhead",
    "save_template",
    "start_batch",
]
