"""The shape every POST button of the site shares: call one service, tell the user what happened.

A view checks who may act (its decorator and an access-checked selector), then::

    perform(request, lambda: svc.cycle_close_nominations(cycle=cycle, actor=request.user),
            success="推荐已截止。")
    return redirect(...)

A ``RuleViolation`` becomes the error message the user reads (the service's transaction rolled
back, so nothing changed); ``PermissionDenied`` and ``ValidationError`` pass through to the view
(403, or a form re-rendered with 400).
"""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
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
