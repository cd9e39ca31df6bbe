"""The attendance officer's pages, one module per family: the dashboard, alerts, cases, support
plans, notices to improve and penalty notices (the policy pages are `interventions.policy.views`).
Thin: the permission (interventions.permissions), parse, call a selector or a service, render."""
