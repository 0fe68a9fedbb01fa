"""Sittings, scheduling, results (by hand and by xlsx) and certificates; the target providers and
the subsidy selectors that read them."""

import datetime
import io
import re
import threading

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from appraisal import selectors
from appraisal.models import Certificate, Level, Registration
from appraisal.services import results as svc
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    EXAM_DAY,
    D,
    body_with_staff,
    frozen,
    full_id,
    make_body,
    make_class,
    make_sitting,
    occupation,
    other_occupation,
    register_online,
    result_row,
    results_file,
    reviewer,
    scheduled,
    trained_worker,
)
from core.errors import RuleViolation
from core.models import AuditEvent
from core.xlsx import XlsxError
from training.progress import target_achieved

pytestmark = pytest.mark.django_db


@pytest.fixture
def body_staff(plan):
    return body_with_staff()


@pytest.fixture
def exam_day(time_machine):
    def go(day=EXAM_DAY):
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(15)), tick=False)

    return go


def _record(sitting, staff, *pairs):
    return svc.results_record(
        sitting=sitting,
        entries={
            r.pk: svc.ResultEntry(theory=D(t), practical=D(p))
            if t is not None
            else svc.ResultEntry(absent=True)
            for r, t, p in pairs
        },
        actor=staff,
    )


# --------------------------------------------------------------------------------------------
# Sittings
# --------------------------------------------------------------------------------------------


def test_sitting_within_the_authorised_level_is_set_above_it_refused(body_staff):
    body, staff = body_staff  # authorised to 高级工 (3)
    assert make_sitting(body, staff, level=Level.SENIOR).level == Level.SENIOR
    with pytest.raises(RuleViolation) as exc:
        make_sitting(body, staff, level=Level.TECHNICIAN)
    assert "未获" in exc.value.message


def test_sitting_for_an_occupation_not_authorised_is_refused(body_staff):
    body, staff = body_staff
    with pytest.raises(RuleViolation):
        make_sitting(body, staff, occ=other_occupation())


def test_only_the_body_staff_set_its_sittings(body_staff):
    body, _staff = body_staff
    _other, other_staff = body_with_staff("长葛市职业技能鉴定站")
    with pytest.raises(PermissionDenied):
        make_sitting(body, other_staff)
    with pytest.raises(PermissionDenied):
        make_sitting(body, reviewer())  # a reviewer not on the staff list


def test_staff_listed_without_the_reviewer_role_are_not_body_staff(plan):
    from appraisal.tests.appraisal_builders import clerk

    user = clerk()
    body = make_body(staff=[user])
    with pytest.raises(PermissionDenied):
        make_sitting(body, user)


def test_sitting_in_the_past_is_refused_today_is_fine(body_staff):
    body, staff = body_staff
    with pytest.raises(ValidationError) as exc:
        make_sitting(body, staff, exam_date=datetime.date(2014, 3, 2))
    assert "exam_date" in exc.value.message_dict
    assert make_sitting(body, staff, exam_date=datetime.date(2014, 3, 3))


def test_inactive_body_sets_no_sittings(body_staff):
    body, staff = body_staff
    body.is_active = False
    body.save()
    with pytest.raises(RuleViolation):
        make_sitting(body, staff)


def test_sitting_fields_are_checked(body_staff):
    body, staff = body_staff
    with pytest.raises(ValidationError) as exc:
        make_sitting(body, staff, capacity=0, pass_mark=D("100.5"), certificate_kind="x")
    assert set(exc.value.message_dict) == {"capacity", "pass_mark", "certificate_kind"}


# --------------------------------------------------------------------------------------------
# Scheduling
# --------------------------------------------------------------------------------------------


def test_scheduling_up_to_capacity_then_refused(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff, capacity=2)
    scheduled(plan, sitting, staff, count=2)
    extra = register_online(trained_worker(plan))
    with pytest.raises(RuleViolation) as exc:
        svc.sitting_schedule(sitting=sitting, registrations=[extra], actor=staff)
    assert "考位不足" in exc.value.message
    extra.refresh_from_db()
    assert extra.status == Registration.Status.REGISTERED


def test_scheduling_is_all_or_nothing_over_capacity(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff, capacity=2)
    regs = [register_online(trained_worker(plan)) for _ in range(3)]
    with pytest.raises(RuleViolation):
        svc.sitting_schedule(sitting=sitting, registrations=regs, actor=staff)
    assert not Registration.objects.filter(sitting=sitting).exists()


def test_scheduling_another_level_or_occupation_is_refused(plan, body_staff, monkeypatch):
    from appraisal.services import registrations as reg_svc

    monkeypatch.setattr(reg_svc, "exception_allows", lambda *a: True)
    body, staff = body_staff
    sitting = make_sitting(body, staff, level=Level.JUNIOR)
    wrong_level = register_online(trained_worker(plan), level=Level.INTERMEDIATE)
    wrong_occ = register_online(trained_worker(plan), occ=other_occupation())
    for registration in (wrong_level, wrong_occ):
        with pytest.raises(ValidationError) as exc:
            svc.sitting_schedule(sitting=sitting, registrations=[registration], actor=staff)
        assert "不一致" in str(exc.value)


def test_scheduling_twice_is_refused(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    other = make_sitting(body, staff)
    with pytest.raises(ValidationError):
        svc.sitting_schedule(sitting=other, registrations=[registration], actor=staff)


def test_no_scheduling_into_a_past_sitting(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    registration = register_online(trained_worker(plan))
    exam_day(EXAM_DAY + datetime.timedelta(days=1))
    with pytest.raises(RuleViolation):
        svc.sitting_schedule(sitting=sitting, registrations=[registration], actor=staff)


def test_other_body_staff_cannot_schedule(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    _other, other_staff = body_with_staff("长葛市职业技能鉴定站")
    with pytest.raises(PermissionDenied):
        svc.sitting_schedule(
            sitting=sitting,
            registrations=[register_online(trained_worker(plan))],
            actor=other_staff,
        )


def test_unscheduling_returns_the_registration_to_the_queue(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    svc.sitting_unschedule(sitting=sitting, registration=registration, actor=staff)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REGISTERED
    assert registration.sitting is None


# --------------------------------------------------------------------------------------------
# Results by hand
# --------------------------------------------------------------------------------------------


def test_both_scores_at_the_pass_mark_pass_and_issue_the_certificate(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    counts = _record(sitting, staff, (registration, "60", "60"))
    assert counts == {"passed": 1, "failed": 0, "absent": 0}
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PASSED
    certificate = registration.certificate
    assert certificate.worker == registration.worker
    assert certificate.level == Level.JUNIOR
    assert certificate.body == body
    assert certificate.issuer_name == body.name
    assert certificate.kind == "qualification"
    assert certificate.issued_on == EXAM_DAY
    assert re.fullmatch(rf"XC2014{body.pk:04d}000001", certificate.number)


@pytest.mark.parametrize(("theory", "practical"), [("59.9", "100"), ("100", "59.9")])
def test_either_score_below_the_pass_mark_fails_without_certificate(
    plan, body_staff, exam_day, theory, practical
):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, theory, practical))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.FAILED
    assert not Certificate.objects.exists()


def test_the_pass_mark_is_the_sitting_s(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff, pass_mark=D("70"))
    low, high = scheduled(plan, sitting, staff, count=2)
    exam_day()
    _record(sitting, staff, (low, "69.5", "90"), (high, "70", "70"))
    low.refresh_from_db()
    high.refresh_from_db()
    assert low.status == Registration.Status.FAILED
    assert high.status == Registration.Status.PASSED


def test_absent_candidates_have_no_scores_and_no_certificate(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, None, None))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.ABSENT
    assert registration.theory_score is None


def test_results_before_the_exam_day_are_refused(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    with pytest.raises(RuleViolation):
        _record(sitting, staff, (registration, "80", "80"))


def test_a_bad_row_writes_nothing(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    good, bad = scheduled(plan, sitting, staff, count=2)
    exam_day()
    with pytest.raises(ValidationError) as exc:
        _record(sitting, staff, (good, "80", "80"), (bad, "101", "80"))
    assert list(exc.value.message_dict) == [f"result_{bad.pk}"]
    assert not Certificate.objects.exists()
    assert Registration.objects.filter(status="scheduled").count() == 2


@pytest.mark.parametrize(
    ("theory", "practical", "message"),
    [("-1", "80", "0到100"), ("80", "100.1", "0到100"), ("80.25", "80", "1位小数")],
)
def test_score_out_of_range_or_too_precise_is_an_error(
    plan, body_staff, exam_day, theory, practical, message
):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    with pytest.raises(ValidationError) as exc:
        _record(sitting, staff, (registration, theory, practical))
    assert message in str(exc.value)


def test_scores_at_0_and_100_are_accepted(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, "0", "100"))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.FAILED


def test_results_are_final(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, "50", "50"))
    with pytest.raises(ValidationError) as exc:
        _record(sitting, staff, (registration, "90", "90"))
    assert "成绩已录入" in str(exc.value)


def test_a_registration_of_another_sitting_is_an_error(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    other = make_sitting(body, staff)
    (registration,) = scheduled(plan, other, staff)
    exam_day()
    with pytest.raises(ValidationError) as exc:
        _record(sitting, staff, (registration, "80", "80"))
    assert "不在本场次" in str(exc.value)


def test_database_holds_scores_to_results_and_range(plan, body_staff):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=registration.pk).update(theory_score=D(80))
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=registration.pk).update(
            status="failed",
            theory_score=D(101),
            practical_score=D(50),
            result_recorded_at=datetime.datetime(2014, 3, 20, tzinfo=datetime.UTC),
        )


def test_only_the_body_staff_record_results(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    with pytest.raises(PermissionDenied):
        _record(sitting, reviewer(), (registration, "80", "80"))


def test_results_are_audited_with_the_certificates(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, "80", "80"))
    event = AuditEvent.objects.get(action="appraisal.results_record")
    assert event.changes["counts"]["passed"] == 1
    assert event.changes["results"][registration.code]["certificate"] == (
        registration.certificate.number
    )


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


def test_certificate_numbers_run_on_per_body_and_year(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    regs = scheduled(plan, sitting, staff, count=3)
    exam_day()
    _record(sitting, staff, *[(r, "80", "80") for r in regs])
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers == [f"XC2014{body.pk:04d}{n:06d}" for n in (1, 2, 3)]


def test_certificate_links_the_class_that_led_to_it(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    _record(sitting, staff, (registration, "80", "80"))
    certificate = Certificate.objects.get()
    # Registered online, yet the worker's passed enrollment in a closed class of the occupation
    # is the class that led to it.
    assert certificate.training_class == registration.worker.enrollments.get().training_class


def test_certificate_from_a_class_registration_links_that_class(plan, body_staff, exam_day):
    from appraisal.services import registrations as reg_svc
    from appraisal.tests.appraisal_builders import institution_staff

    body, staff = body_staff
    worker = trained_worker(plan)
    make_class(plan)  # a later class of the same occupation, not the one registered from
    registration = reg_svc.registration_create(
        worker=worker,
        occupation=occupation(),
        level=5,
        training_class=worker.training_class,
        actor=institution_staff(),
    )
    sitting = make_sitting(body, staff)
    svc.sitting_schedule(sitting=sitting, registrations=[registration], actor=staff)
    exam_day()
    _record(sitting, staff, (registration, "80", "80"))
    assert Certificate.objects.get().training_class == worker.training_class


def test_a_certificate_already_held_is_a_row_error(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    Certificate.objects.create(
        number="XC-OLD-1",
        kind="qualification",
        worker=registration.worker,
        occupation=occupation(),
        level=Level.JUNIOR,
        issued_on=datetime.date(2013, 12, 1),
        issuer_name="某鉴定站",
    )
    exam_day()
    with pytest.raises(ValidationError) as exc:
        _record(sitting, staff, (registration, "80", "80"))
    assert "XC-OLD-1" in str(exc.value)
    # A failure is still recorded: only a pass would issue a second certificate.
    _record(sitting, staff, (registration, "40", "80"))


def test_database_allows_one_certificate_per_worker_occupation_level(plan):
    worker = trained_worker(plan)
    values = {
        "kind": "qualification",
        "worker": worker,
        "occupation": occupation(),
        "level": 5,
        "issued_on": EXAM_DAY,
        "issuer_name": "x",
    }
    Certificate.objects.create(number="A1", **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(number="A2", **values)


def test_certificate_numbers_are_unique_in_the_database(plan):
    values = {
        "kind": "qualification",
        "occupation": occupation(),
        "level": 5,
        "issued_on": EXAM_DAY,
        "issuer_name": "x",
    }
    Certificate.objects.create(number="A1", worker=trained_worker(plan), **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(number="A1", worker=trained_worker(plan), **values)


def test_certificate_number_next_for_another_issuer_code(plan):
    with transaction.atomic():
        first = svc.certificate_number_next(issuer_code="P001", year=2014)
        second = svc.certificate_number_next(issuer_code="P001", year=2014)
        next_year = svc.certificate_number_next(issuer_code="P001", year=2015)
    assert (first, second, next_year) == (
        "XC2014P001000001",
        "XC2014P001000002",
        "XC2015P001000001",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_never_repeats_a_number(plan):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    barrier = threading.Barrier(8)
    numbers = []
    errors = []

    def take():
        try:
            barrier.wait()
            with transaction.atomic():
                numbers.append(svc.certificate_number_next(issuer_code="0009", year=2014))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"XC20140009{n:06d}" for n in range(1, 9)]


# --------------------------------------------------------------------------------------------
# Results by upload
# --------------------------------------------------------------------------------------------


def _upload(sitting, staff, rows, **kwargs):
    return svc.results_upload(
        sitting=sitting,
        fileobj=results_file(rows, **kwargs),
        filename="成绩.xlsx",
        actor=staff,
    )


def test_upload_records_results_and_issues_certificates(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    passed, failed, absent = scheduled(plan, sitting, staff, count=3)
    exam_day()
    counts = _upload(
        sitting,
        staff,
        [
            result_row(passed, 85, 72.5),
            result_row(failed, "45", "90"),
            result_row(absent, "缺考", "缺考"),
        ],
    )
    assert counts == {"passed": 1, "failed": 1, "absent": 1}
    assert Certificate.objects.get().registration == passed
    event = AuditEvent.objects.get(action="appraisal.results_record")
    assert event.changes["source"] == "upload"


def _upload_errors(sitting, staff, rows, **kwargs) -> list[str]:
    with pytest.raises(XlsxError) as exc:
        _upload(sitting, staff, rows, **kwargs)
    assert not Certificate.objects.exists()
    assert not Registration.objects.filter(status__in=["passed", "failed", "absent"]).exists()
    return exc.value.messages


def test_upload_bad_rows_are_reported_and_nothing_is_written(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    other_sitting = make_sitting(body, staff)
    regs = scheduled(plan, sitting, staff, count=7)
    (elsewhere,) = scheduled(plan, other_sitting, staff)
    exam_day()
    errors = _upload_errors(
        sitting,
        staff,
        [
            result_row(regs[0]),  # row 2: fine on its own
            ["BM99999999", "", "无名", "80", "80"],  # row 3: unknown registration
            result_row(elsewhere),  # row 4: another sitting
            result_row(regs[1], id_number=full_id(regs[2].worker)),  # 5: ID not theirs
            result_row(regs[3], name="张冒名"),  # 6: name not theirs
            result_row(regs[4], theory="101"),  # 7: out of range
            result_row(regs[5], practical="八十"),  # 8: not a number
            result_row(regs[0]),  # 9: duplicate of row 2
            result_row(regs[6], theory="缺考"),  # 10: half absent
        ],
    )
    text = "\n".join(errors)
    assert "第3行第A列（报名编号）：报名编号不存在" in text
    assert "第4行第A列（报名编号）：该报名不在本场次" in text
    assert "第5行第B列（身份证号码）：身份证号码与报名信息不一致" in text
    assert "第6行第C列（姓名）：姓名与报名信息不一致" in text
    assert "第7行第D列（理论成绩）" in text
    assert "第8行第E列（实操成绩）" in text
    assert "第9行第A列（报名编号）：与第2行重复" in text
    assert "第10行" in text
    assert "第2行" not in text.replace("与第2行重复", "")


def test_upload_refuses_an_id_number_typed_as_a_number(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    row = result_row(registration)
    row[1] = float(full_id(registration.worker)[:17])
    errors = _upload_errors(sitting, staff, [row])
    assert any("文本格式" in e for e in errors)


def test_upload_refuses_an_already_recorded_registration(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    first, second = scheduled(plan, sitting, staff, count=2)
    exam_day()
    _record(sitting, staff, (first, "80", "80"))
    with pytest.raises(XlsxError) as exc:
        _upload(sitting, staff, [result_row(first), result_row(second)])
    assert "成绩已录入" in "\n".join(exc.value.messages)
    second.refresh_from_db()
    assert second.status == Registration.Status.SCHEDULED


def test_upload_with_a_wrong_sheet_or_header_is_refused(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    (registration,) = scheduled(plan, sitting, staff)
    exam_day()
    assert (
        "缺少工作表“成绩”"
        in _upload_errors(sitting, staff, [result_row(registration)], sheet="Sheet1")[0]
    )
    headers = ("报名编号", "身份证号码", "姓名", "理论", "实操成绩")
    assert _upload_errors(sitting, staff, [result_row(registration)], headers=headers)


def test_upload_of_an_empty_sheet_is_refused(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    scheduled(plan, sitting, staff)
    exam_day()
    assert _upload_errors(sitting, staff, [])


def test_template_lists_the_scheduled_candidates_and_round_trips(plan, body_staff, exam_day):
    body, staff = body_staff
    sitting = make_sitting(body, staff)
    regs = scheduled(plan, sitting, staff, count=2)
    buffer = io.BytesIO()
    svc.results_template_write(buffer, sitting=sitting)
    buffer.seek(0)
    workbook = openpyxl.load_workbook(buffer)
    sheet = workbook["成绩"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == svc.RESULTS_HEADERS
    assert rows[1][:3] == (regs[0].code, full_id(regs[0].worker), regs[0].worker.name)
    assert sheet.cell(2, 2).data_type == "s"
    sheet.cell(2, 4, 90)
    sheet.cell(2, 5, 88)
    sheet.cell(3, 4, 30)
    sheet.cell(3, 5, 88)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    exam_day()
    counts = svc.results_upload(sitting=sitting, fileobj=out, filename="t.xlsx", actor=staff)
    assert counts == {"passed": 1, "failed": 1, "absent": 0}


# --------------------------------------------------------------------------------------------
# Target providers and the subsidy selectors
# --------------------------------------------------------------------------------------------


def _sitting_with_results(plan, body, staff, exam_date, level, outcomes, exam_day):
    """A sitting on ``exam_date`` with one candidate per outcome ("pass", "fail", "absent").
    The caller lets everyone past the level rule (a "双一" exception for all)."""
    sitting = make_sitting(body, staff, level=level, exam_date=exam_date)
    regs = [register_online(trained_worker(plan), level=level) for _ in outcomes]
    svc.sitting_schedule(sitting=sitting, registrations=regs, actor=staff)
    exam_day(exam_date)
    scores = {"pass": ("80", "80"), "fail": ("20", "80"), "absent": (None, None)}
    _record(sitting, staff, *[(r, *scores[o]) for r, o in zip(regs, outcomes, strict=True)])
    return regs


@pytest.fixture
def anyone_may_register(monkeypatch):
    from appraisal.services import registrations as reg_svc

    monkeypatch.setattr(reg_svc, "exception_allows", lambda *a: True)


def test_target_providers_count_results_and_high_skilled_certificates(
    plan, exam_day, anyone_may_register
):
    body, staff = body_with_staff()
    march = datetime.date(2014, 3, 20)
    april = datetime.date(2014, 4, 15)
    _sitting_with_results(plan, body, staff, march, 5, ["pass", "fail", "absent"], exam_day)
    exam_day(datetime.date(2014, 3, 25))
    _sitting_with_results(plan, body, staff, april, 3, ["pass", "pass", "fail"], exam_day)

    def achieved(code, until):
        return target_achieved(campaign=plan, code=code, until=until)

    # Absent candidates took no appraisal; results after ``until`` are not yet counted.
    assert achieved("appraisal", datetime.date(2014, 3, 19)) == 0
    assert achieved("appraisal", march) == 2
    assert achieved("appraisal", april) == 5
    # 初级工 is not high-skilled; 高级工 is.
    assert achieved("high_skilled", march) == 0
    assert achieved("high_skilled", april) == 2
    assert achieved("high_skilled", april) == (
        selectors.high_skilled_certificates(campaign=plan, until=april).count()
    )
    # Beyond the campaign's end nothing more is counted.
    assert achieved("appraisal", datetime.date(2016, 1, 1)) == 5


def test_results_before_the_campaign_start_do_not_count(plan, exam_day, anyone_may_register):
    body, staff = body_with_staff()
    plan.start_date = datetime.date(2014, 3, 21)
    plan.save(update_fields=["start_date"])
    _sitting_with_results(plan, body, staff, EXAM_DAY, 3, ["pass"], exam_day)
    end = datetime.date(2014, 12, 31)
    assert Certificate.objects.get().issued_on == EXAM_DAY
    assert target_achieved(campaign=plan, code="appraisal", until=end) == 0
    assert target_achieved(campaign=plan, code="high_skilled", until=end) == 0


def test_subsidy_candidates_say_who_passed_when_where_and_if_entrusted(plan, exam_day):
    body, staff = body_with_staff()
    sitting = make_sitting(body, staff)
    entrusting = register_online(trained_worker(plan), entrusted_to_claim=True)
    failing = register_online(trained_worker(plan))
    svc.sitting_schedule(sitting=sitting, registrations=[entrusting, failing], actor=staff)
    exam_day()
    _record(sitting, staff, (entrusting, "80", "80"), (failing, "10", "10"))
    rows = list(selectors.appraisal_subsidy_candidates(campaign=plan))
    assert [r.pk for r in rows] == [entrusting.pk]
    row = rows[0]
    assert row.worker == entrusting.worker
    assert row.sitting.exam_date == EXAM_DAY
    assert row.sitting.body == body
    assert row.occupation == occupation()
    assert row.level == Level.JUNIOR
    assert row.entrusted_to_claim is True
    assert row.certificate.number.startswith("XC2014")
    assert list(selectors.appraisal_passes_for_worker(failing.worker)) == []
    assert list(selectors.appraisal_passes_for_worker(entrusting.worker)) == [row]
    assert not selectors.appraisal_subsidy_candidates(campaign=plan, worker=failing.worker).exists()
