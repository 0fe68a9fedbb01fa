"""The audit trail cannot be rewritten on PostgreSQL, not even with raw SQL: a trigger installed by
core/migrations/0005_auth_security.py refuses UPDATE and DELETE of core_auditevent."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from core.models import AuditEvent
from core.services import audit_record
from core.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

migration = importlib.import_module("core.migrations.0005_auth_security")


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the audit trigger is PostgreSQL only (set DATABASE_URL=postgres://...)")


@pytest.fixture
def event():
    return audit_record(actor=UserFactory(), action="test.event", reason="原始理由")


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET reason = 'rewritten' WHERE id = %s",
        "UPDATE core_auditevent SET actor_id = NULL, actor_name = '' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_audit_row(event, sql):
    with pytest.raises(DatabaseError, match="审计记录不可修改或删除"):
        raw(sql, [event.pk])
    event.refresh_from_db()
    assert event.reason == "原始理由"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_bulk_delete_of_the_whole_table_is_refused(event):
    audit_record(actor=None, action="test.other")
    with pytest.raises(DatabaseError):
        raw("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() == 2


def test_inserting_still_works(event):
    before = AuditEvent.objects.count()
    audit_record(actor=None, action="test.more")
    assert AuditEvent.objects.count() == before + 1


def test_the_protection_is_the_trigger_removing_it_lets_sql_through(event):
    """Proof the test tests something: without the trigger the same UPDATE succeeds; the
    migration's reverse and forward functions remove and reinstall it (inside this test's
    transaction, which is rolled back)."""
    with connection.schema_editor(atomic=False) as editor:
        migration.remove_audit_trigger(None, editor)
    assert raw("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [event.pk]) == 1
    with connection.schema_editor(atomic=False) as editor:
        migration.install_audit_trigger(None, editor)
    with pytest.raises(DatabaseError):
        raw("UPDATE core_auditevent SET reason = 'y' WHERE id = %s", [event.pk])


def test_the_trigger_is_installed_for_update_and_delete():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["core_auditevent_append_only"]
    tgtype = rows[0][1]
    # pg_trigger.tgtype bits: 1 row, 2 before, 4 insert, 8 delete, 16 update.
    for bit in (1, 2, 8, 16):
        assert tgtype & bit, bit
    assert not tgtype & 4
