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


@pytest.fixture(scope="session")
def _session_celery_worker(django_db_setup, django_db_blocker):
    """One in-thread Celery worker per test process, started on first use and kept: starting a
    second in-thread worker in the same process after the first has stopped never consumes.
    Messages left in the queue by an interrupted earlier run are purged first (the broker
    outlives test runs)."""
    from celery.contrib.testing.worker import start_worker

    with django_db_blocker.unblock():
        celery_app.control.purge()
        with start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield


@pytest.fixture
def real_worker(request):
    """A Celery worker consuming from the real broker. Needs CELERY_BROKER_URL (CI sets it) and a
    test marked ``django_db(transaction=True)`` so the worker sees its rows. Other tests keep
    running eagerly, so the worker only ever receives the messages of tests that ask for it."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is not set: no real broker to test against")
    request.getfixturevalue("_session_celery_worker")
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def pytest_collection_modifyitems(config, items):
    """Tests with a real Celery worker are marked ``broker``: `make test-unit` runs them in a
    single-process pytest run of their own (under pytest-xdist the in-thread worker stopped
    consuming after its first test; in one process it does not)."""
    for item in items:
        if "real_worker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)
