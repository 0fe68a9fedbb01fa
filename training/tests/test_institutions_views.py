"""The institution pages through the test client: the permission matrix of every view, the
public pages, the bank account never in a page, forms that re-render with 400, and bounded
query counts on the list pages. Time stands on 20 January 2015 in Xuchang."""

import datetime
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from core.models import AuditEvent, County
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import (
    DesignationChange,
    Institution,
    InstitutionAssessment,
    Occupation,
    PopulationGroup,
    Programme,
    RegistrationPoint,
)
from training.services import institutions as svc
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import (
    at,
    enroll,
    make_class,
    make_institution,
    office_user,
    staff_of,
)

pytestmark = pytest.mark.django_db

D = datetime.date
CARD = "6222021234567890128"
LOGIN = reverse("login")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2015, 1, 20, 10), tick=False)
    return time_machine


@pytest.fixture
def world(plan):
    """Two institutions (ours and another), a programme, a point and a revocation proposal."""
    ours = Institution.objects.get(name="许昌技师学院")
    other = Institution.objects.get(name="许继技工学校")
    office = office_user()
    programme = Programme.objects.create(
        institution=ours,
        name="数控车工培训",
        occupation=Occupation.objects.order_by("code").first(),
        target_groups="农村转移就业劳动者",
        duration_days=30,
        content="数控车床操作",
    )
    point = RegistrationPoint.objects.create(
        name="魏都区人力资源市场报名点",
        level=RegistrationPoint.Level.COUNTY,
        county=County.objects.get(code="weidu"),
        address="许昌市魏都区七一路",
        phone="0374-1234567",
    )
    enroll(make_class(ours, campaign=plan, end=D(2014, 6, 30)), passed=1, failed=9)
    assessments = {a.institution_id: a for a in svc.assessment_run(campaign=plan, year=2014)}
    return {
        "plan": plan,
        "ours": ours,
        "other": other,
        "office": office,
        "programme": programme,
        "point": point,
        "assessment": assessments[ours.pk],
    }


def login_as(client, world, who: str):
    users = {
        "office": lambda: world["office"],
        "auditor": lambda: user_with_role(Role.AUDITOR),
        "reviewer": lambda: user_with_role(Role.REVIEWER),
        "clerk": lambda: clerk_of("rsj"),
        "staff": lambda: staff_of(world["ours"]),
        "other_staff": lambda: staff_of(world["other"]),
        "worker": lambda: user_with_role(Role.WORKER),
        "finance": lambda: user_with_role(Role.FINANCE),
    }
    if who != "anonymous":
        client.force_login(users[who]())


ALL = ("anonymous", "office", "auditor", "reviewer", "clerk", "staff", "other_staff", "worker")


def expect(default: int, **overrides) -> dict[str, int]:
    """Status per role: anonymous → login redirect unless stated, others ``default``."""
    table = dict.fromkeys(ALL, default)
    table["anonymous"] = 302
    table.update(overrides)
    return table


REGISTRY_READ = expect(200, worker=403)
OFFICE_ONLY_GET = expect(403, office=200)
OFFICE_ONLY_POST = expect(403, office=302)

# (url name, args from the world, method, POST data, statuses by role)
CASES = [
    ("institution_list", lambda w: [], "get", None, REGISTRY_READ),
    (
        "institution_detail",
        lambda w: [w["ours"].pk],
        "get",
        None,
        {**REGISTRY_READ, "other_staff": 404},
    ),
    ("institution_create", lambda w: [], "get", None, OFFICE_ONLY_GET),
    ("institution_update", lambda w: [w["ours"].pk], "get", None, OFFICE_ONLY_GET),
    ("institution_bank_account", lambda w: [w["ours"].pk], "get", None, OFFICE_ONLY_GET),
    (
        "institution_designation",
        lambda w: [w["ours"].pk],
        "post",
        {"action": "warn", "reason": "抽查发现问题"},
        OFFICE_ONLY_POST,
    ),
    (
        "violation_create",
        lambda w: [w["ours"].pk],
        "post",
        {"occurred_on": "2015-01-10", "description": "虚报人数"},
        expect(403, office=302, reviewer=302),
    ),
    (
        "programme_create",
        lambda w: [w["ours"].pk],
        "get",
        None,
        expect(403, office=200, staff=200, other_staff=404),
    ),
    (
        "programme_update",
        lambda w: [w["programme"].pk],
        "get",
        None,
        expect(403, office=200, staff=200, other_staff=404),
    ),
    (
        "programme_delete",
        lambda w: [w["programme"].pk],
        "post",
        {},
        expect(403, office=302, staff=302, other_staff=404),
    ),
    ("assessment_list", lambda w: [], "get", None, expect(403, office=200, auditor=200)),
    ("assessment_run", lambda w: [], "post", {"year": "2014"}, OFFICE_ONLY_POST),
    (
        "assessment_detail",
        lambda w: [w["assessment"].pk],
        "get",
        None,
        expect(403, office=200, auditor=200),
    ),
    (
        "assessment_confirm",
        lambda w: [w["assessment"].pk],
        "post",
        {"reason": "同意"},
        OFFICE_ONLY_POST,
    ),
    (
        "assessment_dismiss",
        lambda w: [w["assessment"].pk],
        "post",
        {"reason": "已整改"},
        OFFICE_ONLY_POST,
    ),
    ("registration_point_list", lambda w: [], "get", None, expect(200, anonymous=200)),
    ("registration_point_create", lambda w: [], "get", None, OFFICE_ONLY_GET),
    ("registration_point_update", lambda w: [w["point"].pk], "get", None, OFFICE_ONLY_GET),
    ("registration_point_delete", lambda w: [w["point"].pk], "post", {}, OFFICE_ONLY_POST),
    ("handbook", lambda w: [], "get", None, expect(200, anonymous=200)),
    ("handbook_download", lambda w: [], "get", None, expect(200, anonymous=200)),
]


@pytest.mark.parametrize("who", ALL)
@pytest.mark.parametrize(
    ("name", "args", "method", "data", "statuses"), CASES, ids=[c[0] for c in CASES]
)
def test_permission_matrix(client, world, who, name, args, method, data, statuses):
    login_as(client, world, who)
    url = reverse(f"training:{name}", args=args(world))
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == statuses[who], (name, who)
    if response.status_code == 302 and who == "anonymous":
        assert response["Location"].startswith(LOGIN)


def test_finance_and_committee_cannot_read_the_registry(client, world):
    for role in (Role.FINANCE, Role.COMMITTEE):
        client.force_login(user_with_role(role))
        assert client.get(reverse("training:institution_list")).status_code == 403


# ------------------------------------------------------------------------------
# The registry pages
# ------------------------------------------------------------------------------


def test_institution_staff_list_shows_only_their_own(client, world):
    client.force_login(staff_of(world["ours"]))
    body = client.get(reverse("training:institution_list")).content.decode()
    assert "许昌技师学院" in body
    assert "许继技工学校" not in body
    assert "许昌职业技术学院" not in body


def test_list_filters_by_kind_county_and_designation(client, world):
    svc.institution_revoke(institution=world["other"], reason="违规", actor=world["office"])
    client.force_login(world["office"])
    url = reverse("training:institution_list")
    body = client.get(url, {"kind": "higher_vocational"}).content.decode()
    assert "许昌职业技术学院" in body
    assert "许昌技师学院" not in body
    yuzhou = County.objects.get(code="yuzhou")
    body = client.get(url, {"county": yuzhou.pk}).content.decode()
    assert "许昌陶瓷职业学院" in body
    assert "许昌技师学院" not in body
    body = client.get(url, {"designation": "revoked"}).content.decode()
    assert "许继技工学校" in body
    assert "许昌技师学院" not in body


def test_detail_shows_programmes_history_assessment_violations_and_plaque(client, world):
    office, ours = world["office"], world["ours"]
    svc.institution_update(
        institution=ours, data={"plaque_granted_on": D(2013, 9, 10)}, actor=office
    )
    svc.institution_warn(institution=ours, reason="抽查发现教师不在岗", actor=office)
    svc.violation_record(
        institution=ours, occurred_on=D(2014, 11, 5), description="冒名顶替参训", actor=office
    )
    client.force_login(staff_of(ours))
    body = client.get(reverse("training:institution_detail", args=[ours.pk])).content.decode()
    for text in (
        "数控车工培训",
        "定点 → 警告",
        "抽查发现教师不在岗",
        "冒名顶替参训",
        "2013-09-10",
        "许昌市全民技能提升工程培训基地",
        "建议取消定点资格",
        "合格率为10%",
    ):
        assert text in body, text
    # Staff read their page but are offered none of the office's forms.
    assert 'id="designation-form"' not in body
    assert 'id="violation-form"' not in body
    assert 'id="programme-create"' in body


def test_office_warns_through_the_page_and_an_empty_reason_is_400(client, world):
    client.force_login(world["office"])
    url = reverse("training:institution_designation", args=[world["ours"].pk])
    response = client.post(url, {"action": "warn", "reason": ""})
    assert response.status_code == 400
    assert not DesignationChange.objects.exists()
    response = client.post(url, {"action": "warn", "reason": "抽查发现问题"})
    assert response.status_code == 302
    world["ours"].refresh_from_db()
    assert world["ours"].designation == "warned"


def test_an_invalid_transition_through_the_page_is_400_with_the_reason(client, world):
    client.force_login(world["office"])
    url = reverse("training:institution_designation", args=[world["ours"].pk])
    response = client.post(url, {"action": "restore", "reason": "无"})
    assert response.status_code == 400
    assert "不能恢复定点资格" in response.content.decode()


def test_revoked_institution_page_says_it_cannot_open_classes(client, world):
    office = world["office"]
    svc.institution_revoke(institution=world["ours"], reason="违规", actor=office)
    client.force_login(office)
    body = client.get(reverse("training:institution_detail", args=[world["ours"].pk])).content
    assert "不能开设享受补贴的培训班" in body.decode()


def test_office_creates_and_edits_an_institution_through_the_pages(client, world):
    client.force_login(world["office"])
    response = client.post(reverse("training:institution_create"), {"name": "", "kind": "private"})
    assert response.status_code == 400
    response = client.post(
        reverse("training:institution_create"),
        {"name": "许昌市新设培训学校", "kind": "private", "contact_phone": "0374-5555555"},
    )
    institution = Institution.objects.get(name="许昌市新设培训学校")
    assert response.status_code == 302
    response = client.post(
        reverse("training:institution_update", args=[institution.pk]),
        {"name": "许昌技师学院", "kind": "private"},
    )
    assert response.status_code == 400  # the name is taken
    response = client.post(
        reverse("training:institution_update", args=[institution.pk]),
        {"name": "许昌市新设培训学校", "kind": "private", "plaque_granted_on": "2014-10-01"},
    )
    assert response.status_code == 302
    institution.refresh_from_db()
    assert institution.plaque_granted_on == D(2014, 10, 1)


def test_staff_add_a_programme_and_a_duplicate_name_is_400(client, world):
    client.force_login(staff_of(world["ours"]))
    url = reverse("training:programme_create", args=[world["ours"].pk])
    data = {
        "name": "数控车工培训",
        "occupation": Occupation.objects.order_by("code").first().pk,
        "target_groups": "农村转移就业劳动者",
        "duration_days": "20",
        "content": "",
    }
    assert client.post(url, data).status_code == 400
    data["name"] = "电工培训"
    assert client.post(url, data).status_code == 302
    assert Programme.objects.filter(institution=world["ours"], name="电工培训").exists()


def test_reviewer_records_a_violation_and_a_future_date_is_400(client, world):
    client.force_login(user_with_role(Role.REVIEWER))
    url = reverse("training:violation_create", args=[world["ours"].pk])
    assert client.post(url, {"occurred_on": "2015-01-21", "description": "x"}).status_code == 400
    assert client.post(url, {"occurred_on": "2015-01-20", "description": "x"}).status_code == 302


# ------------------------------------------------------------------------------
# The bank account never reaches a page or an audit row
# ------------------------------------------------------------------------------


def test_bank_account_number_never_appears_in_any_page_or_audit_row(client, world):
    office, ours = world["office"], world["ours"]
    client.force_login(office)
    url = reverse("training:institution_bank_account", args=[ours.pk])
    # An error elsewhere in the form: the page comes back without the number typed.
    response = client.post(
        url, {"bank_name": "", "account_name": "许昌技师学院", "account_number": CARD}
    )
    assert response.status_code == 400
    assert CARD not in response.content.decode()
    response = client.post(
        url, {"bank_name": "工行许昌分行", "account_name": "许昌技师学院", "account_number": CARD}
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.bank_account_masked == "6222****0128"

    pages = [
        reverse("training:institution_list"),
        reverse("training:institution_detail", args=[ours.pk]),
        url,
        reverse("training:institution_update", args=[ours.pk]),
        reverse("training:assessment_list"),
        reverse("training:handbook"),
        reverse("training:registration_point_list"),
        reverse("dashboard:audit_list"),
    ]
    seen_mask = False
    for page in pages:
        response = client.get(page, follow=True)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert CARD not in body, page
        assert CARD[4:-4] not in body, page
        seen_mask = seen_mask or "6222****0128" in body
    assert seen_mask
    download = client.get(reverse("training:handbook_download"))
    assert CARD.encode() not in b"".join(download.streaming_content)

    text = json.dumps(
        list(AuditEvent.objects.values("changes", "reason", "object_repr")), ensure_ascii=False
    )
    assert CARD not in text
    assert CARD[4:-4] not in text


def test_a_failed_luhn_check_is_saved_with_a_warning_message(client, world):
    client.force_login(world["office"])
    response = client.post(
        reverse("training:institution_bank_account", args=[world["ours"].pk]),
        {
            "bank_name": "农行",
            "account_name": "许昌技师学院",
            "account_number": "41050166520800000123",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "校验位" in body
    assert "4105****0123" in body
    assert "41050166520800000123" not in body


# ------------------------------------------------------------------------------
# Assessment pages
# ------------------------------------------------------------------------------


def test_assessment_list_shows_proposals_with_reasons(client, world):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(reverse("training:assessment_list")).content.decode()
    assert "2014年度定点培训机构考核" in body
    assert "建议取消定点资格" in body
    assert "2014年度培训合格率为10%（合格1人/培训10人），低于80%的要求。" in body
    assert 'id="assessment-run-form"' not in body  # the auditor only reads


def test_office_button_runs_the_assessment(client, world):
    InstitutionAssessment.objects.all().delete()
    client.force_login(world["office"])
    response = client.post(reverse("training:assessment_run"), {"year": "2014"})
    assert response.status_code == 302
    assert response["Location"] == reverse("training:assessment_list") + "?year=2014"
    assert InstitutionAssessment.objects.filter(year=2014).count() == 6
    event = AuditEvent.objects.filter(action="institution_assessment.propose").first()
    assert event.actor == world["office"]


def test_office_button_for_an_open_year_is_400(client, world):
    client.force_login(world["office"])
    response = client.post(reverse("training:assessment_run"), {"year": "2015"})
    assert response.status_code == 400
    assert "尚未结束" in response.content.decode()
    assert not InstitutionAssessment.objects.filter(year=2015).exists()


def test_confirm_without_a_reason_is_400_then_with_one_revokes(client, world):
    client.force_login(world["office"])
    assessment = world["assessment"]
    url = reverse("training:assessment_confirm", args=[assessment.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assessment.refresh_from_db()
    assert assessment.status == "proposed"
    assert client.post(url, {"reason": "同意取消"}).status_code == 302
    world["ours"].refresh_from_db()
    assert world["ours"].designation == "revoked"
    response = client.post(url, {"reason": "再次"})
    assert response.status_code == 400
    assert "已处理" in response.content.decode()


def test_dismiss_through_the_page_keeps_the_designation(client, world):
    client.force_login(world["office"])
    assessment = world["assessment"]
    url = reverse("training:assessment_dismiss", args=[assessment.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "已整改"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "dismissed"
    world["ours"].refresh_from_db()
    assert world["ours"].designation == "designated"


# ------------------------------------------------------------------------------
# Public pages: registration points and the handbook
# ------------------------------------------------------------------------------


def test_public_point_list_filters_by_county_and_level(client, world):
    RegistrationPoint.objects.create(
        name="禹州市鸿畅镇报名点",
        level=RegistrationPoint.Level.TOWNSHIP,
        county=County.objects.get(code="yuzhou"),
        address="禹州市鸿畅镇",
    )
    RegistrationPoint.objects.create(
        name="停用报名点",
        level=RegistrationPoint.Level.COUNTY,
        county=County.objects.get(code="weidu"),
        address="x",
        is_active=False,
    )
    url = reverse("training:registration_point_list")
    body = client.get(url).content.decode()
    assert "魏都区人力资源市场报名点" in body
    assert "禹州市鸿畅镇报名点" in body
    assert "0374-1234567" in body
    assert "许昌市魏都区七一路" in body
    assert "停用报名点" not in body
    body = client.get(url, {"county": County.objects.get(code="yuzhou").pk}).content.decode()
    assert "禹州市鸿畅镇报名点" in body
    assert "魏都区人力资源市场报名点" not in body
    body = client.get(url, {"level": "county"}).content.decode()
    assert "魏都区人力资源市场报名点" in body
    assert "禹州市鸿畅镇报名点" not in body
    client.force_login(world["office"])
    assert "停用报名点" in client.get(url).content.decode()


def test_office_manages_points_through_the_pages(client, world):
    client.force_login(world["office"])
    weidu = County.objects.get(code="weidu")
    data = {
        "name": "魏都区人力资源市场报名点",
        "level": "county",
        "county": weidu.pk,
        "address": "七一路",
        "phone": "",
        "is_active": "on",
    }
    assert client.post(reverse("training:registration_point_create"), data).status_code == 400
    data["name"] = "魏都区西关街道报名点"
    data["level"] = "township"
    assert client.post(reverse("training:registration_point_create"), data).status_code == 302
    point = RegistrationPoint.objects.get(name="魏都区西关街道报名点")
    data["address"] = "西关街道办事处"
    url = reverse("training:registration_point_update", args=[point.pk])
    assert client.post(url, data).status_code == 302
    point.refresh_from_db()
    assert point.address == "西关街道办事处"


def test_handbook_is_public_and_generated_from_the_data(client, world):
    office = world["office"]
    RegistrationPoint.objects.create(
        name="许继技工学校报名点",
        level=RegistrationPoint.Level.INSTITUTION,
        institution=world["other"],
        county=County.objects.get(code="weidu"),
        address="许继大道",
    )
    assert "许继技工学校报名点" in client.get(reverse("training:handbook")).content.decode()
    svc.institution_revoke(institution=world["other"], reason="违规", actor=office)
    body = client.get(reverse("training:handbook")).content.decode()
    assert "许昌技师学院" in body
    assert "许继技工学校" not in body  # revoked
    for text in ("数控车工培训", "农村转移就业劳动者", "数控车床操作", "魏都区人力资源市场报名点"):
        assert text in body
    assert "每人可免费参加一次职业培训" in body
    assert "许继技工学校报名点" not in body  # the point of the revoked institution
    assert "到课率达到60%及以上" in body
    eligible = PopulationGroup.objects.filter(subsidy_eligible=True)
    for group in eligible:
        assert group.name in body
    assert "退役士兵" not in body  # not subsidy-eligible in the plan
    assert "@page" in body
    assert "A4" in body


def test_handbook_rules_follow_the_campaign_data(client, world):
    plan = world["plan"]
    plan.attendance_threshold = "0.700"
    plan.save()
    PopulationGroup.objects.filter(code="veteran").update(subsidy_eligible=True)
    body = client.get(reverse("training:handbook")).content.decode()
    assert "到课率达到70%及以上" in body
    assert "退役士兵" in body


def test_handbook_download_has_three_sheets(client, world):
    response = client.get(reverse("training:handbook_download"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["培训机构与项目", "报名点", "补贴政策"]
    rows = list(book["培训机构与项目"].iter_rows(values_only=True))
    assert rows[0][:6] == (
        "培训机构",
        "机构类型",
        "所在县（市、区）",
        "地址",
        "联系电话",
        "培训项目",
    )
    programme_rows = [r for r in rows if r[5] == "数控车工培训"]
    assert programme_rows[0][0] == "许昌技师学院"
    assert programme_rows[0][8] == 30
    assert len(rows) == 1 + 6  # six institutions, one of them with one programme
    points = list(book["报名点"].iter_rows(values_only=True))
    assert points[1][1] == "魏都区人力资源市场报名点"
    assert points[1][4] == "0374-1234567"
    rules = [r[0] for r in book["补贴政策"].iter_rows(values_only=True)]
    assert "每人可免费参加一次职业培训。" in rules


# ------------------------------------------------------------------------------
# Query counts: the same bound for small and larger data
# ------------------------------------------------------------------------------


def _grow(count: int) -> None:
    occupation = Occupation.objects.order_by("code").first()
    weidu = County.objects.get(code="weidu")
    for n in range(count):
        institution = make_institution(county=weidu)
        for k in range(3):
            Programme.objects.create(
                institution=institution, name=f"项目{k}", occupation=occupation, duration_days=10
            )
        RegistrationPoint.objects.create(
            name=f"报名点{institution.pk}-{n}",
            level=RegistrationPoint.Level.INSTITUTION,
            institution=institution,
            county=weidu,
            address="地址",
        )


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("institution_list", 7),
        ("registration_point_list", 7),
        ("handbook", 9),
        # A download renders no page, but the session checks (idle/absolute timeout) still
        # load the session and the user, as every signed-in request does.
        ("handbook_download", 7),
        ("assessment_list", 7),
    ],
)
def test_list_pages_have_a_bounded_query_count(
    client, world, django_assert_max_num_queries, name, bound
):
    client.force_login(world["office"])
    url = reverse(f"training:{name}")
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
    _grow(25)
    svc.assessment_run(campaign=world["plan"], year=2014)
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200


def test_public_pages_have_a_bounded_query_count_for_anonymous_visitors(
    client, world, django_assert_max_num_queries
):
    urls = [reverse("training:handbook"), reverse("training:registration_point_list")]
    for url in urls:
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200
    _grow(25)
    for url in urls:
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200


def test_detail_page_has_a_bounded_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world["office"])
    url = reverse("training:institution_detail", args=[world["ours"].pk])
    with django_assert_max_num_queries(9):
        client.get(url)
    occupation = Occupation.objects.order_by("code").first()
    for k in range(20):
        Programme.objects.create(
            institution=world["ours"], name=f"项目{k}", occupation=occupation, duration_days=10
        )
        svc.institution_warn(institution=world["ours"], reason=f"警告{k}", actor=world["office"])
        svc.institution_restore(institution=world["ours"], reason=f"恢复{k}", actor=world["office"])
    with django_assert_max_num_queries(9):
        client.get(url)
