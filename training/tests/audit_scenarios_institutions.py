"""Audit-contract scenarios for the institutions, ledger, "1688" facilities, teachers, enterprise
education funds and labour-market actions, and their demo seeders (see
``core/tests/audit_contract.py``).

Each scenario builds what it needs directly in the database (rows made through another service
would write audit rows of their own), then performs the action once through its service, as its
view or job calls it. The real clock is used: the audit row's time must fall inside the call.
"""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent, County, Department
from core.roles import Role
from core.tests.audit_contract import Expect, scenario, scratch_media
from core.tests.factories import user_with_role
from core.xlsx import XlsxWriter
from training.models import (
    Campaign,
    EducationFundReturn,
    Enterprise,
    Facility,
    FacilityTarget,
    Institution,
    InstitutionAssessment,
    JointMeeting,
    LedgerTask,
    Occupation,
    SupplyDemandReport,
    Teacher,
)
from training.models.enterprise_funds import credit_code_check_char
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import make_institution, office_user, staff_of

D = datetime.date
# The campaign runs 2013–2014: 2014 is a year over, whatever the real date is now.
YEAR = 2014


def _campaign() -> Campaign:
    return Campaign.objects.get()


def _log(_message: str) -> None:
    """The seeders' log callback; the scenarios do not read it."""


def _pdf(name: str = "验收报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


# --------------------------------------------------------------------------------------------
# The institution registry and designation
# --------------------------------------------------------------------------------------------


@scenario("institution.create")
def _institution_create() -> Expect:
    from training.services.institutions import institution_create

    office = office_user()
    institution = institution_create(
        name="许昌市审计测试职业培训学校",
        kind=Institution.Kind.PRIVATE,
        county=County.objects.order_by("sort_order").first(),
        contact_person="王校长",
        designated_on=D(2013, 8, 1),
        actor=office,
    )
    return Expect(actor=office, obj=institution)


@scenario("institution.update")
def _institution_update() -> Expect:
    from training.services.institutions import institution_update

    office = office_user()
    institution = make_institution()
    institution_update(
        institution=institution,
        data={"contact_person": "李主任", "plaque_granted_on": D(2013, 9, 1)},
        actor=office,
    )
    return Expect(actor=office, obj=institution)


@scenario("institution.bank_account_set")
def _institution_bank_account_set() -> Expect:
    from training.services.institutions import institution_bank_account_set

    office = office_user()
    institution = make_institution()
    institution_bank_account_set(
        institution=institution,
        bank_name="中国工商银行许昌分行",
        account_name=institution.name,
        account_number="6222021234567890128",
        actor=office,
    )
    return Expect(actor=office, obj=institution)


@scenario("institution.warn")
def _institution_warn() -> Expect:
    from training.services.institutions import institution_warn

    office = office_user()
    institution = make_institution()
    institution_warn(institution=institution, reason="培训台账不全", actor=office)
    return Expect(actor=office, obj=institution)


@scenario("institution.revoke")
def _institution_revoke() -> Expect:
    from training.services.institutions import institution_revoke

    office = office_user()
    institution = make_institution(designation=Institution.Designation.WARNED)
    institution_revoke(institution=institution, reason="警告后仍虚报培训人数", actor=office)
    return Expect(actor=office, obj=institution)


@scenario("institution.restore")
def _institution_restore() -> Expect:
    from training.services.institutions import institution_restore

    office = office_user()
    institution = make_institution(
        designation=Institution.Designation.REVOKED, designated_on=D(2012, 5, 1)
    )
    institution_restore(institution=institution, reason="整改验收合格", actor=office)
    return Expect(actor=office, obj=institution)


@scenario("institution.violation_record")
def _institution_violation_record() -> Expect:
    from training.services.institutions import violation_record

    reviewer = user_with_role(Role.REVIEWER)
    violation = violation_record(
        institution=make_institution(),
        occurred_on=D(2014, 5, 6),
        description="虚报培训人数",
        actor=reviewer,
    )
    return Expect(actor=reviewer, obj=violation)


# --------------------------------------------------------------------------------------------
# The annual assessment
# --------------------------------------------------------------------------------------------


def _only_institution() -> Institution:
    """One institution holding a designation: the run writes a row per assessed institution,
    and the plan's own would be assessed too (revoked ones are not)."""
    Institution.objects.update(designation=Institution.Designation.REVOKED)
    return make_institution("审计测试培训学校")


def _proposal(proposal: str) -> InstitutionAssessment:
    return InstitutionAssessment.objects.create(
        institution=make_institution(),
        year=YEAR,
        proposal=proposal,
        reasons=["2014年度培训合格率为10%，低于80%。"],
    )


@scenario("institution_assessment.propose")
def _assessment_propose() -> Expect:
    from training.services.institutions import assessment_run

    office = office_user()
    institution = _only_institution()
    (assessment,) = assessment_run(campaign=_campaign(), year=YEAR, actor=office)
    assert assessment.institution_id == institution.pk
    return Expect(actor=office, obj=assessment)


@scenario("institution_assessment.update")
def _assessment_update() -> Expect:
    from training.services.institutions import assessment_run

    institution = _only_institution()
    # An earlier run's proposal, before trainees it counted were struck off: the rerun (the
    # scheduled job) changes the figures.
    stale = InstitutionAssessment.objects.create(
        institution=institution,
        year=YEAR,
        classes_run=1,
        trainees=10,
        passed=9,
        pass_rate=Decimal("0.9000"),
        proposal=InstitutionAssessment.Proposal.KEEP,
    )
    (assessment,) = assessment_run(campaign=_campaign(), year=YEAR, actor=None)
    assert assessment.pk == stale.pk
    # The outcome reads as the reasons themselves, not as a Python list's repr.
    row = AuditEvent.objects.filter(action="institution_assessment.update").latest("id")
    assert row.changes["reasons"] == [[], assessment.reasons]
    assert row.changes["proposal"] == ["keep", "revoke"]
    return Expect(actor=None, obj=assessment)


@scenario("institution_assessment.confirm")
def _assessment_confirm() -> Expect:
    from training.services.institutions import assessment_confirm

    office = office_user()
    assessment = _proposal(InstitutionAssessment.Proposal.REVOKE)
    assessment_confirm(assessment=assessment, reason="同意取消", actor=office)
    # Confirming a proposed revocation revokes the institution: its own audited action.
    return Expect(actor=office, obj=assessment, also=("institution.revoke",))


@scenario("institution_assessment.dismiss")
def _assessment_dismiss() -> Expect:
    from training.services.institutions import assessment_dismiss

    office = office_user()
    assessment = _proposal(InstitutionAssessment.Proposal.REVOKE)
    assessment_dismiss(assessment=assessment, reason="已整改，暂不取消", actor=office)
    return Expect(actor=office, obj=assessment)


# --------------------------------------------------------------------------------------------
# The work ledger and joint meetings
# --------------------------------------------------------------------------------------------


def _dept(code: str) -> Department:
    return Department.objects.get(code=code)


def _plan_task(code: str = "4.2.2") -> LedgerTask:
    """4.2.2: lead 市人社局 (rsj), assisting 市教育局 and 市工信局."""
    return LedgerTask.objects.get(code=code)


def _meeting(office) -> JointMeeting:
    return JointMeeting.objects.create(
        campaign=_campaign(),
        number=1,
        held_on=D(2014, 3, 20),
        place="市政府第一会议室",
        chair="李副市长",
        decisions="一、加快推进“1688建设工程”。",
        created_by=office,
    )


def _task_input(task: LedgerTask, **changes):
    from training.services.ledger import TaskInput

    values = {
        "title": task.title,
        "requirements": task.requirements,
        "lead_unit": task.lead_unit,
        "leader": task.leader,
        "deadline": task.deadline,
        "assisting_units": list(task.assisting_units.all()),
    }
    values.update(changes)
    return TaskInput(**values)


@scenario("ledger.meeting_create")
def _ledger_meeting_create() -> Expect:
    from training.services.ledger import MeetingInput, meeting_create

    office = office_user()
    meeting = meeting_create(
        campaign=_campaign(),
        data=MeetingInput(
            held_on=D(2014, 3, 20),
            place="市政府第一会议室",
            chair="李副市长",
            decisions="一、加快推进“1688建设工程”。",
            attendee_units=[_dept("rsj"), _dept("gxj")],
        ),
        actor=office,
    )
    return Expect(actor=office, obj=meeting)


@scenario("ledger.task_create")
def _ledger_task_create() -> Expect:
    from training.services.ledger import TaskInput, ledger_task_create

    office = office_user()
    task = ledger_task_create(
        meeting=_meeting(office),
        data=TaskInput(
            title="报送县办技工学校建设进度",
            requirements="每月底前报送",
            lead_unit=_dept("rsj"),
            assisting_units=[_dept("czj")],
            leader="张局长",
            deadline=D(2014, 5, 31),
        ),
        actor=office,
    )
    return Expect(actor=office, obj=task)


@scenario("ledger.task_update")
def _ledger_task_update() -> Expect:
    from training.services.ledger import ledger_task_update

    office = office_user()
    task = _plan_task()
    ledger_task_update(
        task=task,
        data=_task_input(task, deadline=task.deadline + datetime.timedelta(days=30)),
        reason="省厅调整了检查时间",
        actor=office,
    )
    return Expect(actor=office, obj=task)


@scenario("ledger.note_create")
def _ledger_note_create() -> Expect:
    from training.services.ledger import ledger_note_create

    clerk = clerk_of("rsj")
    task = _plan_task()
    ledger_note_create(
        task=task, text="已召开专题推进会", percent=40, reported_on=D(2014, 3, 3), actor=clerk
    )
    # The row names the task the note reports on (the note is its content, in ``changes``).
    return Expect(actor=clerk, obj=task)


@scenario("ledger.task_complete")
def _ledger_task_complete() -> Expect:
    from training.services.ledger import ledger_task_complete

    clerk = clerk_of("rsj")
    task = _plan_task()
    ledger_task_complete(task=task, completed_on=D(2014, 9, 20), note="按期完成", actor=clerk)
    return Expect(actor=clerk, obj=task)


@scenario("ledger.task_reopen")
def _ledger_task_reopen() -> Expect:
    from training.services.ledger import ledger_task_reopen

    office = office_user()
    task = _plan_task()
    LedgerTask.objects.filter(pk=task.pk).update(
        status=LedgerTask.Status.DONE, completed_on=D(2014, 9, 20), progress_percent=100
    )
    ledger_task_reopen(task=task, reason="尚有两个县未完成", actor=office)
    return Expect(actor=office, obj=task)


# --------------------------------------------------------------------------------------------
# The "1688" programme
# --------------------------------------------------------------------------------------------


def _facility(status: str = Facility.Status.PLANNED) -> Facility:
    """A service centre in ``status``, each step's date filled a month after the previous."""
    dates = {"planned_on": D(2013, 9, 1)}
    order = list(Facility.Status.values)
    for index, value in enumerate(order[1 : order.index(status) + 1], start=1):
        dates[Facility.DATE_FIELDS[value]] = D(2013, 9 + index, 1)
    return Facility.objects.create(
        target=FacilityTarget.objects.get(kind=FacilityTarget.Kind.SERVICE_CENTRE),
        name="禹州市就业培训服务中心",
        county=County.objects.get(code="yuzhou"),
        status=status,
        **dates,
    )


@scenario("facility.create")
def _facility_create() -> Expect:
    from training.services.facilities import FacilityInput, facility_create

    clerk = clerk_of("rsj")  # the targets' lead department
    facility = facility_create(
        target=FacilityTarget.objects.get(kind=FacilityTarget.Kind.SERVICE_CENTRE),
        data=FacilityInput(
            name="禹州市就业培训服务中心",
            county=County.objects.get(code="yuzhou"),
            planned_on=D(2013, 9, 1),
        ),
        actor=clerk,
    )
    return Expect(actor=clerk, obj=facility)


@scenario("facility.under_construction")
def _facility_start_construction() -> Expect:
    from training.services.facilities import facility_start_construction

    office = office_user()
    facility = _facility(Facility.Status.PLANNED)
    facility_start_construction(facility=facility, on=D(2014, 1, 6), actor=office)
    return Expect(actor=office, obj=facility)


@scenario("facility.completed")
def _facility_complete() -> Expect:
    from training.services.facilities import facility_complete

    office = office_user()
    facility = _facility(Facility.Status.UNDER_CONSTRUCTION)
    with scratch_media():
        facility_complete(
            facility=facility,
            on=D(2014, 5, 6),
            evidence=_pdf("竣工报告.pdf"),
            description="竣工报告",
            actor=office,
        )
    return Expect(actor=office, obj=facility)


@scenario("facility.accepted")
def _facility_accept() -> Expect:
    from training.services.facilities import facility_accept

    clerk = clerk_of("rsj")
    facility = _facility(Facility.Status.COMPLETED)
    with scratch_media():
        facility_accept(
            facility=facility,
            on=D(2014, 6, 6),
            evidence=_pdf(),
            description="验收报告",
            actor=clerk,
        )
    return Expect(actor=clerk, obj=facility)


@scenario("facility.evidence_add")
def _facility_evidence_add() -> Expect:
    from training.services.facilities import facility_evidence_add

    office = office_user()
    facility = _facility(Facility.Status.UNDER_CONSTRUCTION)
    with scratch_media():
        facility_evidence_add(
            facility=facility, upload=_pdf("开工证明.pdf"), description="开工证明", actor=office
        )
    return Expect(actor=office, obj=facility)


# --------------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------------


def _teacher(institution: Institution) -> Teacher:
    return Teacher.objects.create(
        institution=institution,
        name="王建国",
        education=Teacher.Education.COLLEGE,
        employment=Teacher.Employment.FULL_TIME,
    )


@scenario("teacher.create")
def _teacher_create() -> Expect:
    from training.services.teachers import teacher_create

    institution = make_institution()
    staff = staff_of(institution)
    teacher = teacher_create(
        institution=institution,
        data={
            "name": "王建国",
            "education": Teacher.Education.BACHELOR,
            "title": Teacher.Title.INTERMEDIATE,
            "specialty": "数控加工",
            "honours": [Teacher.Honour.CHIEF_TECHNICIAN],
            "employment": Teacher.Employment.FULL_TIME,
            "is_active": True,
        },
        actor=staff,
    )
    return Expect(actor=staff, obj=teacher)


@scenario("teacher.update")
def _teacher_update() -> Expect:
    from training.services.teachers import teacher_update

    institution = make_institution()
    staff = staff_of(institution)
    teacher = _teacher(institution)
    teacher_update(teacher=teacher, data={"education": Teacher.Education.BACHELOR}, actor=staff)
    return Expect(actor=staff, obj=teacher)


@scenario("teacher.training_add")
def _teacher_training_add() -> Expect:
    from training.services.teachers import teacher_training_add

    institution = make_institution()
    staff = staff_of(institution)
    teacher = _teacher(institution)
    teacher_training_add(
        teacher=teacher,
        data={
            "course": "数控技术骨干教师研修",
            "provider": "河南省职业技术教育教学研究室",
            "start_date": D(2014, 3, 1),
            "end_date": D(2014, 3, 31),
            "hours": 120,
            "certificate": "结业证书",
        },
        actor=staff,
    )
    # The row names the teacher; the further-training record is its content (``changes``).
    return Expect(actor=staff, obj=teacher)


# --------------------------------------------------------------------------------------------
# Enterprise education funds
# --------------------------------------------------------------------------------------------


def _credit_code(n: int) -> str:
    first17 = f"91411000MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def _enterprise(n: int = 1) -> Enterprise:
    return Enterprise.objects.create(
        name=f"许昌测试企业{n}有限公司", credit_code=_credit_code(n), above_scale=True
    )


def _return_input(**changes):
    from training.services.enterprise_funds import ReturnInput

    values = {
        "year": 2013,
        "payroll": Decimal("1000000.00"),
        "rate": Decimal("0.015"),
        "spent_on_training": Decimal("0.00"),
        "did_training": False,
    }
    values.update(changes)
    return ReturnInput(**values)


@scenario("enterprise.create")
def _enterprise_create() -> Expect:
    from training.services.enterprise_funds import enterprise_create

    office = office_user()
    enterprise = enterprise_create(
        data={"name": "许继集团有限公司", "credit_code": _credit_code(7), "above_scale": True},
        actor=office,
    )
    return Expect(actor=office, obj=enterprise)


@scenario("enterprise.update")
def _enterprise_update() -> Expect:
    from training.services.enterprise_funds import enterprise_update

    office = office_user()
    enterprise = _enterprise()
    enterprise_update(enterprise=enterprise, data={"above_scale": False}, actor=office)
    return Expect(actor=office, obj=enterprise)


@scenario("fund_return.create")
def _fund_return_create() -> Expect:
    from training.services.enterprise_funds import fund_return_save

    office = office_user()
    saved = fund_return_save(
        campaign=_campaign(), enterprise=_enterprise(), data=_return_input(), actor=office
    )
    return Expect(actor=office, obj=saved)


@scenario("fund_return.update")
def _fund_return_update() -> Expect:
    from training.services.enterprise_funds import fund_return_save

    office = office_user()
    enterprise = _enterprise()
    campaign = _campaign()
    fund_return_save(campaign=campaign, enterprise=enterprise, data=_return_input(), actor=office)
    # The first save above writes ``fund_return.create``; the second replaces its figures.
    saved = fund_return_save(
        campaign=campaign,
        enterprise=enterprise,
        data=_return_input(did_training=True, spent_on_training=Decimal("8000.00")),
        actor=office,
    )
    return Expect(actor=office, obj=saved, also=("fund_return.create",))


@scenario("fund_return.import")
def _fund_return_import() -> Expect:
    from training.services.enterprise_funds import (
        UPLOAD_HEADERS,
        UPLOAD_SHEET,
        fund_returns_import,
    )

    office = office_user()
    enterprise = _enterprise()
    handle = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(UPLOAD_SHEET, UPLOAD_HEADERS)
        writer.append(
            sheet, [enterprise.credit_code, enterprise.name, 2013, "1000000", "1.5", "0", "否"]
        )
        writer.save(handle)
    handle.seek(0)
    campaign = _campaign()
    summary = fund_returns_import(
        campaign=campaign, fileobj=handle, filename="职工教育经费.xlsx", actor=office
    )
    assert summary.created == 1
    assert EducationFundReturn.objects.filter(enterprise=enterprise).exists()
    # The import's own row names the campaign (a file has no row of its own) and holds the
    # counts; each return it creates has its ``fund_return.create`` row.
    return Expect(actor=office, obj=campaign, also=("fund_return.create",))


# --------------------------------------------------------------------------------------------
# The labour market
# --------------------------------------------------------------------------------------------


@scenario("job_fair.create")
def _job_fair_create() -> Expect:
    from training.services.labour_market import job_fair_create

    clerk = clerk_of("rsj")
    fair = job_fair_create(
        campaign=_campaign(),
        data={
            "name": "2014年春风行动专场招聘会",
            "held_on": D(2014, 3, 15),
            "place": "许昌市人力资源市场",
            "organiser": _dept("rsj"),
            "county": None,
            "employers": 120,
            "posts_offered": 3500,
            "attendees": 8000,
            "hires": 1200,
        },
        actor=clerk,
    )
    return Expect(actor=clerk, obj=fair)


@scenario("skill_demand.add")
def _skill_demand_add() -> Expect:
    from training.services.labour_market import skill_demand_add

    office = office_user()
    demand = skill_demand_add(
        campaign=_campaign(),
        data={
            "employer": "许继集团",
            "occupation": Occupation.objects.order_by("code").first(),
            "level": 3,
            "count": 40,
            "month": D(2014, 5, 20),
        },
        actor=office,
    )
    return Expect(actor=office, obj=demand)


@scenario("supply_report.compute")
def _supply_report_compute() -> Expect:
    from training.services.labour_market import report_compute

    office = office_user()
    report = report_compute(
        campaign=_campaign(),
        period_start=D(2014, 1, 1),
        period_end=D(2014, 6, 30),
        title="",
        actor=office,
    )
    return Expect(actor=office, obj=report)


@scenario("supply_report.publish")
def _supply_report_publish() -> Expect:
    from django.utils import timezone

    from training.services.labour_market import report_publish

    office = office_user()
    draft = SupplyDemandReport.objects.create(
        campaign=_campaign(),
        title="2014年1月至2014年6月技能人才供需分析",
        period_start=D(2014, 1, 1),
        period_end=D(2014, 6, 30),
        computed_at=timezone.now(),
        computed_by=office,
    )
    report = report_publish(report=draft, summary="数控、电工需求大于持证供给", actor=office)
    return Expect(actor=office, obj=report)


# --------------------------------------------------------------------------------------------
# Demo seeders (system actions: no actor; the row names the campaign and holds the counts)
# --------------------------------------------------------------------------------------------


@scenario("demo.seed_teachers")
def _demo_seed_teachers() -> Expect:
    from training.demo_labour import seed_teachers

    campaign = _campaign()
    seed_teachers(campaign=campaign, scale=1, rng=random.Random(2013), log=_log)
    return Expect(actor=None, obj=campaign)


@scenario("demo.seed_funds")
def _demo_seed_funds() -> Expect:
    from training.demo_labour import seed_funds

    campaign = _campaign()
    seed_funds(campaign=campaign, scale=1, rng=random.Random(2013), log=_log)
    return Expect(actor=None, obj=campaign)


@scenario("demo.seed_labour_market")
def _demo_seed_labour_market() -> Expect:
    from training.demo_labour import seed_labour_market

    office_user()  # the seeder records the demand as the office
    campaign = _campaign()
    seed_labour_market(campaign=campaign, scale=1, rng=random.Random(2013), log=_log)
    return Expect(actor=None, obj=campaign)


@scenario("demo.seed_ledger")
def _demo_seed_ledger() -> Expect:
    from training.demo_ledger import seed_ledger

    office_user()  # the seeder needs the office and the units' clerks
    for code in ("rsj", "czj", "jyj", "gxj"):
        clerk_of(code)
    campaign = _campaign()
    with scratch_media():  # the built facilities' evidence files
        seed_ledger(campaign=campaign, scale=1, rng=random.Random(2013), log=_log)
    return Expect(actor=None, obj=campaign)
