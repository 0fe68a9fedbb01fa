"""The report pages (permission matrix, figures shown) and the audit workbook's 技能鉴定 sheet,
opened with openpyxl: its place, rows for results and pilot evaluations, ID numbers masked for
the office and in full for a reviewer, no formula cells, and a constant number of queries."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.exports import AppraisalResultsExporter
from appraisal.models import Level
from appraisal.services import pilots as pilot_svc
from appraisal.tests.test_pilots_support import (
    D,
    at,
    county,
    ensure_level_rules,
    enterprise_institution,
    id_number,
    make_body,
    make_certificate,
    make_pilot,
    make_results,
    make_sitting,
    make_worker,
    occupation,
    office,
    reviewer,
    staff_of,
)
from core.exports import audit_exporter_classes, write_exporters
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import mask_resident_id
from training.models import Worker
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


HEADERS = (
    "证书编号",
    "姓名",
    "身份证号码",
    "职业",
    "等级",
    "鉴定机构",
    "考试日期",
    "结果",
    "发证日期",
)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


@pytest.fixture
def data(plan):
    """A sitting with two passes and one failure (one of them named like a formula), and a pilot
    with one pass."""
    body = make_body("许昌市职业技能鉴定中心", county("weidu"))
    sitting = make_sitting(body, occupation("ZY017"), Level.SENIOR, D(2014, 5, 20))
    people = [
        make_worker('=HYPERLINK("http://x","点我")', number=id_number(31)),
        make_worker("李四", number=id_number(32)),
        make_worker("王五", number=id_number(33)),
    ]
    make_results(sitting, people, passed=2)
    pilot = make_pilot(
        institution=enterprise_institution(), ready_on=D(2014, 1, 1), name="许继集团"
    )
    evaluated = make_worker("赵六", number=id_number(34))
    make_certificate(evaluated, occupation("ZY017"), Level.SENIOR, issued_on=D(2012, 1, 1))
    pilot_svc.evaluation_record(
        pilot=pilot,
        data=pilot_svc.EvaluationInput(
            worker=evaluated,
            occupation=occupation("ZY017"),
            level=2,
            result="passed",
            evaluated_on=D(2014, 6, 1),
            years_in_trade=8,
        ),
        actor=office(),
    )
    return plan


def sheet_rows(plan, user):
    buffer = io.BytesIO()
    write_exporters(buffer, [AppraisalResultsExporter(campaign=plan, user=user)])
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    return book["技能鉴定"]


def test_sheet_is_registered_after_the_training_sheets():
    names = [cls.sheet_name for cls in audit_exporter_classes()]
    assert "技能鉴定" in names
    assert names.index("技能鉴定") > names.index("培训班")


def test_one_row_per_result_and_per_pilot_evaluation(data):
    sheet = sheet_rows(data, office())
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert len(rows) == 5
    passed, failed = rows[1], rows[3]
    assert passed[0]  # a certificate number
    assert passed[3:6] == ("维修电工", "高级工", "许昌市职业技能鉴定中心")
    assert passed[6].date() == D(2014, 5, 20)
    assert passed[7] == "合格"
    assert failed[0] is None  # no certificate for a failure: an empty cell
    assert failed[7] == "不合格"
    assert failed[8] is None
    pilot_row = rows[4]
    assert pilot_row[1] == "赵六"
    assert pilot_row[4:6] == ("技师", "许继集团（企业评价）")
    assert pilot_row[0].startswith("XC2014Q")


def test_id_numbers_are_masked_for_the_office(data):
    sheet = sheet_rows(data, office())
    ids = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids[1] == mask_resident_id(id_number(32))
    assert all("*" in value for value in ids)


def test_id_numbers_are_in_full_for_a_reviewer(data):
    sheet = sheet_rows(data, reviewer())
    ids = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == [id_number(31), id_number(32), id_number(33), id_number(34)]
    # Text cells, so Excel keeps all 18 digits.
    assert {cell.data_type for cell in next(iter(sheet.iter_cols(min_col=3, max_col=3)))} == {"s"}


def test_no_cell_is_a_formula(data):
    sheet = sheet_rows(data, office())
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert '=HYPERLINK("http://x","点我")' in {cell.value for cell in cells}


def test_sheet_costs_the_same_queries_for_more_rows(data):
    def measured(user) -> int:
        with CaptureQueriesContext(connection) as captured:
            buffer = io.BytesIO()
            write_exporters(
                buffer,
                [AppraisalResultsExporter(campaign=data, user=user)],
                progress=lambda done, total: None,
            )
        return len(captured)

    who = reviewer()
    measured(who)  # reads the user's roles once (cached on the user)
    small = measured(who)
    body = make_body()
    sitting = make_sitting(body, occupation("ZY019"), Level.INTERMEDIATE, D(2014, 4, 1))
    make_results(sitting, [make_worker() for _ in range(40)], passed=30)
    assert measured(who) == small
    assert small <= 4
    assert Worker.objects.count() > 40


# ---- pages ---------------------------------------------------------------------------------


READ = {
    "anonymous": 302,
    "office": 200,
    "auditor": 200,
    "reviewer": 200,
    "clerk": 403,
    "institution": 403,
    "worker": 403,
    "finance": 403,
}


@pytest.mark.parametrize("name", ["report_overview", "report_exceptions"])
def test_report_permission_matrix(plan, name):
    people = {
        "office": office(),
        "auditor": user_with_role(Role.AUDITOR),
        "reviewer": reviewer(),
        "clerk": clerk_of("rsj"),
        "institution": staff_of(enterprise_institution()),
        "worker": user_with_role(Role.WORKER),
        "finance": user_with_role(Role.FINANCE),
    }
    url = reverse(f"appraisal:{name}")
    seen = {}
    for who in READ:
        client = Client()
        if who != "anonymous":
            client.force_login(people[who])
        seen[who] = client.get(url).status_code
    assert seen == READ


def test_report_page_shows_the_target_and_the_counts(data, django_assert_max_num_queries):
    client = Client()
    client.force_login(office())
    url = reverse("appraisal:report_overview")
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url).text
    assert 'id="high-skilled-target">7000<' in page
    # Two 高级工 passes and one 技师 from the pilot.
    assert 'id="high-skilled-achieved">3<' in page
    assert "许继集团" in page
