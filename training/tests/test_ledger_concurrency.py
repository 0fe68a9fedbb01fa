"""Ledger and "1688" writes under real concurrency (PostgreSQL, threads released together by a
barrier): distinct meeting numbers and task codes, one completion per task, one step per
facility transition."""

import datetime

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.models import AuditEvent
from training.models import Facility, LedgerTask
from training.services import facilities as facility_services
from training.services import ledger as services
from training.tests.test_classes_concurrency import race
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    TODAY,
    clerk,
    facility,
    frozen_fixture,
    meeting,
    office_user,
    plan_task,
    task_input,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen"),
]
THREADS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


def test_simultaneous_meetings_get_distinct_sequential_numbers(plan):
    offices = [office_user() for _ in range(THREADS)]
    outcomes = race(THREADS, lambda i: meeting(plan, offices[i]).number)
    assert [error for _n, error in outcomes] == [None] * THREADS
    assert sorted(n for n, _error in outcomes) == list(range(1, THREADS + 1))


def test_simultaneous_follow_up_tasks_get_distinct_codes(plan):
    office = office_user()
    m = meeting(plan, office)
    offices = [office_user() for _ in range(THREADS)]
    outcomes = race(
        THREADS,
        lambda i: (
            services.ledger_task_create(
                meeting=m, data=task_input(title=f"任务{i}"), actor=offices[i]
            ).code
        ),
    )
    assert [error for _c, error in outcomes] == [None] * THREADS
    assert sorted(code for code, _e in outcomes) == sorted(f"H1-{n}" for n in range(1, 7))


def test_two_clerks_completing_at_once_complete_once(plan):
    task = plan_task(plan)
    clerks = [clerk("rsj"), clerk("rsj")]
    outcomes = race(2, lambda i: services.ledger_task_complete(task=task, actor=clerks[i]))
    errors = [error for _r, error in outcomes if error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], RuleViolation)
    assert AuditEvent.objects.filter(action="ledger.task_complete").count() == 1
    assert LedgerTask.objects.get(pk=task.pk).status == LedgerTask.Status.DONE


def test_office_and_clerk_moving_a_facility_at_once_move_it_once(plan):
    f = facility(plan, office_user(), planned_on=datetime.date(2013, 9, 1))
    actors = [office_user(), clerk("rsj")]
    outcomes = race(
        2,
        lambda i: facility_services.facility_start_construction(
            facility=f, on=TODAY, actor=actors[i]
        ),
    )
    errors = [error for _r, error in outcomes if error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], RuleViolation)
    assert AuditEvent.objects.filter(action="facility.under_construction").count() == 1
    assert Facility.objects.get(pk=f.pk).status == Facility.Status.UNDER_CONSTRUCTION
