"""Fixtures shared by every app's tests."""

import pytest

from xuchang_skills.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tests run tasks in-process unless a test asks for a real worker (see ``real_worker``):
    with a broker configured, a stray ``delay()`` would otherwise queue into Redis unseen."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing a password properly costs ~0.5 s; tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def plan(db):
    """The 2013 Xuchang campaign, loaded from the repository's plan file."""
    from training.services.plan import plan_load

    return plan_load().campaign


@pytest.fixture
def roles(db):
    from core.services import roles_sync

    roles_sync()


@pytest.fixture
def real_worker():
    """An in-thread Celery worker consuming from the real broker. Needs CELERY_BROKER_URL
    (CI sets it) and a test marked ``django_db(transaction=True)`` so the worker sees its rows."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is not set: no real broker to test against")
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield
    celery_app.conf.task_always_eager = True


def pytest_collection_modifyitems(config, items):
    """Tests with a real Celery worker share one xdist worker: an in-thread Celery worker in
    another test process would take their messages from the shared queue and run them against
    the wrong test database."""
    for item in items:
        if "real_worker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("broker"))
