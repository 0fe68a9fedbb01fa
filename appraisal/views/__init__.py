"""Pages of skill appraisal, one module per area. Each view: a decorator saying which roles may
enter → an access-checked selector (what the user may not see is a 404) → a form that only
parses → a service → redirect, or a re-render with 400 on bad input. RuleViolation becomes a
message or form error, PermissionDenied a 403."""

from django import forms
from django.core.exceptions import ValidationError

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    # zh-hans DATE_INPUT_FORMATS holds an invalid format (PITFALLS.md): name ours.
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (unknown keys as form errors)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
