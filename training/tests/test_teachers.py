"""Teachers (师资): services, the bachelor's-degree share against the plan's 40% goal at its
boundary, naming the teachers of a class, the pages' permission matrix and query counts, the
audit-workbook sheet and the home-page panel."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from core.exports import write_exporters
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from dashboard.panels import _PANELS
from training.exports_labour import TeachersExporter
from training.models import ClassTeacher, Institution, Teacher, TeacherGoal, TrainingClass
from training.selectors import teachers as selectors
from training.selectors.teachers import Share
from training.services import teachers as svc
from training.services.plan import plan_load
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import (
    at,
    make_class,
    office_user,
    staff_of,
)

pytestmark = pytest.mark.django_db

D = datetime.date
B, C = Teacher.Education.BACHELOR, Teacher.Education.COLLEGE


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2014, 6, 20, 10), tick=False)
    return time_machine


def teacher(institution, education=B, *, name=None, active=True, **kwargs) -> Teacher:
    return Teacher.objects.create(
        institution=institution,
        name=name or f"教师{Teacher.objects.count() + 1}",
        education=education,
        employment=kwargs.pop("employment", Teacher.Employment.FULL_TIME),
        is_active=active,
        **kwargs,
    )


def data(**overrides) -> dict:
    values = {
        "name": "王建国",
        "education": B,
        "title": Teacher.Title.INTERMEDIATE,
        "specialty": "数控加工",
        "honours": [Teacher.Honour.CHIEF_TECHNICIAN],
        "employment": Teacher.Employment.FULL_TIME,
        "is_active": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def world(plan):
    ours = Institution.objects.get(name="许昌技师学院")
    other = Institution.objects.get(name="许继技工学校")
    return {
        "plan": plan,
        "ours": ours,
        "other": other,
        "staff": staff_of(ours),
        "other_staff": staff_of(other),
        "office": office_user(),
    }


# ------------------------------------------------------------------------------
# The plan's goal and the share
# ------------------------------------------------------------------------------


def test_plan_load_holds_the_40_percent_goal_and_a_second_load_changes_nothing(plan):
    goal = TeacherGoal.objects.get(campaign=plan)
    assert goal.bachelor_share == Decimal("0.400")
    assert goal.due_date == D(2014, 12, 31)
    again = plan_load()
    assert "teacher_goals" not in again.created
    assert "teacher_goals" not in again.updated


@pytest.mark.parametrize(
    ("bachelors", "total", "meets"),
    [
        (2, 5, True),  # exactly 40%: meets
        (79, 200, False),  # 39.5%
        (3999, 10000, False),  # 39.99% shows as 40.0 when rounded, and still does not meet
        (4, 10, True),
        (1, 3, False),  # 33.3%
        (0, 0, None),  # no teachers: no verdict
    ],
)
def test_share_meets_the_goal_only_at_or_above_it(bachelors, total, meets):
    assert Share(total, bachelors, Decimal("0.40")).meets_goal is meets


def test_rounded_percentage_does_not_decide_the_goal():
    share = Share(10000, 3999, Decimal("0.40"))
    assert share.percent == Decimal("40.0")
    assert share.meets_goal is False


def test_city_share_counts_active_teachers_full_and_part_time(world):
    ours, other = world["ours"], world["other"]
    teacher(ours, Teacher.Education.POSTGRADUATE)
    teacher(ours, B, employment=Teacher.Employment.PART_TIME)
    teacher(ours, C)
    teacher(other, C)
    teacher(other, C)
    teacher(other, B, active=False)  # left: not counted
    share = selectors.city_share(campaign=world["plan"])
    assert (share.bachelors, share.total) == (2, 5)
    assert share.meets_goal is True
    by_institution = {
        i.name: (s.bachelors, s.total, s.meets_goal)
        for i, s in selectors.shares_by_institution(user=world["office"], campaign=world["plan"])
    }
    assert by_institution == {ours.name: (2, 3, True), other.name: (0, 2, False)}


def test_one_more_college_teacher_takes_the_city_below_the_goal(world):
    ours = world["ours"]
    for education in (B, B, C, C, C):
        teacher(ours, education)
    assert selectors.city_share(campaign=world["plan"]).meets_goal is True  # 2/5
    teacher(ours, C)
    assert selectors.city_share(campaign=world["plan"]).meets_goal is False  # 2/6


# ------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------


def test_staff_add_a_teacher_to_their_own_institution_with_audit(world):
    created = svc.teacher_create(institution=world["ours"], data=data(), actor=world["staff"])
    assert created.institution == world["ours"]
    assert created.honours == ["chief_technician"]
    event = AuditEvent.objects.get(action="teacher.create")
    assert event.changes["name"] == "王建国"


@pytest.mark.parametrize("who", ["other_staff", "office"])
def test_only_the_institution_itself_adds_its_teachers(world, who):
    with pytest.raises(PermissionDenied):
        svc.teacher_create(institution=world["ours"], data=data(), actor=world[who])
    assert not Teacher.objects.exists()


def test_unknown_honour_and_blank_name_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        svc.teacher_create(
            institution=world["ours"], data=data(honours=["emperor"]), actor=world["staff"]
        )
    assert "honours" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.teacher_create(institution=world["ours"], data=data(name="  "), actor=world["staff"])
    assert "name" in exc.value.message_dict


def test_update_audits_only_what_changed(world):
    t = svc.teacher_create(institution=world["ours"], data=data(), actor=world["staff"])
    svc.teacher_update(teacher=t, data=data(education=C), actor=world["staff"])
    event = AuditEvent.objects.get(action="teacher.update")
    assert event.changes == {"education": ["bachelor", "college"]}
    svc.teacher_update(teacher=t, data=data(education=C), actor=world["staff"])
    assert AuditEvent.objects.filter(action="teacher.update").count() == 1


def test_further_training_dates_must_be_ordered_and_not_in_the_future(world):
    t = teacher(world["ours"])
    record = {
        "course": "数控技术骨干教师研修",
        "provider": "河南省职业技术教育教学研究室",
        "start_date": D(2014, 3, 1),
        "end_date": D(2014, 3, 31),
        "hours": 120,
        "certificate": "结业证书",
    }
    svc.teacher_training_add(teacher=t, data=record, actor=world["staff"])
    assert t.trainings.count() == 1
    with pytest.raises(ValidationError) as exc:
        svc.teacher_training_add(
            teacher=t, data={**record, "end_date": D(2014, 2, 28)}, actor=world["staff"]
        )
    assert "end_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.teacher_training_add(
            teacher=t,
            data={**record, "start_date": D(2014, 6, 21), "end_date": D(2014, 7, 1)},
            actor=world["staff"],
        )
    assert "start_date" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        svc.teacher_training_add(teacher=t, data=record, actor=world["other_staff"])


def test_class_teachers_only_own_active_teachers_and_changes_audited(world):
    plan, ours, other = world["plan"], world["ours"], world["other"]
    training_class = make_class(ours, campaign=plan, end=D(2014, 7, 30), status="approved")
    a, b = teacher(ours, name="甲"), teacher(ours, name="乙")
    stranger = teacher(other, name="丙")
    gone = teacher(ours, name="丁", active=False)
    svc.class_teachers_set(training_class=training_class, teachers=[a, b], actor=world["staff"])
    assert set(training_class.teacher_set.values_list("name", flat=True)) == {"甲", "乙"}
    with pytest.raises(ValidationError, match="本机构"):
        svc.class_teachers_set(
            training_class=training_class, teachers=[a, stranger], actor=world["staff"]
        )
    with pytest.raises(ValidationError, match="不在岗"):
        svc.class_teachers_set(training_class=training_class, teachers=[gone], actor=world["staff"])
    svc.class_teachers_set(training_class=training_class, teachers=[b], actor=world["staff"])
    assert list(training_class.teacher_set.values_list("name", flat=True)) == ["乙"]
    events = AuditEvent.objects.filter(action="class.teachers_set").order_by("id")
    assert [e.changes for e in events] == [
        {"added": ["乙", "甲"], "removed": []},
        {"added": [], "removed": ["甲"]},
    ]
    with pytest.raises(PermissionDenied):
        svc.class_teachers_set(
            training_class=training_class, teachers=[], actor=world["other_staff"]
        )


def test_closed_class_keeps_its_teachers(world):
    training_class = make_class(world["ours"], campaign=world["plan"], end=D(2014, 5, 1))
    assert training_class.status == TrainingClass.Status.CLOSED
    with pytest.raises(ValidationError, match="结业"):
        svc.class_teachers_set(
            training_class=training_class, teachers=[teacher(world["ours"])], actor=world["staff"]
        )
    assert not ClassTeacher.objects.exists()


# ------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("worker", 403),
        ("clerk", 403),
        ("finance", 403),
        ("staff", 200),
        ("office", 200),
        ("auditor", 200),
        ("reviewer", 200),
    ],
)
def test_teacher_list_permission_matrix(client, world, who, status):
    users = {
        "worker": lambda: user_with_role(Role.WORKER),
        "clerk": lambda: clerk_of("rsj"),
        "finance": lambda: user_with_role(Role.FINANCE),
        "staff": lambda: world["staff"],
        "office": lambda: world["office"],
        "auditor": lambda: user_with_role(Role.AUDITOR),
        "reviewer": lambda: user_with_role(Role.REVIEWER),
    }
    if who != "anonymous":
        client.force_login(users[who]())
    response = client.get(reverse("training:teacher_list"))
    assert response.status_code == status


def test_staff_see_only_their_own_teachers_and_another_institutions_is_a_404(client, world):
    mine = teacher(world["ours"], name="本校教师")
    theirs = teacher(world["other"], name="外校教师")
    client.force_login(world["staff"])
    page = client.get(reverse("training:teacher_list")).content.decode()
    assert "本校教师" in page
    assert "外校教师" not in page
    assert client.get(reverse("training:teacher_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("training:teacher_detail", args=[theirs.pk])).status_code == 404
    response = client.get(reverse("training:teacher_update", args=[theirs.pk]))
    assert response.status_code == 404


def test_office_reads_but_cannot_add_teachers(client, world):
    client.force_login(world["office"])
    assert client.get(reverse("training:teacher_create")).status_code == 403
    t = teacher(world["ours"])
    assert client.get(reverse("training:teacher_detail", args=[t.pk])).status_code == 200
    assert client.get(reverse("training:teacher_update", args=[t.pk])).status_code == 403


def test_create_page_saves_and_invalid_form_is_a_400(client, world):
    client.force_login(world["staff"])
    url = reverse("training:teacher_create")
    bad = client.post(url, {"name": "", "education": "bachelor", "employment": "full_time"})
    assert bad.status_code == 400
    assert not Teacher.objects.exists()
    response = client.post(
        url,
        {
            "name": "李红",
            "education": "postgraduate",
            "title": "senior",
            "employment": "part_time",
            "honours": ["chief_employee", "technical_expert"],
            "is_active": "on",
        },
    )
    created = Teacher.objects.get(name="李红")
    assert response.status_code == 302
    assert created.institution == world["ours"]
    assert created.honours == ["chief_employee", "technical_expert"]


def test_training_form_400_on_bad_dates(client, world):
    t = teacher(world["ours"])
    client.force_login(world["staff"])
    url = reverse("training:teacher_training_create", args=[t.pk])
    response = client.post(
        url,
        {
            "course": "研修",
            "provider": "某院校",
            "start_date": "2014-05-10",
            "end_date": "2014-05-01",
            "hours": 10,
        },
    )
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()
    client.force_login(world["other_staff"])
    assert client.post(url, {}).status_code == 404


def test_class_teachers_page_for_own_class_only(client, world):
    plan = world["plan"]
    ours = make_class(world["ours"], campaign=plan, end=D(2014, 7, 30), status="approved")
    theirs = make_class(world["other"], campaign=plan, end=D(2014, 7, 30), status="approved")
    a = teacher(world["ours"], name="甲")
    teacher(world["other"], name="外校")
    client.force_login(world["staff"])
    url = reverse("training:class_teachers", args=[ours.pk])
    page = client.get(url).content.decode()
    assert "甲" in page
    assert "外校" not in page
    assert client.get(reverse("training:class_teachers", args=[theirs.pk])).status_code == 404
    assert client.post(url, {"teachers": [a.pk]}).status_code == 302
    assert list(ours.teacher_set.all()) == [a]
    # Another institution's teacher is not even a choice: the form refuses it with a 400.
    foreign = Teacher.objects.get(name="外校")
    assert client.post(url, {"teachers": [foreign.pk]}).status_code == 400
    client.force_login(world["office"])
    assert client.get(url).status_code == 403


def test_teacher_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    for i in range(30):
        teacher(world["ours"] if i % 2 else world["other"], B if i % 3 else C)
    client.force_login(world["office"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("training:teacher_list"))
    assert response.status_code == 200


# ------------------------------------------------------------------------------
# Workbook sheet and panel
# ------------------------------------------------------------------------------


def test_teachers_sheet_rows_and_constant_queries(world, django_assert_max_num_queries):
    t = teacher(world["ours"], B, name="张三", honours=["chief_technician"])
    teacher(world["other"], C, name="李四")
    svc.teacher_training_add(
        teacher=t,
        data={
            "course": "研修",
            "provider": "院校",
            "start_date": D(2014, 1, 1),
            "end_date": D(2014, 1, 5),
            "hours": 40,
            "certificate": "",
        },
        actor=world["staff"],
    )
    handle = io.BytesIO()
    with django_assert_max_num_queries(2):
        write_exporters(handle, [TeachersExporter(campaign=world["plan"], user=None)])
    handle.seek(0)
    sheet = openpyxl.load_workbook(handle)["师资队伍"]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["张三"][3] == "是"
    assert rows["张三"][5] == "首席技师"
    assert rows["张三"][9:] == (1, 40)
    assert rows["李四"][3] == "否"


def test_home_panel_lists_institutions_below_goal(world, django_assert_max_num_queries):
    teacher(world["ours"], B)
    teacher(world["other"], C)
    # The goal, the city-wide count, the per-institution counts and the user's roles.
    with django_assert_max_num_queries(4):
        panel = selectors.home_panel(user=world["office"], campaign=world["plan"])
    assert panel["share"].total == 2
    assert [i.name for i, _ in panel["below"]] == [world["other"].name]
    html = render_to_string("training/teachers/_home_panel.html", {"panel": panel})
    assert "占比 <strong>50.0%</strong>（目标 40%）" in html
    assert world["other"].name in html


def test_panel_is_registered_for_the_readers():
    panel = _PANELS["teachers"]
    assert panel.roles == {Role.OFFICE, Role.AUDITOR, Role.REVIEWER}
    assert panel.context is selectors.home_panel


def test_staff_see_their_open_classes_with_a_link_to_name_teachers(
    client, world, django_assert_max_num_queries
):
    plan = world["plan"]
    running = make_class(world["ours"], campaign=plan, end=D(2014, 7, 30), status="approved")
    closed = make_class(world["ours"], campaign=plan, end=D(2014, 5, 1))
    theirs = make_class(world["other"], campaign=plan, end=D(2014, 7, 30), status="approved")
    svc.class_teachers_set(
        training_class=running, teachers=[teacher(world["ours"], name="甲")], actor=world["staff"]
    )
    for _ in range(10):
        make_class(world["ours"], campaign=plan, end=D(2014, 8, 30), status="draft")
    client.force_login(world["staff"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("training:teacher_list")).content.decode()
    assert reverse("training:class_teachers", args=[running.pk]) in page
    assert reverse("training:class_teachers", args=[closed.pk]) not in page
    assert reverse("training:class_teachers", args=[theirs.pk]) not in page
    client.force_login(world["office"])
    assert "class-assignments" not in client.get(reverse("training:teacher_list")).content.decode()
