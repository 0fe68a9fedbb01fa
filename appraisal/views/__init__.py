"""Pages of skill appraisal, one module per area. Each view: a decorator saying which roles may
enter → an access-checked selector (what the user may not see is a 404) → a form that only
parses → a service → redirect, or a re-render with 400 on bad input. RuleViolation becomes a
message or form error, PermissionDenied a 403."""

from django import forms

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    # zh-hans DATE_INPUT_FORMATS holds an invalid format (PITFALLS.md): name ours.
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)
