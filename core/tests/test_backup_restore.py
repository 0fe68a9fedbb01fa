"""`make backup` / `make restore` round trip on PostgreSQL: the restored fresh database has the same
row count in every table, and the audit trigger comes back with it."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from core.models import AuditEvent, LoginThrottle
from core.services import audit_record
from core.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore need PostgreSQL (set DATABASE_URL=postgres://...)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("make")):
        pytest.skip("pg_dump / pg_restore / make not installed")


def url_for(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from pg_tables
        counts[table] = cursor.fetchone()[0]
    return counts


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed program, arguments from this test
        ["make", "--no-print-directory", *args],  # noqa: S607 - make from PATH, as CI runs it
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_backup_then_restore_into_a_fresh_database_keeps_every_row(tmp_path):
    import psycopg2

    for n in range(25):
        user = UserFactory(username=f"backup-user-{n}", full_name=f"备份用户{n}")
        audit_record(actor=user, action="test.backup", obj=user, reason=f"第{n}条")
    LoginThrottle.objects.create(scope="ip", key="10.0.0.1", failures=3)
    source_name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        before = row_counts(cursor)
    assert before["core_user"] >= 25
    assert before["core_auditevent"] == AuditEvent.objects.count() >= 25

    dump = tmp_path / "xuchang.dump"
    target = f"{source_name}_restore_{uuid.uuid4().hex[:8]}"
    backup = make("backup", f"DATABASE_URL={url_for(source_name)}", f"BACKUP_FILE={dump}")
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    try:
        restore = make("restore", f"BACKUP_FILE={dump}", f"RESTORE_DATABASE_URL={url_for(target)}")
        assert restore.returncode == 0, restore.stderr
        restored = psycopg2.connect(url_for(target))
        try:
            with restored.cursor() as cursor:
                after = row_counts(cursor)
                # The append-only trigger is part of the backup too.
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger WHERE tgname = 'core_auditevent_append_only'"
                )
                assert cursor.fetchone()[0] == 1
        finally:
            restored.close()
        differing = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
        rows = sum(before.values())
        print(  # noqa: T201 - the figure (pytest -s)
            f"\n{len(before)} tables, {rows} rows compared; {len(differing)} differ"
        )
        assert set(after) == set(before)
        assert differing == {}

        # A second restore into the same (now existing) database is refused, not merged.
        again = make("restore", f"BACKUP_FILE={dump}", f"RESTORE_DATABASE_URL={url_for(target)}")
        assert again.returncode != 0
        assert "已存在" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')


def test_restore_refuses_a_missing_file(tmp_path):
    result = make(
        "restore",
        f"BACKUP_FILE={tmp_path / 'none.dump'}",
        f"RESTORE_DATABASE_URL={url_for('never_created_db')}",
    )
    assert result.returncode != 0
    assert "备份文件不存在" in result.stderr
