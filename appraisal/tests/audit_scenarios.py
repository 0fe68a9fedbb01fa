"""Audit-contract scenarios for appraisal's actions (see ``core/tests/audit_contract.py``).

Each scenario performs one action through the service its view calls. The appraisal rules read
campaign dates, so every scenario runs on 2014-03-03 10:00 in Xuchang (``campaign_day``: the
demo clock, ``APP_TODAY``) rather than under a frozen clock: the audit rows keep the real time,
which the contract checks.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from appraisal.models import (
    AppraisalBody,
    BodyAuthorisation,
    DualOneException,
    EmploymentInspection,
    EnterpriseEvaluation,
    Level,
    LevelRule,
    PilotEnterprise,
)
from appraisal.services import bodies as body_svc
from appraisal.services import inspections as insp_svc
from appraisal.services import pilots as pilot_svc
from appraisal.services import registrations as reg_svc
from appraisal.services import results as res_svc
from appraisal.tests import appraisal_builders as build
from appraisal.tests import test_pilots_support as support
from core.models import County
from core.roles import Role
from core.tests.audit_contract import Expect, campaign_clock, scenario
from core.tests.factories import user_with_role
from training.models import Campaign

CAMPAIGN_CODE = "xuchang-2013"
CAMPAIGN_MOMENT = "2014-03-03T10:00:00+08:00"
TODAY = datetime.date(2014, 3, 3)


def campaign_day(moment: str = CAMPAIGN_MOMENT):
    """The campaign clock at ``moment`` (default: a campaign day in March 2014)."""
    return campaign_clock(moment)


def campaign() -> Campaign:
    return Campaign.objects.get(code=CAMPAIGN_CODE)


# --------------------------------------------------------------------------------------------
# Bodies, authorisations, level rules
# --------------------------------------------------------------------------------------------


@scenario("appraisal.body_create")
def _body_create() -> Expect:
    actor = build.reviewer()
    body = body_svc.body_create(
        data=body_svc.BodyInput(name="审计测试鉴定所", address="许昌市魏都区"), actor=actor
    )
    return Expect(actor=actor, obj=body)


@scenario("appraisal.body_update")
def _body_update() -> Expect:
    actor = build.reviewer()
    body = AppraisalBody.objects.create(name="审计测试鉴定所")
    body_svc.body_update(
        body=body,
        data=body_svc.BodyInput(
            name="审计测试鉴定所", address="许昌市建安区", phone="0374-1234567"
        ),
        actor=actor,
    )
    return Expect(actor=actor, obj=body)


@scenario("appraisal.body_staff")
def _body_staff() -> Expect:
    actor = build.reviewer()
    body = AppraisalBody.objects.create(name="审计测试鉴定所")
    body_svc.body_set_staff(body=body, staff=[build.reviewer()], actor=actor)
    return Expect(actor=actor, obj=body)


@scenario("appraisal.authorisation_set")
def _authorisation_set() -> Expect:
    actor = build.reviewer()
    body = AppraisalBody.objects.create(name="审计测试鉴定所")
    body_svc.authorisation_set(
        body=body, occupation=build.occupation(), max_level=Level.SENIOR, actor=actor
    )
    return Expect(actor=actor, obj=body)


@scenario("appraisal.authorisation_remove")
def _authorisation_remove() -> Expect:
    actor = build.reviewer()
    body = build.make_body("审计测试鉴定所")
    authorisation = BodyAuthorisation.objects.get(body=body)
    body_svc.authorisation_remove(authorisation=authorisation, actor=actor)
    return Expect(actor=actor, obj=body)


@scenario("appraisal.body_delete")
def _body_delete() -> Expect:
    actor = build.reviewer()
    body = AppraisalBody.objects.create(name="误录的鉴定所")
    body_svc.body_delete(body=body, actor=actor)
    # The row names the deleted body by its former id (``body`` keeps it; the service deleted
    # its own locked copy).
    return Expect(actor=actor, obj=body)


@scenario("appraisal.level_rule_update")
def _level_rule_update() -> Expect:
    support.ensure_level_rules()
    actor = build.office()
    rule = LevelRule.objects.get(level=Level.SENIOR)
    body_svc.level_rule_update(
        rule=rule,
        requires_lower_certificate=rule.requires_lower_certificate,
        requires_completed_class=rule.requires_completed_class,
        min_years_in_trade=rule.min_years_in_trade + 1,
        actor=actor,
    )
    return Expect(actor=actor, obj=rule)


# --------------------------------------------------------------------------------------------
# Registrations and sittings
# --------------------------------------------------------------------------------------------


@scenario("appraisal.registration_create")
def _registration_create() -> Expect:
    support.ensure_level_rules()
    with campaign_day():
        worker = build.trained_worker(campaign())
        registration = build.register_online(worker)
    return Expect(actor=worker.user, obj=registration)


@scenario("appraisal.registration_withdraw")
def _registration_withdraw() -> Expect:
    support.ensure_level_rules()
    with campaign_day():
        worker = build.trained_worker(campaign())
        registration = build.register_online(worker)
        reg_svc.registration_withdraw(
            registration=registration, actor=worker.user, reason="工作调动，不能参加考试"
        )
    return Expect(actor=worker.user, obj=registration, also=("appraisal.registration_create",))


@scenario("appraisal.sitting_create")
def _sitting_create() -> Expect:
    with campaign_day():
        body, staff = build.body_with_staff()
        sitting = build.make_sitting(body, staff)
    return Expect(actor=staff, obj=sitting)


def _sitting_with_one_scheduled(exam_date: datetime.date = build.EXAM_DAY):
    """A sitting of the body's staff with one trained worker scheduled into it."""
    support.ensure_level_rules()
    body, staff = build.body_with_staff()
    sitting = build.make_sitting(body, staff, exam_date=exam_date)
    (registration,) = build.scheduled(campaign(), sitting, staff)
    return sitting, staff, registration


@scenario("appraisal.sitting_schedule")
def _sitting_schedule() -> Expect:
    with campaign_day():
        sitting, staff, _registration = _sitting_with_one_scheduled()
    return Expect(
        actor=staff,
        obj=sitting,
        also=("appraisal.sitting_create", "appraisal.registration_create"),
    )


@scenario("appraisal.sitting_unschedule")
def _sitting_unschedule() -> Expect:
    with campaign_day():
        sitting, staff, registration = _sitting_with_one_scheduled()
        res_svc.sitting_unschedule(sitting=sitting, registration=registration, actor=staff)
    return Expect(
        actor=staff,
        obj=sitting,
        also=(
            "appraisal.sitting_create",
            "appraisal.registration_create",
            "appraisal.sitting_schedule",
        ),
    )


@scenario("appraisal.results_record")
def _results_record() -> Expect:
    with campaign_day():
        # Results are entered from the exam day on: the sitting is today.
        sitting, staff, registration = _sitting_with_one_scheduled(exam_date=TODAY)
        res_svc.results_record(
            sitting=sitting,
            entries={
                registration.pk: res_svc.ResultEntry(
                    theory=Decimal("80.0"), practical=Decimal("75.0")
                )
            },
            actor=staff,
        )
    return Expect(
        actor=staff,
        obj=sitting,
        also=(
            "appraisal.sitting_create",
            "appraisal.registration_create",
            "appraisal.sitting_schedule",
        ),
    )


# --------------------------------------------------------------------------------------------
# Evaluation pilots and "双一" exceptions
# --------------------------------------------------------------------------------------------


def _pilot_input(**overrides) -> pilot_svc.PilotInput:
    values = {
        "name": "审计测试试点企业",
        "county": County.objects.get(code="weidu"),
        "size_class": PilotEnterprise.SizeClass.LARGE_STATE,
        "designated_on": datetime.date(2013, 9, 1),
        "occupations": [support.occupation()],
        "contact_person": "王经理",
    }
    values.update(overrides)
    return pilot_svc.PilotInput(**values)


@scenario("appraisal.pilot_create")
def _pilot_create() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        pilot = pilot_svc.pilot_create(data=_pilot_input(), actor=actor)
    return Expect(actor=actor, obj=pilot)


@scenario("appraisal.pilot_update")
def _pilot_update() -> Expect:
    actor = build.reviewer()
    pilot = support.make_pilot(name="审计测试试点企业")
    with campaign_day():
        pilot_svc.pilot_update(pilot=pilot, data=_pilot_input(contact_person="李主任"), actor=actor)
    return Expect(actor=actor, obj=pilot)


@scenario("appraisal.pilot_checklist_submit")
def _pilot_checklist_submit() -> Expect:
    institution = support.enterprise_institution()
    staff = support.staff_of(institution)
    pilot = support.make_pilot(institution=institution, ready_on=None)
    with campaign_day():
        pilot_svc.checklist_item_submit(
            pilot=pilot,
            item=pilot_svc.Item.values[0],
            document=support.pdf(),
            effective_on=datetime.date(2013, 10, 1),
            actor=staff,
        )
    return Expect(actor=staff, obj=pilot)


def _exception_requested():
    """A pilot's pending "双一" request (越级 to 技师) made by the enterprise's staff."""
    institution = support.enterprise_institution()
    staff = support.staff_of(institution)
    pilot = support.make_pilot(institution=institution)
    exception = pilot_svc.exception_request(
        pilot=pilot,
        data=pilot_svc.ExceptionInput(
            worker=support.make_worker(),
            occupation=support.occupation(),
            level=Level.TECHNICIAN,
            kind=DualOneException.Kind.SKIP_LEVEL,
            front_line_post="变压器装配一线",
            performance="连续三年班组产量第一，获省技术能手",
            justification="长期在生产一线，技能突出，申请越级评价技师",
        ),
        actor=staff,
    )
    return exception, staff


@scenario("appraisal.exception_request")
def _exception_request() -> Expect:
    with campaign_day():
        exception, staff = _exception_requested()
    return Expect(actor=staff, obj=exception)


@scenario("appraisal.exception_approve")
def _exception_approve() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        exception, _staff = _exception_requested()
        pilot_svc.exception_approve(exception=exception, reason="业绩材料属实", actor=actor)
    return Expect(actor=actor, obj=exception, also=("appraisal.exception_request",))


@scenario("appraisal.exception_refuse")
def _exception_refuse() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        exception, _staff = _exception_requested()
        pilot_svc.exception_refuse(
            exception=exception, reason="业绩证明材料不足，请补充后再申请", actor=actor
        )
    return Expect(actor=actor, obj=exception, also=("appraisal.exception_request",))


@scenario("appraisal.evaluation_record")
def _evaluation_record() -> Expect:
    support.ensure_level_rules()
    institution = support.enterprise_institution()
    staff = support.staff_of(institution)
    pilot = support.make_pilot(institution=institution)
    worker = support.make_worker()
    occupation = support.occupation()
    # 技师 needs the 高级工 certificate and four years in the trade (the seeded level rule).
    support.make_certificate(worker, occupation, Level.SENIOR)
    with campaign_day():
        evaluation = pilot_svc.evaluation_record(
            pilot=pilot,
            data=pilot_svc.EvaluationInput(
                worker=worker,
                occupation=occupation,
                level=Level.TECHNICIAN,
                result=EnterpriseEvaluation.Result.PASSED,
                evaluated_on=datetime.date(2014, 2, 20),
                years_in_trade=5,
            ),
            actor=staff,
        )
    return Expect(actor=staff, obj=evaluation)


# --------------------------------------------------------------------------------------------
# Employment-access inspections
# --------------------------------------------------------------------------------------------


def _inspection_open(actor) -> EmploymentInspection:
    return insp_svc.inspection_record(
        data=insp_svc.InspectionInput(
            employer="许昌某机械有限公司",
            county=County.objects.get(code="weidu"),
            inspected_on=datetime.date(2014, 2, 10),
            posts_checked="电焊工、车工",
            workers_checked=20,
            uncertified_found=3,
            violations="3名电焊工未取得职业资格证书上岗",
            deadline=datetime.date(2014, 2, 28),
        ),
        actor=actor,
    )


@scenario("appraisal.inspection_record")
def _inspection_record() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        inspection = _inspection_open(actor)
    return Expect(actor=actor, obj=inspection)


@scenario("appraisal.inspection_follow_up")
def _inspection_follow_up() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        inspection = _inspection_open(actor)
        insp_svc.inspection_follow_up(
            inspection=inspection,
            followed_up_on=TODAY,
            note="相关人员正在参加培训，尚未取证",
            rectified=False,
            actor=actor,
        )
    return Expect(actor=actor, obj=inspection, also=("appraisal.inspection_record",))


@scenario("appraisal.inspection_rectify")
def _inspection_rectify() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        inspection = _inspection_open(actor)
        insp_svc.inspection_follow_up(
            inspection=inspection,
            followed_up_on=TODAY,
            note="3名电焊工均已取得初级工证书",
            rectified=True,
            actor=actor,
        )
    return Expect(actor=actor, obj=inspection, also=("appraisal.inspection_record",))


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------


@scenario("demo.seed_appraisal")
def _demo_seed_appraisal() -> Expect:
    from appraisal import demo

    support.ensure_level_rules()
    # The seeder needs the demo's reviewer and office (or enterprise) accounts; with no training
    # history it writes no registrations (the smallest run that writes the row).
    build.reviewer()
    user_with_role(Role.OFFICE, username="office")
    messages: list[str] = []
    with campaign_day("2014-07-02T10:00:00+08:00"):
        demo.seed_appraisal(
            campaign=campaign(), scale=1, rng=random.Random(2013), log=messages.append
        )
    return Expect(actor=None, obj=campaign())
