"""Request context that services need but should not take as an argument (the client's address)."""

from contextvars import ContextVar

from django.conf import settings

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def _address(request) -> str | None:
    # Behind nginx the real address is in X-Forwarded-For; only trust it when told to.
    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
