"""The database connection dropped in the middle of a request (issue 11 item 7).

A clerk uploads a month's return; the return and its lines are written, and just before the
service's audit row a fault point (``audit_record``, core/faults.py) has PostgreSQL terminate the
request's own connection from another connection (``pg_terminate_backend``), as a failover or an
administrator would. The person gets a clean 503 page in Chinese, nothing of the return is left,
and the next request works.
"""

import contextlib
import io

import psycopg2
import pytest
from django.db import connection

from core.faults import fault_injected
from core.models import AuditEvent
from core.tests.failure_support import require_services
from core.tests.hostile import good_file
from training.models import MonthlyReturn, ReturnLine
from training.tests.uploads import return_context

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _terminate_own_backend(**_info) -> None:
    pid = connection.connection.get_backend_pid()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with contextlib.closing(psycopg2.connect(**params)) as killer:
        killer.autocommit = True
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)


def _state() -> tuple:
    return (
        MonthlyReturn.objects.count(),
        ReturnLine.objects.count(),
        AuditEvent.objects.filter(action__startswith="monthly_return.").count(),
    )


def test_connection_dropped_mid_request_gives_a_clean_503_and_no_half_written_rows(plan, client):
    require_services()
    with contextlib.ExitStack() as stack:
        context = return_context(campaign=plan, stack=stack)
        upload = io.BytesIO(good_file(context))
        upload.name = "月报.xlsx"
        client.force_login(context.view.user)
        before = _state()
        fired = []

        def cut(**info):
            fired.append(info["action"])
            _terminate_own_backend()

        with fault_injected("audit_record", cut):
            response = client.post(context.view.url, {**context.view.data, "file": upload})

        assert fired, "the fault point was not reached"
        assert response.status_code == 503
        page = response.content.decode()
        assert "数据库连接中断" in page
        assert "没有保存一半的数据" in page
        assert response["Retry-After"]
        # A new connection: nothing of the return was committed.
        assert _state() == before
        print(  # noqa: T201 - the figure the issue asks for
            f"\ndb connection dropped mid-request: status {response.status_code}, "
            f"rows written {_state()[0] - before[0]} returns / {_state()[1] - before[1]} lines"
        )

        # The system recovers: the same upload works on the next request.
        upload.seek(0)
        response = client.post(context.view.url, {**context.view.data, "file": upload})
        assert response.status_code == 302
        assert _state()[0] == before[0] + 1
        assert _state()[1] == before[1] + len(context.rows)


def test_an_unexpected_error_still_renders_the_chinese_500_page(client, settings, db):
    """The fallback for anything else: Django's handler renders templates/500.html."""
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "系统错误（500）" in page
    assert "未被部分保存" in page
