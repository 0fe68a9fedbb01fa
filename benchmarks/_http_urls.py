"""URLs of the load benchmark's server: the project's, plus the minimal baseline view."""

from django.http import HttpResponse
from django.urls import include, path

from core.decorators import public


@public
def minimal(request):
    """The floor: the full middleware stack (session, user, CSRF, CSP …) and nothing else."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal, name="bench_minimal"),
    path("", include("xuchang_skills.urls")),
]
