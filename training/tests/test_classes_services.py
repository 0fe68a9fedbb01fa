"""The class services at each rule's boundary: creation and editing, opening approval
(maker-checker, revoked institutions, capacity, dates), the reproducible draw of spot-check days,
inspections, closing, attendance (per session and uploaded), results, referrals and orders."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.crypto import decrypt
from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from core.xlsx import XlsxError, XlsxWriter
from training.models import (
    AttendanceRecord,
    CooperationOrder,
    Enrollment,
    Inspection,
    Institution,
    SpecialtyIndustry,
    TrainingClass,
)
from training.selectors import classes as sel
from training.services import classes as svc
from training.tests.test_classes_support import (  # noqa: F401 (fixtures)
    END,
    HOME,
    OTHER,
    START,
    approved_class,
    at,
    category,
    department_user,
    enroll,
    frozen_fixture,
    institution,
    make_class,
    media_root,
    occupation,
    pdf,
    rsj_clerk,
    staff_of,
)

pytestmark = pytest.mark.django_db


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def message_of(excinfo) -> str:
    return str(excinfo.value)


# --------------------------------------------------------------------------------------------
# Creating and editing a class
# --------------------------------------------------------------------------------------------


def test_class_create_gives_sequential_codes_of_the_year_and_audits(plan):
    staff = staff_of()
    first = make_class(plan, staff)
    second = make_class(plan, staff)
    assert (first.code, second.code) == ("2014-000001", "2014-000002")
    assert first.status == TrainingClass.Status.DRAFT
    assert AuditEvent.objects.filter(action="class.create").count() == 2
    # Stored under a random name, never the uploader's.
    assert "审批表" not in first.approval_form.name
    assert first.approval_form.name.endswith(".pdf")


def test_class_create_refused_for_a_revoked_institution(plan):
    staff = staff_of()
    Institution.objects.filter(pk=staff.institution_id).update(
        designation=Institution.Designation.REVOKED
    )
    staff.institution.refresh_from_db()
    with pytest.raises(RuleViolation, match="机构已被取消定点资格，不能开班"):
        make_class(plan, staff)
    assert not TrainingClass.objects.exists()


def test_warned_institution_may_still_open_classes(plan):
    staff = staff_of()
    Institution.objects.filter(pk=staff.institution_id).update(
        designation=Institution.Designation.WARNED
    )
    staff.institution.refresh_from_db()
    assert make_class(plan, staff).pk


def test_class_create_by_staff_of_another_institution_is_permission_denied(plan):
    staff = staff_of(OTHER)
    with pytest.raises(PermissionDenied):
        svc.class_create(
            campaign=plan,
            institution=institution(HOME),
            data=svc.ClassInput(
                name="x",
                category=category(plan),
                occupation=occupation(),
                kind="employment",
                start_date=START,
                end_date=END,
                planned_sessions=1,
                capacity=1,
                teachers="t",
            ),
            actor=staff,
        )


def test_end_date_before_start_date_refused_and_same_day_accepted(plan):
    with pytest.raises(ValidationError) as excinfo:
        make_class(plan, end_date=START - datetime.timedelta(days=1))
    assert excinfo.value.message_dict["end_date"] == ["结业日期不能早于开班日期"]
    assert make_class(plan, end_date=START).pk


@pytest.mark.parametrize(
    ("field", "message"), [("planned_sessions", "计划课次"), ("capacity", "计划人数")]
)
def test_zero_sessions_or_capacity_refused_and_one_accepted(plan, field, message):
    with pytest.raises(ValidationError) as excinfo:
        make_class(plan, **{field: 0})
    assert message in excinfo.value.message_dict[field][0]
    assert make_class(plan, **{field: 1}).pk


def test_specialty_of_another_county_needs_an_on_site_class(plan):
    yuzhou = SpecialtyIndustry.objects.get(campaign=plan, name="钧瓷制作")
    weidu = SpecialtyIndustry.objects.get(campaign=plan, name="电工电子产品")
    with pytest.raises(ValidationError) as excinfo:
        make_class(plan, specialty=yuzhou)
    assert "只有上门培训才能选择" in excinfo.value.message_dict["specialty"][0]
    assert make_class(plan, specialty=yuzhou, on_site=True).specialty == yuzhou
    assert make_class(plan, specialty=weidu).specialty == weidu


def test_order_must_be_of_the_same_institution_and_occupation(plan):
    own = CooperationOrder.objects.create(
        campaign=plan,
        enterprise="许继集团",
        institution=institution(HOME),
        kind="order",
        occupation=occupation("ZY001"),
        year=2014,
        yearly_target=1500,
    )
    foreign = CooperationOrder.objects.create(
        campaign=plan,
        enterprise="许继集团",
        institution=institution(OTHER),
        kind="order",
        occupation=occupation("ZY001"),
        year=2014,
        yearly_target=100,
    )
    with pytest.raises(ValidationError) as excinfo:
        make_class(plan, order=foreign)
    assert excinfo.value.message_dict["order"] == ["只能选择本机构本期的“三定”订单"]
    with pytest.raises(ValidationError) as excinfo:
        make_class(plan, order=own, occupation=occupation("ZY002"))
    assert "不一致" in excinfo.value.message_dict["order"][0]
    assert make_class(plan, order=own).order == own


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("审批表.exe", b"MZ\x90\x00", "只接受以下格式"),
        ("审批表.pdf", b"<html>not a pdf</html>", "内容与扩展名（.pdf）不符"),
        ("审批表.png", b"", "空文件"),
    ],
)
def test_documents_with_a_bad_type_or_content_are_refused(plan, name, content, error):
    with pytest.raises(ValidationError) as excinfo:
        svc.class_create(
            campaign=plan,
            institution=institution(),
            data=svc.ClassInput(
                name="班",
                category=category(plan),
                occupation=occupation(),
                kind="employment",
                start_date=START,
                end_date=END,
                planned_sessions=10,
                capacity=30,
                teachers="张",
            ),
            approval_form=SimpleUploadedFile(name, content),
            actor=staff_of(),
        )
    assert error in excinfo.value.message_dict["approval_form"][0]
    assert "开班审批表" in excinfo.value.message_dict["approval_form"][0]


def test_document_size_limit_is_10_mb_inclusive():
    limit = 10 * 1024 * 1024
    exact = SimpleUploadedFile("plan.pdf", b"%PDF-" + b"0" * (limit - 5))
    assert exact.size == limit
    assert svc.document_check(exact, label="教学计划") == ".pdf"
    over = SimpleUploadedFile("plan.pdf", b"%PDF-" + b"0" * (limit - 4))
    with pytest.raises(ValidationError, match="不能超过10 MB"):
        svc.document_check(over, label="教学计划")


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("a.pdf", b"%PDF-1.7"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        ("a.docx", b"PK\x03\x04"),
        ("a.XLSX", b"PK\x03\x04"),
        ("a.jpg", b"\xff\xd8\xff\xe0"),
        ("a.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_every_whitelisted_document_type_is_accepted(name, head):
    assert svc.document_check(SimpleUploadedFile(name, head + b"rest"), label="x")


def test_class_update_in_draft_and_refused_but_not_once_submitted(plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    svc.class_update(
        training_class=training_class,
        data=svc.ClassInput(**{**vars(_input_of(training_class)), "name": "新名称"}),
        actor=staff,
    )
    assert refreshed(training_class).name == "新名称"
    enroll(training_class, 2)
    svc.class_submit(training_class=training_class, actor=staff)
    with pytest.raises(RuleViolation, match="不能修改"):
        svc.class_update(training_class=training_class, data=_input_of(training_class), actor=staff)
    svc.class_refuse(training_class=training_class, reason="教学计划不完整", actor=rsj_clerk())
    svc.class_update(
        training_class=refreshed(training_class),
        data=_input_of(training_class),
        teaching_plan=pdf("新计划.pdf"),
        actor=staff,
    )
    assert refreshed(training_class).status == TrainingClass.Status.REFUSED


def test_class_update_by_another_institution_is_permission_denied(plan):
    training_class = make_class(plan)
    with pytest.raises(PermissionDenied):
        svc.class_update(
            training_class=training_class, data=_input_of(training_class), actor=staff_of(OTHER)
        )


def test_class_update_copies_subsidised_flag_to_enrollments(plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 2)
    svc.class_update(
        training_class=training_class,
        data=svc.ClassInput(**{**vars(_input_of(training_class)), "subsidised": False}),
        actor=staff,
    )
    assert not Enrollment.objects.filter(training_class=training_class, subsidised=True).exists()


def test_class_update_to_subsidised_refused_when_a_trainee_had_a_subsidised_class(plan):
    staff = staff_of()
    first = make_class(plan, staff)
    [enrollment] = enroll(first, 1)
    second = make_class(plan, staff, subsidised=False)
    Enrollment.objects.create(
        campaign=plan, training_class=second, worker=enrollment.worker, subsidised=False
    )
    with pytest.raises(RuleViolation, match="本期已参加过享受补贴的培训"):
        svc.class_update(
            training_class=second,
            data=svc.ClassInput(**{**vars(_input_of(second)), "subsidised": True}),
            actor=staff,
        )
    assert refreshed(second).subsidised is False


def _input_of(training_class) -> svc.ClassInput:
    return svc.ClassInput(**{name: getattr(training_class, name) for name in svc.ClassInput.FIELDS})


# --------------------------------------------------------------------------------------------
# Submission and opening approval
# --------------------------------------------------------------------------------------------


def test_submit_needs_both_documents_and_a_roster(plan):
    staff = staff_of()
    training_class = make_class(plan, staff, files=False)
    with pytest.raises(RuleViolation) as excinfo:
        svc.class_submit(training_class=training_class, actor=staff)
    text = message_of(excinfo)
    assert "请上传开班审批表" in text
    assert "请上传教学计划" in text
    assert "请先上传学员花名册" in text
    assert refreshed(training_class).status == TrainingClass.Status.DRAFT


def test_submit_refused_when_roster_exceeds_capacity_and_accepted_at_capacity(plan):
    staff = staff_of()
    training_class = make_class(plan, staff, capacity=3)
    enroll(training_class, 4)
    with pytest.raises(RuleViolation, match="学员人数超过计划人数"):
        svc.class_submit(training_class=training_class, actor=staff)
    Enrollment.objects.filter(training_class=training_class).last().delete()
    svc.class_submit(training_class=training_class, actor=staff)
    assert refreshed(training_class).status == TrainingClass.Status.SUBMITTED


def test_submit_refused_once_the_start_date_has_passed_and_accepted_on_the_day(plan, frozen):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 1)
    frozen.move_to(at(2014, 3, 11, 9), tick=False)
    with pytest.raises(RuleViolation, match="开班日期（2014-03-10）已过"):
        svc.class_submit(training_class=training_class, actor=staff)
    frozen.move_to(at(2014, 3, 10, 23, 59), tick=False)
    svc.class_submit(training_class=training_class, actor=staff)


def test_submit_refused_for_a_revoked_institution(plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 1)
    Institution.objects.filter(pk=staff.institution_id).update(designation="revoked")
    with pytest.raises(RuleViolation, match="机构已被取消定点资格"):
        svc.class_submit(training_class=training_class, actor=staff)


def _submitted(plan, **overrides):
    staff = staff_of()
    training_class = make_class(plan, staff, **overrides)
    enroll(training_class, 3)
    return svc.class_submit(training_class=training_class, actor=staff), staff


def test_approval_by_a_user_of_the_class_institution_is_refused(plan):
    training_class, staff = _submitted(plan)
    # A reviewer account that also belongs to the institution: maker-checker still refuses.
    insider = user_with_role(Role.REVIEWER, institution=staff.institution)
    with pytest.raises(PermissionDenied):
        svc.class_approve(training_class=training_class, actor=insider)
    with pytest.raises(PermissionDenied):
        svc.class_approve(training_class=training_class, actor=staff)
    assert refreshed(training_class).status == TrainingClass.Status.SUBMITTED
    outsider = user_with_role(Role.REVIEWER, institution=institution(OTHER))
    assert svc.class_approve(training_class=training_class, actor=outsider).status == "approved"


def test_clerk_approves_only_classes_of_own_department_categories(plan):
    training_class, _staff = _submitted(plan)
    with pytest.raises(PermissionDenied):
        svc.class_approve(training_class=training_class, actor=department_user(Role.CLERK, "nyj"))
    with pytest.raises(PermissionDenied):
        svc.class_approve(training_class=training_class, actor=user_with_role(Role.OFFICE))
    approved = svc.class_approve(training_class=training_class, actor=rsj_clerk())
    assert approved.status == TrainingClass.Status.APPROVED
    assert approved.decided_by.department.code == "rsj"


def test_reviewer_approves_a_class_of_any_department(plan):
    training_class, _staff = _submitted(plan, category=category(plan, 8))  # 农业局
    reviewer = user_with_role(Role.REVIEWER)
    assert svc.class_approve(training_class=training_class, actor=reviewer).status == "approved"


def test_approve_refused_for_a_revoked_institution(plan):
    training_class, staff = _submitted(plan)
    Institution.objects.filter(pk=staff.institution_id).update(designation="revoked")
    with pytest.raises(RuleViolation, match="机构已被取消定点资格"):
        svc.class_approve(training_class=training_class, actor=rsj_clerk())


def test_approve_refused_after_the_start_date(plan, frozen):
    training_class, _staff = _submitted(plan)
    frozen.move_to(at(2014, 3, 11, 8), tick=False)
    with pytest.raises(RuleViolation, match="已过，不能批准"):
        svc.class_approve(training_class=training_class, actor=rsj_clerk())


def test_approve_only_from_submitted(plan):
    training_class = make_class(plan)
    with pytest.raises(RuleViolation, match="不能批准开班"):
        svc.class_approve(training_class=training_class, actor=rsj_clerk())


def test_refuse_needs_a_reason_then_corrected_class_is_resubmitted_and_approved(plan):
    training_class, staff = _submitted(plan)
    clerk = rsj_clerk()
    with pytest.raises(ValidationError) as excinfo:
        svc.class_refuse(training_class=training_class, reason="  ", actor=clerk)
    assert excinfo.value.message_dict["reason"] == ["请填写不予批准的理由"]
    svc.class_refuse(training_class=training_class, reason="计划人数与场地不符", actor=clerk)
    training_class = refreshed(training_class)
    assert (training_class.status, training_class.decision_reason) == (
        "refused",
        "计划人数与场地不符",
    )
    svc.class_update(
        training_class=training_class,
        data=svc.ClassInput(**{**vars(_input_of(training_class)), "capacity": 20}),
        actor=staff,
    )
    svc.class_submit(training_class=training_class, actor=staff)
    assert refreshed(training_class).decision_reason == ""
    svc.class_approve(training_class=training_class, actor=clerk)
    actions = list(
        AuditEvent.objects.for_object(training_class)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "class.create",
        "class.submit",
        "class.refuse",
        "class.update",
        "class.submit",
        "class.approve",
    ]


# --------------------------------------------------------------------------------------------
# The spot-check draw
# --------------------------------------------------------------------------------------------


def test_approval_plans_the_minimum_of_distinct_days_within_the_class_dates(plan):
    training_class = approved_class(plan)
    days = list(
        Inspection.objects.filter(training_class=training_class).values_list(
            "planned_date", flat=True
        )
    )
    assert len(days) == plan.min_inspections_per_class == 3
    assert len(set(days)) == 3
    assert all(START <= day <= END for day in days)
    assert training_class.inspection_seed is not None


def test_inspection_draw_is_reproducible_from_the_stored_seed(plan):
    training_class = approved_class(plan)
    planned = sorted(
        Inspection.objects.filter(training_class=training_class).values_list(
            "planned_date", flat=True
        )
    )
    again = svc.inspection_days(
        refreshed(training_class).inspection_seed,
        training_class.start_date,
        training_class.end_date,
        plan.min_inspections_per_class,
    )
    assert again == planned
    audit = AuditEvent.objects.get(action="class.approve")
    assert audit.changes["inspection_seed"] == training_class.inspection_seed
    assert audit.changes["inspection_days"] == [day.isoformat() for day in planned]


def test_inspection_days_depend_on_the_seed_and_stay_inside_the_range():
    start, end = datetime.date(2014, 1, 1), datetime.date(2014, 12, 31)
    draws = {tuple(svc.inspection_days(seed, start, end, 3)) for seed in range(20)}
    assert len(draws) > 1
    for draw in draws:
        assert len(set(draw)) == 3
        assert list(draw) == sorted(draw)
        assert all(start <= day <= end for day in draw)
    # The end date is inclusive: a 3-day class gets exactly its 3 days.
    assert svc.inspection_days(7, start, start + datetime.timedelta(days=2), 3) == [
        start,
        start + datetime.timedelta(days=1),
        start + datetime.timedelta(days=2),
    ]


def test_minimum_inspections_follows_the_campaign_figure(plan):
    plan.min_inspections_per_class = 5
    plan.save()
    training_class = approved_class(plan)
    assert Inspection.objects.filter(training_class=training_class).count() == 5


def test_class_shorter_than_the_minimum_gets_one_check_per_day_and_a_warning(plan):
    training_class = approved_class(plan, end_date=START + datetime.timedelta(days=1))
    days = sorted(
        Inspection.objects.filter(training_class=training_class).values_list(
            "planned_date", flat=True
        )
    )
    assert days == [START, START + datetime.timedelta(days=1)]
    assert (
        "少于最少抽查次数3次" in AuditEvent.objects.get(action="class.approve").changes["warning"]
    )
    assert svc.inspections_required(training_class) == 2


# --------------------------------------------------------------------------------------------
# Nothing starts before approval
# --------------------------------------------------------------------------------------------


def test_attendance_results_referrals_and_inspections_refused_before_approval(plan, frozen):
    training_class, staff = _submitted(plan)
    enrollment = training_class.enrollments.first()
    frozen.move_to(at(2014, 3, 22, 9), tick=False)
    with pytest.raises(RuleViolation, match="不能登记考勤"):
        svc.attendance_record_session(
            training_class=training_class, session_number=1, present=[], actor=staff
        )
    with pytest.raises(RuleViolation, match="不能录入结业考核结果"):
        svc.results_record(training_class=training_class, results={}, actor=staff)
    Enrollment.objects.filter(pk=enrollment.pk).update(result="passed")
    with pytest.raises(RuleViolation, match="不能登记就业推荐"):
        svc.referral_create(
            enrollment=refreshed(enrollment),
            employer="许继集团",
            post="电工",
            referred_on=datetime.date(2014, 3, 22),
            actor=staff,
        )
    # No inspection exists before approval; and close is refused from submitted.
    assert not Inspection.objects.filter(training_class=training_class).exists()
    with pytest.raises(RuleViolation, match="不能结业"):
        svc.class_close(training_class=training_class, actor=staff)


# --------------------------------------------------------------------------------------------
# Inspections
# --------------------------------------------------------------------------------------------


def _office():
    return department_user(Role.OFFICE, "office")


def test_office_assigns_inspectors_but_not_one_of_the_class_institution(plan):
    training_class = approved_class(plan)
    inspection = training_class.inspections.first()
    office = _office()
    with pytest.raises(PermissionDenied):
        svc.inspection_assign(inspection=inspection, inspector=office, actor=rsj_clerk())
    insider = user_with_role(Role.REVIEWER, institution=training_class.institution)
    with pytest.raises(RuleViolation, match="不能是本班所属培训机构的人员"):
        svc.inspection_assign(inspection=inspection, inspector=insider, actor=office)
    with pytest.raises(RuleViolation, match="检查人须为"):
        svc.inspection_assign(
            inspection=inspection, inspector=user_with_role(Role.FINANCE), actor=office
        )
    inspector = department_user(Role.CLERK, "nyj")
    svc.inspection_assign(inspection=inspection, inspector=inspector, actor=office)
    assert refreshed(inspection).inspector == inspector


def _record(inspection, actor, **overrides):
    values = {
        "teaching_progress": "第3课次",
        "content": "安全用电",
        "teacher_present": True,
        "students_present": 3,
        "findings": "",
        "verdict": Inspection.Verdict.GOOD,
    }
    values.update(overrides)
    return svc.inspection_record(
        inspection=inspection, data=svc.InspectionInput(**values), actor=actor
    )


def _assigned(training_class, inspector=None):
    inspector = inspector or department_user(Role.CLERK, "nyj")
    office = _office()
    for inspection in training_class.inspections.all():
        svc.inspection_assign(inspection=inspection, inspector=inspector, actor=office)
    return inspector


def test_inspection_recorded_by_assigned_inspector_on_or_after_the_day(plan, frozen):
    training_class = approved_class(plan)
    inspector = _assigned(training_class)
    inspection = training_class.inspections.order_by("planned_date").first()
    with pytest.raises(RuleViolation, match="未到"):
        _record(inspection, inspector)
    frozen.move_to(at(inspection.planned_date.year, 3, inspection.planned_date.day, 9), tick=False)
    with pytest.raises(PermissionDenied):
        _record(inspection, department_user(Role.CLERK, "nyj"))
    _record(inspection, inspector)
    inspection = refreshed(inspection)
    assert inspection.done_at is not None
    assert inspection.students_on_roster == 3
    with pytest.raises(RuleViolation, match="不能重复登记"):
        _record(inspection, inspector)


def test_students_present_above_the_roster_refused_and_equal_accepted(plan, frozen):
    training_class = approved_class(plan, trainees=3)
    inspector = _assigned(training_class)
    frozen.move_to(at(2014, 3, 22, 9), tick=False)
    first, second = training_class.inspections.order_by("planned_date")[:2]
    with pytest.raises(ValidationError) as excinfo:
        _record(first, inspector, students_present=4)
    assert excinfo.value.message_dict["students_present"] == ["实到人数不能超过花名册人数（3人）"]
    _record(first, inspector, students_present=3)
    with pytest.raises(ValidationError) as excinfo:
        _record(second, inspector, verdict=Inspection.Verdict.ISSUES, findings="")
    assert "findings" in excinfo.value.message_dict


# --------------------------------------------------------------------------------------------
# Closing
# --------------------------------------------------------------------------------------------


def _finish(training_class, staff, frozen, *, inspections_done: int):
    inspector = _assigned(training_class)
    frozen.move_to(at(2014, 3, 21, 17), tick=False)
    roster = training_class.enrollments.count()
    for inspection in training_class.inspections.order_by("planned_date")[:inspections_done]:
        _record(inspection, inspector, students_present=roster)
    svc.results_record(
        training_class=training_class,
        results={e.pk: "passed" for e in training_class.enrollments.all()},
        actor=staff,
    )


def test_close_refused_with_two_inspections_and_allowed_with_three(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff)
    _finish(training_class, staff, frozen, inspections_done=2)
    with pytest.raises(RuleViolation, match=r"抽查次数不足（已完成2次，至少3次）"):
        svc.class_close(training_class=training_class, actor=staff)
    inspector = training_class.inspections.filter(done_at__isnull=True).first()
    _record(inspector, inspector.inspector)
    closed = svc.class_close(training_class=training_class, actor=staff)
    assert closed.status == TrainingClass.Status.CLOSED
    assert closed.closed_at is not None


def test_close_refused_while_a_trainee_has_no_result(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff)
    _finish(training_class, staff, frozen, inspections_done=3)
    enrollment = training_class.enrollments.first()
    svc.results_record(
        training_class=training_class, results={enrollment.pk: "pending"}, actor=staff
    )
    with pytest.raises(RuleViolation, match="尚有1名学员未录入结业考核结果"):
        svc.class_close(training_class=training_class, actor=staff)


def test_close_by_another_institution_is_permission_denied(plan):
    training_class = approved_class(plan)
    with pytest.raises(PermissionDenied):
        svc.class_close(training_class=training_class, actor=staff_of(OTHER))


# --------------------------------------------------------------------------------------------
# Attendance
# --------------------------------------------------------------------------------------------


def _attended(training_class) -> dict[int, int]:
    return dict(training_class.enrollments.values_list("pk", "sessions_attended"))


def test_session_attendance_counts_and_re_entry_updates(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=3)
    a, b, c = training_class.enrollments.order_by("pk")
    frozen.move_to(at(2014, 3, 12, 18), tick=False)
    svc.attendance_record_session(
        training_class=training_class, session_number=1, present=[a.pk, b.pk], actor=staff
    )
    svc.attendance_record_session(
        training_class=training_class, session_number=3, present=[a.pk], actor=staff
    )
    assert _attended(training_class) == {a.pk: 2, b.pk: 1, c.pk: 0}
    assert refreshed(training_class).sessions_held == 3
    # Session 1 again: b was wrongly marked present, c was present.
    svc.attendance_record_session(
        training_class=training_class, session_number=1, present=[a.pk, c.pk], actor=staff
    )
    assert _attended(training_class) == {a.pk: 2, b.pk: 0, c.pk: 1}
    assert AttendanceRecord.objects.filter(enrollment__training_class=training_class).count() == 6
    # Recording an earlier session never lowers the sessions held.
    svc.attendance_record_session(
        training_class=training_class, session_number=2, present=[], actor=staff
    )
    assert refreshed(training_class).sessions_held == 3
    for enrollment in training_class.enrollments.all():
        assert enrollment.sessions_attended <= training_class.sessions_held


def test_session_number_must_be_within_planned_sessions(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff)
    frozen.move_to(at(2014, 3, 12, 18), tick=False)
    for number in (0, 11):
        with pytest.raises(ValidationError) as excinfo:
            svc.attendance_record_session(
                training_class=training_class, session_number=number, present=[], actor=staff
            )
        assert excinfo.value.message_dict["session_number"] == ["课次应在1至10之间"]
    svc.attendance_record_session(
        training_class=training_class, session_number=10, present=[], actor=staff
    )


def test_attendance_refused_before_the_start_date(plan):
    staff = staff_of()
    training_class = approved_class(plan, staff)
    with pytest.raises(RuleViolation, match="尚未开班"):
        svc.attendance_record_session(
            training_class=training_class, session_number=1, present=[], actor=staff
        )


def test_attendance_of_a_trainee_of_another_class_refused(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff)
    stranger = enroll(make_class(plan, staff), 1)[0]
    frozen.move_to(at(2014, 3, 12, 18), tick=False)
    with pytest.raises(ValidationError):
        svc.attendance_record_session(
            training_class=training_class, session_number=1, present=[stranger.pk], actor=staff
        )


def test_attendance_of_another_institution_is_permission_denied(plan, frozen):
    training_class = approved_class(plan)
    frozen.move_to(at(2014, 3, 12, 18), tick=False)
    with pytest.raises(PermissionDenied):
        svc.attendance_record_session(
            training_class=training_class, session_number=1, present=[], actor=staff_of(OTHER)
        )


def attendance_file(rows, *, sheet="考勤", headers=("身份证号码", "姓名", "出勤课次")) -> bytes:
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        ws = writer.add_sheet(sheet, headers)
        for row in rows:
            writer.append(ws, row)
        writer.save(buffer)
    return buffer.getvalue()


def _rows(training_class, attended):
    return [
        [decrypt(e.worker.id_number_encrypted), e.worker.name, attended[i]]
        for i, e in enumerate(training_class.enrollments.select_related("worker").order_by("pk"))
    ]


def _upload(training_class, staff, content, held=5):
    return svc.attendance_upload(
        training_class=training_class,
        fileobj=io.BytesIO(content),
        filename="考勤.xlsx",
        sessions_held=held,
        actor=staff,
    )


def test_attendance_upload_sets_sessions_attended_and_held(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=3)
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    _upload(training_class, staff, attendance_file(_rows(training_class, [5, 3, 0])))
    assert sorted(_attended(training_class).values()) == [0, 3, 5]
    assert refreshed(training_class).sessions_held == 5


def test_attendance_upload_refuses_attended_above_held_and_writes_nothing(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=3)
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    with pytest.raises(XlsxError) as excinfo:
        _upload(training_class, staff, attendance_file(_rows(training_class, [6, 5, 1])))
    assert any("出勤课次（6）不能超过已上课次（5）" in m for m in excinfo.value.messages)
    assert set(_attended(training_class).values()) == {0}
    assert refreshed(training_class).sessions_held == 0


def test_attendance_upload_lists_unknown_missing_duplicate_and_misnamed_trainees(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=3)
    stranger = enroll(make_class(plan, staff), 1)[0]
    rows = _rows(training_class, [1, 2, 3])
    rows[1][1] = "别人"
    rows = [
        rows[0],
        rows[1],
        rows[0],
        [decrypt(stranger.worker.id_number_encrypted), stranger.worker.name, 1],
    ]
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    with pytest.raises(XlsxError) as excinfo:
        _upload(training_class, staff, attendance_file(rows))
    text = "\n".join(excinfo.value.messages)
    assert "姓名与花名册不一致" in text
    assert "与第2行重复" in text
    assert "该学员不在本班花名册中" in text
    assert "未出现在文件中" in text
    assert set(_attended(training_class).values()) == {0}


def test_attendance_upload_refuses_a_wrong_template(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1)
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    with pytest.raises(XlsxError, match="缺少工作表“考勤”"):
        _upload(training_class, staff, attendance_file([], sheet="学员"))
    with pytest.raises(XlsxError, match="表头应为"):
        _upload(training_class, staff, attendance_file([], headers=("身份证", "姓名", "出勤课次")))


def test_upload_and_per_session_entry_exclude_each_other(plan, frozen):
    staff = staff_of()
    per_session = approved_class(plan, staff, trainees=1)
    summary = approved_class(plan, staff, trainees=1)
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    svc.attendance_record_session(
        training_class=per_session, session_number=1, present=[], actor=staff
    )
    with pytest.raises(RuleViolation, match="不能再上传汇总表"):
        _upload(per_session, staff, attendance_file(_rows(per_session, [0])))
    _upload(summary, staff, attendance_file(_rows(summary, [2])), held=2)
    with pytest.raises(RuleViolation, match="不能再按课次登记"):
        svc.attendance_record_session(
            training_class=summary, session_number=3, present=[], actor=staff
        )


# --------------------------------------------------------------------------------------------
# The 60% rule and the early warning
# --------------------------------------------------------------------------------------------


def _status(attended, held, planned=10, threshold="0.600", final=False):
    from decimal import Decimal

    return sel.AttendanceStatus(attended, held, planned, Decimal(threshold), final)


def test_sixty_percent_is_enough_and_fifty_is_not():
    assert _status(6, 10).meets_threshold
    assert not _status(5, 10).meets_threshold
    assert _status(6, 10).percent == 60


def test_early_warning_exactly_at_the_edge():
    # 5 of 10 sessions held: attending all 5 remaining gives 1 + 5 = 6 of 10 = 60%: still possible.
    assert not _status(1, 5).at_risk
    # 0 + 5 = 5 of 10 = 50%: can no longer reach 60%.
    assert _status(0, 5).at_risk
    # A closed class: what was attended is final.
    assert _status(5, 8, final=True).at_risk
    assert not _status(6, 8, final=True).at_risk


def test_threshold_comes_from_the_campaign(plan, frozen):
    plan.attendance_threshold = "0.500"
    plan.save()
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1)
    [enrollment] = training_class.enrollments.all()
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    _upload(training_class, staff, attendance_file(_rows(training_class, [0])), held=5)
    training_class = TrainingClass.objects.select_related("campaign").get(pk=training_class.pk)
    status = sel.attendance_status(refreshed(enrollment), training_class)
    assert not status.at_risk  # 0 + 5 of 10 = 50%, enough at 50%


def test_enrollment_warnings_for_worker_lists_only_unreachable_enrollments(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    edge, lost = training_class.enrollments.order_by("pk")
    frozen.move_to(at(2014, 3, 15, 18), tick=False)
    for session in range(1, 6):
        svc.attendance_record_session(
            training_class=training_class,
            session_number=session,
            present=[edge.pk] if session == 1 else [],
            actor=staff,
        )
    assert sel.enrollment_warnings_for_worker(edge.worker) == []
    [warning] = sel.enrollment_warnings_for_worker(lost.worker)
    assert warning.training_class == training_class
    assert warning.best_possible_percent == 50


# --------------------------------------------------------------------------------------------
# Results and referrals
# --------------------------------------------------------------------------------------------


def test_results_open_on_the_end_date_or_once_every_session_is_held(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1, planned_sessions=2)
    [enrollment] = training_class.enrollments.all()
    frozen.move_to(at(2014, 3, 20, 18), tick=False)
    with pytest.raises(RuleViolation, match="结业日期（2014-03-21）起或全部课次上完后"):
        svc.results_record(
            training_class=training_class, results={enrollment.pk: "passed"}, actor=staff
        )
    for session in (1, 2):
        svc.attendance_record_session(
            training_class=training_class,
            session_number=session,
            present=[enrollment.pk],
            actor=staff,
        )
    svc.results_record(
        training_class=training_class, results={enrollment.pk: "passed"}, actor=staff
    )
    assert refreshed(enrollment).result == "passed"


def test_results_allowed_from_the_end_date(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    a, b = training_class.enrollments.order_by("pk")
    frozen.move_to(at(2014, 3, 21, 9), tick=False)
    svc.results_record(
        training_class=training_class, results={a.pk: "passed", b.pk: "failed"}, actor=staff
    )
    detail = sel.class_detail(training_class=training_class)
    assert (detail.passed, detail.failed, detail.pass_rate) == (1, 1, 50)
    assert refreshed(a).result_recorded_at is not None


def test_referral_only_for_passed_trainees_and_only_once(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    passed, failed = training_class.enrollments.order_by("pk")
    frozen.move_to(at(2014, 3, 21, 17), tick=False)
    svc.results_record(
        training_class=training_class,
        results={passed.pk: "passed", failed.pk: "failed"},
        actor=staff,
    )
    day = datetime.date(2014, 3, 21)
    with pytest.raises(RuleViolation, match="只有考核合格的学员才能登记就业推荐"):
        svc.referral_create(
            enrollment=failed, employer="许继集团", post="电工", referred_on=day, actor=staff
        )
    referral = svc.referral_create(
        enrollment=passed, employer="许继集团", post="电工", referred_on=day, actor=staff
    )
    assert referral.outcome == "pending"
    with pytest.raises(RuleViolation, match="已登记就业推荐"):
        svc.referral_create(
            enrollment=passed, employer="别家", post="电工", referred_on=day, actor=staff
        )
    with pytest.raises(ValidationError):
        svc.results_record(
            training_class=training_class, results={passed.pk: "failed"}, actor=staff
        )


def test_referral_dates_and_outcome(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1)
    [enrollment] = training_class.enrollments.all()
    frozen.move_to(at(2014, 3, 21, 17), tick=False)
    svc.results_record(
        training_class=training_class, results={enrollment.pk: "passed"}, actor=staff
    )
    with pytest.raises(ValidationError) as excinfo:
        svc.referral_create(
            enrollment=enrollment,
            employer="许继集团",
            post="电工",
            referred_on=datetime.date(2014, 3, 22),
            actor=staff,
        )
    assert excinfo.value.message_dict["referred_on"] == ["推荐日期不能晚于今天"]
    with pytest.raises(PermissionDenied):
        svc.referral_create(
            enrollment=enrollment,
            employer="许继集团",
            post="电工",
            referred_on=datetime.date(2014, 3, 21),
            actor=staff_of(OTHER),
        )
    referral = svc.referral_create(
        enrollment=enrollment,
        employer="许继集团",
        post="电工",
        referred_on=datetime.date(2014, 3, 21),
        actor=staff,
    )
    with pytest.raises(ValidationError) as excinfo:
        svc.referral_update_outcome(
            referral=referral,
            outcome="employed",
            outcome_on=datetime.date(2014, 3, 20),
            actor=staff,
        )
    assert excinfo.value.message_dict["outcome_on"] == ["结果日期不能早于推荐日期"]
    svc.referral_update_outcome(
        referral=referral, outcome="employed", outcome_on=datetime.date(2014, 3, 21), actor=staff
    )
    assert refreshed(referral).outcome == "employed"
    assert AuditEvent.objects.filter(action="referral.outcome", to_state="employed").exists()


def test_referral_still_possible_after_the_class_closed(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1)
    _finish(training_class, staff, frozen, inspections_done=3)
    svc.class_close(training_class=training_class, actor=staff)
    enrollment = training_class.enrollments.get()
    assert svc.referral_create(
        enrollment=enrollment,
        employer="许继集团",
        post="电工",
        referred_on=datetime.date(2014, 3, 21),
        actor=staff,
    ).pk


# --------------------------------------------------------------------------------------------
# "三定" orders
# --------------------------------------------------------------------------------------------


def _order_input(**overrides):
    values = {
        "enterprise": "许继集团",
        "institution": institution(HOME),
        "kind": CooperationOrder.Kind.ORDER,
        "occupation": occupation("ZY001"),
        "year": 2014,
        "yearly_target": 1500,
    }
    values.update(overrides)
    return svc.OrderInput(**values)


def test_order_created_by_own_staff_or_office_not_by_another_institution(plan):
    assert svc.order_create(campaign=plan, data=_order_input(), actor=staff_of()).pk
    with pytest.raises(PermissionDenied):
        svc.order_create(
            campaign=plan, data=_order_input(enterprise="富士康"), actor=staff_of(OTHER)
        )
    assert svc.order_create(
        campaign=plan, data=_order_input(enterprise="富士康"), actor=_office()
    ).pk
    with pytest.raises(ValidationError) as excinfo:
        svc.order_create(campaign=plan, data=_order_input(), actor=_office())
    assert "已有同一职业" in excinfo.value.message_dict["enterprise"][0]


def test_order_year_must_be_in_the_campaign_and_target_positive(plan):
    with pytest.raises(ValidationError) as excinfo:
        svc.order_create(
            campaign=plan, data=_order_input(year=2015, yearly_target=0), actor=_office()
        )
    assert excinfo.value.message_dict["year"] == ["年度应在2013至2014年之间"]
    assert "yearly_target" in excinfo.value.message_dict


def test_order_progress_counts_approved_and_closed_classes_of_the_year(plan, frozen):
    staff = staff_of()
    order = svc.order_create(campaign=plan, data=_order_input(), actor=staff)
    approved_class(plan, staff, trainees=3, order=order)
    draft = make_class(plan, staff, order=order)
    enroll(draft, 5)
    other_year = svc.order_create(
        campaign=plan, data=_order_input(year=2013, yearly_target=10), actor=staff
    )
    approved_class(plan, staff, trainees=2, order=other_year)  # starts in 2014: not counted
    rows = {o.pk: o for o in sel.order_list_for_user(user=staff, campaign=plan)}
    assert rows[order.pk].progress == 3
    assert rows[order.pk].class_count == 1
    assert rows[other_year.pk].progress == 0
    assert list(sel.order_list_for_user(user=staff_of(OTHER), campaign=plan)) == []


def test_order_with_classes_cannot_be_deleted_or_moved(plan):
    staff = staff_of()
    order = svc.order_create(campaign=plan, data=_order_input(), actor=staff)
    make_class(plan, staff, order=order)
    with pytest.raises(RuleViolation, match="不能删除"):
        svc.order_delete(order=order, actor=staff)
    with pytest.raises(RuleViolation, match="不能更改"):
        svc.order_update(
            order=order, data=_order_input(occupation=occupation("ZY002")), actor=staff
        )
    svc.order_update(order=order, data=_order_input(yearly_target=2000), actor=staff)
    assert refreshed(order).yearly_target == 2000
