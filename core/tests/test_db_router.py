"""The read-replica router (core.db_router): reads of the campaign's data inside
``replica_reads()`` go to the ``replica`` alias when one is configured; writes, sessions and
users, reads inside a transaction and everything without a replica stay on ``default``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.db_router import (
    REPLICA_ALIAS,
    ReplicaReadsMiddleware,
    ReplicaRouter,
    replica_reads,
)
from core.models import User
from training.models import TrainingClass, Worker

# No database mark: choosing an alias runs no query, and a test case's own transaction would
# (rightly) keep every read on the primary. The transaction test uses a real transaction.
ROUTER = "core.db_router.ReplicaRouter"


@pytest.fixture
def replica():
    """A ``replica`` alias (pointing at the test database: the router only picks the alias;
    nothing below runs a query on it)."""
    connections.settings[REPLICA_ALIAS] = {
        **connections.settings["default"],
        "TEST": {"MIRROR": "default"},
    }
    with override_settings(DATABASE_ROUTERS=[ROUTER]):
        yield
    del connections.settings[REPLICA_ALIAS]
    if hasattr(connections._connections, REPLICA_ALIAS):
        delattr(connections._connections, REPLICA_ALIAS)


def test_reads_of_campaign_data_go_to_the_replica_inside_replica_reads(replica):
    with replica_reads():
        assert Worker.objects.all().db == REPLICA_ALIAS
        assert TrainingClass.objects.filter(code="X").db == REPLICA_ALIAS
    assert Worker.objects.all().db == "default"


def test_without_replica_reads_everything_reads_the_primary(replica):
    assert Worker.objects.all().db == "default"
    assert ReplicaRouter().db_for_read(Worker) is None


def test_writes_and_reads_for_update_stay_on_the_primary(replica):
    with replica_reads():
        assert Worker.objects.select_for_update().db == "default"
        assert Worker.objects.db_manager().all()._for_write is False
        assert ReplicaRouter().db_for_write(Worker) == "default"
        worker_qs = Worker.objects.all()
        worker_qs._for_write = True
        assert worker_qs.db == "default"


def test_sessions_and_users_never_read_the_replica(replica):
    with replica_reads():
        assert Session.objects.all().db == "default"
        assert User.objects.all().db == "default"


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_see_the_primary(replica):
    with replica_reads():
        with transaction.atomic():
            assert Worker.objects.all().db == "default"
        assert Worker.objects.all().db == REPLICA_ALIAS


def test_without_a_replica_alias_nothing_is_routed():
    with override_settings(DATABASE_ROUTERS=[ROUTER]), replica_reads():
        assert REPLICA_ALIAS not in connections.settings
        assert Worker.objects.all().db == "default"


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "training") is True
    assert router.allow_migrate(REPLICA_ALIAS, "training") is False
    assert router.allow_relation(object(), object()) is True


@override_settings(REPLICA_READ_PATHS=["/progress/", "/bulletins/"])
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/progress/?month=2014-12", REPLICA_ALIAS),
        ("head", "/bulletins/3/", REPLICA_ALIAS),
        ("post", "/progress/recompute/", "default"),  # a write request: never
        ("get", "/training/returns/", "default"),  # not a listed path
    ],
)
def test_middleware_routes_safe_requests_to_listed_paths(replica, method, path, expected):
    seen = []

    def view(request):
        seen.append(Worker.objects.all().db)
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method)(path)
    ReplicaReadsMiddleware(view)(request)
    assert seen == [expected]
    assert Worker.objects.all().db == "default"  # the context ends with the request


def test_settings_add_replica_router_middleware_and_report_queue_only_when_configured():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([sorted(settings.DATABASES), list(settings.DATABASE_ROUTERS), "
        "'core.db_router.ReplicaReadsMiddleware' in settings.MIDDLEWARE, "
        "settings.CELERY_TASK_ROUTES]))"
    )

    def run(extra: dict[str, str]) -> list:
        unset = ("DATABASE_REPLICA_URL", "CELERY_REPORTS_QUEUE")
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env.update(DJANGO_SETTINGS_MODULE="xuchang_skills.settings", **extra)
        out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert run({}) == [["default"], [], False, {}]
    databases, routers, middleware, routes = run(
        {
            "DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5432/xuchang",
            "CELERY_REPORTS_QUEUE": "reports",
        }
    )
    assert databases == ["default", "replica"]
    assert routers == [ROUTER]
    assert middleware is True
    # Reports and exports on their own queue (docker-compose.yml's worker-reports).
    assert routes["training.tasks.compute_monthly_progress"] == {"queue": "reports"}
    assert routes["core.tasks.run_export_job"] == {"queue": "reports"}
