"""The appraisal demo seeder on a small hand-built training history: bodies and authorisations,
about 15% of the workers who passed a class registered with results and certificates, pilots,
exceptions and inspections that obey the rules; the headline figures equal the rows; the
certificate counters are moved past the seeded numbers; and it is safe to run twice."""

import datetime
import random

import pytest
from django.db.models import Count

from appraisal import demo
from appraisal.models import (
    AppraisalBody,
    Certificate,
    DualOneException,
    EmploymentInspection,
    EnterpriseEvaluation,
    PilotEnterprise,
    Registration,
)
from appraisal.selectors import appraisals_achieved, high_skilled_achieved
from appraisal.services.results import certificate_number_next
from appraisal.tests.test_pilots_support import ensure_level_rules
from core import demo as core_demo
from core.models import AuditEvent, User
from training.models import Enrollment, Institution
from training.tests.test_institutions_support import at, enroll, make_class

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


TODAY = datetime.date(2014, 7, 2)
PASSED_WORKERS = 200


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 7, 2, 10), tick=False)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def history(plan, roles, media):
    core_demo.seed_accounts()
    school = Institution.objects.get(name="许昌技师学院")
    Institution.objects.create(name="平煤神马集团襄城职工培训中心", kind="enterprise")
    for end in (
        datetime.date(2013, 6, 30),
        datetime.date(2013, 12, 20),
        datetime.date(2014, 6, 10),
    ):
        enroll(make_class(school, campaign=plan, end=end), passed=PASSED_WORKERS // 4, failed=5)
    # A class still running: its trainees have not passed anything yet.
    enroll(
        make_class(school, campaign=plan, end=datetime.date(2014, 8, 1), status="approved"),
        pending=20,
    )
    return plan


def seed(campaign, log=None):
    messages = []
    demo.seed_appraisal(
        campaign=campaign, scale=1, rng=random.Random(2013), log=log or messages.append
    )
    return messages


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            AppraisalBody,
            Registration,
            Certificate,
            PilotEnterprise,
            EnterpriseEvaluation,
            DualOneException,
            EmploymentInspection,
        )
    }


def test_about_fifteen_percent_of_those_who_passed_are_appraised(history):
    seed(history)
    passed = Enrollment.objects.filter(result="passed").values("worker").distinct().count()
    registered = Registration.objects.values("worker").distinct().count()
    assert registered == round(passed * demo.APPRAISED_SHARE)
    assert AppraisalBody.objects.count() == len(demo.BODIES)
    assert AppraisalBody.objects.get(name=demo.CITY_BODY).staff.filter(username="reviewer").exists()


def test_every_seeded_row_obeys_the_rules(history):
    seed(history)
    # A result is recorded only for sittings already held, never after today.
    for registration in Registration.objects.filter(status__in=["passed", "failed", "absent"]):
        assert registration.sitting.exam_date < TODAY
        assert registration.result_recorded_at.date() <= TODAY
    # Each upgrade candidate holds the certificate one level below.
    for registration in Registration.objects.filter(level__lt=5):
        assert Certificate.objects.filter(
            worker=registration.worker,
            occupation=registration.occupation,
            level=registration.level + 1,
        ).exists()
    # Each pass has exactly its certificate; each sitting's seats suffice.
    passed = Registration.objects.filter(status="passed")
    assert Certificate.objects.filter(registration__in=passed).count() == passed.count()
    for sitting in AppraisalBody.objects.get(name=demo.CITY_BODY).sittings.annotate(
        n=Count("registrations")
    ):
        assert sitting.n <= sitting.capacity
    # Pilots evaluate only when ready, within their size class; a pass has its certificate.
    for evaluation in EnterpriseEvaluation.objects.select_related("pilot"):
        assert evaluation.pilot.ready_on is not None
        assert evaluation.pilot.ready_on < evaluation.evaluated_on <= TODAY
        assert evaluation.level in evaluation.pilot.levels
        assert (evaluation.certificate_id is not None) == (evaluation.result == "passed")
        if evaluation.exception_id:
            assert evaluation.exception.status == DualOneException.Status.APPROVED
    assert PilotEnterprise.objects.filter(ready_on__isnull=True).exists()  # one still preparing
    for exception in DualOneException.objects.exclude(status="pending"):
        assert exception.decided_by_id != exception.requested_by_id


def test_demo_covers_every_state_the_pages_show(history):
    seed(history)
    statuses = set(Registration.objects.values_list("status", flat=True))
    assert {"passed", "failed", "scheduled"} <= statuses
    assert Certificate.objects.filter(level__lte=3, issued_on__gte=history.start_date).exists()
    assert set(DualOneException.objects.values_list("status", flat=True)) >= {"approved"}
    inspections = set(EmploymentInspection.objects.values_list("status", flat=True))
    assert inspections == {"compliant", "open", "rectified"}
    assert any(i.is_overdue(TODAY) for i in EmploymentInspection.objects.all())


def test_demo_worker_has_a_certificate_when_he_passed_a_class(history):
    worker_user = User.objects.get(username="worker")
    from training.tests.test_institutions_support import make_workers

    (worker,) = make_workers(1)
    worker.user = worker_user
    worker.save(update_fields=["user"])
    enrollment = Enrollment.objects.filter(result="passed").first()
    Enrollment.objects.filter(pk=enrollment.pk).update(worker=worker)
    seed(history)
    assert Certificate.objects.filter(worker=worker, level=5, registration__isnull=False).exists()


def test_headline_figures_equal_the_seeded_rows(history):
    seed(history)
    results = Registration.objects.filter(
        status__in=["passed", "failed"], sitting__exam_date__gte=history.start_date
    ).count()
    high = Certificate.objects.filter(level__lte=3, issued_on__gte=history.start_date).count()
    assert appraisals_achieved(campaign=history, until=TODAY) == results > 0
    assert high_skilled_achieved(campaign=history, until=TODAY) == high > 0


def test_counters_are_past_the_seeded_numbers(history):
    seed(history)
    body = AppraisalBody.objects.get(name=demo.CITY_BODY)
    code = f"{body.pk:04d}"
    year = 2014
    fresh = certificate_number_next(issuer_code=code, year=year)
    assert not Certificate.objects.filter(number=fresh).exists()
    pilot = PilotEnterprise.objects.exclude(evaluations=None).first()
    fresh = certificate_number_next(issuer_code=f"Q{pilot.pk:03d}", year=2014)
    assert not Certificate.objects.filter(number=fresh).exists()


def test_seeding_twice_changes_nothing(history):
    seed(history)
    first = counts()
    messages = seed(history)
    assert counts() == first
    assert messages == ["职业技能鉴定：已有数据，跳过"]
    assert AuditEvent.objects.filter(action="demo.seed_appraisal").count() == 1


def test_dashboard_headline_gauges_equal_the_seeded_results_and_certificates(history):
    """What the office's dashboard shows (the month's progress snapshot) for appraisals and
    high-skilled talents is exactly the seeded results and certificates up to that month's end."""
    from training.services.reports import report_compute

    seed(history)
    month_end = TODAY.replace(day=1) - datetime.timedelta(days=1)
    run = report_compute(campaign=history, month=month_end.replace(day=1))
    targets = {t["code"]: t for t in run.totals["targets"]}
    results = Registration.objects.filter(
        status__in=["passed", "failed"],
        sitting__exam_date__gte=history.start_date,
        sitting__exam_date__lte=month_end,
    ).count()
    high = Certificate.objects.filter(
        level__lte=3, issued_on__gte=history.start_date, issued_on__lte=month_end
    ).count()
    assert targets["appraisal"]["achieved"] == results > 0
    assert targets["high_skilled"]["achieved"] == high > 0


def test_a_reviewer_alone_is_enough_no_exception_is_requested_by_its_decider(history):
    """With no office or enterprise account nobody may request a "双一" exception (the reviewer
    decides them): the seeder makes no candidates instead of failing."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    from core.models import User

    User.objects.filter(username__in=["office", "enterprise"]).update(
        username=Concat(Value("renamed_"), "username")
    )
    seed(history)
    assert Registration.objects.exists()
    assert not DualOneException.objects.exists()
