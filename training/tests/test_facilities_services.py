"""The "1688" programme: targets loaded from the plan, facilities and their audited steps, and
progress per target checked against hand computations at the boundaries."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Facility, FacilityEvidence, FacilityTarget
from training.selectors.facilities import facility_progress
from training.services import facilities as services
from training.services.plan import plan_load
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    TODAY,
    bulk_facilities,
    clerk,
    dept,
    facility,
    frozen_fixture,
    media_root,
    office_user,
    target,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen", "media_root")]

Status = Facility.Status


def pdf(name="验收报告.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


def progress_of(plan, kind):
    return next(row for row in facility_progress(campaign=plan) if row.target.kind == kind)


# --------------------------------------------------------------------------------------------
# Targets as plan data
# --------------------------------------------------------------------------------------------


def test_plan_load_creates_the_four_targets_1_6_8_80(plan):
    targets = FacilityTarget.objects.filter(campaign=plan).order_by("sort_order")
    assert [(t.kind, t.figure) for t in targets] == [
        ("technician_college", 1),
        ("county_school", 6),
        ("training_base", 8),
        ("service_centre", 80),
    ]
    assert {t.due_date for t in targets} == {datetime.date(2014, 12, 31)}
    assert {t.department.code for t in targets} == {"rsj"}


def test_targets_reload_is_idempotent_and_restores_a_changed_figure(plan):
    assert not plan_load().changed
    FacilityTarget.objects.filter(campaign=plan, kind="service_centre").update(figure=70)
    result = plan_load()
    assert result.updated == {"facility_targets": 1}
    assert target(plan).figure == 80


# --------------------------------------------------------------------------------------------
# Progress: completed or accepted ÷ target
# --------------------------------------------------------------------------------------------


def test_79_of_80_service_centres_is_98_8_percent_and_not_achieved(plan):
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 40)
    bulk_facilities(plan, "service_centre", Status.ACCEPTED, 39)
    bulk_facilities(plan, "service_centre", Status.UNDER_CONSTRUCTION, 5)
    row = progress_of(plan, "service_centre")
    # Hand computation: 79 × 100 / 80 = 98.75 → 98.8 (half up); under construction not counted.
    assert row.counted == 79
    assert row.accepted == 39
    assert row.under_construction == 5
    assert row.percent == Decimal("98.8")
    assert not row.achieved
    assert row.remaining == 1


def test_80_of_80_service_centres_is_100_percent_and_achieved(plan):
    bulk_facilities(plan, "service_centre", Status.ACCEPTED, 80)
    row = progress_of(plan, "service_centre")
    assert (row.counted, row.percent) == (80, Decimal("100.0"))
    assert (row.achieved, row.remaining) == (True, 0)


def test_under_construction_and_planned_do_not_count(plan):
    bulk_facilities(plan, "county_school", Status.UNDER_CONSTRUCTION, 6)
    bulk_facilities(plan, "county_school", Status.PLANNED, 2)
    row = progress_of(plan, "county_school")
    assert (row.counted, row.planned, row.percent) == (0, 2, Decimal("0.0"))


def test_one_of_six_county_schools_is_16_7_percent(plan):
    # 1 × 100 / 6 = 16.666… → 16.7
    bulk_facilities(plan, "county_school", Status.COMPLETED, 1)
    assert progress_of(plan, "county_school").percent == Decimal("16.7")


def test_more_than_the_target_goes_over_100_percent(plan):
    bulk_facilities(plan, "technician_college", Status.COMPLETED, 2)
    row = progress_of(plan, "technician_college")
    assert (row.percent, row.achieved, row.remaining) == (Decimal("200.0"), True, 0)


def test_progress_is_one_query(plan, django_assert_num_queries):
    bulk_facilities(plan, "training_base", Status.COMPLETED, 3)
    with django_assert_num_queries(1):
        rows = facility_progress(campaign=plan)
    assert [r.counted for r in rows] == [0, 0, 3, 0]


# --------------------------------------------------------------------------------------------
# Facilities and their steps
# --------------------------------------------------------------------------------------------


def test_office_and_target_clerk_register_facilities_others_may_not(plan):
    facility(plan, office_user(), name="甲")
    facility(plan, clerk("rsj"), name="乙")
    for user in (clerk("jyj"), user_with_role(Role.AUDITOR), user_with_role(Role.REVIEWER)):
        with pytest.raises(PermissionDenied):
            facility(plan, user, name="丙")
    assert AuditEvent.objects.filter(action="facility.create").count() == 2


def test_duplicate_name_within_a_target_is_a_field_error(plan):
    facility(plan, office_user())
    with pytest.raises(ValidationError) as exc:
        facility(plan, office_user())
    assert "已登记为就业培训服务中心" in exc.value.message_dict["name"][0]


def test_planned_date_in_the_future_is_refused(plan):
    with pytest.raises(ValidationError) as exc:
        facility(plan, office_user(), planned_on=TODAY + datetime.timedelta(days=1))
    assert "planned_on" in exc.value.message_dict


def test_full_lifecycle_records_each_date_and_audits_each_step(plan):
    office = office_user()
    f = facility(plan, office)
    f = services.facility_start_construction(
        facility=f, on=datetime.date(2013, 10, 8), actor=office
    )
    f = services.facility_complete(
        facility=f, on=datetime.date(2014, 2, 20), evidence=pdf("竣工.pdf"), actor=office
    )
    f = services.facility_accept(facility=f, on=TODAY, evidence=pdf(), actor=clerk("rsj"))
    f.refresh_from_db()
    assert f.status == Status.ACCEPTED
    assert (f.construction_started_on, f.completed_on, f.accepted_on) == (
        datetime.date(2013, 10, 8),
        datetime.date(2014, 2, 20),
        TODAY,
    )
    events = AuditEvent.objects.filter(object_id=str(f.pk), action__startswith="facility.")
    assert [(e.from_state, e.to_state) for e in events.order_by("pk")] == [
        ("", "planned"),
        ("planned", "under_construction"),
        ("under_construction", "completed"),
        ("completed", "accepted"),
    ]
    assert FacilityEvidence.objects.filter(facility=f).count() == 2
    assert not FacilityEvidence.objects.filter(file__contains="验收").exists()  # random names


def test_steps_cannot_be_skipped_or_repeated(plan):
    office = office_user()
    f = facility(plan, office)
    with pytest.raises(RuleViolation) as exc:
        services.facility_complete(facility=f, on=TODAY, evidence=pdf(), actor=office)
    assert "规划中" in exc.value.message
    services.facility_start_construction(facility=f, on=TODAY, actor=office)
    with pytest.raises(RuleViolation):
        services.facility_start_construction(facility=f, on=TODAY, actor=office)


def test_step_date_before_the_previous_step_is_refused_same_day_accepted(plan):
    office = office_user()
    f = facility(plan, office, planned_on=datetime.date(2013, 9, 1))
    with pytest.raises(ValidationError) as exc:
        services.facility_start_construction(
            facility=f, on=datetime.date(2013, 8, 31), actor=office
        )
    assert "不能早于规划中日期" in exc.value.message_dict["on"][0]
    services.facility_start_construction(facility=f, on=datetime.date(2013, 9, 1), actor=office)


def test_step_date_tomorrow_is_refused(plan):
    office = office_user()
    f = facility(plan, office)
    with pytest.raises(ValidationError):
        services.facility_start_construction(
            facility=f, on=TODAY + datetime.timedelta(days=1), actor=office
        )


def test_completion_needs_evidence_uploaded_now_or_before(plan):
    office = office_user()
    f = facility(plan, office)
    services.facility_start_construction(facility=f, on=TODAY, actor=office)
    with pytest.raises(ValidationError) as exc:
        services.facility_complete(facility=f, on=TODAY, actor=office)
    assert "须上传证明材料" in exc.value.message_dict["evidence"][0]
    f.refresh_from_db()
    assert f.status == Status.UNDER_CONSTRUCTION
    # A file uploaded earlier for the step under way does not count for the next step...
    services.facility_evidence_add(facility=f, upload=pdf(), actor=office)
    with pytest.raises(ValidationError):
        services.facility_complete(facility=f, on=TODAY, actor=office)
    services.facility_complete(facility=f, on=TODAY, evidence=pdf(), actor=office)


def test_evidence_with_wrong_content_is_refused(plan):
    office = office_user()
    f = facility(plan, office)
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError) as exc:
        services.facility_evidence_add(facility=f, upload=fake, actor=office)
    assert "内容与扩展名" in exc.value.message_dict["file"][0]
    assert not FacilityEvidence.objects.exists()


def test_other_department_clerk_may_not_advance(plan):
    f = facility(plan, office_user())
    with pytest.raises(PermissionDenied):
        services.facility_start_construction(facility=f, on=TODAY, actor=clerk("jyj"))


def test_database_refuses_a_completed_facility_without_a_completion_date(plan):
    f = facility(plan, office_user())
    with pytest.raises(IntegrityError):
        Facility.objects.filter(pk=f.pk).update(status=Status.COMPLETED)


def test_target_department_is_the_one_in_the_plan(plan):
    assert target(plan).department == dept("rsj")
