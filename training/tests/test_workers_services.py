"""Worker identity and registration: the ID rules, one row per person, the name check, staff
registration rights, self-registration with a login, contact updates."""

import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError

from core.crypto import decrypt, keyed_hash
from core.errors import RuleViolation
from core.models import AuditEvent, County, Department, User
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id
from training.models import RegistrationPoint, Worker
from training.services.workers import (
    ALREADY_SIGNED_UP,
    NAME_MISMATCH,
    worker_identity,
    worker_register,
    worker_self_register,
    worker_update_contact,
)
from training.tests import workers_samples as samples
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db

GOOD = samples.make_id(123)  # born 1990-01-01, 17th digit 3: male
PASSWORD = "Xuchang-skills-2013"


@pytest.fixture
def office(plan):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


@pytest.fixture
def yuzhou(plan):
    return County.objects.get(name="禹州市")


def register(actor, *, id_number=GOOD, name="张三", point=None, **overrides):
    values = {
        "phone": "13800000001",
        "county": None,
        "household": "rural",
        "education": "junior",
        "group_codes": ["rural_migrant"],
    }
    values.update(overrides)
    return worker_register(id_number=id_number, name=name, point=point, actor=actor, **values)


def signup(*, id_number=GOOD, name="张三", phone="13800000009", password=PASSWORD, **overrides):
    values = {
        "county": None,
        "household": "urban",
        "education": "college",
        "group_codes": ["graduate_year"],
    }
    values.update(overrides)
    return worker_self_register(
        id_number=id_number, name=name, phone=phone, password=password, **values
    )


# ------------------------------------------------------------------------------
# Identity
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请填写身份证号码"),
        ("41100219900101123", "身份证号码应为18位（当前17位）"),
        ("4110021990010112A4", "身份证号码前17位必须是数字"),
        ("41100219900101123Y", "身份证号码第18位应为数字或X"),
        (make_resident_id("00100219900101123"), "地区代码无效"),
        (make_resident_id("41100219900230123"), "出生日期无效"),
        (make_resident_id("41100220990101123"), "出生日期不能晚于今天"),
        (GOOD[:17] + ("0" if GOOD[17] != "0" else "1"), "校验位错误"),
    ],
)
def test_identity_reports_the_exact_rule_broken(value, message):
    with pytest.raises(ValidationError) as caught:
        worker_identity(value)
    assert caught.value.messages == [message]


def test_identity_derives_sex_and_birth_date_and_accepts_lower_x():
    number = next(
        make_resident_id(f"41100219850612{n:03d}")
        for n in range(100, 999)
        if make_resident_id(f"41100219850612{n:03d}").endswith("X")
    )
    identity = worker_identity(number.lower())
    assert identity.number == number
    assert identity.birth_date == datetime.date(1985, 6, 12)
    assert identity.sex == ("M" if int(number[16]) % 2 else "F")


def test_identity_future_birth_is_judged_by_the_campaign_clock():
    born = make_resident_id("41100220140601123")
    before = datetime.datetime(2014, 5, 31, 12, tzinfo=datetime.UTC)
    with (
        time_machine.travel(before, tick=False),
        pytest.raises(ValidationError, match="出生日期不能晚于今天"),
    ):
        worker_identity(born)
    with time_machine.travel(datetime.datetime(2014, 6, 1, 12, tzinfo=datetime.UTC), tick=False):
        assert worker_identity(born).birth_date == datetime.date(2014, 6, 1)


# ------------------------------------------------------------------------------
# Staff registration
# ------------------------------------------------------------------------------


def test_registration_stores_the_number_hashed_encrypted_and_masked(office, yuzhou):
    worker, created = register(office, county=yuzhou)
    assert created
    assert worker.id_number_hash == keyed_hash(GOOD)
    assert decrypt(worker.id_number_encrypted) == GOOD
    assert worker.id_number_masked == f"{GOOD[:4]}**********{GOOD[-4:]}"
    assert worker.sex == "M"
    assert worker.birth_date == datetime.date(1990, 1, 1)
    assert list(worker.groups.values_list("code", flat=True)) == ["rural_migrant"]
    event = AuditEvent.objects.get(action="worker.register")
    assert GOOD not in str(event.changes)
    assert GOOD not in event.object_repr


def test_registering_the_same_number_twice_finds_the_same_row(office):
    first, created_first = register(office)
    second, created_second = register(office, id_number=GOOD.lower() if "X" in GOOD else GOOD)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Worker.objects.count() == 1


def test_registering_with_another_name_is_refused_and_never_renames(office):
    register(office)
    with pytest.raises(RuleViolation) as caught:
        register(office, name="张四", phone="13900000000")
    assert caught.value.message == NAME_MISMATCH
    worker = Worker.objects.get()
    assert (worker.name, worker.phone) == ("张三", "13800000001")


def test_re_registration_by_staff_updates_contact_and_audits_it(office, yuzhou):
    register(office)
    worker, created = register(office, phone="13900000002", county=yuzhou, group_codes=["veteran"])
    assert not created
    worker.refresh_from_db()
    assert worker.phone == "13900000002"
    assert worker.county == yuzhou
    assert list(worker.groups.values_list("code", flat=True)) == ["veteran"]
    event = AuditEvent.objects.get(action="worker.update")
    assert event.changes["phone"] == ["138****0001", "139****0002"]
    assert event.changes["groups"] == [["rural_migrant"], ["veteran"]]


def test_re_registration_with_blank_phone_keeps_the_phone_on_file(office):
    register(office)
    register(office, phone="", group_codes=[])
    worker = Worker.objects.get()
    assert worker.phone == "13800000001"
    assert list(worker.groups.values_list("code", flat=True)) == ["rural_migrant"]
    assert not AuditEvent.objects.filter(action="worker.update").exists()


def test_registration_errors_are_field_keyed_and_collected(office):
    with pytest.raises(ValidationError) as caught:
        register(
            office,
            id_number=GOOD[:17] + ("0" if GOOD[17] != "0" else "1"),
            name=" ",
            phone="12345",
            household="city",
            education="",
            group_codes=["nobody"],
        )
    errors = caught.value.message_dict
    assert errors["id_number"] == ["校验位错误"]
    assert errors["name"] == ["请填写姓名"]
    assert errors["phone"] == ["手机号码应为以1开头的11位数字"]
    assert errors["household"] == ["请选择户籍类型"]
    assert errors["education"] == ["请选择文化程度"]
    assert errors["groups"] == ["未知的人员类别：nobody"]
    assert Worker.objects.count() == 0


@pytest.mark.parametrize("role", [Role.OFFICE, Role.REVIEWER, Role.INSTITUTION])
def test_staff_roles_may_register(plan, role):
    inst = samples.institution()
    actor = user_with_role(role, institution=inst if role == Role.INSTITUTION else None)
    _worker, created = register(actor)
    assert created


def test_department_clerk_may_register(plan):
    _worker, created = register(clerk_of("rsj"))
    assert created


@pytest.mark.parametrize("role", [Role.WORKER, Role.FINANCE, Role.AUDITOR, Role.COMMITTEE])
def test_other_roles_may_not_register(plan, role):
    with pytest.raises(PermissionDenied):
        register(user_with_role(role))
    assert Worker.objects.count() == 0


def test_institution_staff_register_only_at_their_own_points(plan):
    mine, theirs = samples.institution("甲培训学校"), samples.institution("乙培训学校")
    staff = samples.staff_of(mine)
    own_point = RegistrationPoint.objects.create(
        name="甲报名点", level="institution", institution=mine, address="甲路1号"
    )
    other_point = RegistrationPoint.objects.create(
        name="乙报名点", level="institution", institution=theirs, address="乙路1号"
    )
    with pytest.raises(PermissionDenied):
        register(staff, point=other_point)
    worker, _ = register(staff, point=own_point)
    assert worker.registered_at == own_point


def test_registration_at_a_closed_point_is_refused(office):
    point = RegistrationPoint.objects.create(
        name="停用报名点", level="city", address="某路", is_active=False
    )
    with pytest.raises(RuleViolation, match="报名点已停用"):
        register(office, point=point)


def test_institution_staff_cannot_change_a_worker_outside_their_institution(plan, office):
    register(office)
    staff = samples.staff_of(samples.institution())
    worker, created = register(staff, phone="13911112222")
    assert not created
    worker.refresh_from_db()
    assert worker.phone == "13800000001"


# ------------------------------------------------------------------------------
# Self-registration
# ------------------------------------------------------------------------------


def test_self_signup_creates_login_and_worker(roles, plan):
    worker = signup()
    user = worker.user
    assert user.username == "13800000009"
    assert user.has_role(Role.WORKER)
    assert authenticate(username="13800000009", password=PASSWORD) == user
    assert worker.id_number_hash == keyed_hash(GOOD)
    assert worker.sex == "M"
    assert AuditEvent.objects.get(action="worker.self_register").actor == user


def test_self_signup_attaches_to_a_staff_registered_worker(roles, office):
    staff_made, _ = register(office)
    worker = signup()
    assert worker.pk == staff_made.pk
    assert Worker.objects.count() == 1
    assert worker.user.username == "13800000009"
    worker.refresh_from_db()
    assert worker.phone == "13800000009"


def test_self_signup_with_another_name_is_refused(roles, office):
    register(office)
    with pytest.raises(RuleViolation) as caught:
        signup(name="李四")
    assert caught.value.message == NAME_MISMATCH
    assert not User.objects.filter(username="13800000009").exists()


def test_second_signup_for_the_same_number_is_refused(roles, plan):
    signup()
    with pytest.raises(RuleViolation) as caught:
        signup(phone="13800000010")
    assert caught.value.message == ALREADY_SIGNED_UP
    assert not User.objects.filter(username="13800000010").exists()
    assert Worker.objects.count() == 1


def test_signup_with_a_phone_already_used_as_login_is_a_field_error(roles, plan):
    signup()
    with pytest.raises(ValidationError) as caught:
        signup(id_number=samples.make_id(124), name="李四")
    assert "phone" in caught.value.message_dict
    assert Worker.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1", "密码太短，至少需要8个字符"),
        ("12345678901", "密码只包含数字"),
        ("password123", "这个密码太常见了"),
    ],
)
def test_signup_password_is_checked_by_django_validators(roles, plan, password, fragment):
    with pytest.raises(ValidationError) as caught:
        signup(password=password)
    assert any(fragment in message for message in caught.value.message_dict["password"])
    assert Worker.objects.count() == 0
    assert not User.objects.filter(username="13800000009").exists()


def test_signup_needs_a_phone(roles, plan):
    with pytest.raises(ValidationError) as caught:
        signup(phone="")
    assert caught.value.message_dict["phone"] == ["请填写手机号码"]


# ------------------------------------------------------------------------------
# Contact update
# ------------------------------------------------------------------------------


def test_worker_changes_own_phone_and_login_follows(roles, plan, yuzhou):
    worker = signup()
    worker_update_contact(worker=worker, phone="13600000000", county=yuzhou, actor=worker.user)
    worker.refresh_from_db()
    worker.user.refresh_from_db()
    assert worker.phone == "13600000000"
    assert worker.user.username == "13600000000"
    assert worker.county == yuzhou
    assert AuditEvent.objects.filter(action="worker.update_contact").count() == 1


def test_worker_cannot_take_a_phone_that_is_another_login(roles, plan):
    worker = signup()
    user_with_role(Role.OFFICE, username="13600000000")
    with pytest.raises(ValidationError) as caught:
        worker_update_contact(worker=worker, phone="13600000000", county=None, actor=worker.user)
    assert "phone" in caught.value.message_dict


def test_another_worker_cannot_change_a_workers_contact(roles, plan):
    worker = signup()
    other = signup(id_number=samples.make_id(125), name="李四", phone="13800000011")
    with pytest.raises(PermissionDenied):
        worker_update_contact(worker=worker, phone="13600000000", county=None, actor=other.user)


def test_clerk_cannot_change_a_workers_contact(roles, office):
    worker, _ = register(office)
    with pytest.raises(PermissionDenied):
        worker_update_contact(
            worker=worker, phone="13600000000", county=None, actor=clerk_of("rsj")
        )


def test_office_may_change_a_workers_contact(office):
    worker, _ = register(office)
    worker_update_contact(worker=worker, phone="13600000000", county=None, actor=office)
    worker.refresh_from_db()
    assert worker.phone == "13600000000"


def test_institution_staff_change_contact_only_of_their_workers(plan, office):
    inst = samples.institution()
    staff = samples.staff_of(inst)
    outsider, _ = register(office)
    with pytest.raises(PermissionDenied):
        worker_update_contact(worker=outsider, phone="13600000000", county=None, actor=staff)
    point = RegistrationPoint.objects.create(
        name="本校报名点", level="institution", institution=inst, address="校内"
    )
    own, _ = register(staff, id_number=samples.make_id(126), name="李四", point=point)
    worker_update_contact(worker=own, phone="13600000001", county=None, actor=staff)
    own.refresh_from_db()
    assert own.phone == "13600000001"
