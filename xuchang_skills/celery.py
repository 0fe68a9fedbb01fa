"""Celery application, wired per Celery's "First steps with Django" guide."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")

app = Celery("xuchang_skills")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**_kwargs) -> None:
    """Each worker process, once its tasks are imported (xuchang_skills/startup.py)."""
    from xuchang_skills.startup import freeze_startup_objects

    freeze_startup_objects()
