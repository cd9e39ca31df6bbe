"""What the attendance team does, one module per sub-domain: keyword-only, one transaction each.

The officer decides: accepting an alert creates the case step, tasks, letter action and
monitoring period it proposes (never twice for the same alert); dismissing records a reason.
Penalty notices follow the 2024 national framework; notices to improve run 3 to 6 weeks.

This package is interventions' write interface for the other apps (letters completes an action,
reads the penalty amounts; the demo loads a policy preset): they import from
`interventions.services`, which names each service here. Inside interventions, code imports
from the module that holds it."""

from ..policy.services import load_policy_preset
from .actions import complete_action, record_action
from .alerts import accept_alert, dismiss_alert
from .cases import CLOSE_OUTCOMES, close_case, link_siblings, open_case, reopen_case, set_case_owner, set_stage
from .legal_steps import record_legal_step
from .monitoring import review_monitoring, start_monitoring
from .notices_to_improve import issue_notice_to_improve, record_notice_outcome
from .penalty_notices import (
    ALTERNATIVES,
    FIRST_FULL,
    FIRST_REDUCED,
    SECOND,
    PenaltyNoticeRefused,
    amount_due,
    counting_notices,
    issue_penalty_notice,
    penalty_notice_terms,
    refer_for_prosecution,
    set_penalty_notice_status,
    three_years_before,
)
from .support_plans import add_support_plan, add_support_targets, record_target_outcome
from .worklist import Decided, accept_proposals, dismiss_proposals, snooze_proposals

__all__ = [
    "ALTERNATIVES",
    "CLOSE_OUTCOMES",
    "Decided",
    "FIRST_FULL",
    "FIRST_REDUCED",
    "SECOND",
    "PenaltyNoticeRefused",
    "accept_alert",
    "accept_proposals",
    "add_support_plan",
    "add_support_targets",
    "amount_due",
    "close_case",
    "complete_action",
    "counting_notices",
    "dismiss_alert",
    "dismiss_proposals",
    "issue_notice_to_improve",
    "issue_penalty_notice",
    "link_siblings",
    "load_policy_preset",
    "open_case",
    "penalty_notice_terms",
    "record_action",
    "record_legal_step",
    "record_notice_outcome",
    "record_target_outcome",
    "refer_for_prosecution",
    "reopen_case",
    "review_monitoring",
    "set_case_owner",
    "set_penalty_notice_status",
    "set_stage",
    "snooze_proposals",
    "start_monitoring",
    "three_years_before",
]
