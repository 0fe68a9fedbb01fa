"""The project's WSGI application with one extra URL, ``/bench/minimal/``: the smallest Django view
(an authenticated ``HttpResponse``, through the same middleware), the baseline of
``benchmarks.http_load``. Only the load benchmark's gunicorn loads this module."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")
application = get_wsgi_application()
settings.ROOT_URLCONF = "benchmarks._http_urls"
