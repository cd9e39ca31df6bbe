"""Reading what families told the school and what the office must do next, one module per
question.

- `parent_portal`: what a parent sees of their children;
- `reports`: the absence reports the office has to decide, and who has reported a session;
- `leave`: the facts for the head's leave decision, and the requests waiting and decided;
- `follow_up`: unexplained absences and the steps due, overdue N codes, prompts to tell the LA;
- `school_days`: the school days they count in.

Other apps import the selectors from here (`absences.selectors`); inside absences, import from the
module that holds them."""

from .follow_up import deletion_ground_prompts, illness_prompts, overdue_n, unexplained_absences
from .leave import leave_facts
from .parent_portal import child_summary
from .reports import open_reports, reported_pupil_ids, reports_waiting

__all__ = [
    "child_summary",
    "deletion_ground_prompts",
    "illness_prompts",
    "leave_facts",
    "open_reports",
    "overdue_n",
    "reported_pupil_ids",
    "reports_waiting",
    "unexplained_absences",
]
