"""Services of the monthly-return loop with frozen time (Asia/Shanghai): save, submit, review,
corrections, permissions, and the one audit row each action writes.

The month under test is May 2014: it opens 2014-06-01, is due by 2014-06-03 23:59:59 and locks
after 2014-06-10 23:59:59 (the 2013 plan: due day 3, lock day 10).
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.errors import RuleViolation
from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import UserFactory, user_with_role
from training.models import (
    FIGURE_FIELDS,
    OUTCOME_FIELDS,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    TrainingCategory,
)
from training.services import returns as svc
from training.services.returns import LineInput, ReturnConflict
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


ON_TIME = at(2014, 6, 2, 9, 0)  # inside the window, before the due day ends
AFTER_DUE = at(2014, 6, 5, 9, 0)  # late but not locked
AFTER_LOCK = at(2014, 6, 12, 9, 0)  # the month is closed


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Every test starts on 2 June 2014, 09:00 in Xuchang; tests move it with clock.move_to."""
    time_machine.move_to(ON_TIME, tick=False)
    return time_machine


@pytest.fixture
def office(db):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


@pytest.fixture
def auditor(db):
    return user_with_role(Role.AUDITOR)


@contextmanager
def audit_actions() -> Iterator[list[str]]:
    """Collects the actions of the audit rows written inside the block."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    actions: list[str] = []
    yield actions
    actions.extend(
        AuditEvent.objects.filter(id__gt=last).order_by("id").values_list("action", flat=True)
    )


def save(plan, clerk, *, version=0, month=MAY, lines=None, **figures) -> MonthlyReturn:
    return svc.return_save(
        campaign=plan,
        department=clerk.department,
        month=month,
        lines=lines if lines is not None else lines_for(plan, clerk.department.code, **figures),
        version=version,
        actor=clerk,
    )


def submitted(plan, clerk, **figures) -> MonthlyReturn:
    figures = figures or {"trained": 10, "passed": 8, "certified": 6, "employed": 5}
    ret = save(plan, clerk, **figures)
    return svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


def accepted(plan, clerk, office, **figures) -> MonthlyReturn:
    return svc.return_accept(monthly_return=submitted(plan, clerk, **figures), actor=office)


def returned(plan, clerk, office) -> MonthlyReturn:
    ret = submitted(plan, clerk)
    return svc.return_send_back(monthly_return=ret, reason="合格人数有误", actor=office)


def line_of(ret: MonthlyReturn, number: int) -> ReturnLine:
    return ret.lines.get(category__number=number)


def category_id(plan, number: int) -> int:
    return TrainingCategory.objects.get(campaign=plan, number=number).pk


# ------------------------------------------------------------------------------
# Save
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "numbers"), [("rsj", [2, 3, 4, 5]), ("nyj", [8, 9]), ("gxj", [1])]
)
def test_save_creates_one_line_for_every_category_the_department_owns(plan, code, numbers):
    clerk = clerk_of(code)
    ret = save(plan, clerk, trained=12, passed=10, certified=9, employed=7, entrepreneurs=1)
    assert ret.status == MonthlyReturn.Status.DRAFT
    assert ret.version == 1
    assert sorted(ret.lines.values_list("category__number", flat=True)) == numbers
    for line in ret.lines.all():
        assert line.figures() == {
            "trained": 12,
            "passed": 10,
            "certified": 9,
            "employed": 7,
            "entrepreneurs": 1,
        }


def test_saving_again_updates_the_same_lines_and_bumps_the_version(plan):
    clerk = clerk_of("rsj")
    first = save(plan, clerk, trained=5)
    line_ids = set(first.lines.values_list("id", flat=True))
    second = save(plan, clerk, version=first.version, trained=9, passed=3)
    assert second.pk == first.pk
    assert second.version == first.version + 1
    assert set(second.lines.values_list("id", flat=True)) == line_ids
    assert set(second.lines.values_list("trained", "passed")) == {(9, 3)}


def test_save_with_an_outdated_version_is_a_conflict_and_keeps_the_figures(plan):
    clerk = clerk_of("gxj")
    ret = save(plan, clerk, trained=5)
    save(plan, clerk, version=ret.version, trained=6)
    with pytest.raises(ReturnConflict):
        save(plan, clerk, version=ret.version, trained=99)
    assert line_of(ret, 1).trained == 6


def test_first_save_with_a_nonzero_version_is_a_conflict(plan):
    with pytest.raises(ReturnConflict):
        save(plan, clerk_of("gxj"), version=3, trained=5)
    assert not MonthlyReturn.objects.exists()


def _set(number: int, field: str, value):
    def change(lines: list[LineInput], ids: dict[int, int]) -> list[LineInput]:
        for line in lines:
            if line.category_id == ids[number]:
                line.figures[field] = value
        return lines

    return change


def _drop(number: int):
    def change(lines: list[LineInput], ids: dict[int, int]) -> list[LineInput]:
        return [line for line in lines if line.category_id != ids[number]]

    return change


def _duplicate(number: int):
    def change(lines: list[LineInput], ids: dict[int, int]) -> list[LineInput]:
        return [*lines, LineInput(category_id=ids[number], figures={"trained": 1})]

    return change


INVALID = [
    pytest.param(_set(2, "trained", -1), "2.trained", id="negative-trained"),
    pytest.param(_set(3, "employed", -4), "3.employed", id="negative-employed"),
    pytest.param(_set(2, "trained", "12"), "2.trained", id="text"),
    pytest.param(_set(4, "passed", 1.5), "4.passed", id="float"),
    pytest.param(_set(5, "trained", True), "5.trained", id="bool"),
    pytest.param(_set(2, "trained", None), "2.trained", id="none"),
    *[
        pytest.param(_set(3, name, 11), f"3.{name}", id=f"{name}-above-trained")
        for name in OUTCOME_FIELDS
    ],
    pytest.param(_drop(4), "4", id="missing-category"),
    pytest.param(_duplicate(2), "2", id="duplicate-category"),
]


@pytest.mark.parametrize(("change", "error_key"), INVALID)
def test_invalid_figures_are_refused_and_nothing_is_written(plan, change, error_key):
    clerk = clerk_of("rsj")
    ids = dict(TrainingCategory.objects.filter(campaign=plan).values_list("number", "id"))
    lines = change(lines_for(plan, "rsj", trained=10, passed=8), ids)
    with audit_actions() as actions, pytest.raises(ValidationError) as exc:
        save(plan, clerk, lines=lines)
    assert error_key in exc.value.message_dict
    assert MonthlyReturn.objects.count() == 0
    assert ReturnLine.objects.count() == 0
    assert actions == []


@pytest.mark.parametrize(("change", "error_key"), INVALID[:8])
def test_invalid_figures_leave_an_existing_draft_untouched(plan, change, error_key):
    clerk = clerk_of("rsj")
    ret = save(plan, clerk, trained=10, passed=8)
    ids = dict(TrainingCategory.objects.filter(campaign=plan).values_list("number", "id"))
    with audit_actions() as actions, pytest.raises(ValidationError) as exc:
        save(plan, clerk, version=ret.version, lines=change(lines_for(plan, "rsj"), ids))
    assert error_key in exc.value.message_dict
    ret.refresh_from_db()
    assert ret.version == 1
    assert set(ret.lines.values_list("trained", "passed")) == {(10, 8)}
    assert actions == []


def test_outcome_equal_to_trained_is_accepted(plan):
    figures = dict.fromkeys(FIGURE_FIELDS, 7)
    ret = save(plan, clerk_of("gxj"), **figures)
    assert line_of(ret, 1).figures() == figures


def test_a_category_of_another_department_is_refused_as_forged(plan):
    clerk = clerk_of("rsj")
    lines = [*lines_for(plan, "rsj", trained=3), *lines_for(plan, "gxj", trained=3)]
    with audit_actions() as actions, pytest.raises(PermissionDenied):
        save(plan, clerk, lines=lines)
    assert MonthlyReturn.objects.count() == 0
    assert actions == []


def test_a_month_outside_the_campaign_is_refused(plan):
    with pytest.raises(RuleViolation):
        save(plan, clerk_of("gxj"), month=datetime.date(2015, 1, 1), trained=1)
    assert not MonthlyReturn.objects.exists()


# ------------------------------------------------------------------------------
# Submit
# ------------------------------------------------------------------------------


def test_submit_records_the_first_submission_and_is_on_time(plan):
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)
    assert ret.status == MonthlyReturn.Status.SUBMITTED
    assert ret.first_submitted_at == ON_TIME
    assert ret.submitted_at == ON_TIME
    assert ret.submitted_by == clerk
    assert ret.is_late is False
    assert ret.version == 2


def test_first_submission_after_the_due_day_is_late(plan, clock):
    clock.move_to(AFTER_DUE, tick=False)
    ret = submitted(plan, clerk_of("rsj"))
    assert ret.is_late is True


def test_return_sent_back_and_resubmitted_after_due_day_stays_on_time(plan, clock, office):
    clerk = clerk_of("rsj")
    ret = returned(plan, clerk, office)
    clock.move_to(AFTER_LOCK, tick=False)
    ret = save(plan, clerk, version=ret.version, trained=10, passed=7)
    assert ret.status == MonthlyReturn.Status.RETURNED
    ret = svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    assert ret.status == MonthlyReturn.Status.SUBMITTED
    assert ret.first_submitted_at == ON_TIME
    assert ret.submitted_at == AFTER_LOCK
    assert ret.is_late is False


def test_late_return_sent_back_stays_late_when_resubmitted(plan, clock, office):
    clock.move_to(AFTER_DUE, tick=False)
    clerk = clerk_of("gxj")
    ret = returned(plan, clerk, office)
    ret = svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    assert ret.is_late is True
    assert ret.first_submitted_at == AFTER_DUE


def test_submit_with_an_outdated_version_is_a_conflict(plan):
    clerk = clerk_of("gxj")
    ret = save(plan, clerk, trained=3)
    save(plan, clerk, version=ret.version, trained=4)
    with pytest.raises(ReturnConflict):
        svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    ret.refresh_from_db()
    assert ret.status == MonthlyReturn.Status.DRAFT
    assert ret.first_submitted_at is None


def test_a_submitted_return_cannot_be_submitted_again(plan):
    clerk = clerk_of("gxj")
    ret = submitted(plan, clerk)
    with pytest.raises(RuleViolation, match="已提交"):
        svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


# ------------------------------------------------------------------------------
# Review transitions
# ------------------------------------------------------------------------------


def test_office_accepts_a_submitted_return(plan, office):
    ret = accepted(plan, clerk_of("rsj"), office)
    assert ret.status == MonthlyReturn.Status.ACCEPTED
    assert ret.decided_by == office
    assert ret.decided_at == ON_TIME


@pytest.mark.parametrize("state", ["draft", "returned", "accepted"])
def test_accept_only_from_submitted(plan, office, state):
    clerk = clerk_of("gxj")
    ret = {
        "draft": lambda: save(plan, clerk, trained=3),
        "returned": lambda: returned(plan, clerk, office),
        "accepted": lambda: accepted(plan, clerk, office),
    }[state]()
    with audit_actions() as actions, pytest.raises(RuleViolation, match="只有已提交"):
        svc.return_accept(monthly_return=ret, actor=office)
    ret.refresh_from_db()
    assert ret.status == state
    assert actions == []


def test_send_back_records_the_reason_for_the_clerk(plan, office):
    ret = returned(plan, clerk_of("gxj"), office)
    assert ret.status == MonthlyReturn.Status.RETURNED
    assert ret.return_reason == "合格人数有误"


@pytest.mark.parametrize("reason", ["", "   "])
def test_send_back_needs_a_reason(plan, office, reason):
    ret = submitted(plan, clerk_of("gxj"))
    with audit_actions() as actions, pytest.raises(ValidationError) as exc:
        svc.return_send_back(monthly_return=ret, reason=reason, actor=office)
    assert "reason" in exc.value.message_dict
    ret.refresh_from_db()
    assert ret.status == MonthlyReturn.Status.SUBMITTED
    assert actions == []


def test_send_back_only_from_submitted(plan, office):
    ret = save(plan, clerk_of("gxj"), trained=3)
    with pytest.raises(RuleViolation):
        svc.return_send_back(monthly_return=ret, reason="请补充", actor=office)
    ret.refresh_from_db()
    assert ret.status == MonthlyReturn.Status.DRAFT


def test_an_accepted_return_cannot_be_saved(plan, office):
    clerk = clerk_of("gxj")
    ret = accepted(plan, clerk, office)
    with audit_actions() as actions, pytest.raises(RuleViolation, match="已审核通过"):
        save(plan, clerk, version=ret.version, trained=99)
    assert line_of(ret, 1).trained == 10
    assert actions == []


def test_a_submitted_return_cannot_be_saved(plan):
    clerk = clerk_of("gxj")
    ret = submitted(plan, clerk)
    with pytest.raises(RuleViolation, match="已提交，等待办公室审核"):
        save(plan, clerk, version=ret.version, trained=99)
    assert line_of(ret, 1).trained == 10


def test_a_returned_return_can_be_saved_after_the_lock_day(plan, clock, office):
    clerk = clerk_of("rsj")
    ret = returned(plan, clerk, office)
    clock.move_to(AFTER_LOCK, tick=False)
    ret = save(plan, clerk, version=ret.version, trained=20, passed=19)
    assert set(ret.lines.values_list("trained", "passed")) == {(20, 19)}


def test_a_draft_cannot_be_saved_after_the_lock_day(plan, clock):
    clerk = clerk_of("rsj")
    ret = save(plan, clerk, trained=3)
    clock.move_to(AFTER_LOCK, tick=False)
    with pytest.raises(RuleViolation, match="已过锁定日期"):
        save(plan, clerk, version=ret.version, trained=4)


# ------------------------------------------------------------------------------
# Permissions
# ------------------------------------------------------------------------------


def test_clerk_of_another_department_cannot_save_and_nothing_is_written(plan):
    intruder = clerk_of("gxj")
    rsj = Department.objects.get(code="rsj")
    with audit_actions() as actions, pytest.raises(PermissionDenied):
        svc.return_save(
            campaign=plan,
            department=rsj,
            month=MAY,
            lines=lines_for(plan, "rsj", trained=1),
            version=0,
            actor=intruder,
        )
    assert MonthlyReturn.objects.count() == 0
    assert ReturnLine.objects.count() == 0
    assert actions == []


def test_clerk_of_another_department_cannot_submit_or_request_corrections(plan, office):
    ret = accepted(plan, clerk_of("rsj"), office)
    draft = save(plan, clerk_of("gxj"), trained=2)
    intruder = clerk_of("jyj")
    with audit_actions() as actions:
        with pytest.raises(PermissionDenied):
            svc.return_submit(monthly_return=draft, version=draft.version, actor=intruder)
        with pytest.raises(PermissionDenied):
            svc.correction_request(
                monthly_return=ret,
                proposed={category_id(plan, 2): {"trained": 11}},
                reason="改",
                actor=intruder,
            )
    assert actions == []
    draft.refresh_from_db()
    assert draft.status == MonthlyReturn.Status.DRAFT
    assert not CorrectionRequest.objects.exists()


def test_a_clerk_without_the_clerk_role_cannot_save(plan):
    staff = user_with_role(Role.REVIEWER, department=Department.objects.get(code="rsj"))
    with pytest.raises(PermissionDenied):
        save(plan, staff, trained=1)
    assert MonthlyReturn.objects.count() == 0


def test_office_cannot_save_figures(plan, office):
    with pytest.raises(PermissionDenied):
        svc.return_save(
            campaign=plan,
            department=Department.objects.get(code="rsj"),
            month=MAY,
            lines=lines_for(plan, "rsj", trained=1),
            version=0,
            actor=office,
        )
    assert MonthlyReturn.objects.count() == 0


def test_auditor_writes_nothing(plan, auditor, office):
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)
    with audit_actions() as actions:
        with pytest.raises(PermissionDenied):
            svc.return_accept(monthly_return=ret, actor=auditor)
        with pytest.raises(PermissionDenied):
            svc.return_send_back(monthly_return=ret, reason="不对", actor=auditor)
        with pytest.raises(PermissionDenied):
            svc.unlock_grant(
                campaign=plan,
                department=clerk.department,
                month=MAY,
                reason="补报",
                expires_at=at(2014, 6, 30),
                actor=auditor,
            )
    assert actions == []
    ret.refresh_from_db()
    assert ret.status == MonthlyReturn.Status.SUBMITTED

    ret = svc.return_accept(monthly_return=ret, actor=office)
    correction = svc.correction_request(
        monthly_return=ret,
        proposed={category_id(plan, 2): {"trained": 11}},
        reason="漏报",
        actor=clerk,
    )
    with pytest.raises(PermissionDenied):
        svc.correction_approve(correction=correction, actor=auditor)
    with pytest.raises(PermissionDenied):
        svc.correction_refuse(correction=correction, reason="不同意", actor=auditor)
    correction.refresh_from_db()
    assert correction.status == CorrectionRequest.Status.PENDING


def test_a_clerk_cannot_accept_their_own_return(plan):
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)
    with pytest.raises(PermissionDenied):
        svc.return_accept(monthly_return=ret, actor=clerk)


# ------------------------------------------------------------------------------
# Corrections
# ------------------------------------------------------------------------------


def request(plan, ret, clerk, proposed=None, reason="漏报了一个班"):
    return svc.correction_request(
        monthly_return=ret,
        proposed=proposed if proposed is not None else {category_id(plan, 2): {"trained": 15}},
        reason=reason,
        actor=clerk,
    )


def test_correction_can_be_requested_for_an_accepted_return(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    correction = request(plan, ret, clerk, {category_id(plan, 2): {"trained": 15, "passed": 8}})
    assert correction.status == CorrectionRequest.Status.PENDING
    # Only the figures that change are kept.
    assert correction.proposed == {str(category_id(plan, 2)): {"trained": 15}}
    assert correction.requested_by == clerk
    assert line_of(ret, 2).trained == 10  # nothing changes before the office approves


def test_correction_can_be_requested_for_a_submitted_return_after_the_lock_day(plan, clock):
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)
    clock.move_to(AFTER_LOCK, tick=False)
    assert request(plan, ret, clerk).status == CorrectionRequest.Status.PENDING


@pytest.mark.parametrize("state", ["draft", "submitted_before_lock", "returned"])
def test_correction_refused_when_the_return_can_still_be_changed_otherwise(plan, office, state):
    clerk = clerk_of("rsj")
    ret = {
        "draft": lambda: save(plan, clerk, trained=10),
        "submitted_before_lock": lambda: submitted(plan, clerk),
        "returned": lambda: returned(plan, clerk, office),
    }[state]()
    with audit_actions() as actions, pytest.raises(RuleViolation):
        request(plan, ret, clerk)
    assert not CorrectionRequest.objects.exists()
    assert actions == []


def test_correction_needs_a_reason(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    with pytest.raises(ValidationError) as exc:
        request(plan, ret, clerk, reason="  ")
    assert "reason" in exc.value.message_dict
    assert not CorrectionRequest.objects.exists()


def test_only_one_pending_correction_per_return(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    request(plan, ret, clerk)
    with pytest.raises(RuleViolation, match="已有待审批"):
        request(plan, ret, clerk, {category_id(plan, 3): {"trained": 12}})
    assert CorrectionRequest.objects.count() == 1


def test_database_refuses_a_second_pending_correction(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    request(plan, ret, clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionRequest.objects.create(
            monthly_return=ret, reason="绕过服务", proposed={}, requested_by=clerk
        )
    assert CorrectionRequest.objects.count() == 1


def test_a_new_correction_may_follow_a_decided_one(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    svc.correction_refuse(correction=request(plan, ret, clerk), reason="无依据", actor=office)
    assert request(plan, ret, clerk).status == CorrectionRequest.Status.PENDING
    assert CorrectionRequest.objects.count() == 2


@pytest.mark.parametrize("proposed", [{}, {2: {}}, {2: {"trained": 10, "passed": 8}}])
def test_correction_without_a_change_is_refused(plan, office, proposed):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    proposed = {category_id(plan, number): figures for number, figures in proposed.items()}
    with pytest.raises(RuleViolation, match="无需申请"):
        request(plan, ret, clerk, proposed)
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize(
    ("figures", "error_key"),
    [
        ({"trained": 5}, "2.passed"),  # passed 8 would exceed the new trained
        ({"certified": 11}, "2.certified"),
        ({"employed": -1}, "2.employed"),
        ({"entrepreneurs": "3"}, "2.entrepreneurs"),
    ],
)
def test_correction_that_would_leave_invalid_figures_is_refused(plan, office, figures, error_key):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    with pytest.raises(ValidationError) as exc:
        request(plan, ret, clerk, {category_id(plan, 2): figures})
    assert error_key in exc.value.message_dict
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize(
    "proposed",
    [
        pytest.param(lambda plan: {category_id(plan, 1): {"trained": 3}}, id="other-category"),
        pytest.param(lambda plan: {category_id(plan, 2): {"version": 3}}, id="not-a-figure"),
    ],
)
def test_correction_of_something_that_is_not_a_figure_of_the_return_is_forged(
    plan, office, proposed
):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    with pytest.raises(PermissionDenied):
        request(plan, ret, clerk, proposed(plan))
    assert not CorrectionRequest.objects.exists()


def test_approved_correction_writes_one_amendment_per_changed_figure(plan, clock, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    proposed = {
        category_id(plan, 2): {"trained": 14, "passed": 12},
        category_id(plan, 5): {"entrepreneurs": 2},
    }
    correction = request(plan, ret, clerk, proposed)
    clock.move_to(AFTER_LOCK, tick=False)
    correction = svc.correction_approve(correction=correction, actor=office, reason="核实无误")
    assert correction.status == CorrectionRequest.Status.APPROVED
    assert correction.decided_by == office
    assert correction.decided_at == AFTER_LOCK
    amendments = {
        (a.line.category.number, a.field): (a.old_value, a.new_value)
        for a in ReturnAmendment.objects.filter(correction=correction)
    }
    assert amendments == {
        (2, "trained"): (10, 14),
        (2, "passed"): (8, 12),
        (5, "entrepreneurs"): (0, 2),
    }
    ret.refresh_from_db()
    assert ret.status == MonthlyReturn.Status.ACCEPTED
    assert ret.amended_after_deadline is True
    assert (line_of(ret, 2).trained, line_of(ret, 2).passed) == (14, 12)
    assert line_of(ret, 5).entrepreneurs == 2
    assert line_of(ret, 3).figures() == {
        "trained": 10,
        "passed": 8,
        "certified": 6,
        "employed": 5,
        "entrepreneurs": 0,
    }


def test_correction_approved_before_the_lock_day_is_not_flagged_as_after_deadline(plan, office):
    clerk = clerk_of("gxj")
    ret = accepted(plan, clerk, office)
    svc.correction_approve(
        correction=request(plan, ret, clerk, {category_id(plan, 1): {"trained": 12}}), actor=office
    )
    ret.refresh_from_db()
    assert ret.amended_after_deadline is False
    assert line_of(ret, 1).trained == 12


def test_the_requester_cannot_approve_their_own_correction(plan, office):
    rsj = Department.objects.get(code="rsj")
    both = UserFactory(roles=[Role.OFFICE, Role.CLERK], department=rsj)
    ret = accepted(plan, both, office)
    correction = request(plan, ret, both)
    with audit_actions() as actions, pytest.raises(PermissionDenied):
        svc.correction_approve(correction=correction, actor=both)
    correction.refresh_from_db()
    assert correction.status == CorrectionRequest.Status.PENDING
    assert line_of(ret, 2).trained == 10
    assert not ReturnAmendment.objects.exists()
    assert actions == []
    # Another office member may.
    svc.correction_approve(correction=correction, actor=office)
    assert line_of(ret, 2).trained == 15


def test_refusal_needs_a_reason_and_changes_no_figure(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    correction = request(plan, ret, clerk)
    with pytest.raises(ValidationError):
        svc.correction_refuse(correction=correction, reason=" ", actor=office)
    correction = svc.correction_refuse(correction=correction, reason="无培训记录佐证", actor=office)
    assert correction.status == CorrectionRequest.Status.REFUSED
    assert correction.decision_reason == "无培训记录佐证"
    ret.refresh_from_db()
    assert line_of(ret, 2).trained == 10
    assert ret.amended_after_deadline is False
    assert not ReturnAmendment.objects.exists()


def test_a_decided_correction_cannot_be_decided_again(plan, office):
    clerk = clerk_of("rsj")
    ret = accepted(plan, clerk, office)
    correction = svc.correction_approve(correction=request(plan, ret, clerk), actor=office)
    with pytest.raises(RuleViolation, match="已处理"):
        svc.correction_approve(correction=correction, actor=office)
    with pytest.raises(RuleViolation, match="已处理"):
        svc.correction_refuse(correction=correction, reason="改主意", actor=office)
    assert ReturnAmendment.objects.count() == 1


def test_correction_on_a_return_sent_back_meanwhile_cannot_be_approved(plan, clock, office):
    """A submitted return past its lock day may get a correction request; if the office then
    sends it back, the clerk edits it directly and the stale request must not overwrite that."""
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)
    clock.move_to(AFTER_LOCK, tick=False)
    correction = request(plan, ret, clerk, {category_id(plan, 2): {"trained": 9}})
    ret = svc.return_send_back(monthly_return=ret, reason="请直接修改", actor=office)
    ret = save(plan, clerk, version=ret.version, trained=5, passed=5)
    with pytest.raises(RuleViolation):
        svc.correction_approve(correction=correction, actor=office)
    assert line_of(ret, 2).figures()["trained"] == 5
    assert not ReturnAmendment.objects.exists()


# ------------------------------------------------------------------------------
# Audit
# ------------------------------------------------------------------------------


def test_every_action_writes_exactly_one_audit_row_with_its_name(plan, clock, office):
    clerk = clerk_of("rsj")

    def step(expected: str, call):
        with audit_actions() as actions:
            result = call()
        assert actions == [expected]
        return result

    ret = step("monthly_return.save", lambda: save(plan, clerk, trained=10, passed=8))
    ret = step(
        "monthly_return.submit",
        lambda: svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk),
    )
    ret = step(
        "monthly_return.send_back",
        lambda: svc.return_send_back(monthly_return=ret, reason="请核对", actor=office),
    )
    ret = step("monthly_return.save", lambda: save(plan, clerk, version=ret.version, trained=11))
    ret = step(
        "monthly_return.submit",
        lambda: svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk),
    )
    ret = step("monthly_return.accept", lambda: svc.return_accept(monthly_return=ret, actor=office))
    first = step("monthly_return.correction_request", lambda: request(plan, ret, clerk))
    step(
        "monthly_return.correction_refuse",
        lambda: svc.correction_refuse(correction=first, reason="不予更正", actor=office),
    )
    second = step("monthly_return.correction_request", lambda: request(plan, ret, clerk))
    step(
        "monthly_return.correction_approve",
        lambda: svc.correction_approve(correction=second, actor=office),
    )
    clock.move_to(AFTER_LOCK, tick=False)
    step(
        "monthly_return.unlock",
        lambda: svc.unlock_grant(
            campaign=plan,
            department=Department.objects.get(code="gxj"),
            month=MAY,
            reason="系统故障",
            expires_at=at(2014, 6, 13, 18),
            actor=office,
        ),
    )
    trail = AuditEvent.objects.for_object(ret)
    assert trail.filter(action="monthly_return.save").count() == 2
    assert trail.filter(action="monthly_return.accept", actor=office).count() == 1


def test_audit_row_of_a_save_names_the_figures_that_changed(plan):
    clerk = clerk_of("gxj")
    ret = save(plan, clerk, trained=10, passed=8)
    save(plan, clerk, version=ret.version, trained=12, passed=8)
    event = AuditEvent.objects.for_object(ret).filter(action="monthly_return.save").first()
    assert event.actor == clerk
    assert event.changes == {"1.trained": [10, 12]}


def test_audit_row_of_a_send_back_carries_the_reason_and_states(plan, office):
    ret = returned(plan, clerk_of("gxj"), office)
    event = AuditEvent.objects.for_object(ret).get(action="monthly_return.send_back")
    assert (event.from_state, event.to_state, event.reason) == (
        "submitted",
        "returned",
        "合格人数有误",
    )


def test_stale_correction_that_would_break_resubmitted_figures_is_refused(plan, clock, office):
    clerk = clerk_of("rsj")
    ret = submitted(plan, clerk)  # trained 10, passed 8
    clock.move_to(AFTER_LOCK, tick=False)
    correction = request(plan, ret, clerk, {category_id(plan, 2): {"trained": 8}})
    ret = svc.return_send_back(monthly_return=ret, reason="请直接修改", actor=office)
    ret = save(plan, clerk, version=ret.version, trained=9, passed=9)
    ret = svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    with pytest.raises(RuleViolation, match="不成立"):
        svc.correction_approve(correction=correction, actor=office)
    assert (line_of(ret, 2).trained, line_of(ret, 2).passed) == (9, 9)
    assert not ReturnAmendment.objects.exists()
    # The office can still close it with a reason.
    svc.correction_refuse(correction=correction, reason="数据已重新报送", actor=office)
