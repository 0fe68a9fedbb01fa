"""Institution writes under real concurrency on PostgreSQL: an assessment run delivered several
times at once (acks_late), the same revocation or confirmation pressed by several people.
Threads start together behind a barrier, each with its own database connection."""

import datetime
import threading

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.models import AuditEvent
from training.models import DesignationChange, Institution, InstitutionAssessment
from training.services import institutions as svc
from training.tests.test_institutions_support import (
    at,
    enroll,
    make_class,
    make_institution,
    office_user,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL; CI does)")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2015, 1, 20, 10), tick=False)
    return time_machine


def race(act) -> list[BaseException | None]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException | None] = [None] * THREADS

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            act(i)
        except BaseException as exc:  # inspected by the test
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return errors


def test_concurrent_assessment_runs_create_one_row_per_institution(plan):
    for _ in range(5):
        institution = make_institution()
        enroll(
            make_class(institution, campaign=plan, end=datetime.date(2014, 6, 30)),
            passed=7,
            failed=3,
        )
    count = Institution.objects.exclude(designation="revoked").count()

    errors = race(lambda i: svc.assessment_run(campaign=plan, year=2014))

    assert errors == [None] * THREADS
    assert InstitutionAssessment.objects.filter(year=2014).count() == count
    assert AuditEvent.objects.filter(action="institution_assessment.propose").count() == count
    assert not AuditEvent.objects.filter(action="institution_assessment.update").exists()


def test_concurrent_revocations_change_the_designation_once(plan):
    office = office_user()
    institution = make_institution()

    errors = race(
        lambda i: svc.institution_revoke(institution=institution, reason=f"理由{i}", actor=office)
    )

    assert sum(e is None for e in errors) == 1
    assert all(isinstance(e, RuleViolation) for e in errors if e is not None)
    assert DesignationChange.objects.filter(institution=institution).count() == 1
    assert AuditEvent.objects.filter(action="institution.revoke").count() == 1


def test_concurrent_confirmations_decide_once(plan):
    office = office_user()
    institution = make_institution()
    enroll(make_class(institution, campaign=plan, end=datetime.date(2014, 6, 30)), failed=2)
    assessment = InstitutionAssessment.objects.get(
        pk=next(
            a.pk
            for a in svc.assessment_run(campaign=plan, year=2014)
            if a.institution_id == institution.pk
        )
    )

    errors = race(
        lambda i: svc.assessment_confirm(assessment=assessment, reason="同意", actor=office)
    )

    assert sum(e is None for e in errors) == 1
    assert all(isinstance(e, RuleViolation) for e in errors if e is not None)
    assert DesignationChange.objects.filter(institution=institution).count() == 1
    assert AuditEvent.objects.filter(action="institution_assessment.confirm").count() == 1
