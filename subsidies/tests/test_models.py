"""The database invariants themselves: exactly-once partial unique constraints over the live
statuses, and the check constraints."""

import pytest
from django.db import IntegrityError, transaction

from subsidies.models import SubsidyClaim
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    frozen,
    media,
    other_occupation,
    set_status,
    submit_own,
    trainee,
)

pytestmark = pytest.mark.django_db


def clone(claim, **changes):
    """A raw copy of ``claim`` (bypassing the services), saved with ``changes``."""
    claim.pk = None
    claim.id = None
    claim.number = f"X-{SubsidyClaim.objects.count() + 1}"
    for name, value in changes.items():
        setattr(claim, name, value)
    with transaction.atomic():
        claim.save()
    return claim


@pytest.mark.parametrize("status", SubsidyClaim.Status.values)
def test_one_live_training_claim_per_enrollment(plan, status):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), status)
    if status in ("refused", "withdrawn"):
        clone(claim, status="submitted")
    else:
        with pytest.raises(IntegrityError):
            clone(
                claim,
                status="submitted",
                channel="institution",
                institution=enrollment.training_class.institution,
            )


def test_one_training_claim_per_campaign(plan):
    first = trainee(plan)
    claim = submit_own(first)
    second = trainee(plan, worker=first.worker, occ=other_occupation())
    with pytest.raises(IntegrityError):
        clone(claim, enrollment=second)


def test_one_appraisal_claim_per_occupation_and_level(plan):
    enrollment = trainee(plan)
    cert = enrollment.worker.certificates.get()
    claim = submit_own(enrollment)
    first = clone(claim, kind="appraisal", enrollment=None, certificate=cert, level=cert.level)
    with pytest.raises(IntegrityError):
        clone(first)
    clone(first, kind="shortage")  # another kind is another thing


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 0},
        {"payee_kind": "institution", "institution": None},
        {"enrollment": None},
        {"status": "approved"},
        {"kind": "appraisal", "certificate": None},
    ],
)
def test_check_constraints(plan, changes):
    claim = set_status(submit_own(trainee(plan)), "withdrawn")
    with pytest.raises(IntegrityError):
        clone(claim, **changes)
