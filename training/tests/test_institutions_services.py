"""Services of the institution registry: editing, the basic bank account (never stored or
audited in clear), programmes, designation transitions, violations and registration points."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core import crypto
from core.errors import RuleViolation
from core.models import AuditEvent, County
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import (
    DesignationChange,
    Institution,
    InstitutionViolation,
    Occupation,
    Programme,
    RegistrationPoint,
)
from training.services import institutions as svc
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import (
    at,
    make_institution,
    make_workers,
    office_user,
    staff_of,
)

pytestmark = pytest.mark.django_db

D = datetime.date
# A valid card number (passes Luhn) and a company account that does not.
CARD = "6222021234567890128"
COMPANY = "41050166520800000123"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2014, 6, 2, 10), tick=False)
    return time_machine


@pytest.fixture
def office(plan):
    return office_user()


@pytest.fixture
def institution(plan):
    return make_institution("许昌市测试职业培训学校")


def audits():
    return AuditEvent.objects.exclude(action="plan.load")


def audit_text() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("changes", "reason", "object_repr")), ensure_ascii=False
    )


# ------------------------------------------------------------------------------
# Designation transitions
# ------------------------------------------------------------------------------


def test_revoking_makes_the_institution_unable_to_open_classes(institution, office):
    assert institution.may_open_classes is True
    svc.institution_revoke(institution=institution, reason="合格率低于80%", actor=office)
    institution.refresh_from_db()
    assert institution.designation == Institution.Designation.REVOKED
    assert institution.may_open_classes is False


def test_each_designation_change_writes_history_and_audit(institution, office):
    svc.institution_warn(institution=institution, reason="抽查发现问题", actor=office)
    svc.institution_revoke(institution=institution, reason="整改不到位", actor=office)
    svc.institution_restore(institution=institution, reason="复核合格", actor=office)
    history = list(
        DesignationChange.objects.filter(institution=institution)
        .order_by("created_at", "id")
        .values_list("from_status", "to_status", "reason")
    )
    assert history == [
        ("designated", "warned", "抽查发现问题"),
        ("warned", "revoked", "整改不到位"),
        ("revoked", "designated", "复核合格"),
    ]
    events = list(
        AuditEvent.objects.for_object(institution)
        .order_by("id")
        .values_list("action", "from_state", "to_state", "reason")
    )
    assert events == [
        ("institution.warn", "designated", "warned", "抽查发现问题"),
        ("institution.revoke", "warned", "revoked", "整改不到位"),
        ("institution.restore", "revoked", "designated", "复核合格"),
    ]


def test_restoring_a_revoked_institution_designates_it_anew_from_today(institution, office):
    svc.institution_revoke(institution=institution, reason="违规", actor=office)
    svc.institution_restore(institution=institution, reason="复核合格", actor=office)
    institution.refresh_from_db()
    assert institution.designated_on == D(2014, 6, 2)
    assert institution.may_open_classes is True


def test_lifting_a_warning_keeps_the_designation_date(institution, office):
    institution.designated_on = D(2013, 3, 1)
    institution.save()
    svc.institution_warn(institution=institution, reason="抽查发现问题", actor=office)
    svc.institution_restore(institution=institution, reason="已整改", actor=office)
    institution.refresh_from_db()
    assert institution.designated_on == D(2013, 3, 1)


@pytest.mark.parametrize(
    ("start", "service"),
    [
        ("warned", "institution_warn"),
        ("revoked", "institution_revoke"),
        ("revoked", "institution_warn"),
        ("designated", "institution_restore"),
    ],
)
def test_invalid_designation_transitions_are_refused(institution, office, start, service):
    institution.designation = start
    institution.save()
    with pytest.raises(RuleViolation, match="不能"):
        getattr(svc, service)(institution=institution, reason="理由", actor=office)
    institution.refresh_from_db()
    assert institution.designation == start
    assert not DesignationChange.objects.exists()
    assert not audits().exists()


@pytest.mark.parametrize("service", ["institution_warn", "institution_revoke"])
def test_a_designation_change_needs_a_reason(institution, office, service):
    with pytest.raises(ValidationError) as exc:
        getattr(svc, service)(institution=institution, reason="   ", actor=office)
    assert "reason" in exc.value.message_dict
    institution.refresh_from_db()
    assert institution.designation == "designated"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION])
def test_only_the_office_changes_a_designation(institution, role):
    user = user_with_role(role, institution=institution if role == Role.INSTITUTION else None)
    with pytest.raises(PermissionDenied):
        svc.institution_revoke(institution=institution, reason="x", actor=user)


# ------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------


def test_office_updates_contact_and_plaque_date_with_one_audit_row(institution, office):
    svc.institution_update(
        institution=institution,
        data={"contact_person": " 王主任 ", "plaque_granted_on": D(2013, 9, 10)},
        actor=office,
    )
    institution.refresh_from_db()
    assert (institution.contact_person, institution.plaque_granted_on) == ("王主任", D(2013, 9, 10))
    event = AuditEvent.objects.get(action="institution.update")
    assert event.changes == {
        "contact_person": ["", "王主任"],
        "plaque_granted_on": [None, "2013-09-10"],
    }
    svc.institution_update(institution=institution, data={"contact_person": "王主任"}, actor=office)
    assert AuditEvent.objects.filter(action="institution.update").count() == 1


def test_a_plaque_date_in_the_future_is_refused(institution, office):
    with pytest.raises(ValidationError) as exc:
        svc.institution_update(
            institution=institution, data={"plaque_granted_on": D(2014, 6, 3)}, actor=office
        )
    assert "plaque_granted_on" in exc.value.message_dict


def test_renaming_to_a_taken_name_is_refused(institution, office):
    make_institution("另一所学校")
    with pytest.raises(ValidationError) as exc:
        svc.institution_update(institution=institution, data={"name": "另一所学校"}, actor=office)
    assert "name" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION])
def test_only_the_office_edits_the_registry(institution, role):
    user = user_with_role(role, institution=institution if role == Role.INSTITUTION else None)
    with pytest.raises(PermissionDenied):
        svc.institution_update(institution=institution, data={"address": "x"}, actor=user)
    with pytest.raises(PermissionDenied):
        svc.institution_create(name="新学校", kind="private", actor=user)


def test_office_creates_an_institution(plan, office):
    county = County.objects.get(code="weidu")
    institution = svc.institution_create(
        name="魏都区新设培训学校", kind="private", county=county, actor=office
    )
    assert institution.designation == "designated"
    event = AuditEvent.objects.get(action="institution.create")
    assert event.changes["name"] == "魏都区新设培训学校"


# ------------------------------------------------------------------------------
# The basic bank account
# ------------------------------------------------------------------------------


def test_bank_account_is_stored_encrypted_and_masked(institution, office):
    result = svc.institution_bank_account_set(
        institution=institution,
        bank_name="中国工商银行许昌分行",
        account_name="许昌市测试职业培训学校",
        account_number="6222 0212 3456 7890 128",
        actor=office,
    )
    assert result.warnings == []
    institution.refresh_from_db()
    assert crypto.decrypt(institution.bank_account_encrypted) == CARD
    assert CARD not in institution.bank_account_encrypted
    assert institution.bank_account_masked == "6222****0128"


def test_bank_account_audit_holds_only_the_mask(institution, office):
    svc.institution_bank_account_set(
        institution=institution,
        bank_name="工行",
        account_name="学校",
        account_number=CARD,
        actor=office,
    )
    svc.institution_bank_account_set(
        institution=institution,
        bank_name="农行",
        account_name="学校",
        account_number=COMPANY,
        actor=office,
    )
    events = list(AuditEvent.objects.filter(action="institution.bank_account_set").order_by("id"))
    assert events[1].changes["bank_account"] == ["6222****0128", "4105****0123"]
    text = audit_text()
    assert CARD not in text
    assert COMPANY not in text
    assert CARD[4:-4] not in text
    assert COMPANY[4:-4] not in text


def test_a_failed_luhn_check_is_only_a_warning(institution, office):
    result = svc.institution_bank_account_set(
        institution=institution,
        bank_name="农行",
        account_name="学校",
        account_number=COMPANY,
        actor=office,
    )
    assert len(result.warnings) == 1
    assert "校验" in result.warnings[0]
    institution.refresh_from_db()
    assert institution.bank_account_masked == "4105****0123"


@pytest.mark.parametrize("number", ["", "6222abc1234567890", "12345678901", "1" * 31])
def test_a_malformed_account_number_is_refused(institution, office, number):
    with pytest.raises(ValidationError) as exc:
        svc.institution_bank_account_set(
            institution=institution,
            bank_name="工行",
            account_name="学校",
            account_number=number,
            actor=office,
        )
    assert "account_number" in exc.value.message_dict
    institution.refresh_from_db()
    assert institution.bank_account_encrypted == ""
    assert not audits().exists()


def test_bank_and_account_name_are_required(institution, office):
    with pytest.raises(ValidationError) as exc:
        svc.institution_bank_account_set(
            institution=institution,
            bank_name=" ",
            account_name="",
            account_number=CARD,
            actor=office,
        )
    assert set(exc.value.message_dict) == {"bank_name", "account_name"}


def test_institution_staff_cannot_set_their_own_bank_account(institution):
    with pytest.raises(PermissionDenied):
        svc.institution_bank_account_set(
            institution=institution,
            bank_name="工行",
            account_name="学校",
            account_number=CARD,
            actor=staff_of(institution),
        )


# ------------------------------------------------------------------------------
# Programmes
# ------------------------------------------------------------------------------


def _programme(institution, actor, name="电工培训", **kwargs):
    return svc.programme_create(
        institution=institution,
        name=name,
        occupation=Occupation.objects.order_by("code").first(),
        duration_days=kwargs.pop("duration_days", 30),
        target_groups="城镇登记失业人员、农村转移就业劳动者",
        content="安全用电、照明线路安装",
        actor=actor,
        **kwargs,
    )


def test_institution_staff_add_programmes_to_their_own_institution(institution):
    staff = staff_of(institution)
    programme = _programme(institution, staff)
    assert programme.institution == institution
    assert AuditEvent.objects.get(action="programme.create").actor == staff


def test_staff_of_another_institution_cannot_touch_its_programmes(institution, office):
    other_staff = staff_of(make_institution())
    with pytest.raises(PermissionDenied):
        _programme(institution, other_staff)
    programme = _programme(institution, office)
    with pytest.raises(PermissionDenied):
        svc.programme_update(programme=programme, data={"duration_days": 5}, actor=other_staff)
    with pytest.raises(PermissionDenied):
        svc.programme_delete(programme=programme, actor=other_staff)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.CLERK])
def test_other_roles_cannot_add_programmes(institution, role):
    with pytest.raises(PermissionDenied):
        _programme(institution, user_with_role(role))


def test_programme_names_are_unique_per_institution(institution, office):
    _programme(institution, office)
    with pytest.raises(ValidationError) as exc:
        _programme(institution, office)
    assert "name" in exc.value.message_dict
    _programme(make_institution(), office)  # another institution may use the name


def test_programme_duration_must_be_positive(institution, office):
    with pytest.raises(ValidationError) as exc:
        _programme(institution, office, duration_days=0)
    assert "duration_days" in exc.value.message_dict


def test_programme_update_and_delete_are_audited(institution):
    staff = staff_of(institution)
    programme = _programme(institution, staff)
    svc.programme_update(programme=programme, data={"duration_days": 45}, actor=staff)
    assert AuditEvent.objects.get(action="programme.update").changes == {"duration_days": [30, 45]}
    svc.programme_delete(programme=programme, actor=staff)
    assert not Programme.objects.exists()
    assert AuditEvent.objects.get(action="programme.delete").changes["name"] == "电工培训"


# ------------------------------------------------------------------------------
# Violations
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE, Role.REVIEWER])
def test_office_and_reviewers_record_violations(institution, role):
    user = user_with_role(role)
    violation = svc.violation_record(
        institution=institution, occurred_on=D(2014, 5, 20), description="冒名顶替参训", actor=user
    )
    assert violation.recorded_by == user
    event = AuditEvent.objects.get(action="institution.violation_record")
    assert event.reason == "冒名顶替参训"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CLERK, Role.INSTITUTION])
def test_other_roles_cannot_record_violations(institution, role):
    with pytest.raises(PermissionDenied):
        svc.violation_record(
            institution=institution,
            occurred_on=D(2014, 5, 20),
            description="x",
            actor=user_with_role(role),
        )


def test_a_violation_needs_a_description_and_a_date_not_in_the_future(institution, office):
    with pytest.raises(ValidationError) as exc:
        svc.violation_record(
            institution=institution, occurred_on=D(2014, 5, 1), description=" ", actor=office
        )
    assert "description" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.violation_record(
            institution=institution, occurred_on=D(2014, 6, 3), description="x", actor=office
        )
    assert "occurred_on" in exc.value.message_dict
    svc.violation_record(
        institution=institution, occurred_on=D(2014, 6, 2), description="x", actor=office
    )
    assert InstitutionViolation.objects.count() == 1


# ------------------------------------------------------------------------------
# Registration points
# ------------------------------------------------------------------------------


def _point(office, name="魏都区人力资源市场报名点", **kwargs):
    kwargs.setdefault("level", RegistrationPoint.Level.COUNTY)
    kwargs.setdefault("county", County.objects.get(code="weidu"))
    return svc.registration_point_create(
        name=name, address="许昌市魏都区七一路", phone="0374-1234567", actor=office, **kwargs
    )


def test_office_creates_updates_and_deletes_a_point(office):
    point = _point(office)
    svc.registration_point_update(point=point, data={"phone": "0374-7654321"}, actor=office)
    point.refresh_from_db()
    assert point.phone == "0374-7654321"
    svc.registration_point_delete(point=point, actor=office)
    assert not RegistrationPoint.objects.exists()
    assert [e.action for e in audits().order_by("id")] == [
        "registration_point.create",
        "registration_point.update",
        "registration_point.delete",
    ]


def test_point_names_are_unique_within_a_county(office):
    _point(office)
    with pytest.raises(ValidationError) as exc:
        _point(office)
    assert "name" in exc.value.message_dict
    _point(office, county=County.objects.get(code="yuzhou"))


def test_an_institution_point_needs_its_institution_and_only_it(office, institution):
    with pytest.raises(ValidationError) as exc:
        _point(office, name="机构报名点", level=RegistrationPoint.Level.INSTITUTION)
    assert "institution" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _point(office, name="县级报名点", institution=institution)
    point = _point(
        office,
        name="机构报名点",
        level=RegistrationPoint.Level.INSTITUTION,
        institution=institution,
    )
    assert point.institution == institution


def test_a_point_where_workers_registered_cannot_be_deleted(office):
    point = _point(office)
    worker = make_workers(1)[0]
    worker.registered_at = point
    worker.save()
    with pytest.raises(RuleViolation, match="停用"):
        svc.registration_point_delete(point=point, actor=office)
    assert RegistrationPoint.objects.filter(pk=point.pk).exists()
    assert not AuditEvent.objects.filter(action="registration_point.delete").exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION])
def test_only_the_office_manages_points(plan, role):
    with pytest.raises(PermissionDenied):
        _point(user_with_role(role))
    clerk = clerk_of("rsj")
    with pytest.raises(PermissionDenied):
        _point(clerk)
