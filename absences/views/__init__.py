"""The parent portal and the office's pages, one module per page family: `parent_portal`,
`accounts` (signing in, invitations, passwords), `office_reports`, `leave_decisions` and
`follow_up`; `access` holds the guards they share.

Thin views: parse, check who may see what, call a service or selector, render. Anything a
user may not see is a 404 (never a 403), so ids of other families' records reveal nothing."""
