"""Celery application, wired per Celery's "First steps with Django" guide."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")

app = Celery("xuchang_skills")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
