"""Refused rosters: every bad file is reported with its exact message and location (sheet, row,
column), and changes nothing — no worker, no enrollment, no file, no audit row."""

import io

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import RuleViolation
from core.models import AuditEvent
from core.xlsx import XlsxError
from training.models import Enrollment, TrainingClass, Worker
from training.services import workers as services
from training.services.workers import NAME_MISMATCH, ROSTER_LOCKED, roster_import, worker_register
from training.tests import workers_samples as samples
from training.tests.workers_samples import make_id, row

pytestmark = pytest.mark.django_db

SHEET = "工作表“学员花名册”"
A, B = make_id(201), make_id(202, birth="19880808")
BAD_CHECK = A[:17] + ("0" if A[17] != "0" else "1")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def inst(plan):
    return samples.institution()


@pytest.fixture
def staff(inst):
    return samples.staff_of(inst)


@pytest.fixture
def tc(plan, inst):
    return samples.training_class(plan, inst, capacity=5)


def counts():
    return (
        Worker.objects.count(),
        Enrollment.objects.count(),
        AuditEvent.objects.filter(action="class.roster_import").count(),
        TrainingClass.objects.exclude(roster_file="").count(),
    )


def refused(tc, staff, data, filename="花名册.xlsx") -> list[str]:
    """Import ``data`` expecting XlsxError; check nothing changed; return the messages."""
    before = counts()
    with pytest.raises(XlsxError) as caught:
        roster_import(training_class=tc, fileobj=io.BytesIO(data), filename=filename, actor=staff)
    assert counts() == before
    return caught.value.messages


def test_bad_check_digit_names_the_cell(tc, staff):
    messages = refused(tc, staff, samples.roster_bytes([row(BAD_CHECK)]))
    assert messages == [f"{SHEET}第2行第A列（身份证号码）：校验位错误"]


def test_invalid_birth_date_names_the_rule(tc, staff):
    from core.validators import make_resident_id

    messages = refused(
        tc, staff, samples.roster_bytes([row(make_resident_id("41100219900231123"))])
    )
    assert messages == [f"{SHEET}第2行第A列（身份证号码）：出生日期无效"]


def test_duplicate_id_in_the_file_points_at_the_first_row(tc, staff):
    data = samples.roster_bytes([row(A), row(B, name="李四"), row(A.lower())])
    assert refused(tc, staff, data) == [f"{SHEET}第4行第A列（身份证号码）：与第2行身份证号码重复"]


def test_worker_already_subsidised_this_campaign_is_refused(plan, inst, staff, tc):
    earlier = samples.training_class(plan, inst)
    roster_import(
        training_class=earlier,
        fileobj=io.BytesIO(samples.roster_bytes([row(A)])),
        filename="a.xlsx",
        actor=staff,
    )
    messages = refused(tc, staff, samples.roster_bytes([row(B, name="李四"), row(A)]))
    assert messages == [
        f"{SHEET}第3行第A列（身份证号码）：该学员本期活动已参加过一次补贴培训（班级{earlier.code}）"
    ]


def test_missing_name_is_refused(tc, staff):
    assert refused(tc, staff, samples.roster_bytes([row(A, name="")])) == [
        f"{SHEET}第2行第B列（姓名）：不能为空"
    ]


def test_name_differing_from_the_registered_one_is_refused(tc, staff):
    worker_register(
        id_number=A,
        name="张三",
        phone="",
        county=None,
        household="rural",
        education="junior",
        group_codes=[],
        actor=staff,
    )
    assert refused(tc, staff, samples.roster_bytes([row(A, name="张叁")])) == [
        f"{SHEET}第2行第B列（姓名）：{NAME_MISMATCH}"
    ]


def test_wrong_template_header_is_refused(tc, staff):
    headers = list(services.ROSTER_HEADERS)
    headers[1] = "名字"
    data = samples.roster_bytes([row(A)], headers=headers)
    assert refused(tc, staff, data) == [f"{SHEET}第1行第B列：表头应为“姓名”，实际为“名字”"]


def test_missing_sheet_is_refused(tc, staff):
    data = samples.roster_bytes([row(A)], sheet="Sheet1")
    assert refused(tc, staff, data) == ["缺少工作表“学员花名册”"]


def test_numeric_id_cell_is_refused_not_rounded(tc, staff):
    data = samples.roster_openpyxl([[float(A[:17] + "1"), "张三", "", "", "农村", "初中", ""]])
    assert refused(tc, staff, data) == [
        f"{SHEET}第2行第A列（身份证号码）：身份证号码必须以文本格式填写"
    ]


def test_more_rows_than_capacity_is_refused(plan, inst, staff):
    small = samples.training_class(plan, inst, capacity=2)
    data = samples.roster_bytes(
        [row(n, name=f"学员{i}") for i, n in enumerate(samples.many_ids(3))]
    )
    assert refused(small, staff, data) == [f"{SHEET}：学员人数超过计划人数（2人）"]


def test_far_more_rows_than_capacity_gets_the_same_message(plan, inst, staff):
    small = samples.training_class(plan, inst, capacity=2)
    data = samples.roster_bytes(
        [row(n, name=f"学员{i}") for i, n in enumerate(samples.many_ids(40))]
    )
    assert refused(small, staff, data) == [f"{SHEET}：学员人数超过计划人数（2人）"]


def test_rows_up_to_capacity_are_accepted(plan, inst, staff):
    small = samples.training_class(plan, inst, capacity=2)
    data = samples.roster_bytes(
        [row(n, name=f"学员{i}") for i, n in enumerate(samples.many_ids(2))]
    )
    enrollments = roster_import(
        training_class=small, fileobj=io.BytesIO(data), filename="a.xlsx", actor=staff
    )
    assert len(enrollments) == 2


def test_unknown_county_household_education_and_group_are_each_reported(tc, staff):
    data = samples.roster_bytes(
        [
            row(
                A,
                county="洛阳市",
                household="城市",
                education="幼儿园",
                groups="农村转移就业劳动者、学生",
            )
        ]
    )
    assert refused(tc, staff, data) == [
        f"{SHEET}第2行第D列（县（市、区））：未知的县（市、区）“洛阳市”，请按填表说明填写",
        f"{SHEET}第2行第E列（户籍类型）：户籍类型应为城镇或农村，实际为“城市”",
        f"{SHEET}第2行第F列（文化程度）：未知的文化程度“幼儿园”，请按填表说明填写",
        f"{SHEET}第2行第G列（人员类别）：未知的人员类别“学生”，请按填表说明填写",
    ]


def test_invalid_phone_is_refused(tc, staff):
    assert refused(tc, staff, samples.roster_bytes([row(A, phone="1380000")])) == [
        f"{SHEET}第2行第C列（手机号码）：手机号码应为以1开头的11位数字"
    ]


def test_every_bad_row_is_reported_at_once(tc, staff):
    data = samples.roster_bytes(
        [row(BAD_CHECK), row(B, name=""), row(make_id(203), phone="abc"), row(B, name="李四")]
    )
    assert refused(tc, staff, data) == [
        f"{SHEET}第2行第A列（身份证号码）：校验位错误",
        f"{SHEET}第3行第B列（姓名）：不能为空",
        f"{SHEET}第4行第C列（手机号码）：手机号码应为以1开头的11位数字",
        f"{SHEET}第5行第A列（身份证号码）：与第3行身份证号码重复",
    ]


def test_empty_roster_is_refused(tc, staff):
    assert refused(tc, staff, samples.roster_bytes([])) == [f"{SHEET}：花名册中没有学员"]


def test_not_an_xlsx_is_refused(tc, staff):
    assert refused(tc, staff, samples.roster_bytes([row(A)]), filename="花名册.xls") == [
        "只接受 .xlsx 格式的 Excel 文件"
    ]


@pytest.mark.parametrize(
    "status",
    [TrainingClass.Status.SUBMITTED, TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED],
)
def test_class_already_submitted_keeps_its_roster(plan, inst, staff, status):
    submitted = samples.training_class(plan, inst, status=status)
    before = counts()
    with pytest.raises(RuleViolation) as caught:
        roster_import(
            training_class=submitted,
            fileobj=io.BytesIO(samples.roster_bytes([row(A)])),
            filename="a.xlsx",
            actor=staff,
        )
    assert caught.value.message == ROSTER_LOCKED
    assert counts() == before


def test_another_institutions_staff_may_not_upload(plan, tc):
    other = samples.staff_of(samples.institution("别家培训学校"))
    before = counts()
    with pytest.raises(PermissionDenied):
        roster_import(
            training_class=tc,
            fileobj=io.BytesIO(samples.roster_bytes([row(A)])),
            filename="a.xlsx",
            actor=other,
        )
    assert counts() == before


@pytest.mark.parametrize("role", ["office", "reviewer", "department_clerk", "auditor"])
def test_only_institution_staff_upload_rosters(plan, tc, role):
    from core.roles import Role
    from core.tests.factories import user_with_role

    with pytest.raises(PermissionDenied):
        roster_import(
            training_class=tc,
            fileobj=io.BytesIO(samples.roster_bytes([row(A)])),
            filename="a.xlsx",
            actor=user_with_role(Role(role)),
        )


def test_enrollment_race_is_caught_by_the_constraint(plan, inst, staff, tc, monkeypatch):
    """Another class enrols the same person between our checks and our writes: the database's
    one-subsidised-enrollment constraint refuses, with the masked ID, and nothing is written."""
    worker, _ = worker_register(
        id_number=A,
        name="张三",
        phone="",
        county=None,
        household="rural",
        education="junior",
        group_codes=[],
        actor=staff,
    )
    other = samples.training_class(plan, inst)
    real_parse = services._parse_roster

    def parse_then_lose_the_race(*args, **kwargs):
        result = real_parse(*args, **kwargs)
        Enrollment.objects.create(
            campaign=plan, training_class=other, worker=worker, subsidised=True
        )
        return result

    monkeypatch.setattr(services, "_parse_roster", parse_then_lose_the_race)
    with pytest.raises(RuleViolation) as caught:
        roster_import(
            training_class=tc,
            fileobj=io.BytesIO(samples.roster_bytes([row(B, name="李四"), row(A)])),
            filename="a.xlsx",
            actor=staff,
        )
    assert worker.id_number_masked in caught.value.message
    assert other.code in caught.value.message
    assert A not in caught.value.message
    assert list(Enrollment.objects.values_list("training_class_id", flat=True)) == [other.pk]
    assert Worker.objects.count() == 1  # the new person of the refused roster was not kept
    assert not AuditEvent.objects.filter(action="class.roster_import").exists()
