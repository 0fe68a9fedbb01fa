"""The monthly-return pages driven through the test client with frozen time (Asia/Shanghai).

May 2014 opens 2014-06-01, is due by 2014-06-03 23:59:59 and locks after 2014-06-10 23:59:59.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training import deadlines
from training.models import (
    FIGURE_FIELDS,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    ReturnUnlock,
    TrainingCategory,
)
from training.services import returns as svc
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)
CODES = ("gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The factories set a password per user; the production hasher costs ~0.5 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Every test starts on 2 June 2014, 10:00 in Xuchang (May's return is open, on time)."""
    time_machine.move_to(at(2014, 6, 2, 10), tick=False)
    return time_machine


@pytest.fixture
def office(plan):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


@pytest.fixture
def clerk(plan):
    return clerk_of("rsj")


def url(name, code="rsj", month=MAY):
    return reverse(f"training:{name}", args=[code, month])


def grid(code="rsj", *, version, action="save", overrides=None, **figures):
    """The POST body of the grid: ``figures`` for every category, ``overrides`` by field name
    (``{"c3_passed": "x"}``)."""
    data = {"version": str(version), "action": action}
    for category in TrainingCategory.objects.filter(department__code=code):
        for name in FIGURE_FIELDS:
            data[f"c{category.number}_{name}"] = str(figures.get(name, 0))
        data[f"c{category.number}_note"] = ""
    data.update(overrides or {})
    return data


def row_html(body: str, number: int, field: str) -> str:
    """The <tr> of one cell of the grid."""
    match = re.search(rf'<tr id="row-{number}-{field}">(.*?)</tr>', body, re.S)
    assert match, f"no row {number}.{field}"
    return match.group(1)


def rows_written():
    return (
        MonthlyReturn.objects.count(),
        ReturnLine.objects.count(),
        CorrectionRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def the_return(code="rsj", month=MAY) -> MonthlyReturn:
    return MonthlyReturn.objects.get(department__code=code, month=month)


# ------------------------------------------------------------------------------
# The whole loop, page by page
# ------------------------------------------------------------------------------


def test_full_loop_draft_submit_send_back_resubmit_accept_correct(client, clerk, office, clock):
    # The clerk opens the month's page: an empty grid at version 0.
    client.force_login(clerk)
    page = client.get(reverse("training:return_current"))
    assert page.status_code == 302
    assert page["Location"] == url("return_detail")
    body = client.get(page["Location"]).content.decode()
    assert 'name="version" value="0"' in body
    assert "保存草稿" in body
    assert 'value="submit"' in body

    # Save a draft, then submit it (both through the save URL).
    response = client.post(url("return_save"), grid(version=0, trained=10, passed=8))
    assert response.status_code == 302
    ret = the_return()
    assert (ret.status, ret.version) == ("draft", 1)
    assert set(ret.lines.values_list("trained", "passed")) == {(10, 8)}
    response = client.post(
        url("return_save"), grid(version=1, action="submit", trained=10, passed=8), follow=True
    )
    assert "已提交，等待办公室审核" in response.content.decode()
    ret.refresh_from_db()
    assert ret.status == "submitted"
    assert ret.is_late is False
    assert 'name="c2_trained"' not in response.content.decode()  # read-only now

    # The office sends it back with a reason (late in the window: still not locked).
    clock.move_to(at(2014, 6, 5, 9), tick=False)
    client.force_login(office)
    response = client.post(url("return_send_back"), {"reason": "第3类培训人次与台账不符"})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == "returned"

    # The clerk sees the reason, corrects and resubmits.
    client.force_login(clerk)
    body = client.get(url("return_detail")).content.decode()
    assert "第3类培训人次与台账不符" in body
    assert 'name="c3_trained"' in body
    data = grid(version=ret.version, action="submit", trained=10, passed=8)
    data["c3_trained"] = "12"
    response = client.post(url("return_save"), data)
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == "submitted"
    assert ret.lines.get(category__number=3).trained == 12

    # The office accepts.
    client.force_login(office)
    assert client.post(url("return_accept")).status_code == 302
    ret.refresh_from_db()
    assert ret.status == "accepted"

    # The clerk asks for a correction; only the changed figure is proposed.
    client.force_login(clerk)
    body = client.get(url("return_detail")).content.decode()
    assert "已审核通过；如需修改，请提交更正申请" in body
    assert url("correction_create") in body
    form = client.get(url("correction_create"))
    assert form.status_code == 200
    assert 'name="c3_trained" value="12"' in form.content.decode()
    data = grid(trained=10, passed=8, version=0)
    data.update({"c3_trained": "15", "reason": "补录6月1日结业的一个班"})
    response = client.post(url("correction_create"), data)
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    category3 = TrainingCategory.objects.get(number=3)
    assert correction.proposed == {str(category3.pk): {"trained": 15}}

    # The office approves; the page shows the amendment old → new.
    clock.move_to(at(2014, 6, 20, 9), tick=False)
    client.force_login(office)
    response = client.post(
        reverse("training:correction_decide", args=[correction.pk]),
        {"action": "approve", "reason": "核实无误", "next": url("return_detail")},
    )
    assert response.status_code == 302
    assert response["Location"] == url("return_detail")
    amendment = ReturnAmendment.objects.get()
    assert (amendment.field, amendment.old_value, amendment.new_value) == ("trained", 12, 15)
    client.force_login(clerk)
    body = client.get(url("return_detail")).content.decode()
    amendments = body[body.index('id="amendments"') :]
    assert re.search(
        r"培训人次</td>\s*<td class=\"num\">12</td>\s*<td class=\"num\">15</td>", amendments
    )
    assert "补录6月1日结业的一个班" in amendments
    assert "锁定后更正" in body  # approved after the lock day

    # The office reads the trail of every step.
    client.force_login(office)
    trail = client.get(url("return_audit")).content.decode()
    for label in ("保存", "提交", "退回修改", "审核通过", "申请更正", "批准更正"):
        assert label in trail
    assert "第3类培训人次与台账不符" in trail


def test_draft_page_keeps_typed_values_and_note(client, clerk):
    client.force_login(clerk)
    data = grid(version=0, trained=7)
    data["c2_note"] = "含两期夜校"
    client.post(url("return_save"), data)
    body = client.get(url("return_detail")).content.decode()
    assert 'value="含两期夜校"' in body
    assert 'name="c2_trained" value="7"' in body
    assert 'name="version" value="1"' in body


def test_grid_shows_quota_cumulative_and_percent(client, clerk, clock):
    clock.move_to(at(2014, 5, 2, 10), tick=False)
    april = datetime.date(2014, 4, 1)
    ret = svc.return_save(
        campaign=clerk.department.training_categories.first().campaign,
        department=clerk.department,
        month=april,
        lines=lines_for(TrainingCategory.objects.first().campaign, "rsj", trained=1200),
        version=0,
        actor=clerk,
    )
    svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    clock.move_to(at(2014, 6, 2, 10), tick=False)
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, trained=1200))
    body = client.get(url("return_detail")).content.decode()
    row = row_html(body, 2, "trained")  # 下岗失业人员培训, quota 24,000
    assert "24,000" in row or "24000" in row
    cells = re.findall(r'<td class="num">\s*([^<]*?)\s*</td>', row)
    # before, after, percent (the quota cell spans rows, the entry cell holds an input)
    assert cells[0].replace(",", "") == "1200"
    assert cells[1].replace(",", "") == "2400"
    assert cells[2] == "10.0%"
    # Outcomes are not a share of the training quota: their % cell is a dash.
    passed_cells = re.findall(r'<td class="num">\s*([^<]*?)\s*</td>', row_html(body, 2, "passed"))
    assert passed_cells[-1] == "—"


def test_submit_after_due_day_is_flagged_late_on_the_page(client, clerk, clock):
    clock.move_to(at(2014, 6, 4, 0, 0, 0), tick=False)
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, action="submit", trained=3))
    assert the_return().is_late is True
    body = client.get(url("return_detail")).content.decode()
    assert "逾期" in body


def test_page_says_why_a_locked_month_cannot_be_edited(client, clerk, clock):
    clock.move_to(at(2014, 6, 11, 0, 0, 0), tick=False)
    client.force_login(clerk)
    body = client.get(url("return_detail")).content.decode()
    assert "已过锁定日期（2014年06月10日）" in body
    assert 'name="c2_trained"' not in body
    assert 'id="upload-form"' not in body
    before = rows_written()
    response = client.post(url("return_save"), grid(version=0, trained=3))
    assert response.status_code == 400
    assert "已过锁定日期" in response.content.decode()
    assert rows_written() == before


def test_page_says_submitted_awaiting_review(client, clerk):
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, action="submit", trained=3))
    body = client.get(url("return_detail")).content.decode()
    assert "已提交，等待办公室审核" in body
    assert "保存草稿" not in body


def test_editable_page_links_download_and_posts_upload(client, clerk):
    client.force_login(clerk)
    body = client.get(url("return_detail")).content.decode()
    assert url("return_download") in body
    assert f'action="{url("return_upload")}"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file" name="file"' in body


def test_separate_submit_url_submits_a_saved_draft(client, clerk):
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, trained=3))
    response = client.post(url("return_submit"), {"version": "1"})
    assert response.status_code == 302
    assert the_return().status == "submitted"


def test_return_current_explains_when_no_month_is_open(client, clerk, clock):
    clock.move_to(at(2013, 1, 15, 10), tick=False)
    client.force_login(clerk)
    response = client.get(reverse("training:return_current"))
    assert response.status_code == 200
    assert "首个报送月份（2013年1月）尚未结束" in response.content.decode()


def test_history_lists_every_month_owed_with_status(client, clerk):
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, action="submit", trained=3))
    response = client.get(reverse("training:return_history"))
    body = response.content.decode()
    assert len(response.context["history"]) == 17  # January 2013 … May 2014
    assert "按时提交" in body
    assert "未报送" in body
    assert url("return_detail", "rsj", datetime.date(2013, 1, 1)) in body


# ------------------------------------------------------------------------------
# Two clerks, one draft
# ------------------------------------------------------------------------------


def test_second_save_on_a_stale_version_gets_409_and_the_current_figures(client, plan):
    first, second = clerk_of("rsj"), clerk_of("rsj")
    client.force_login(first)
    client.post(url("return_save"), grid(version=0, trained=5))
    # Both load the page at version 1.
    assert 'name="version" value="1"' in client.get(url("return_detail")).content.decode()
    client.force_login(second)
    assert 'name="version" value="1"' in client.get(url("return_detail")).content.decode()
    # The first saves.
    client.force_login(first)
    assert client.post(url("return_save"), grid(version=1, trained=20)).status_code == 302
    # The second's save is refused with the current figures in the inputs.
    client.force_login(second)
    response = client.post(url("return_save"), grid(version=1, trained=30, passed=1))
    assert response.status_code == 409
    body = response.content.decode()
    assert "保存冲突：该月报已被他人修改" in body
    assert 'name="version" value="2"' in body
    assert 'name="c2_trained" value="20"' in body
    assert "您填写的：30" in row_html(body, 2, "trained")
    assert "您填写的：1" in row_html(body, 2, "passed")
    ret = the_return()
    assert ret.version == 2
    assert set(ret.lines.values_list("trained", "passed")) == {(20, 0)}


def test_two_clerks_creating_the_same_return_the_second_gets_409(client, plan):
    first, second = clerk_of("gxj"), clerk_of("gxj")
    client.force_login(first)
    assert (
        client.post(url("return_save", "gxj"), grid("gxj", version=0, trained=4)).status_code == 302
    )
    client.force_login(second)
    response = client.post(url("return_save", "gxj"), grid("gxj", version=0, trained=9))
    assert response.status_code == 409
    assert 'name="c1_trained" value="4"' in response.content.decode()
    assert the_return("gxj").lines.get().trained == 4


def test_submit_of_a_stale_page_gets_409_and_nothing_is_submitted(client, plan):
    first, second = clerk_of("gxj"), clerk_of("gxj")
    client.force_login(first)
    client.post(url("return_save", "gxj"), grid("gxj", version=0, trained=4))
    client.post(url("return_save", "gxj"), grid("gxj", version=1, trained=6))
    client.force_login(second)
    response = client.post(
        url("return_save", "gxj"), grid("gxj", version=1, action="submit", trained=9)
    )
    assert response.status_code == 409
    ret = the_return("gxj")
    assert (ret.status, ret.lines.get().trained) == ("draft", 6)


# ------------------------------------------------------------------------------
# Bad input: 400, next to the cell, nothing written
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "三", "1e3"])
def test_non_integer_or_negative_cell_gives_field_error_and_writes_nothing(client, clerk, value):
    client.force_login(clerk)
    before = rows_written()
    response = client.post(
        url("return_save"), grid(version=0, trained=5, overrides={"c4_passed": value})
    )
    assert response.status_code == 400
    assert response.context["form"].errors["c4_passed"] == ["应为不小于0的整数"]
    assert "应为不小于0的整数" in row_html(response.content.decode(), 4, "passed")
    assert "应为不小于0的整数" not in row_html(response.content.decode(), 4, "trained")
    assert rows_written() == before


def test_empty_cell_counts_as_zero(client, clerk):
    client.force_login(clerk)
    response = client.post(url("return_save"), grid(version=0, overrides={"c2_trained": ""}))
    assert response.status_code == 302
    assert the_return().lines.get(category__number=2).trained == 0


def test_passed_above_trained_is_shown_at_that_cell_and_writes_nothing(client, clerk):
    client.force_login(clerk)
    before = rows_written()
    response = client.post(
        url("return_save"),
        grid(version=0, action="submit", trained=5, overrides={"c5_passed": "6"}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "不能大于培训人次" in row_html(body, 5, "passed")
    assert "不能大于培训人次" not in row_html(body, 2, "passed")
    assert 'name="c5_passed" value="6"' in body  # what the clerk typed stays in the cell
    assert rows_written() == before


def test_forged_version_is_a_400(client, clerk):
    client.force_login(clerk)
    before = rows_written()
    response = client.post(url("return_save"), grid(version=0, overrides={"version": "x"}))
    assert response.status_code == 400
    assert rows_written() == before


def test_huge_number_is_refused_before_the_database(client, clerk):
    client.force_login(clerk)
    response = client.post(url("return_save"), grid(version=0, trained=10**12))
    assert response.status_code == 400
    assert MonthlyReturn.objects.count() == 0


def test_correction_needs_a_reason_and_a_change(client, clerk, office, clock):
    ret = svc.return_save(
        campaign=TrainingCategory.objects.first().campaign,
        department=clerk.department,
        month=MAY,
        lines=lines_for(TrainingCategory.objects.first().campaign, "rsj", trained=5),
        version=0,
        actor=clerk,
    )
    ret = svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    svc.return_accept(monthly_return=ret, actor=office)
    client.force_login(clerk)
    before = rows_written()
    no_reason = client.post(url("correction_create"), grid(version=0, trained=6))
    assert no_reason.status_code == 400
    assert "请填写更正理由" in no_reason.content.decode()
    unchanged = grid(version=0, trained=5)
    unchanged["reason"] = "没有改"
    response = client.post(url("correction_create"), unchanged)
    assert response.status_code == 400
    assert "更正内容与原数据相同" in response.content.decode()
    too_many = grid(version=0, trained=5, overrides={"c2_passed": "9", "reason": "合格数"})
    response = client.post(url("correction_create"), too_many)
    assert response.status_code == 400
    assert "不能大于培训人次" in response.content.decode()
    assert rows_written() == before


def test_correction_page_for_a_draft_says_edit_directly(client, clerk):
    client.force_login(clerk)
    client.post(url("return_save"), grid(version=0, trained=5))
    body = client.get(url("correction_create")).content.decode()
    assert "可直接在月报页面修改" in body
    assert 'id="correction-form"' not in body


# ------------------------------------------------------------------------------
# The office's forms
# ------------------------------------------------------------------------------


def _submitted(clerk, trained=5):
    campaign = TrainingCategory.objects.first().campaign
    ret = svc.return_save(
        campaign=campaign,
        department=clerk.department,
        month=MAY,
        lines=lines_for(campaign, clerk.department.code, trained=trained),
        version=0,
        actor=clerk,
    )
    return svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


def test_send_back_without_reason_is_400_and_keeps_status(client, clerk, office):
    _submitted(clerk)
    client.force_login(office)
    response = client.post(url("return_send_back"), {"reason": "  "})
    assert response.status_code == 400
    assert "请填写退回理由" in response.content.decode()
    assert the_return().status == "submitted"


def test_office_sees_accept_and_send_back_on_a_submitted_return(client, clerk, office):
    _submitted(clerk)
    client.force_login(office)
    body = client.get(url("return_detail")).content.decode()
    assert 'id="accept-button"' in body
    assert 'id="send-back-form"' in body
    assert url("return_audit") in body
    assert 'name="c2_trained"' not in body


def test_double_accept_is_a_message_not_an_error(client, clerk, office):
    _submitted(clerk)
    client.force_login(office)
    client.post(url("return_accept"))
    response = client.post(url("return_accept"), follow=True)
    assert response.status_code == 200
    assert "只有已提交的月报可以审核" in response.content.decode()


def test_unlock_form_reads_expiry_in_shanghai_time_and_reopens_the_month(
    client, plan, office, clock
):
    gxj = clerk_of("gxj")
    clock.move_to(at(2014, 6, 20, 9), tick=False)
    client.force_login(office)
    page = client.get(url("return_detail", "gxj")).content.decode()
    assert 'id="unlock-form"' in page
    assert 'type="datetime-local"' in page
    response = client.post(
        url("return_unlock", "gxj"), {"reason": "系统故障补报", "expires_at": "2014-06-21T12:00"}
    )
    assert response.status_code == 302
    unlock = ReturnUnlock.objects.get()
    assert unlock.expires_at == at(2014, 6, 21, 12)
    client.force_login(gxj)
    assert (
        client.post(url("return_save", "gxj"), grid("gxj", version=0, trained=2)).status_code == 302
    )
    clock.move_to(at(2014, 6, 21, 12, 0, 1), tick=False)
    client.force_login(gxj)  # sessions last 12 hours
    body = client.get(url("return_detail", "gxj")).content.decode()
    assert "已过锁定日期" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "", "expires_at": "2014-06-21T12:00"}, "reason", "请填写解锁理由"),
        ({"reason": "补报", "expires_at": ""}, "expires_at", "请填写解锁截止时间"),
        ({"reason": "补报", "expires_at": "明天"}, "expires_at", "请输入有效的日期时间"),
        ({"reason": "补报", "expires_at": "2014-06-19T12:00"}, "expires_at", "必须晚于当前时间"),
    ],
)
def test_bad_unlock_is_400_with_the_error_at_its_field(
    client, plan, office, clock, data, field, message
):
    clock.move_to(at(2014, 6, 20, 9), tick=False)
    client.force_login(office)
    response = client.post(url("return_unlock", "gxj"), data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["unlock_form"].errors[field])
    assert ReturnUnlock.objects.count() == 0


def _pending_correction(clerk, office):
    ret = _submitted(clerk)
    svc.return_accept(monthly_return=ret, actor=office)
    category = TrainingCategory.objects.get(number=2)
    return svc.correction_request(
        monthly_return=ret, proposed={category.pk: {"trained": 8}}, reason="少报", actor=clerk
    )


def test_refuse_needs_a_reason(client, clerk, office):
    correction = _pending_correction(clerk, office)
    client.force_login(office)
    decide = reverse("training:correction_decide", args=[correction.pk])
    response = client.post(decide, {"action": "refuse", "reason": ""})
    assert response.status_code == 400
    assert "请填写不予批准的理由" in response.content.decode()
    correction.refresh_from_db()
    assert correction.status == "pending"
    response = client.post(decide, {"action": "refuse", "reason": "无台账支撑"})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert (correction.status, correction.decision_reason) == ("refused", "无台账支撑")
    assert the_return().lines.get(category__number=2).trained == 5


def test_decide_redirect_never_leaves_the_site(client, clerk, office):
    correction = _pending_correction(clerk, office)
    client.force_login(office)
    response = client.post(
        reverse("training:correction_decide", args=[correction.pk]),
        {"action": "approve", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("training:correction_list")


def test_correction_list_filters_by_status(client, clerk, office):
    _pending_correction(clerk, office)
    client.force_login(office)
    pending = client.get(reverse("training:correction_list"), {"status": "pending"})
    assert len(pending.context["items"]) == 1
    refused = client.get(reverse("training:correction_list"), {"status": "refused"})
    assert len(refused.context["items"]) == 0
    assert "暂无更正申请" in refused.content.decode()
    everything = client.get(reverse("training:correction_list"), {"status": "bogus"})
    assert len(everything.context["items"]) == 1


# ------------------------------------------------------------------------------
# The office's matrix and the home pages
# ------------------------------------------------------------------------------


def test_matrix_shows_a_badge_per_department_and_month_with_legend(client, plan, office):
    _submitted(clerk_of("rsj"))
    client.force_login(office)
    response = client.get(reverse("training:return_matrix"))
    body = response.content.decode()
    assert len(response.context["table"]) == 17
    assert all(len(row["cells"]) == 9 for row in response.context["table"])
    assert 'id="legend"' in body
    for label in ("未报送", "草稿未提交", "按时提交", "逾期提交", "已退回修改", "已审核通过"):
        assert label in body
    may_row = response.context["table"][0]
    assert may_row["month"] == MAY
    statuses = {cell["department"].code: cell["status"] for cell in may_row["cells"]}
    assert statuses["rsj"] == "on_time"
    assert statuses["gxj"] == "open"


def test_matrix_marks_amended_after_deadline(client, plan, office):
    ret = _submitted(clerk_of("gxj"))
    MonthlyReturn.objects.filter(pk=ret.pk).update(amended_after_deadline=True)
    client.force_login(office)
    response = client.get(reverse("training:return_matrix"))
    cell = next(c for c in response.context["table"][0]["cells"] if c["department"].code == "gxj")
    assert cell["amended"] is True
    assert "锁定后更正</span>" in response.content.decode()


def test_clerk_home_shows_current_month_status_and_reminders(client, clerk, plan):
    ReturnReminder.objects.create(
        campaign=plan, department=clerk.department, month=MAY, kind=ReturnReminder.Kind.OPENING
    )
    client.force_login(clerk)
    body = client.get("/").content.decode()
    assert 'id="current-return"' in body
    assert "2014年5月" in body
    assert url("return_detail") in body
    assert 'id="return-reminders"' in body
    client.post(url("return_save"), grid(version=0, action="submit", trained=1))
    body = client.get("/").content.decode()
    assert "按时提交" in body
    assert 'id="return-reminders"' not in body  # answered by the submission


def test_office_home_links_matrix_and_counts_pending_corrections(client, clerk, office):
    _pending_correction(clerk, office)
    client.force_login(office)
    body = client.get("/").content.decode()
    assert reverse("training:return_matrix") in body
    assert re.search(r'id="pending-corrections">1<', body)


# ------------------------------------------------------------------------------
# Bounded queries, whatever the number of months and departments
# ------------------------------------------------------------------------------

# The office's home page gathers every app's panel (subsidies, awards, ledger, 1688, teachers,
# funds, supply–demand), a few constant queries each.
QUERY_BOUND = 24


def _fill_months(plan, count: int, office) -> None:
    """``count`` months of accepted returns for all nine departments, straight into the tables
    (the services are tested elsewhere), plus an approved correction on the last month."""
    months = plan.reporting_months()[:count]
    departments = {d.code: d for d in Department.objects.filter(code__in=CODES)}
    categories = list(TrainingCategory.objects.filter(campaign=plan))
    returns = MonthlyReturn.objects.bulk_create(
        MonthlyReturn(
            campaign=plan,
            department=department,
            month=month,
            status="accepted",
            is_late=index % 5 == 0,
            version=3,
        )
        for index, month in enumerate(months)
        for department in departments.values()
    )
    by_key = {(r.department_id, r.month): r for r in returns}
    ReturnLine.objects.bulk_create(
        ReturnLine(
            monthly_return=by_key[(category.department_id, month)],
            category=category,
            trained=100,
            passed=80,
        )
        for month in months
        for category in categories
    )
    last = by_key[(departments["rsj"].pk, months[-1])]
    line = last.lines.first()
    correction = CorrectionRequest.objects.create(
        monthly_return=last,
        reason="补录",
        proposed={str(line.category_id): {"trained": 110}},
        requested_by=clerk_of("rsj"),
        decided_by=office,
        status="approved",
    )
    ReturnAmendment.objects.create(
        correction=correction, line=line, field="trained", old_value=100, new_value=110
    )
    CorrectionRequest.objects.create(
        monthly_return=by_key[(departments["rsj"].pk, months[0])],
        reason="再补录",
        proposed={str(line.category_id): {"passed": 90}},
        requested_by=clerk_of("rsj"),
    )


@pytest.mark.parametrize("months", [3, 24])
def test_pages_have_a_bounded_query_count(
    client, plan, office, clock, months, django_assert_max_num_queries
):
    _fill_months(plan, months, office)
    last = plan.reporting_months()[months - 1]
    clock.move_to(
        datetime.datetime.combine(deadlines.next_month(last), datetime.time(10), SH), tick=False
    )
    clerk = clerk_of("rsj")
    auditor = user_with_role(Role.AUDITOR)
    pages = [
        (clerk, url("return_detail", month=last)),
        (clerk, reverse("training:return_history")),
        (clerk, reverse("training:correction_list")),
        (clerk, "/"),
        (office, url("return_detail", month=last)),
        (office, reverse("training:return_matrix")),
        (office, reverse("training:correction_list")),
        (office, url("return_audit", month=last)),
        (office, "/"),
        (auditor, url("return_detail", month=last)),
        (auditor, reverse("training:return_matrix")),
    ]
    for user, path in pages:
        client.force_login(user)
        with django_assert_max_num_queries(QUERY_BOUND):
            response = client.get(path)
        assert response.status_code == 200, path
    client.force_login(office)
    matrix = client.get(reverse("training:return_matrix"))
    assert len(matrix.context["table"]) == months
    assert sum(len(row["cells"]) for row in matrix.context["table"]) == months * 9
