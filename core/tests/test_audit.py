import pytest

from core.errors import RuleViolation
from core.models import AuditEvent
from core.services import audit_record
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_audit_row_records_actor_object_and_states():
    actor = UserFactory(full_name="王主任")
    target = UserFactory()
    event = audit_record(
        actor=actor, action="user.lock", obj=target, from_state="a", to_state="b", reason="测试"
    )
    event.refresh_from_db()
    assert (event.actor_name, event.object_id, event.from_state, event.to_state) == (
        "王主任",
        str(target.pk),
        "a",
        "b",
    )
    assert list(AuditEvent.objects.for_object(target)) == [event]


def test_audit_rows_cannot_be_changed_or_deleted():
    event = audit_record(actor=None, action="x")
    event.reason = "rewritten"
    with pytest.raises(RuleViolation):
        event.save()
    with pytest.raises(RuleViolation):
        event.delete()
    with pytest.raises(RuleViolation):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(RuleViolation):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.reason == ""


def test_audit_row_keeps_the_client_address(client, plan):
    from django.urls import reverse

    from core.roles import Role
    from core.tests.factories import user_with_role

    client.force_login(user_with_role(Role.OFFICE))
    from core.middleware import client_ip

    token = client_ip.set("10.1.2.3")
    try:
        event = audit_record(actor=None, action="x")
    finally:
        client_ip.reset(token)
    assert event.ip_address == "10.1.2.3"
    assert client.get(reverse("dashboard:audit_list")).status_code == 200
