"""The ledger and meeting pages through the test client: the permission matrix of every view,
the office's loop (meeting → follow-up task), the units' progress and completion, invalid forms
re-rendered with 400, scoping of the list, query counts, the home-page panel and the bulletin."""

import datetime

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import JointMeeting, LedgerProgressNote, LedgerTask
from training.selectors import ledger as selectors
from training.services import ledger as services
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    TODAY,
    clerk,
    close_plan_phase_one,
    dept,
    frozen_fixture,
    meeting,
    meeting_task,
    office_user,
    plan_task,
    task_input,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def url(name, *args):
    return reverse(f"training:{name}", args=args)


@pytest.fixture
def people(plan):
    return {
        "anonymous": None,
        "worker": user_with_role(Role.WORKER),
        "institution": user_with_role(Role.INSTITUTION),
        "reviewer": user_with_role(Role.REVIEWER, department=dept("rsj")),
        "finance": user_with_role(Role.FINANCE, department=dept("czj")),
        "office": office_user(),
        "auditor": user_with_role(Role.AUDITOR),
        "lead_clerk": clerk("rsj"),  # 4.2.2's lead unit
        "assisting_clerk": clerk("gxj"),  # 4.2.2's assisting unit
        "other_clerk": clerk("nyj"),  # no part in 4.2.2
    }


def fetch(client, user, method, path, data=None):
    if user is not None:
        client.force_login(user)
    if method == "post":
        return client.post(path, data or {})
    return client.get(path)


ANON = 302  # to the login page
NOT_IN_SCOPE = 404

# (view, method, who, expected status). POST data is valid, so a permitted POST redirects.
MATRIX = [
    ("ledger_list", "get", "anonymous", ANON),
    ("ledger_list", "get", "worker", 403),
    ("ledger_list", "get", "institution", 403),
    ("ledger_list", "get", "reviewer", 403),
    ("ledger_list", "get", "finance", 403),
    ("ledger_list", "get", "other_clerk", 200),
    ("ledger_list", "get", "office", 200),
    ("ledger_list", "get", "auditor", 200),
    ("ledger_task_detail", "get", "anonymous", ANON),
    ("ledger_task_detail", "get", "worker", 403),
    ("ledger_task_detail", "get", "reviewer", 403),
    ("ledger_task_detail", "get", "other_clerk", NOT_IN_SCOPE),
    ("ledger_task_detail", "get", "assisting_clerk", 200),
    ("ledger_task_detail", "get", "lead_clerk", 200),
    ("ledger_task_detail", "get", "office", 200),
    ("ledger_task_detail", "get", "auditor", 200),
    ("ledger_task_edit", "get", "anonymous", ANON),
    ("ledger_task_edit", "get", "lead_clerk", 403),
    ("ledger_task_edit", "get", "auditor", 403),
    ("ledger_task_edit", "get", "office", 200),
    ("ledger_note_create", "post", "anonymous", ANON),
    ("ledger_note_create", "post", "office", 403),
    ("ledger_note_create", "post", "auditor", 403),
    ("ledger_note_create", "post", "other_clerk", NOT_IN_SCOPE),
    ("ledger_note_create", "post", "assisting_clerk", 302),
    ("ledger_note_create", "post", "lead_clerk", 302),
    ("ledger_task_complete", "post", "anonymous", ANON),
    ("ledger_task_complete", "post", "office", 403),
    ("ledger_task_complete", "post", "other_clerk", NOT_IN_SCOPE),
    ("ledger_task_complete", "post", "assisting_clerk", 403),
    ("ledger_task_complete", "post", "lead_clerk", 302),
    ("ledger_task_reopen", "post", "anonymous", ANON),
    ("ledger_task_reopen", "post", "lead_clerk", 403),
    ("ledger_task_reopen", "post", "auditor", 403),
    ("ledger_task_reopen", "post", "office", 302),
    ("meeting_list", "get", "anonymous", ANON),
    ("meeting_list", "get", "lead_clerk", 403),
    ("meeting_list", "get", "worker", 403),
    ("meeting_list", "get", "auditor", 200),
    ("meeting_list", "get", "office", 200),
    ("meeting_create", "get", "anonymous", ANON),
    ("meeting_create", "get", "auditor", 403),
    ("meeting_create", "get", "lead_clerk", 403),
    ("meeting_create", "get", "office", 200),
    ("meeting_detail", "get", "anonymous", ANON),
    ("meeting_detail", "get", "lead_clerk", 403),
    ("meeting_detail", "get", "auditor", 200),
    ("meeting_detail", "get", "office", 200),
    ("meeting_task_create", "get", "anonymous", ANON),
    ("meeting_task_create", "get", "auditor", 403),
    ("meeting_task_create", "get", "lead_clerk", 403),
    ("meeting_task_create", "get", "office", 200),
]


@pytest.mark.parametrize(("view", "method", "who", "expected"), MATRIX)
def test_permission_matrix(client, plan, people, view, method, who, expected):
    task = plan_task(plan)
    m = meeting(plan, people["office"])
    if view == "ledger_task_reopen":
        services.ledger_task_complete(task=task, actor=people["lead_clerk"])
    args = {
        "ledger_list": (),
        "meeting_list": (),
        "meeting_create": (),
        "meeting_detail": (m.pk,),
        "meeting_task_create": (m.pk,),
    }.get(view, (task.pk,))
    data = {
        "ledger_note_create": {"text": "已召开推进会", "percent": "40"},
        "ledger_task_complete": {},
        "ledger_task_reopen": {"reason": "协议未签订"},
    }.get(view)
    response = fetch(client, people[who], method, url(view, *args), data)
    assert response.status_code == expected
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]


def test_unknown_task_is_404(client, plan, people):
    client.force_login(people["office"])
    assert client.get(url("ledger_task_detail", 999999)).status_code == 404


# --------------------------------------------------------------------------------------------
# The office's loop: meeting → follow-up task
# --------------------------------------------------------------------------------------------


def test_office_records_a_meeting_then_assigns_a_task(client, plan, people):
    client.force_login(people["office"])
    response = client.post(
        url("meeting_create"),
        {
            "held_on": "2014-03-03",
            "place": "市政府第一会议室",
            "chair": "李副市长",
            "attendee_units": [dept("rsj").pk, dept("czj").pk],
            "attendees_other": "各县（市、区）人社局局长",
            "decisions": "一、三月底前报送县办技工学校建设进度。",
        },
    )
    m = JointMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("meeting_detail", m.pk)
    response = client.post(
        url("meeting_task_create", m.pk),
        {
            "title": "报送县办技工学校建设进度",
            "requirements": "逐县报送",
            "lead_unit": dept("rsj").pk,
            "assisting_units": [dept("czj").pk],
            "leader": "张局长",
            "deadline": "2014-03-31",
        },
    )
    assert response.status_code == 302
    task = LedgerTask.objects.get(meeting=m)
    assert (task.code, task.source) == ("H1-1", "meeting")
    assert task.deadline == datetime.date(2014, 3, 31)
    page = client.get(url("meeting_detail", m.pk)).content.decode()
    assert "H1-1" in page
    assert "报送县办技工学校建设进度" in page


def test_invalid_meeting_form_rerenders_with_400_and_chinese_errors(client, plan, people):
    client.force_login(people["office"])
    response = client.post(url("meeting_create"), {"held_on": "2014-03-04", "place": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "这个字段是必填项" in page or "必填" in page
    assert not JointMeeting.objects.exists()


def test_future_meeting_date_rerenders_with_400(client, plan, people):
    client.force_login(people["office"])
    response = client.post(
        url("meeting_create"),
        {"held_on": "2014-03-04", "place": "甲", "chair": "乙", "decisions": "丙"},
    )
    assert response.status_code == 400
    assert "会议日期不能晚于今天" in response.content.decode()


def test_task_form_lead_also_assisting_is_400(client, plan, people):
    m = meeting(plan, people["office"])
    client.force_login(people["office"])
    response = client.post(
        url("meeting_task_create", m.pk),
        {
            "title": "甲",
            "lead_unit": dept("rsj").pk,
            "assisting_units": [dept("rsj").pk],
            "deadline": "2014-03-31",
        },
    )
    assert response.status_code == 400
    assert "不能同时是协办单位" in response.content.decode()


def test_office_edits_a_plan_task_deadline_with_reason(client, plan, people):
    task = plan_task(plan)
    client.force_login(people["office"])
    data = {
        "title": task.title,
        "requirements": task.requirements,
        "lead_unit": dept("rsj").pk,
        "assisting_units": [dept("jyj").pk, dept("gxj").pk],
        "leader": task.leader,
        "deadline": "2014-06-30",
    }
    response = client.post(url("ledger_task_edit", task.pk), data)
    assert response.status_code == 400
    assert "调整完成时限须说明理由" in response.content.decode()
    response = client.post(url("ledger_task_edit", task.pk), {**data, "reason": "提前完成"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.deadline == datetime.date(2014, 6, 30)


# --------------------------------------------------------------------------------------------
# Units: progress and completion
# --------------------------------------------------------------------------------------------


def test_clerk_reports_progress_and_sees_it_on_the_page(client, plan, people):
    task = plan_task(plan)
    client.force_login(people["assisting_clerk"])
    response = client.post(
        url("ledger_note_create", task.pk), {"text": "工信局配合开展订单培训", "percent": "35"}
    )
    assert response.status_code == 302
    note = LedgerProgressNote.objects.get()
    assert note.department == dept("gxj")
    page = client.get(url("ledger_task_detail", task.pk)).content.decode()
    assert "工信局配合开展订单培训" in page
    assert "推进中" in page
    # An assisting unit does not get the completion form.
    assert 'id="complete-form"' not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "这个字段是必填项"),
        ({"text": "x", "percent": "101"}, "100"),
        ({"text": "x", "reported_on": "2014-03-04"}, "报告日期不能晚于今天"),
    ],
)
def test_invalid_note_is_400(client, plan, people, data, message):
    task = plan_task(plan)
    client.force_login(people["lead_clerk"])
    response = client.post(url("ledger_note_create", task.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LedgerProgressNote.objects.exists()


def test_lead_clerk_completes_and_office_reopens(client, plan, people):
    task = plan_task(plan)
    client.force_login(people["lead_clerk"])
    page = client.get(url("ledger_task_detail", task.pk)).content.decode()
    assert 'id="complete-form"' in page
    client.post(url("ledger_task_complete", task.pk), {"note": "全部完成"})
    task.refresh_from_db()
    assert task.status == LedgerTask.Status.DONE
    client.force_login(people["office"])
    response = client.post(url("ledger_task_reopen", task.pk), {"reason": ""})
    assert response.status_code == 400
    client.post(url("ledger_task_reopen", task.pk), {"reason": "协议未签订"})
    task.refresh_from_db()
    assert task.status == LedgerTask.Status.OPEN
    assert AuditEvent.objects.filter(action="ledger.task_reopen").count() == 1


def test_completion_in_the_future_is_400(client, plan, people):
    task = plan_task(plan)
    client.force_login(people["lead_clerk"])
    response = client.post(url("ledger_task_complete", task.pk), {"completed_on": "2014-03-04"})
    assert response.status_code == 400
    assert "完成日期不能晚于今天" in response.content.decode()


# --------------------------------------------------------------------------------------------
# The list: scoping, filters, query counts
# --------------------------------------------------------------------------------------------


def test_clerk_sees_only_tasks_their_department_leads_or_assists(client, plan, people):
    client.force_login(people["assisting_clerk"])  # 市工信局
    page = client.get(url("ledger_list")).content.decode()
    expected = set(LedgerTask.objects.of_department(dept("gxj")).values_list("code", flat=True))
    assert "4.2.2" in expected
    assert "5.2" not in expected  # led by 市财政局, 工信局 not assisting
    for code in expected:
        assert f'id="task-{code}"' in page
    assert 'id="task-5.2"' not in page


def test_state_filter_shows_overdue_tasks_only(client, plan, people, frozen):
    office = people["office"]
    meeting_task(plan, office, deadline=datetime.date(2014, 3, 31))
    frozen.move_to(datetime.datetime(2014, 4, 1, 9, tzinfo=datetime.UTC), tick=False)
    client.force_login(office)
    page = client.get(url("ledger_list") + "?state=overdue").content.decode()
    assert 'id="task-H1-1"' in page
    assert 'id="task-4.2.2"' not in page  # deadline 2014-09-30
    assert "逾期1天" in page


def test_ledger_list_query_count_does_not_grow(client, plan, people, django_assert_max_num_queries):
    office = people["office"]
    client.force_login(office)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url("ledger_list")).status_code == 200
    m = meeting(plan, office)
    for i in range(20):
        services.ledger_task_create(
            meeting=m,
            data=task_input(title=f"任务{i}", assisting_units=[dept("czj")]),
            actor=office,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url("ledger_list")).status_code == 200


# --------------------------------------------------------------------------------------------
# Home-page panel and monthly bulletin
# --------------------------------------------------------------------------------------------


def test_home_panel_shows_overdue_after_the_deadline_only(client, plan, people, frozen):
    close_plan_phase_one(plan)
    office = people["office"]
    meeting_task(plan, office, deadline=datetime.date(2014, 3, 31))
    frozen.move_to(datetime.datetime(2014, 3, 31, 12, tzinfo=datetime.UTC), tick=False)
    panel = selectors.ledger_home_panel(user=office, campaign=plan)
    assert panel["counts"]["overdue"] == 0
    frozen.move_to(datetime.datetime(2014, 4, 2, 2, tzinfo=datetime.UTC), tick=False)
    panel = selectors.ledger_home_panel(user=office, campaign=plan)
    assert panel["counts"]["overdue"] == 1
    assert panel["overdue"][0]["days"] == 2
    client.force_login(office)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="ledger-panel"' in page
    assert "H1-1 报送县办技工学校建设进度" in page


def test_home_panel_is_scoped_for_clerks_and_hidden_for_others(plan, people, frozen):
    close_plan_phase_one(plan)
    meeting_task(plan, people["office"], deadline=datetime.date(2014, 3, 31))  # lead rsj
    frozen.move_to(datetime.datetime(2014, 4, 2, 2, tzinfo=datetime.UTC), tick=False)
    assert (
        selectors.ledger_home_panel(user=people["lead_clerk"], campaign=plan)["counts"]["overdue"]
        == 1
    )
    assert (
        selectors.ledger_home_panel(user=people["other_clerk"], campaign=plan)["counts"]["overdue"]
        == 0
    )
    assert selectors.ledger_home_panel(user=people["worker"], campaign=plan) is None


def test_home_panel_runs_two_queries(plan, people, django_assert_num_queries):
    office = people["office"]
    for _ in range(3):
        meeting_task(plan, office, deadline=TODAY)
    with django_assert_num_queries(2):
        selectors.ledger_home_panel(user=office, campaign=plan)


def test_bulletin_sentence_lists_tasks_overdue_at_the_months_end(plan, people):
    close_plan_phase_one(plan)
    office = people["office"]
    late = meeting_task(plan, office, deadline=datetime.date(2014, 3, 31))
    done_late = meeting_task(plan, office, deadline=datetime.date(2014, 3, 10), title="已补办")
    on_time = meeting_task(plan, office, deadline=datetime.date(2014, 4, 1), title="四月任务")
    LedgerTask.objects.filter(pk=done_late.pk).update(
        status="done", completed_on=datetime.date(2014, 4, 5)
    )
    sentences = selectors.ledger_overdue_for_bulletin(plan, datetime.date(2014, 3, 1))
    assert len(sentences) == 1
    text = sentences[0]
    assert "有2项任务逾期未完成" in text
    assert f"{late.code}“{late.title}”（主办单位市人社局，完成时限2014年03月31日，逾期0天）" in text
    assert "已补办" in text  # still open at the end of March
    assert on_time.title not in text
    # February: nothing was due yet.
    feb = selectors.ledger_overdue_for_bulletin(plan, datetime.date(2014, 2, 1))
    assert feb == []


def test_bulletin_draft_text_includes_the_ledger_sentence(client, plan, people):
    close_plan_phase_one(plan)
    from dashboard.services import bulletin_draft
    from training.services.reports import report_compute

    office = people["office"]
    task = meeting_task(plan, office, deadline=TODAY)
    month = datetime.date(2014, 3, 1)
    report_compute(campaign=plan, month=month, actor=office)
    bulletin = bulletin_draft(campaign=plan, month=month, actor=office)
    assert f"{task.code}“{task.title}”" in bulletin.summary
    assert "有1项任务逾期未完成" in bulletin.summary
    client.force_login(office)
    page = client.get(reverse("dashboard:bulletin_detail", args=[bulletin.pk])).content.decode()
    assert "有1项任务逾期未完成" in page
    assert 'id="bulletin-ledger-link"' in page


def test_source_filter_separates_plan_and_meeting_tasks(client, plan, people):
    meeting_task(plan, people["office"])
    client.force_login(people["auditor"])
    page = client.get(url("ledger_list") + "?source=meeting").content.decode()
    assert 'id="task-H1-1"' in page
    assert 'id="task-4.2.2"' not in page
    page = client.get(url("ledger_list") + "?source=plan").content.decode()
    assert 'id="task-H1-1"' not in page
    assert 'id="task-4.2.2"' in page
    assert "共19项" in page  # the summary counts every task the user may see


def test_auditor_reads_but_gets_no_forms(client, plan, people):
    client.force_login(people["auditor"])
    page = client.get(url("ledger_task_detail", plan_task(plan).pk)).content.decode()
    for form_id in ("note-form", "complete-form", "reopen-form", "task-edit-link"):
        assert f'id="{form_id}"' not in page
