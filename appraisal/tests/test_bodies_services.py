"""Appraisal bodies, their authorisations and staff, and the level rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from appraisal.models import AppraisalBody, BodyAuthorisation, Level, LevelRule
from appraisal.services import bodies as svc
from appraisal.services.results import authorisation_covers
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    clerk,
    frozen,
    institution_staff,
    make_body,
    occupation,
    office,
    reviewer,
)
from core.errors import RuleViolation
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_reviewer_creates_a_body_audited(plan):
    user = reviewer()
    body = svc.body_create(data=svc.BodyInput(name=" 许昌市职业技能鉴定中心 "), actor=user)
    assert body.name == "许昌市职业技能鉴定中心"
    assert AuditEvent.objects.for_object(body).get().action == "appraisal.body_create"


@pytest.mark.parametrize("make_user", [office, clerk, institution_staff])
def test_only_reviewers_manage_bodies(plan, make_user):
    with pytest.raises(PermissionDenied):
        svc.body_create(data=svc.BodyInput(name="某鉴定站"), actor=make_user())


def test_body_names_are_unique(plan):
    user = reviewer()
    svc.body_create(data=svc.BodyInput(name="某鉴定站"), actor=user)
    with pytest.raises(ValidationError) as exc:
        svc.body_create(data=svc.BodyInput(name="某鉴定站"), actor=user)
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError):
        svc.body_create(data=svc.BodyInput(name="  "), actor=user)


def test_body_update_records_what_changed(plan):
    user = reviewer()
    body = svc.body_create(data=svc.BodyInput(name="某鉴定站"), actor=user)
    svc.body_update(
        body=body, data=svc.BodyInput(name="某鉴定站", address="新址", is_active=False), actor=user
    )
    body.refresh_from_db()
    assert body.address == "新址"
    assert not body.is_active
    event = AuditEvent.objects.get(action="appraisal.body_update")
    assert set(event.changes) == {"address", "is_active"}


def test_staff_must_be_reviewers(plan):
    user = reviewer()
    body = make_body()
    with pytest.raises(ValidationError) as exc:
        svc.body_set_staff(body=body, staff=[clerk()], actor=user)
    assert "只有人社审核员" in str(exc.value)
    colleague = reviewer()
    svc.body_set_staff(body=body, staff=[colleague], actor=user)
    assert list(body.staff.all()) == [colleague]
    event = AuditEvent.objects.get(action="appraisal.body_staff")
    assert event.changes["added"] == [str(colleague)]


def test_authorisation_reaches_down_from_its_highest_level(plan):
    body = make_body(max_level=Level.SENIOR)
    assert authorisation_covers(body, occupation(), Level.JUNIOR)
    assert authorisation_covers(body, occupation(), Level.SENIOR)
    assert not authorisation_covers(body, occupation(), Level.TECHNICIAN)


def test_authorisation_set_creates_then_changes_the_one_row(plan):
    user = reviewer()
    body = make_body()
    other = occupation("ZY002")
    svc.authorisation_set(body=body, occupation=other, max_level=Level.INTERMEDIATE, actor=user)
    svc.authorisation_set(body=body, occupation=other, max_level=Level.TECHNICIAN, actor=user)
    assert BodyAuthorisation.objects.get(body=body, occupation=other).max_level == 2
    assert AuditEvent.objects.filter(action="appraisal.authorisation_set").count() == 2
    with pytest.raises(ValidationError):
        svc.authorisation_set(body=body, occupation=other, max_level=0, actor=user)


def test_authorisation_remove(plan):
    body = make_body()
    authorisation = body.authorisations.get()
    svc.authorisation_remove(authorisation=authorisation, actor=reviewer())
    assert not body.authorisations.exists()
    assert not authorisation_covers(body, occupation(), Level.JUNIOR)


def test_database_allows_one_authorisation_per_occupation(plan):
    body = make_body()
    with pytest.raises(IntegrityError), transaction.atomic():
        BodyAuthorisation.objects.create(body=body, occupation=occupation(), max_level=1)


def test_level_rules_are_kept_by_reviewers_and_the_office(plan):
    rule = LevelRule.objects.get(level=Level.INTERMEDIATE)
    for user in (reviewer(), office()):
        svc.level_rule_update(
            rule=rule,
            requires_lower_certificate=True,
            requires_completed_class=True,
            min_years_in_trade=user.pk % 5,
            actor=user,
        )
    rule.refresh_from_db()
    assert rule.requires_completed_class
    with pytest.raises(PermissionDenied):
        svc.level_rule_update(
            rule=rule,
            requires_lower_certificate=True,
            requires_completed_class=True,
            min_years_in_trade=1,
            actor=clerk(),
        )


def test_junior_cannot_require_a_lower_certificate(plan):
    rule = LevelRule.objects.get(level=Level.JUNIOR)
    with pytest.raises(ValidationError) as exc:
        svc.level_rule_update(
            rule=rule,
            requires_lower_certificate=True,
            requires_completed_class=True,
            min_years_in_trade=0,
            actor=reviewer(),
        )
    assert "requires_lower_certificate" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelRule.objects.filter(level=5).update(requires_lower_certificate=True)


def test_level_rule_years_must_be_sane(plan):
    rule = LevelRule.objects.get(level=Level.SENIOR)
    with pytest.raises(ValidationError):
        svc.level_rule_update(
            rule=rule,
            requires_lower_certificate=True,
            requires_completed_class=False,
            min_years_in_trade=51,
            actor=reviewer(),
        )
    assert AppraisalBody.objects.count() == 0


def test_a_body_entered_by_mistake_is_deleted_one_in_use_is_kept(plan):
    from appraisal.tests.appraisal_builders import make_sitting

    user = reviewer()
    spare = make_body("误建的鉴定站")
    svc.body_delete(body=spare, actor=user)
    assert not AppraisalBody.objects.filter(name="误建的鉴定站").exists()
    assert AuditEvent.objects.filter(action="appraisal.body_delete").count() == 1
    used = make_body(staff=[user])
    make_sitting(used, user)
    with pytest.raises(RuleViolation):
        svc.body_delete(body=used, actor=user)
    with pytest.raises(PermissionDenied):
        svc.body_delete(body=used, actor=office())
