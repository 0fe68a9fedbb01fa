"""WSGI entry point (gunicorn xuchang_skills.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")
application = get_wsgi_application()

from xuchang_skills.startup import freeze_startup_objects  # noqa: E402 - after Django is loaded

freeze_startup_objects()
