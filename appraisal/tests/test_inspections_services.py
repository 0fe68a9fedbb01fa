"""Employment-access inspections (就业准入): recording, the deadline, follow-up, and overdue as a
fact of the calendar (core.clock.today()). Time: 15 June 2014 unless a test moves it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from appraisal.models import EmploymentInspection
from appraisal.services import inspections as svc
from appraisal.tests.test_pilots_support import D, at, county, office, reviewer
from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role

pytestmark = pytest.mark.django_db

Status = EmploymentInspection.Status
TODAY = D(2014, 6, 15)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)
    return time_machine


@pytest.fixture
def inspector(plan):
    return reviewer()


def data(**overrides) -> svc.InspectionInput:
    values = {
        "employer": "许昌某机械有限公司",
        "county": county(),
        "inspected_on": D(2014, 6, 10),
        "posts_checked": "电工、焊工",
        "workers_checked": 20,
        "uncertified_found": 3,
        "violations": "3名焊工未取得职业资格证书上岗",
        "deadline": D(2014, 8, 10),
    }
    values.update(overrides)
    return svc.InspectionInput(**values)


def record(actor, **overrides) -> EmploymentInspection:
    return svc.inspection_record(data=data(**overrides), actor=actor)


def test_violation_found_opens_the_inspection_with_its_deadline(inspector):
    inspection = record(inspector)
    assert inspection.status == Status.OPEN
    assert inspection.inspector == inspector
    assert inspection.deadline == D(2014, 8, 10)
    event = AuditEvent.objects.for_object(inspection).get()
    assert event.action == "appraisal.inspection_record"
    assert event.changes["uncertified_found"] == 3


def test_nothing_found_is_compliant_without_a_deadline(inspector):
    inspection = record(inspector, uncertified_found=0, violations="", deadline=None)
    assert inspection.status == Status.COMPLIANT
    assert inspection.deadline is None


def test_no_deadline_when_nothing_was_found(inspector):
    with pytest.raises(ValidationError) as caught:
        record(inspector, uncertified_found=0, violations="")
    assert "deadline" in caught.value.message_dict


def test_deadline_must_follow_the_inspection_day(inspector):
    with pytest.raises(ValidationError) as caught:
        record(inspector, deadline=D(2014, 6, 10))
    assert "deadline" in caught.value.message_dict
    assert record(inspector, deadline=D(2014, 6, 11)).deadline == D(2014, 6, 11)


def test_violation_needs_a_deadline_and_a_description(inspector):
    with pytest.raises(ValidationError) as caught:
        record(inspector, deadline=None, violations=" ")
    assert set(caught.value.message_dict) == {"deadline", "violations"}


def test_uncertified_may_not_exceed_those_checked(inspector):
    with pytest.raises(ValidationError) as caught:
        record(inspector, workers_checked=3, uncertified_found=4)
    assert "uncertified_found" in caught.value.message_dict
    assert record(inspector, workers_checked=3, uncertified_found=3).uncertified_found == 3


def test_inspection_day_may_not_be_in_the_future(inspector):
    with pytest.raises(ValidationError) as caught:
        record(inspector, inspected_on=D(2014, 6, 16), deadline=D(2014, 9, 1))
    assert "inspected_on" in caught.value.message_dict
    assert record(inspector, inspected_on=TODAY).inspected_on == TODAY


@pytest.mark.parametrize(
    "changes",
    [
        {"uncertified_found": 0},  # open without anything found
        {"deadline": None},  # a violation without a deadline
        {"deadline": D(2014, 6, 10)},  # deadline on the inspection day
        {"violations": ""},  # a violation without its description
        {"uncertified_found": 21},  # more found than checked
        {"status": "closed"},
    ],
)
def test_database_holds_every_inspection_invariant(inspector, changes):
    inspection = record(inspector)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentInspection.objects.filter(pk=inspection.pk).update(**changes)


def test_database_requires_a_follow_up_date_when_rectified(inspector):
    inspection = record(inspector)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentInspection.objects.filter(pk=inspection.pk).update(status=Status.RECTIFIED)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CLERK, Role.INSTITUTION, Role.WORKER])
def test_only_reviewers_and_the_office_record(inspector, role):
    with pytest.raises(PermissionDenied):
        record(user_with_role(role))
    assert record(office()).status == Status.OPEN


# ---- follow-up and overdue -----------------------------------------------------------------


def test_follow_up_that_finds_them_certified_rectifies(inspector):
    inspection = record(inspector)
    done = svc.inspection_follow_up(
        inspection=inspection,
        followed_up_on=D(2014, 6, 14),
        note="3人已取得焊工中级证书",
        rectified=True,
        actor=inspector,
    )
    assert done.status == Status.RECTIFIED
    event = AuditEvent.objects.for_object(done).filter(action="appraisal.inspection_rectify").get()
    assert (event.from_state, event.to_state) == (Status.OPEN, Status.RECTIFIED)
    assert event.changes["after_deadline"] is False


def test_follow_up_without_rectification_keeps_it_open(inspector):
    inspection = record(inspector)
    still = svc.inspection_follow_up(
        inspection=inspection,
        followed_up_on=D(2014, 6, 15),
        note="正在培训",
        rectified=False,
        actor=inspector,
    )
    assert still.status == Status.OPEN
    assert still.follow_up_note == "正在培训"
    assert AuditEvent.objects.for_object(still).filter(action="appraisal.inspection_follow_up")


def test_rectified_and_compliant_inspections_take_no_follow_up(inspector):
    compliant = record(inspector, uncertified_found=0, violations="", deadline=None)
    rectified = record(inspector)
    svc.inspection_follow_up(
        inspection=rectified, followed_up_on=TODAY, note="已整改", rectified=True, actor=inspector
    )
    for inspection in (compliant, rectified):
        with pytest.raises(RuleViolation):
            svc.inspection_follow_up(
                inspection=inspection,
                followed_up_on=TODAY,
                note="x",
                rectified=True,
                actor=inspector,
            )


def test_follow_up_date_between_inspection_and_today(inspector):
    inspection = record(inspector)
    for day in (D(2014, 6, 9), D(2014, 6, 16)):
        with pytest.raises(ValidationError) as caught:
            svc.inspection_follow_up(
                inspection=inspection, followed_up_on=day, note="x", rectified=True, actor=inspector
            )
        assert "followed_up_on" in caught.value.message_dict
    svc.inspection_follow_up(
        inspection=inspection,
        followed_up_on=D(2014, 6, 10),
        note="x",
        rectified=True,
        actor=inspector,
    )


def test_follow_up_needs_a_note_and_a_recorder(inspector):
    inspection = record(inspector)
    with pytest.raises(ValidationError):
        svc.inspection_follow_up(
            inspection=inspection, followed_up_on=TODAY, note=" ", rectified=True, actor=inspector
        )
    with pytest.raises(PermissionDenied):
        svc.inspection_follow_up(
            inspection=inspection,
            followed_up_on=TODAY,
            note="x",
            rectified=True,
            actor=user_with_role(Role.AUDITOR),
        )


def test_overdue_starts_the_day_after_the_deadline(inspector, frozen):
    inspection = record(inspector, deadline=D(2014, 6, 20))
    auditor = user_with_role(Role.AUDITOR)

    def overdue_ids():
        return list(
            svc.inspection_list(user=auditor, state=svc.STATE_OVERDUE).values_list("pk", flat=True)
        )

    frozen.move_to(at(2014, 6, 20, 23, 59), tick=False)
    assert not inspection.is_overdue(D(2014, 6, 20))
    assert overdue_ids() == []
    assert svc.inspection_summary(user=auditor)["open"] == 1
    frozen.move_to(at(2014, 6, 21, 0, 0), tick=False)
    assert inspection.is_overdue(D(2014, 6, 21))
    assert overdue_ids() == [inspection.pk]
    summary = svc.inspection_summary(user=auditor)
    assert (summary["open"], summary["overdue"]) == (0, 1)


def test_rectified_is_never_overdue(inspector, frozen):
    inspection = record(inspector, deadline=D(2014, 6, 20))
    svc.inspection_follow_up(
        inspection=inspection, followed_up_on=TODAY, note="已整改", rectified=True, actor=inspector
    )
    frozen.move_to(at(2014, 12, 1, 10), tick=False)
    inspection.refresh_from_db()
    assert not inspection.is_overdue(D(2014, 12, 1))
    assert svc.inspection_summary(user=inspector)["overdue"] == 0


def test_list_filters(inspector):
    from appraisal.tests.test_pilots_support import county as county_of

    a = record(inspector, employer="许昌甲公司", county=county_of("weidu"))
    b = record(inspector, employer="禹州乙公司", county=county_of("yuzhou"))
    c = record(
        inspector,
        employer="许昌丙公司",
        inspected_on=D(2013, 12, 1),
        deadline=D(2014, 1, 1),
    )
    d = record(inspector, employer="许昌丁公司", uncertified_found=0, violations="", deadline=None)
    ids = lambda **kw: set(svc.inspection_list(user=inspector, **kw).values_list("pk", flat=True))  # noqa: E731
    assert ids(county=county_of("yuzhou")) == {b.pk}
    assert ids(employer="许昌") == {a.pk, c.pk, d.pk}
    assert ids(year=2013) == {c.pk}
    assert ids(state=svc.STATE_OVERDUE) == {c.pk}
    assert ids(state=svc.STATE_OPEN) == {a.pk, b.pk}
    assert ids(state=svc.STATE_COMPLIANT) == {d.pk}
    assert svc.inspection_list(user=user_with_role(Role.CLERK)).count() == 0
