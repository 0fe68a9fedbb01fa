"""Pages of the subsidies app: worker portal, institution claims, office standards.

Each view: a decorator stating who may enter → a scoped selector (out of scope is 404) → a form
that only parses → a service → redirect, or a re-render with 400. RuleViolation becomes a message
(or a form error), PermissionDenied a 403."""
