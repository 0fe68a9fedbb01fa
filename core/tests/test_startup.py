"""The long-running processes freeze their start-up objects (xuchang_skills/startup.py)."""

import gc
import subprocess
import sys

from django.conf import settings


def test_the_wsgi_module_freezes_djangos_start_up_objects():
    script = "import gc, xuchang_skills.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(result.stdout.strip()) > 10_000  # Django and the apps, not a handful


def test_each_celery_worker_process_freezes_them_too():
    from celery.signals import worker_process_init

    from xuchang_skills import celery

    receivers = [ref() for _key, ref in worker_process_init.receivers]
    assert celery._freeze_startup_objects in receivers
    try:
        celery._freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
