import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import Role
from core.services import user_create

pytestmark = pytest.mark.django_db


def test_sync_roles_creates_every_role_and_is_idempotent():
    call_command("sync_roles")
    first = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    call_command("sync_roles")
    second = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert set(first) == set(Role.values)
    assert first == second


def test_auditor_may_only_view():
    call_command("sync_roles")
    codenames = Group.objects.get(name=Role.AUDITOR).permissions.values_list("codename", flat=True)
    assert codenames
    assert all(c.startswith("view_") for c in codenames)


def test_a_clerk_needs_a_department(roles):
    with pytest.raises(ValueError, match="department"):
        user_create(username="c", password=None, full_name="c", roles=[Role.CLERK], actor=None)


def test_user_create_assigns_roles_and_audits(roles, plan):
    from core.models import AuditEvent, Department

    user = user_create(
        username="c",
        password=None,
        full_name="填报员",
        roles=[Role.CLERK],
        department=Department.objects.get(code="gxj"),
        actor=None,
    )
    assert user.has_role(Role.CLERK)
    assert not user.has_role(Role.OFFICE)
    assert not user.is_staff
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_inactive_user_holds_no_role(roles):
    from core.tests.factories import user_with_role

    user = user_with_role(Role.OFFICE, is_active=False)
    assert not user.has_role(Role.OFFICE)
