"""Audit-contract scenarios for training delivery (see ``core/tests/audit_contract.py``):
classes, inspections, attendance, results, referrals, "三定" orders, workers and rosters,
programmes, registration points, the monthly-return loop, the plan, the progress report and the
demo seeders of returns and delivery.

Each scenario builds what it needs with the ORM (so the only audit rows are those of the action
under test) and performs the action once through its service, as its view, task or command
calls it. The campaign clock is set with ``APP_TODAY`` (honoured with DEBUG on) rather than by
moving the system clock, because the contract checks that the row's own timestamp falls inside
the call.
"""

from __future__ import annotations

import datetime
import io
import itertools
import random

from core.crypto import encrypt, keyed_hash
from core.models import County, Department
from core.roles import Role
from core.tests.audit_contract import Expect, campaign_clock, scenario
from core.tests.factories import user_with_role
from core.validators import make_resident_id, mask_resident_id
from core.xlsx import XlsxWriter
from training.models import (
    Campaign,
    CooperationOrder,
    CorrectionRequest,
    Enrollment,
    Inspection,
    Institution,
    JobReferral,
    MonthlyReturn,
    Occupation,
    Programme,
    RegistrationPoint,
    ReturnLine,
    ReturnReminder,
    ReturnUnlock,
    Target,
    Teacher,
    TrainingCategory,
    TrainingClass,
    Worker,
)
from training.tests.factories import clerk_of, lines_for

HOME = "许昌技师学院"  # 魏都区
START = datetime.date(2014, 3, 10)
END = datetime.date(2014, 3, 21)
BEFORE_START = "2014-03-03T10:00:00"
AFTER_END = "2014-03-25T10:00:00"
MAY = datetime.date(2014, 5, 1)
# May 2014 opens 2014-06-01, is due by 06-03 and locks after 06-10 (the 2013 plan).
IN_WINDOW = "2014-06-02T10:00:00"
AFTER_LOCK = "2014-06-12T10:00:00"

_serial = itertools.count(1)


def _campaign() -> Campaign:
    return Campaign.objects.get()


def _office():
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


def _staff(name: str = HOME):
    return user_with_role(Role.INSTITUTION, institution=Institution.objects.get(name=name))


def _occupation() -> Occupation:
    return Occupation.objects.get(code="ZY001")


def _class(status: str = TrainingClass.Status.DRAFT, **overrides) -> TrainingClass:
    """A class of the home institution in category 2 (市人社局's), made with the ORM."""
    campaign = _campaign()
    number = next(_serial)
    values = {
        "campaign": campaign,
        "code": f"A{number:05d}",
        "name": f"审计测试班{number}",
        "institution": Institution.objects.get(name=HOME),
        "category": TrainingCategory.objects.get(campaign=campaign, number=2),
        "occupation": _occupation(),
        "kind": TrainingClass.Kind.EMPLOYMENT,
        "start_date": START,
        "end_date": END,
        "planned_sessions": 10,
        "capacity": 30,
        "teachers": "张老师",
        "status": status,
    }
    values.update(overrides)
    return TrainingClass.objects.create(**values)


def _worker(name: str = "张三") -> tuple[Worker, str]:
    """A registered worker and their ID number."""
    while True:
        number = make_resident_id(f"41100219900101{next(_serial) % 1000:03d}")
        if not Worker.objects.filter(id_number_hash=keyed_hash(number)).exists():
            break
    worker = Worker.objects.create(
        id_number_hash=keyed_hash(number),
        id_number_encrypted=encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=name,
        phone="13800000001",
        sex=Worker.Sex.MALE if int(number[16]) % 2 else Worker.Sex.FEMALE,
        birth_date=datetime.date(1990, 1, 1),
        household=Worker.Household.RURAL,
        education=Worker.Education.JUNIOR,
    )
    return worker, number


def _enroll(training_class: TrainingClass, **values) -> tuple[Enrollment, str]:
    worker, number = _worker()
    enrollment = Enrollment.objects.create(
        campaign=training_class.campaign,
        training_class=training_class,
        worker=worker,
        subsidised=training_class.subsidised,
        **values,
    )
    return enrollment, number


def _rsj_clerk():
    return clerk_of("rsj")


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------


def _class_input(**overrides):
    from training.services.classes import ClassInput

    campaign = _campaign()
    values = {
        "name": "电工培训班",
        "category": TrainingCategory.objects.get(campaign=campaign, number=2),
        "occupation": _occupation(),
        "kind": TrainingClass.Kind.EMPLOYMENT,
        "start_date": START,
        "end_date": END,
        "planned_sessions": 10,
        "capacity": 30,
        "teachers": "张老师、李老师",
    }
    values.update(overrides)
    return ClassInput(**values)


@scenario("class.create")
def _class_create() -> Expect:
    from training.services.classes import class_create

    staff = _staff()
    with campaign_clock(BEFORE_START):
        training_class = class_create(
            campaign=_campaign(), institution=staff.institution, data=_class_input(), actor=staff
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.update")
def _class_update() -> Expect:
    from training.services.classes import class_update

    staff = _staff()
    training_class = _class()
    with campaign_clock(BEFORE_START):
        class_update(
            training_class=training_class, data=_class_input(name="焊工培训班"), actor=staff
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.submit")
def _class_submit() -> Expect:
    from training.services.classes import class_submit

    staff = _staff()
    # The documents' presence is what submission checks; no file needs to exist for that.
    training_class = _class(approval_form="classes/form.pdf", teaching_plan="classes/plan.pdf")
    _enroll(training_class)
    with campaign_clock(BEFORE_START):
        class_submit(training_class=training_class, actor=staff)
    return Expect(actor=staff, obj=training_class)


@scenario("class.approve")
def _class_approve() -> Expect:
    from training.services.classes import class_approve

    clerk = _rsj_clerk()
    training_class = _class(TrainingClass.Status.SUBMITTED)
    _enroll(training_class)
    with campaign_clock(BEFORE_START):
        class_approve(training_class=training_class, actor=clerk)
    return Expect(actor=clerk, obj=training_class)


@scenario("class.refuse")
def _class_refuse() -> Expect:
    from training.services.classes import class_refuse

    clerk = _rsj_clerk()
    training_class = _class(TrainingClass.Status.SUBMITTED)
    _enroll(training_class)
    with campaign_clock(BEFORE_START):
        class_refuse(training_class=training_class, reason="教学计划课时不足", actor=clerk)
    return Expect(actor=clerk, obj=training_class)


def _approved_class(**overrides) -> TrainingClass:
    training_class = _class(TrainingClass.Status.APPROVED, inspection_seed=1, **overrides)
    Inspection.objects.create(training_class=training_class, planned_date=START)
    return training_class


@scenario("class.close")
def _class_close() -> Expect:
    from training.services.classes import class_close, inspections_required

    staff = _staff()
    training_class = _class(TrainingClass.Status.APPROVED, sessions_held=10)
    required = inspections_required(training_class)
    inspector = _office()
    for offset in range(required):
        Inspection.objects.create(
            training_class=training_class,
            planned_date=START + datetime.timedelta(days=offset),
            inspector=inspector,
            done_at=datetime.datetime(2014, 3, 12, 10, tzinfo=datetime.UTC),
            verdict=Inspection.Verdict.GOOD,
        )
    _enroll(training_class, result=Enrollment.Result.PASSED)
    with campaign_clock(AFTER_END):
        class_close(training_class=training_class, actor=staff)
    return Expect(actor=staff, obj=training_class)


@scenario("class.attendance")
def _class_attendance() -> Expect:
    from training.services.classes import attendance_record_session

    staff = _staff()
    training_class = _approved_class()
    present, _number = _enroll(training_class)
    _enroll(training_class)
    with campaign_clock(AFTER_END):
        attendance_record_session(
            training_class=training_class, session_number=1, present=[present.pk], actor=staff
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.attendance_upload")
def _class_attendance_upload() -> Expect:
    from training.services.classes import (
        ATTENDANCE_HEADERS,
        ATTENDANCE_SHEET,
        attendance_upload,
    )

    staff = _staff()
    training_class = _approved_class()
    enrollment, number = _enroll(training_class)
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(ATTENDANCE_SHEET, ATTENDANCE_HEADERS)
        writer.append(sheet, [number, enrollment.worker.name, 8])
        writer.save(buffer)
    buffer.seek(0)
    with campaign_clock(AFTER_END):
        attendance_upload(
            training_class=training_class,
            fileobj=buffer,
            filename="考勤.xlsx",
            sessions_held=10,
            actor=staff,
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.results")
def _class_results() -> Expect:
    from training.services.classes import results_record

    staff = _staff()
    training_class = _approved_class()
    enrollment, _number = _enroll(training_class)
    with campaign_clock(AFTER_END):
        results_record(
            training_class=training_class,
            results={enrollment.pk: Enrollment.Result.PASSED},
            actor=staff,
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.roster_import")
def _class_roster_import() -> Expect:
    from training.services.workers import roster_import
    from training.tests.workers_samples import roster_bytes, row

    staff = _staff()
    training_class = _class()
    data = roster_bytes([row(make_resident_id("41100219850505001"), name="李四")])
    with campaign_clock(BEFORE_START):
        roster_import(
            training_class=training_class,
            fileobj=io.BytesIO(data),
            filename="花名册.xlsx",
            actor=staff,
        )
    return Expect(actor=staff, obj=training_class)


@scenario("class.teachers_set")
def _class_teachers_set() -> Expect:
    from training.services.teachers import class_teachers_set

    staff = _staff()
    training_class = _class()
    teacher = Teacher.objects.create(
        institution=training_class.institution,
        name="王老师",
        education=Teacher.Education.BACHELOR,
        employment=Teacher.Employment.FULL_TIME,
    )
    with campaign_clock(BEFORE_START):
        class_teachers_set(training_class=training_class, teachers=[teacher], actor=staff)
    return Expect(actor=staff, obj=training_class)


# --------------------------------------------------------------------------------------------
# Inspections, referrals
# --------------------------------------------------------------------------------------------


@scenario("inspection.assign")
def _inspection_assign() -> Expect:
    from training.services.classes import inspection_assign

    office = _office()
    inspector = _rsj_clerk()
    training_class = _approved_class()
    inspection = training_class.inspections.get()
    with campaign_clock(BEFORE_START):
        inspection_assign(inspection=inspection, inspector=inspector, actor=office)
    return Expect(actor=office, obj=inspection)


@scenario("inspection.record")
def _inspection_record() -> Expect:
    from training.services.classes import InspectionInput, inspection_record

    inspector = _rsj_clerk()
    training_class = _approved_class()
    _enroll(training_class)
    inspection = training_class.inspections.get()
    Inspection.objects.filter(pk=inspection.pk).update(inspector=inspector)
    with campaign_clock(AFTER_END):
        inspection_record(
            inspection=inspection,
            data=InspectionInput(
                teaching_progress="第1次课（共10次）",
                content="理论讲授",
                teacher_present=True,
                students_present=1,
                findings="",
                verdict=Inspection.Verdict.GOOD,
            ),
            actor=inspector,
        )
    return Expect(actor=inspector, obj=inspection)


@scenario("referral.create")
def _referral_create() -> Expect:
    from training.services.classes import referral_create

    staff = _staff()
    training_class = _approved_class()
    enrollment, _number = _enroll(training_class, result=Enrollment.Result.PASSED)
    with campaign_clock(AFTER_END):
        referral = referral_create(
            enrollment=enrollment,
            employer="许继集团",
            post="装配工",
            referred_on=datetime.date(2014, 3, 22),
            actor=staff,
        )
    return Expect(actor=staff, obj=referral)


@scenario("referral.outcome")
def _referral_outcome() -> Expect:
    from training.services.classes import referral_update_outcome

    staff = _staff()
    training_class = _approved_class()
    enrollment, _number = _enroll(training_class, result=Enrollment.Result.PASSED)
    referral = JobReferral.objects.create(
        enrollment=enrollment,
        employer="许继集团",
        post="装配工",
        referred_on=datetime.date(2014, 3, 22),
    )
    with campaign_clock(AFTER_END):
        referral_update_outcome(
            referral=referral,
            outcome=JobReferral.Outcome.EMPLOYED,
            outcome_on=datetime.date(2014, 3, 24),
            actor=staff,
        )
    return Expect(actor=staff, obj=referral)


# --------------------------------------------------------------------------------------------
# "三定" orders
# --------------------------------------------------------------------------------------------


def _order_input(**overrides):
    from training.services.classes import OrderInput

    values = {
        "enterprise": "许继集团",
        "institution": Institution.objects.get(name=HOME),
        "kind": CooperationOrder.Kind.ORDER,
        "occupation": _occupation(),
        "year": 2014,
        "yearly_target": 1500,
    }
    values.update(overrides)
    return OrderInput(**values)


def _order() -> CooperationOrder:
    data = _order_input()
    return CooperationOrder.objects.create(
        campaign=_campaign(),
        enterprise=data.enterprise,
        institution=data.institution,
        kind=data.kind,
        occupation=data.occupation,
        year=data.year,
        yearly_target=data.yearly_target,
    )


@scenario("order.create")
def _order_create() -> Expect:
    from training.services.classes import order_create

    office = _office()
    with campaign_clock(BEFORE_START):
        order = order_create(campaign=_campaign(), data=_order_input(), actor=office)
    return Expect(actor=office, obj=order)


@scenario("order.update")
def _order_update() -> Expect:
    from training.services.classes import order_update

    office = _office()
    order = _order()
    with campaign_clock(BEFORE_START):
        order_update(order=order, data=_order_input(yearly_target=1800), actor=office)
    return Expect(actor=office, obj=order)


@scenario("order.delete")
def _order_delete() -> Expect:
    from training.services.classes import order_delete

    office = _office()
    order = _order()
    with campaign_clock(BEFORE_START):
        # The service deletes its own locked copy: ``order`` keeps the key the row must name.
        order_delete(order=order, actor=office)
    assert not CooperationOrder.objects.filter(pk=order.pk).exists()
    return Expect(actor=office, obj=order)


# --------------------------------------------------------------------------------------------
# Programmes and registration points
# --------------------------------------------------------------------------------------------


def _programme() -> Programme:
    return Programme.objects.create(
        institution=Institution.objects.get(name=HOME),
        name="电工上岗培训",
        occupation=_occupation(),
        duration_days=15,
    )


@scenario("programme.create")
def _programme_create() -> Expect:
    from training.services.institutions import programme_create

    staff = _staff()
    programme = programme_create(
        institution=staff.institution,
        name="电工上岗培训",
        occupation=_occupation(),
        duration_days=15,
        actor=staff,
    )
    return Expect(actor=staff, obj=programme)


@scenario("programme.update")
def _programme_update() -> Expect:
    from training.services.institutions import programme_update

    staff = _staff()
    programme = _programme()
    programme_update(programme=programme, data={"duration_days": 20}, actor=staff)
    return Expect(actor=staff, obj=programme)


@scenario("programme.delete")
def _programme_delete() -> Expect:
    from training.services.institutions import programme_delete

    staff = _staff()
    programme = _programme()
    # The service deletes the instance it is given (its key becomes None): pass a copy.
    programme_delete(programme=Programme.objects.get(pk=programme.pk), actor=staff)
    assert not Programme.objects.filter(pk=programme.pk).exists()
    return Expect(actor=staff, obj=programme)


def _point() -> RegistrationPoint:
    return RegistrationPoint.objects.create(
        name="审计测试报名点",
        level=RegistrationPoint.Level.COUNTY,
        county=County.objects.get(name="禹州市"),
        address="禹州市人民路1号",
    )


@scenario("registration_point.create")
def _registration_point_create() -> Expect:
    from training.services.institutions import registration_point_create

    office = _office()
    point = registration_point_create(
        name="审计测试报名点",
        level=RegistrationPoint.Level.COUNTY,
        county=County.objects.get(name="禹州市"),
        address="禹州市人民路1号",
        actor=office,
    )
    return Expect(actor=office, obj=point)


@scenario("registration_point.update")
def _registration_point_update() -> Expect:
    from training.services.institutions import registration_point_update

    office = _office()
    point = _point()
    registration_point_update(point=point, data={"phone": "0374-1234567"}, actor=office)
    return Expect(actor=office, obj=point)


@scenario("registration_point.delete")
def _registration_point_delete() -> Expect:
    from training.services.institutions import registration_point_delete

    office = _office()
    point = _point()
    # The service deletes the instance it is given (its key becomes None): pass a copy.
    registration_point_delete(point=RegistrationPoint.objects.get(pk=point.pk), actor=office)
    assert not RegistrationPoint.objects.filter(pk=point.pk).exists()
    return Expect(actor=office, obj=point)


# --------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------

_PROFILE = {
    "county": None,
    "household": "rural",
    "education": "junior",
    "group_codes": ["rural_migrant"],
}


@scenario("worker.register")
def _worker_register() -> Expect:
    from training.services.workers import worker_register

    office = _office()
    with campaign_clock(BEFORE_START):
        worker, created = worker_register(
            id_number=make_resident_id("41100219880808002"),
            name="王五",
            phone="13800000002",
            actor=office,
            **_PROFILE,
        )
    assert created
    return Expect(actor=office, obj=worker)


@scenario("worker.update")
def _worker_update() -> Expect:
    from training.services.workers import worker_register

    office = _office()
    worker, number = _worker()
    with campaign_clock(BEFORE_START):
        # The same person registered again at a desk with a new phone number.
        found, created = worker_register(
            id_number=number, name=worker.name, phone="13900000009", actor=office, **_PROFILE
        )
    assert not created
    assert found.pk == worker.pk
    return Expect(actor=office, obj=worker)


@scenario("worker.self_register")
def _worker_self_register() -> Expect:
    from training.services.workers import worker_self_register

    with campaign_clock(BEFORE_START):
        worker = worker_self_register(
            id_number=make_resident_id("41100219920202003"),
            name="赵六",
            phone="13800000003",
            password="Xuchang-skills-2013",
            **_PROFILE,
        )
    # The login is made through core's user_create, which audits it as "user.create".
    return Expect(actor=worker.user, obj=worker, also=("user.create",))


@scenario("worker.update_contact")
def _worker_update_contact() -> Expect:
    from training.services.workers import worker_update_contact

    office = _office()
    worker, _number = _worker()
    with campaign_clock(BEFORE_START):
        worker_update_contact(worker=worker, phone="13600000000", county=None, actor=office)
    return Expect(actor=office, obj=worker)


# --------------------------------------------------------------------------------------------
# Monthly returns
# --------------------------------------------------------------------------------------------


def _return(status: str = MonthlyReturn.Status.DRAFT, **values) -> MonthlyReturn:
    """人社局's May return with a line of figures per category, made with the ORM."""
    campaign = _campaign()
    department = Department.objects.get(code="rsj")
    ret = MonthlyReturn.objects.create(
        campaign=campaign, department=department, month=MAY, status=status, **values
    )
    for category in TrainingCategory.objects.filter(campaign=campaign, department=department):
        ReturnLine.objects.create(monthly_return=ret, category=category, trained=10, passed=8)
    return ret


@scenario("monthly_return.save")
def _monthly_return_save() -> Expect:
    from training.services.returns import return_save

    clerk = _rsj_clerk()
    campaign = _campaign()
    with campaign_clock(IN_WINDOW):
        ret = return_save(
            campaign=campaign,
            department=clerk.department,
            month=MAY,
            lines=lines_for(campaign, "rsj", trained=10, passed=8),
            version=0,
            actor=clerk,
        )
    return Expect(actor=clerk, obj=ret)


@scenario("monthly_return.import")
def _monthly_return_import() -> Expect:
    from training.services.return_files import return_import
    from training.tests.xlsx_samples import set_cells, template_bytes

    clerk = _rsj_clerk()
    campaign = _campaign()
    ret = _return()
    with campaign_clock(IN_WINDOW):
        data = template_bytes(
            campaign=campaign, department=clerk.department, month=MAY, monthly_return=ret
        )
        saved = return_import(
            campaign=campaign,
            department=clerk.department,
            month=MAY,
            fileobj=io.BytesIO(set_cells(data, F2=12)),
            filename="市人社局_2014年05月_月度报送.xlsx",
            version=ret.version,
            actor=clerk,
        )
    assert saved.pk == ret.pk
    # The figures are saved through return_save, which audits the save itself.
    return Expect(actor=clerk, obj=ret, also=("monthly_return.save",))


@scenario("monthly_return.submit")
def _monthly_return_submit() -> Expect:
    from training.services.returns import return_submit

    clerk = _rsj_clerk()
    ret = _return()
    with campaign_clock(IN_WINDOW):
        return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    return Expect(actor=clerk, obj=ret)


@scenario("monthly_return.accept")
def _monthly_return_accept() -> Expect:
    from training.services.returns import return_accept

    office = _office()
    ret = _return(MonthlyReturn.Status.SUBMITTED)
    with campaign_clock(IN_WINDOW):
        return_accept(monthly_return=ret, actor=office)
    return Expect(actor=office, obj=ret)


@scenario("monthly_return.send_back")
def _monthly_return_send_back() -> Expect:
    from training.services.returns import return_send_back

    office = _office()
    ret = _return(MonthlyReturn.Status.SUBMITTED)
    with campaign_clock(IN_WINDOW):
        return_send_back(monthly_return=ret, reason="合格人数有误", actor=office)
    return Expect(actor=office, obj=ret)


@scenario("monthly_return.unlock")
def _monthly_return_unlock() -> Expect:
    from core import clock
    from training.services.returns import unlock_grant

    office = _office()
    with campaign_clock(AFTER_LOCK):
        unlock = unlock_grant(
            campaign=_campaign(),
            department=Department.objects.get(code="rsj"),
            month=MAY,
            reason="培训机构补交花名册",
            expires_at=clock.now() + datetime.timedelta(days=3),
            actor=office,
        )
    return Expect(actor=office, obj=unlock)


@scenario("monthly_return.unlock_expired")
def _monthly_return_unlock_expired() -> Expect:
    from training.services.returns import unlocks_close_expired

    office = _office()
    unlock = ReturnUnlock.objects.create(
        campaign=_campaign(),
        department=Department.objects.get(code="rsj"),
        month=MAY,
        reason="培训机构补交花名册",
        expires_at=datetime.datetime(2014, 6, 12, 18, tzinfo=datetime.UTC),
        granted_by=office,
    )
    with campaign_clock("2014-06-20T10:00:00"):
        closed = unlocks_close_expired()  # as the beat task calls it
    assert closed == 1
    return Expect(actor=None, obj=unlock)


@scenario("monthly_return.correction_request")
def _monthly_return_correction_request() -> Expect:
    from training.services.returns import correction_request

    clerk = _rsj_clerk()
    ret = _return(MonthlyReturn.Status.ACCEPTED)
    category = ret.lines.order_by("category__number").first().category
    with campaign_clock(AFTER_LOCK):
        correction_request(
            monthly_return=ret,
            proposed={category.pk: {"trained": 12}},
            reason="漏报一个夜校班",
            actor=clerk,
        )
    return Expect(actor=clerk, obj=ret)


def _pending_correction() -> CorrectionRequest:
    ret = _return(MonthlyReturn.Status.ACCEPTED)
    category = ret.lines.order_by("category__number").first().category
    return CorrectionRequest.objects.create(
        monthly_return=ret,
        reason="漏报一个夜校班",
        proposed={str(category.pk): {"trained": 12}},
        requested_by=_rsj_clerk(),
    )


@scenario("monthly_return.correction_approve")
def _monthly_return_correction_approve() -> Expect:
    from training.services.returns import correction_approve

    office = _office()
    correction = _pending_correction()
    with campaign_clock(AFTER_LOCK):
        correction_approve(correction=correction, actor=office, reason="已核对花名册")
    return Expect(actor=office, obj=correction.monthly_return)


@scenario("monthly_return.correction_refuse")
def _monthly_return_correction_refuse() -> Expect:
    from training.services.returns import correction_refuse

    office = _office()
    correction = _pending_correction()
    with campaign_clock(AFTER_LOCK):
        correction_refuse(correction=correction, reason="无花名册佐证", actor=office)
    return Expect(actor=office, obj=correction.monthly_return)


@scenario("monthly_return.remind")
def _monthly_return_remind() -> Expect:
    from training.services.returns import reminders_send

    campaign = _campaign()
    rsj = Department.objects.get(code="rsj")
    # Every other responsible unit was reminded already this morning: one reminder is due.
    ReturnReminder.objects.bulk_create(
        ReturnReminder(
            campaign=campaign, department=department, month=MAY, kind=ReturnReminder.Kind.OPENING
        )
        for department in Department.objects.filter(training_categories__campaign=campaign)
        .exclude(pk=rsj.pk)
        .distinct()
    )
    with campaign_clock("2014-06-01T09:00:00"):
        sent = reminders_send(campaign=campaign)  # as the beat task calls it
    assert [reminder.department_id for reminder in sent] == [rsj.pk]
    return Expect(actor=None, obj=sent[0])


# --------------------------------------------------------------------------------------------
# Plan, progress report, demo seeders
# --------------------------------------------------------------------------------------------


@scenario("plan.load")
def _plan_load() -> Expect:
    from training.services.plan import plan_load

    campaign = _campaign()
    # Someone renamed a target by hand: loading the plan again restores it (and says so).
    target = Target.objects.filter(campaign=campaign).order_by("sort_order").first()
    Target.objects.filter(pk=target.pk).update(name="手工改过的名称")
    result = plan_load()  # as the load_plan command calls it
    assert result.updated == {"targets": 1}
    return Expect(actor=None, obj=campaign)


@scenario("progress_report.compute")
def _progress_report_compute() -> Expect:
    from training.services.reports import report_compute

    office = _office()
    _return(MonthlyReturn.Status.ACCEPTED)
    with campaign_clock(AFTER_LOCK):
        run = report_compute(campaign=_campaign(), month=MAY, actor=office)
    return Expect(actor=office, obj=run)


_DEMO_TODAY = "2014-07-02T10:00:00"  # what ``make run`` sets


def _quiet(_line: str) -> None:
    """The seeders' log goes nowhere here."""


@scenario("demo.seed")
def _demo_seed() -> Expect:
    from training.demo import seed_returns

    campaign = _campaign()
    with campaign_clock(_DEMO_TODAY):
        seed_returns(campaign=campaign, scale=1, rng=random.Random(2013), log=_quiet)
    return Expect(actor=None, obj=campaign)


@scenario("demo.seed_delivery")
def _demo_seed_delivery() -> Expect:
    from training.demo import seed_delivery

    campaign = _campaign()
    with campaign_clock(_DEMO_TODAY):
        seed_delivery(campaign=campaign, scale=1, rng=random.Random(2013), log=_quiet)
    return Expect(actor=None, obj=campaign)
