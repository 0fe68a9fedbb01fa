"""Pilot enterprises, their "四个一" checklist and their evaluations, through the services.
Time stands on 15 June 2014 in Xuchang."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from appraisal.models import (
    Certificate,
    DualOneException,
    EnterpriseEvaluation,
    PilotChecklistItem,
    PilotEnterprise,
)
from appraisal.services import pilots as svc
from appraisal.tests.test_pilots_support import (
    D,
    at,
    county,
    ensure_level_rules,
    enterprise_institution,
    make_certificate,
    make_pilot,
    make_worker,
    occupation,
    office,
    pdf,
    reviewer,
    staff_of,
)
from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Institution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


LARGE = PilotEnterprise.SizeClass.LARGE_STATE
SME = PilotEnterprise.SizeClass.SME
PASSED = EnterpriseEvaluation.Result.PASSED
FAILED = EnterpriseEvaluation.Result.FAILED


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(plan):
    institution = enterprise_institution("许继集团职工培训中心")
    return {
        "institution": institution,
        "staff": staff_of(institution),
        "reviewer": reviewer(),
        "office": office(),
        "occupation": occupation("ZY017"),
    }


def pilot_input(**overrides) -> svc.PilotInput:
    values = {
        "name": "许继集团有限公司",
        "county": county(),
        "size_class": LARGE,
        "designated_on": D(2013, 9, 1),
        "occupations": [occupation("ZY017")],
    }
    values.update(overrides)
    return svc.PilotInput(**values)


JUNE_1 = D(2014, 6, 1)
OCT_1 = D(2013, 10, 1)


def evaluation(worker, *, level=2, result=PASSED, day=JUNE_1, occ=None, years=5):
    return svc.EvaluationInput(
        worker=worker,
        occupation=occ or occupation("ZY017"),
        level=level,
        result=result,
        evaluated_on=day,
        years_in_trade=years,
    )


def qualified_worker(level: int):
    """A worker who meets the default level rule for ``level`` (certificate one level below)."""
    worker = make_worker()
    make_certificate(worker, occupation("ZY017"), level + 1)
    return worker


# ---- pilots --------------------------------------------------------------------------------


def test_reviewer_designates_a_pilot_with_an_audit_row(world):
    pilot = svc.pilot_create(
        data=pilot_input(institution=world["institution"]), actor=world["reviewer"]
    )
    assert pilot.levels == (2, 1)
    assert list(pilot.occupations.values_list("code", flat=True)) == ["ZY017"]
    event = AuditEvent.objects.for_object(pilot).get()
    assert event.action == "appraisal.pilot_create"


@pytest.mark.parametrize("role", ["office", "staff"])
def test_only_a_reviewer_designates_pilots(world, role):
    with pytest.raises(PermissionDenied):
        svc.pilot_create(data=pilot_input(), actor=world[role])


def test_sme_pilots_evaluate_senior_workers_only(world):
    pilot = svc.pilot_create(data=pilot_input(size_class=SME), actor=world["reviewer"])
    assert pilot.levels == (3,)


def test_pilot_institution_must_be_an_enterprise_training_institution(world):
    school = Institution.objects.create(name="某技工学校", kind=Institution.Kind.TECHNICAL_SCHOOL)
    with pytest.raises(ValidationError) as caught:
        svc.pilot_create(data=pilot_input(institution=school), actor=world["reviewer"])
    assert "institution" in caught.value.message_dict


def test_pilot_needs_an_occupation_and_a_unique_name(world):
    with pytest.raises(ValidationError) as caught:
        svc.pilot_create(data=pilot_input(occupations=[]), actor=world["reviewer"])
    assert "occupations" in caught.value.message_dict
    svc.pilot_create(data=pilot_input(), actor=world["reviewer"])
    with pytest.raises(ValidationError) as caught:
        svc.pilot_create(data=pilot_input(), actor=world["reviewer"])
    assert "name" in caught.value.message_dict


def test_size_class_is_checked_by_the_database(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotEnterprise.objects.create(
            name="x", county=county(), size_class="huge", designated_on=D(2013, 1, 1)
        )


def test_pilot_update_records_what_changed(world):
    pilot = svc.pilot_create(data=pilot_input(), actor=world["reviewer"])
    svc.pilot_update(
        pilot=pilot,
        data=pilot_input(size_class=SME, occupations=[occupation("ZY017"), occupation("ZY010")]),
        actor=world["reviewer"],
    )
    pilot.refresh_from_db()
    assert pilot.size_class == SME
    event = AuditEvent.objects.for_object(pilot).filter(action="appraisal.pilot_update").get()
    assert set(event.changes) == {"size_class", "occupations"}


def test_pilot_saved_unchanged_writes_no_audit_row(world):
    pilot = svc.pilot_create(data=pilot_input(), actor=world["reviewer"])
    svc.pilot_update(pilot=pilot, data=pilot_input(), actor=world["reviewer"])
    assert not AuditEvent.objects.filter(action="appraisal.pilot_update").exists()


# ---- "四个一" checklist --------------------------------------------------------------------


def submit(pilot, item, actor, *, day=OCT_1, document=None):
    return svc.checklist_item_submit(
        pilot=pilot, item=item, document=document or pdf(), effective_on=day, actor=actor
    )


def test_pilot_is_ready_only_when_all_four_items_are_in(world):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    items = PilotChecklistItem.Item.values
    for index, item in enumerate(items[:-1]):
        submit(pilot, item, world["staff"], day=D(2013, 10, 1 + index))
        pilot.refresh_from_db()
        assert pilot.ready_on is None
    submit(pilot, items[-1], world["staff"], day=D(2013, 9, 20))
    pilot.refresh_from_db()
    # The day the last of them took effect, not the day of the last upload.
    assert pilot.ready_on == D(2013, 10, 3)
    assert PilotChecklistItem.objects.filter(pilot=pilot).count() == 4


def test_replacing_an_item_moves_the_ready_date_and_keeps_one_row(world):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    for item in PilotChecklistItem.Item.values:
        submit(pilot, item, world["staff"])
    submit(pilot, "plan", world["staff"], day=D(2013, 12, 1))
    pilot.refresh_from_db()
    assert pilot.ready_on == D(2013, 12, 1)
    assert pilot.checklist.filter(item="plan").count() == 1
    event = AuditEvent.objects.for_object(pilot).filter(action="appraisal.pilot_checklist_submit")
    assert event.count() == 5
    assert event.first().changes["replaced"] is True


def test_replaced_document_is_deleted_once_the_new_one_is_committed(
    world, django_capture_on_commit_callbacks
):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    first = submit(pilot, "plan", world["staff"])
    old_name = first.document.name
    storage = first.document.storage
    with django_capture_on_commit_callbacks(execute=False) as pending:
        second = submit(pilot, "plan", world["staff"])
    assert storage.exists(old_name)  # not yet committed: the old file is still there
    for callback in pending:
        callback()
    assert not storage.exists(old_name)
    assert storage.exists(second.document.name)


def test_checklist_document_is_stored_under_a_random_name(world):
    entry = submit(
        make_pilot(institution=world["institution"], ready_on=None),
        "plan",
        world["staff"],
        document=pdf("张三的方案.pdf"),
    )
    assert entry.document.name.endswith(".pdf")
    assert "张三" not in entry.document.name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("方案.exe", b"MZ\x90\x00"),
        ("方案.pdf", b"<html>not a pdf</html>"),
        ("方案.pdf", b""),
    ],
)
def test_checklist_refuses_other_file_types_and_fakes(world, name, content):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    with pytest.raises(ValidationError) as caught:
        submit(pilot, "plan", world["staff"], document=SimpleUploadedFile(name, content))
    assert "document" in caught.value.message_dict
    assert not pilot.checklist.exists()


def test_checklist_size_limit_is_ten_megabytes(world):
    from training.services.classes import MAX_DOCUMENT_BYTES

    pilot = make_pilot(institution=world["institution"], ready_on=None)
    exact = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (MAX_DOCUMENT_BYTES - 5))
    submit(pilot, "plan", world["staff"], document=exact)
    over = SimpleUploadedFile("b.pdf", b"%PDF-" + b"0" * (MAX_DOCUMENT_BYTES - 4))
    with pytest.raises(ValidationError):
        submit(pilot, "committee", world["staff"], document=over)


def test_checklist_date_may_not_be_in_the_future(world):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    submit(pilot, "plan", world["staff"], day=D(2014, 6, 15))
    with pytest.raises(ValidationError) as caught:
        submit(pilot, "method", world["staff"], day=D(2014, 6, 16))
    assert "effective_on" in caught.value.message_dict


def test_checklist_item_is_once_per_pilot_in_the_database(world):
    pilot = make_pilot(ready_on=D(2013, 10, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotChecklistItem.objects.create(
            pilot=pilot,
            item="plan",
            document="x.pdf",
            effective_on=D(2013, 1, 1),
            uploaded_by=world["reviewer"],
        )


def test_office_may_upload_for_a_pilot_but_other_enterprises_and_reviewers_may_not(world):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    submit(pilot, "plan", world["office"])
    other = staff_of(enterprise_institution())
    for actor in (other, world["reviewer"], user_with_role(Role.AUDITOR)):
        with pytest.raises(PermissionDenied):
            submit(pilot, "committee", actor)


# ---- evaluations ---------------------------------------------------------------------------


@pytest.fixture
def pilot(world):
    return make_pilot(
        institution=world["institution"], occupations=[world["occupation"]], ready_on=D(2014, 1, 10)
    )


def test_a_pass_issues_a_certificate_in_the_pilots_name(world, pilot):
    worker = qualified_worker(2)
    result = svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    certificate = result.certificate
    assert certificate.worker == worker
    assert (certificate.level, certificate.issued_on) == (2, D(2014, 6, 1))
    assert certificate.issuer_name == pilot.name
    assert certificate.body is None
    assert certificate.number.startswith(f"XC2014Q{pilot.pk:03d}")
    assert result.size_class == LARGE
    event = AuditEvent.objects.for_object(result).get()
    assert event.action == "appraisal.evaluation_record"
    assert event.changes["certificate"] == certificate.number


def test_a_failure_issues_no_certificate(world, pilot):
    result = svc.evaluation_record(
        pilot=pilot, data=evaluation(qualified_worker(2), result=FAILED), actor=world["staff"]
    )
    assert result.certificate is None
    assert not Certificate.objects.filter(level=2).exists()


def test_evaluation_waits_for_all_four_items(world):
    pilot = make_pilot(institution=world["institution"], ready_on=None)
    for item in PilotChecklistItem.Item.values[:3]:
        submit(pilot, item, world["staff"])
    with pytest.raises(RuleViolation) as caught:
        svc.evaluation_record(
            pilot=pilot, data=evaluation(qualified_worker(2)), actor=world["staff"]
        )
    assert caught.value.code == "checklist_incomplete"
    assert "质量控制系统" in caught.value.message
    submit(pilot, PilotChecklistItem.Item.values[3], world["staff"])
    svc.evaluation_record(pilot=pilot, data=evaluation(qualified_worker(2)), actor=world["staff"])


def test_evaluation_is_not_dated_before_the_checklist_was_complete(world, pilot):
    with pytest.raises(RuleViolation) as caught:
        svc.evaluation_record(
            pilot=pilot,
            data=evaluation(qualified_worker(2), day=D(2014, 1, 9)),
            actor=world["staff"],
        )
    assert caught.value.code == "before_ready"
    svc.evaluation_record(
        pilot=pilot, data=evaluation(qualified_worker(2), day=D(2014, 1, 10)), actor=world["staff"]
    )


def test_evaluation_date_may_not_be_in_the_future(world, pilot):
    with pytest.raises(ValidationError) as caught:
        svc.evaluation_record(
            pilot=pilot,
            data=evaluation(qualified_worker(2), day=D(2014, 6, 16)),
            actor=world["staff"],
        )
    assert "evaluated_on" in caught.value.message_dict
    svc.evaluation_record(
        pilot=pilot, data=evaluation(qualified_worker(2), day=D(2014, 6, 15)), actor=world["staff"]
    )


@pytest.mark.parametrize(
    ("size", "allowed", "refused"), [(LARGE, 2, 3), (LARGE, 1, 3), (SME, 3, 2)]
)
def test_level_must_be_within_the_size_class(world, size, allowed, refused):
    pilot = make_pilot(size_class=size, institution=world["institution"], ready_on=D(2014, 1, 1))
    with pytest.raises(ValidationError) as caught:
        svc.evaluation_record(
            pilot=pilot,
            data=evaluation(qualified_worker(refused), level=refused),
            actor=world["staff"],
        )
    assert "level" in caught.value.message_dict
    svc.evaluation_record(
        pilot=pilot, data=evaluation(qualified_worker(allowed), level=allowed), actor=world["staff"]
    )


def test_database_holds_evaluations_to_the_size_class(world, pilot):
    worker = make_worker()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseEvaluation.objects.create(
            pilot=pilot,
            worker=worker,
            occupation=world["occupation"],
            level=2,
            size_class=SME,
            result=FAILED,
            evaluated_on=D(2014, 6, 1),
            recorded_by=world["staff"],
        )


def test_database_requires_a_certificate_for_every_pass(world, pilot):
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseEvaluation.objects.create(
            pilot=pilot,
            worker=make_worker(),
            occupation=world["occupation"],
            level=2,
            size_class=LARGE,
            result=PASSED,
            evaluated_on=D(2014, 6, 1),
            recorded_by=world["staff"],
        )


def test_evaluation_only_in_the_pilots_occupations(world, pilot):
    worker = make_worker()
    make_certificate(worker, occupation("ZY010"), 3)
    with pytest.raises(ValidationError) as caught:
        svc.evaluation_record(
            pilot=pilot,
            data=evaluation(worker, occ=occupation("ZY010")),
            actor=world["staff"],
        )
    assert "occupation" in caught.value.message_dict


def test_level_rule_applies_without_an_exception(world, pilot):
    worker = make_worker()  # no 高级工 certificate
    with pytest.raises(RuleViolation) as caught:
        svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    assert caught.value.code == "level_rule"
    assert "高级工" in caught.value.message
    assert not EnterpriseEvaluation.objects.exists()


def test_years_in_trade_count_for_the_level_rule(world, pilot):
    # The default rule for 技师: the 高级工 certificate and 4 years in the trade.
    with pytest.raises(RuleViolation):
        svc.evaluation_record(
            pilot=pilot, data=evaluation(qualified_worker(2), years=3), actor=world["staff"]
        )
    result = svc.evaluation_record(
        pilot=pilot, data=evaluation(qualified_worker(2), years=4), actor=world["staff"]
    )
    assert result.years_in_trade == 4


def approved_exception(pilot, worker, *, level=2, requester, decider, approve=True):
    exception = svc.exception_request(
        pilot=pilot,
        data=svc.ExceptionInput(
            worker=worker,
            occupation=occupation("ZY017"),
            level=level,
            kind=DualOneException.Kind.SKIP_LEVEL,
            front_line_post="变压器装配一线",
            performance="省级技术能手",
            justification="长期在一线岗位，业绩突出",
        ),
        actor=requester,
    )
    if approve:
        return svc.exception_approve(exception=exception, actor=decider)
    return exception


def test_approved_exception_lets_the_evaluation_past_the_level_rule(world, pilot):
    worker = make_worker()
    exception = approved_exception(
        pilot, worker, requester=world["staff"], decider=world["reviewer"]
    )
    result = svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    assert result.exception == exception
    assert result.certificate is not None


def test_pending_exception_does_not(world, pilot):
    worker = make_worker()
    approved_exception(
        pilot, worker, requester=world["staff"], decider=world["reviewer"], approve=False
    )
    with pytest.raises(RuleViolation):
        svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])


def test_worker_already_certified_is_refused(world, pilot):
    worker = qualified_worker(2)
    make_certificate(worker, world["occupation"], 2)
    with pytest.raises(RuleViolation):
        svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])


def test_a_second_pass_is_refused(world, pilot):
    worker = qualified_worker(2)
    svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    with pytest.raises(RuleViolation):
        svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    assert EnterpriseEvaluation.objects.count() == 1


def test_office_records_for_the_enterprise_and_others_may_not(world, pilot):
    svc.evaluation_record(pilot=pilot, data=evaluation(qualified_worker(2)), actor=world["office"])
    outsiders = [
        staff_of(enterprise_institution()),
        world["reviewer"],
        user_with_role(Role.WORKER),
        user_with_role(Role.AUDITOR),
    ]
    for actor in outsiders:
        with pytest.raises(PermissionDenied):
            svc.evaluation_record(pilot=pilot, data=evaluation(qualified_worker(2)), actor=actor)


def test_pass_counts_towards_high_skilled_certificates(world, pilot, plan):
    from appraisal.selectors import high_skilled_achieved

    worker = qualified_worker(2)  # holds a 高级工 certificate: already high-skilled
    before = high_skilled_achieved(campaign=plan, until=D(2014, 6, 30))
    svc.evaluation_record(pilot=pilot, data=evaluation(worker), actor=world["staff"])
    assert high_skilled_achieved(campaign=plan, until=D(2014, 6, 30)) == before + 1


# ---- reads ---------------------------------------------------------------------------------


def test_enterprise_staff_see_only_their_own_pilot(world, pilot):
    other = make_pilot(institution=enterprise_institution())
    assert list(svc.pilot_list(user=world["staff"])) == [pilot]
    assert set(svc.pilot_list(user=world["reviewer"])) == {pilot, other}
    assert not svc.pilot_list(user=user_with_role(Role.WORKER)).exists()


def test_worker_lookup_needs_matching_number_and_name(world):
    from appraisal.tests.test_pilots_support import id_number

    number = id_number(7)
    worker = make_worker("王师傅", number=number)
    assert svc.worker_lookup(id_number=number, name="王师傅") == worker
    for name, given in (("李师傅", number), ("王师傅", id_number(8))):
        with pytest.raises(ValidationError) as caught:
            svc.worker_lookup(id_number=given, name=name)
        assert "id_number" in caught.value.message_dict
