"""The shape every POST button of the site shares: call one service, tell the user what happened.

A view checks who may act (its decorator and an access-checked selector), then::

    perform(request, lambda: svc.cycle_close_nominations(cycle=cycle, actor=request.user),
            success="推荐已截止。")
    return redirect(...)

A ``RuleViolation`` becomes the error message the user reads (the service's transaction rolled
back, so nothing changed); ``PermissionDenied`` and ``ValidationError`` pass through to the view
(403, or a form re-rendered with 400).

A form's POST has the same shape with the refusal written on the form instead::

    training_class = submit(form, lambda: svc.class_create(..., data=form.class_input(),
                                                           actor=request.user))
    if training_class is not None:
        messages.success(request, f"已创建培训班 {training_class.code}。")
        return redirect(...)
    # fall through: the form re-rendered with 400, its errors beside the inputs

A small form on a detail page passes ``request=request``: a RuleViolation is then a message and
the view redirects, as a button's would; only a ValidationError re-renders (``if form.errors``).
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.errors import RuleViolation

T = TypeVar("T")


def perform(
    request: HttpRequest, action: Callable[[], T], *, success: str | Callable[[T], str]
) -> T | None:
    """Run ``action``; on success add ``success`` (or ``success(result)``) as a message and return
    the result; on a RuleViolation add its message as an error and return None."""
    try:
        result = action()
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def submit(
    form: forms.Form, action: Callable[[], T], *, request: HttpRequest | None = None
) -> T | None:
    """Run ``action`` (the service call of a bound, valid ``form``) and return its result. On a
    ValidationError put its errors on the form (the form's own ``add_service_errors`` if it has
    one, else this module's) and return None; on a RuleViolation add its message as a non-field
    form error, or, given ``request``, as an error message instead, and return None.
    PermissionDenied passes through (403).

    Services return what they saved, so None means "refused, nothing changed". With ``request``
    the two refusals differ in where they went: only a ValidationError leaves the form with
    errors (re-render it with 400), a RuleViolation left a message (redirect)."""
    try:
        return action()
    except ValidationError as exc:
        if hasattr(form, "add_service_errors"):
            form.add_service_errors(exc)
        else:
            add_service_errors(form, exc)
    except RuleViolation as exc:
        if request is None:
            form.add_error(None, exc.message)
        else:
            messages.error(request, exc.message)
    return None


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (unknown keys as form errors)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
