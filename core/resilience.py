"""What a person sees when the database goes away in the middle of a request.

``DatabaseUnavailableMiddleware`` turns a lost or refused database connection (``OperationalError``
/ ``InterfaceError`` escaping a view) into a 503 page in Chinese with ``Retry-After``, instead of
the generic 500. Nothing was half written: every service runs in one transaction, which the
database rolls back when the connection dies (``core/tests/test_failure_database.py``). The page
is rendered without a request context, so it never touches the database again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s", request.method, request.path, exc_info=exception
        )
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
