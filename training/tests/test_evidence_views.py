"""The return page shows, beside each category, what the class records support for the month
("台账支持"), with a warning badge on a gap; the gaps table for the office's dashboard."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.selectors.evidence import evidence_gaps
from training.tests.factories import clerk_of
from training.tests.test_evidence import make_class, make_return

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)


@pytest.fixture(autouse=True)
def _now(time_machine):
    """2 June 2014, 10:00 in Xuchang: May's return is open."""
    time_machine.move_to(datetime.datetime(2014, 6, 2, 10, tzinfo=SH), tick=False)


def detail(department: str = "rsj") -> str:
    return reverse("training:return_detail", args=[department, MAY])


def evidence_text(body: str, number: int) -> str:
    match = re.search(rf'<div[^>]*id="evidence-{number}"[^>]*>(.*?)</div>', body, re.S)
    assert match, f"no evidence for category {number}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_each_category_shows_what_the_records_support(client, plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=90, passed=90, employed=60)
    make_class(plan, 5, datetime.date(2014, 5, 8), trainees=12, passed=10, self_employed=4)
    make_return(plan, "rsj", MAY, status="draft", c2=(100, 99, 66), c5=(12, 10, 4))
    client.force_login(clerk_of("rsj"))

    body = client.get(detail()).content.decode()

    assert evidence_text(body, 2) == "台账支持：培训90 / 合格90 / 就业60"
    assert evidence_text(body, 5) == "台账支持：培训12 / 合格10 / 就业4"
    assert evidence_text(body, 3) == "台账支持：培训0 / 合格0 / 就业0"
    assert "evidence-gap" not in body
    assert 'id="evidence-alert"' not in body


def test_a_gap_over_the_tolerance_gets_a_warning_badge(client, plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=89, passed=89)
    make_return(plan, "rsj", MAY, status="draft", c2=(100, 89, 0))
    client.force_login(clerk_of("rsj"))

    body = client.get(detail()).content.decode()

    assert evidence_text(body, 2) == "台账支持：培训89 / 合格89 / 就业0 差异超过10%：培训人次"
    assert body.count('class="badge text-bg-warning evidence-gap"') == 1
    assert re.search(r'id="evidence-alert">本月有 1 个培训类别', body)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR])
def test_the_office_and_the_auditor_see_the_evidence_too(client, plan, role):
    make_class(plan, 7, datetime.date(2014, 5, 20), trainees=30, passed=20)
    make_return(plan, "mzj", MAY, status="submitted", c7=(60, 20, 0))
    client.force_login(user_with_role(role, department=Department.objects.get(code="office")))

    body = client.get(detail("mzj")).content.decode()

    assert evidence_text(body, 7).startswith("台账支持：培训30 / 合格20 / 就业0 差异超过10%")


def test_the_evidence_adds_the_same_queries_whatever_the_number_of_classes(client, plan):
    make_return(plan, "rsj", MAY, status="draft", c2=(10, 5, 0))
    client.force_login(clerk_of("rsj"))
    client.get(detail())  # warm the per-request caches (session, content types)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail()).status_code == 200
        return len(captured)

    small = queries()
    for number in (2, 3, 4, 5):
        for day in (4, 18):
            make_class(
                plan, number, datetime.date(2014, 5, day), trainees=15, passed=12, employed=5
            )
    assert queries() == small


def test_the_gaps_table_lists_rows_with_links_and_highlights_the_flagged_figures(plan):
    make_class(plan, 7, datetime.date(2014, 5, 20), trainees=10, passed=10, employed=10)
    make_return(plan, "mzj", MAY, c7=(60, 10, 10))

    html = render_to_string(
        "training/partials/_evidence_gaps.html",
        {"gaps": evidence_gaps(campaign=plan, month=MAY), "tolerance": 10},
    )

    assert "许昌市民政局" in html
    assert "7. 退役士兵培训" in html
    assert reverse("training:return_detail", args=["mzj", MAY]) in html
    assert html.count("table-warning") == 1
    assert re.search(r'<td class="num table-warning">60 / 10</td>', html)
    assert "相差超过10%的标黄" in html


def test_the_gaps_table_says_so_when_there_is_nothing_to_check(plan):
    html = render_to_string("training/partials/_evidence_gaps.html", {"gaps": []})
    assert "均在容差范围内" in html
    assert "<table" not in html
