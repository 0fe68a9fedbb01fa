"""Builders for the subsidies tests. Every test runs on 2014-03-03 10:00 in Xuchang (the
``frozen`` fixture, re-exported from appraisal's builders) inside the 2013–2014 campaign (the
``plan`` fixture), whose plan file loads the standards and claim windows.

Workers, classes, enrollments and certificates are made with the ORM (their own apps test their
services); subsidy objects go through this app's services."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from appraisal.models import Certificate, CertificateKind, Level
from appraisal.tests.appraisal_builders import (  # noqa: F401 (re-exported)
    HOME,
    OTHER,
    at,
    enroll,
    frozen,
    institution,
    institution_staff,
    make_class,
    make_worker,
    occupation,
    office,
    other_occupation,
    reviewer,
)
from core.crypto import encrypt
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import mask_bank_account
from subsidies.models import Kind, SubsidyClaim
from subsidies.services import claims as claim_svc
from subsidies.services import entrustments as ent_svc
from training.models import Enrollment, PopulationGroup, TrainingClass

TODAY = datetime.date(2014, 3, 3)
ACCOUNT = "6222021234567890128"
OTHER_ACCOUNT = "6228480012345678907"
INSTITUTION_ACCOUNT = "410101234567890123"
PDF = b"%PDF-1.4\n% entrustment\n"
_cert_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded entrustment documents go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def eligible_group() -> PopulationGroup:
    return PopulationGroup.objects.filter(subsidy_eligible=True).order_by("sort_order").first()


def ineligible_group() -> PopulationGroup:
    return PopulationGroup.objects.filter(subsidy_eligible=False).order_by("sort_order").first()


def give_account(inst, number: str = INSTITUTION_ACCOUNT):
    """Record a basic account for the institution in the registry (as its service would)."""
    inst.bank_name = "中国建设银行许昌分行"
    inst.bank_account_name = inst.name
    inst.bank_account_encrypted = encrypt(number)
    inst.bank_account_masked = mask_bank_account(number)
    inst.save()
    return inst


def make_certificate(worker, occ, *, level=Level.JUNIOR, training_class=None, issued_on=None):
    n = next(_cert_serial)
    return Certificate.objects.create(
        number=f"Z{n:09d}",
        kind=CertificateKind.QUALIFICATION,
        worker=worker,
        occupation=occ,
        level=level,
        issued_on=issued_on or datetime.date(2014, 2, 25),
        issuer_name="许昌市职业技能鉴定中心",
        training_class=training_class,
    )


def trainee(
    plan,
    *,
    attended: int = 10,
    planned: int = 10,
    result: str = Enrollment.Result.PASSED,
    status: str = TrainingClass.Status.CLOSED,
    kind: str = TrainingClass.Kind.EMPLOYMENT,
    certificate: bool = True,
    group: PopulationGroup | None = None,
    inst=None,
    occ=None,
    worker=None,
    name: str | None = None,
) -> Enrollment:
    """A worker with a login, in an eligible group, who completed (by default) a closed class
    with full attendance, passed and holds the certificate: eligible for the training subsidy."""
    if worker is None:
        worker = make_worker(name, with_login=True)
        worker.groups.add(group or eligible_group())
    training_class = make_class(plan, occ=occ, inst=inst, status=status)
    training_class.kind = kind
    training_class.planned_sessions = planned
    training_class.sessions_held = planned
    training_class.save()
    enrollment = enroll(training_class, worker, result=result)
    enrollment.sessions_attended = attended
    enrollment.save()
    if certificate:
        make_certificate(worker, training_class.occupation, training_class=training_class)
    enrollment.worker = worker  # keeps worker.id_number for the test
    return enrollment


def own(worker, account: str = ACCOUNT, *, holder: str | None = None) -> claim_svc.OwnAccount:
    return claim_svc.OwnAccount(
        holder_name=worker.name if holder is None else holder,
        bank_name="中国工商银行许昌分行",
        account=account,
    )


def document(name: str = "委托书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def entrust(enrollment: Enrollment):
    return ent_svc.entrustment_create(
        worker=enrollment.worker,
        enrollment=enrollment,
        document=document(),
        actor=enrollment.worker.user,
    )


def submit_own(enrollment: Enrollment, account: str = ACCOUNT) -> SubsidyClaim:
    worker = enrollment.worker
    return claim_svc.claim_submit(
        worker=worker,
        kind=Kind.TRAINING,
        enrollment=enrollment,
        own_account=own(worker, account),
        actor=worker.user,
    )


def staff_of(inst):
    return user_with_role(Role.INSTITUTION, institution=inst)


def set_status(claim: SubsidyClaim, status: str) -> SubsidyClaim:
    """Put a claim in a state reached through subsidies-B's services (review, notice, payment)."""
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=status)
    claim.refresh_from_db()
    return claim


def amount(value: str) -> Decimal:
    return Decimal(value)
